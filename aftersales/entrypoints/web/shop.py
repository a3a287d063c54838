"""The demo shop page: a logged-in shopper's order list with the chat widget, as a shop's app
would embed it. The page's backend mints the signed customer token (README: how a real backend
does it). Development and test only: production serves no demo shop.

The shoppers to switch between are the database's (whatever was seeded or imported), not a list
in the code: the first one by id when none is asked for."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from aftersales.adapters.customer_tokens import mint
from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import READ_ONLY, session_factory
from aftersales.entrypoints.web.services import services

shop = Blueprint("shop", __name__, url_prefix="/shop")
SHOPPERS_SHOWN = 20  # the switcher's links


def shoppers(database_url: str) -> dict[str, dict[str, str]]:
    """The first shoppers by id, as the page names them (id and name; no phone numbers on a page)."""
    with session_factory(database_url)() as session:
        session.connection(execution_options=cast(Any, {READ_ONLY: True}))
        rows = session.execute(select(t.Customer.id, t.Customer.name).order_by(t.Customer.id)
                               .limit(SHOPPERS_SHOWN)).all()
    return {row.id: {"id": row.id, "name": row.name} for row in rows}


def shopper(database_url: str, customer_id: str) -> dict[str, str] | None:
    with session_factory(database_url)() as session:
        session.connection(execution_options=cast(Any, {READ_ONLY: True}))
        row = session.get(t.Customer, customer_id)
        return {"id": row.id, "name": row.name} if row is not None else None


@shop.get("/")
def demo_shop():
    settings = services().settings
    if settings.production:
        abort(404)
    customers = shoppers(settings.database_url)
    customer_id = request.args.get("customer") or next(iter(customers), "")
    customer = customers.get(customer_id) or shopper(settings.database_url, customer_id)
    if customer is None:
        abort(404)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    token = mint(settings.customer_token_secret, customer_id, settings.customer_token_ttl_minutes)
    orders = services().after_sales.customer_orders(customer_id)
    response = render_template("shop.html", customer=customer, customers=customers, orders=orders, token=token,
                               rasa_url=settings.rasa_url, lang=lang, shop_id=settings.default_shop_id)
    origin = urlsplit(settings.rasa_url)
    ws = f"{'wss' if origin.scheme == 'https' else 'ws'}://{origin.netloc}"
    return response, 200, {
        "Content-Security-Policy": f"default-src 'self'; connect-src 'self' {origin.scheme}://{origin.netloc} {ws}; "
                                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        "Cache-Control": "no-store",  # the page carries a customer token
    }
