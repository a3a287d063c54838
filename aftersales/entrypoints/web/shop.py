"""The demo shop page: a logged-in shopper's order list with the chat widget, as a shop's app
would embed it. The page's backend mints the signed customer token (README: how a real backend
does it). Development and test only: production serves no demo shop."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request

from aftersales.adapters.customer_tokens import mint
from aftersales.demo import CUSTOMERS, SHOPS
from aftersales.entrypoints.web.app import services

shop = Blueprint("shop", __name__, url_prefix="/shop")


@shop.get("/")
def demo_shop():
    settings = services().settings
    if settings.production:
        abort(404)
    customer_id = request.args.get("customer", "c_1001")
    customer = CUSTOMERS.get(customer_id)
    if customer is None:
        abort(404)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    token = mint(settings.customer_token_secret, customer_id, settings.customer_token_ttl_minutes)
    orders = services().after_sales.customer_orders(customer_id)
    response = render_template("shop.html", customer=customer, customers=CUSTOMERS, orders=orders, token=token,
                               rasa_url=settings.rasa_url, lang=lang, shop_id=settings.default_shop_id,
                               shops=SHOPS)
    origin = urlsplit(settings.rasa_url)
    ws = f"{'wss' if origin.scheme == 'https' else 'ws'}://{origin.netloc}"
    return response, 200, {
        "Content-Security-Policy": f"default-src 'self'; connect-src 'self' {origin.scheme}://{origin.netloc} {ws}; "
                                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        "Cache-Control": "no-store",  # the page carries a customer token
    }
