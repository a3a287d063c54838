"""The shop's webhook in the inbox's settings, over HTTP on SQLite and PostgreSQL: a merchant sets
it for their own shop only, with the CSRF token, reads the secret to check signatures with, and
the address is checked."""

from __future__ import annotations

from sqlalchemy import select

from aftersales.adapters.db import tables as t
from tests.integration.fixtures import accounts, add_order
from tests.web.conftest import csrf_from, sign_in


def test_a_merchant_sets_their_shops_webhook_and_reads_its_secret(app, factory):
    add_order(factory, "P1000000001")
    add_order(factory, "X1000000001", profile="other_merchant", customer="bob")
    accounts(factory).create_merchant("g@shop.example", "G Agent", "password-of-g", ["shop_g"])
    client = app.test_client()
    sign_in(client, "g@shop.example", "password-of-g")
    page = client.get("/inbox/settings").get_data(as_text=True)
    assert "Shop G：紧急工单通知" in page and "Shop X" not in page and "webhook-secret" not in page
    form = {"shop_id": "shop_g", "url": "https://hooks.shop.example/a", "csrf_token": csrf_from(page)}
    assert client.post("/inbox/settings/webhook", data={**form, "csrf_token": ""}).status_code == 400
    done = client.post("/inbox/settings/webhook", data=form, follow_redirects=True).get_data(as_text=True)
    assert "已保存紧急工单的通知地址。" in done
    with factory() as session:
        shop = session.get(t.Shop, "shop_g")
    assert shop.urgent_webhook_url == "https://hooks.shop.example/a" and shop.urgent_webhook_secret in done
    assert client.post("/inbox/settings/webhook", data={**form, "shop_id": "shop_x"}).status_code == 404
    refused = client.post("/inbox/settings/webhook", data={**form, "url": "ftp://x"}, follow_redirects=True)
    assert "没有保存" in refused.get_data(as_text=True)
    client.post("/inbox/settings/webhook", data={**form, "remove": "1"})
    with factory() as session:
        assert session.scalar(select(t.Shop.urgent_webhook_url).where(t.Shop.id == "shop_g")) is None
        assert session.get(t.Shop, "shop_x").urgent_webhook_url is None
