"""The demo shop page (development and test only) over HTTP, on SQLite and PostgreSQL: its
shoppers are the database's, whatever was seeded — not the demo's list — and its amounts are
formatted as everywhere else (domain.money)."""

from __future__ import annotations

import re
from dataclasses import replace

from aftersales.entrypoints.web.services import EXTENSION
from tests.integration.fixtures import add_order


def test_the_shop_page_lists_the_seeded_shoppers_and_their_orders(app, factory):
    add_order(factory, "P1000000001", customer="alice", prices=("1299.00", "0.50"))
    add_order(factory, "P1000000002", customer="bob")
    client = app.test_client()
    page = client.get("/shop/")  # no shopper asked for: the first one by id
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Alice（alice）" in html and "P1000000001" in html and "P1000000002" not in html
    assert "¥1,299.50" in html
    assert re.findall(r'href="\?customer=(\w+)&lang=zh">\1<', html) == ["alice", "bob"]
    assert 'data-token="' in html and 'data-storage-key="alice"' in html
    bob = client.get("/shop/?customer=bob&lang=en").get_data(as_text=True)
    assert "Bob（bob）" in bob and "P1000000002" in bob and "P1000000001" not in bob and "My orders" in bob
    assert "13900000002" not in bob  # no phone numbers on the page
    assert client.get("/shop/?customer=c_1001").status_code == 404  # the demo's shoppers are not built in


def test_an_empty_database_has_no_shopper_to_show(app):
    assert app.test_client().get("/shop/").status_code == 404


def test_production_serves_no_demo_shop(app, factory):
    add_order(factory, "P1000000001", customer="alice")
    built = app.extensions[EXTENSION]  # production settings need PostgreSQL and real secrets: only the switch
    app.extensions[EXTENSION] = replace(built, settings=replace(built.settings, env="production"))
    assert app.test_client().get("/shop/?customer=alice").status_code == 404
