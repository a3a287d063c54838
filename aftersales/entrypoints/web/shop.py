"""The demo shop page: a logged-in shopper's order list with the chat widget, as a shop's app
would embed it. The page's backend mints the signed customer token (README: how a real backend
does it). Development and test only: production serves no demo shop.

The shoppers to switch between are the database's (whatever was seeded or imported), not a list
in the code: the first one by id when none is asked for."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request

from aftersales.adapters.customer_tokens import mint
from aftersales.entrypoints.web.services import services

shop = Blueprint("shop", __name__, url_prefix="/shop")
SHOPPERS_SHOWN = 20  # the switcher's links


@shop.get("/")
def demo_shop():
    settings = services().settings
    if settings.production:
        abort(404)
    after_sales = services().after_sales
    customers = {c["id"]: c for c in after_sales.shoppers(SHOPPERS_SHOWN)}
    customer_id = request.args.get("customer") or next(iter(customers), "")
    customer = customers.get(customer_id) or after_sales.shopper(customer_id)
    if customer is None:
        abort(404)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    token = mint(settings.customer_token_secret, customer_id, settings.customer_token_ttl_minutes)
    orders = after_sales.customer_orders(customer_id)
    response = render_template("shop.html", customer=customer, customers=customers, orders=orders, token=token,
                               rasa_url=settings.rasa_url, lang=lang, shop_id=settings.default_shop_id)
    origin = urlsplit(settings.rasa_url)
    ws = f"{'wss' if origin.scheme == 'https' else 'ws'}://{origin.netloc}"
    return response, 200, {
        "Content-Security-Policy": f"default-src 'self'; connect-src 'self' {origin.scheme}://{origin.netloc} {ws}; "
                                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        "Cache-Control": "no-store",  # the page carries a customer token
    }
