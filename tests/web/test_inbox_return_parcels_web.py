"""The shopper's return parcel in the inbox over HTTP (Flask's test client), on SQLite and PostgreSQL:
the order page says whether the shopper has told it yet, then the courier and number, and the
timeline tells who sent what — in the merchant's language."""

from __future__ import annotations

import re

import pytest

from aftersales.service.return_parcels import ReturnParcelService
from tests.integration.fixtures import accounts, add_order, merchant, service
from tests.web.conftest import csrf_from, sign_in

CJK = re.compile(r"[\u3400-\u9fff]")
ORDER = "P1000000001"


@pytest.fixture
def awaited(factory):
    add_order(factory, ORDER, state="delivered", channel="credit_card", prices=("100.00",))
    asked = service(factory).submit("alice", ORDER, "return_refund", "quality_defect", conversation_id="chat-r")
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "请寄回", actor="merchant:g@shop.example")
    accounts(factory).create_merchant("g@shop.example", "G 客服", "password-of-g", ["shop_g"])
    return asked["return"]["return_no"]


def order_page(client) -> str:
    html = client.get(f"/inbox/orders/{ORDER}").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)))


def test_the_order_page_shows_whether_the_parcel_is_on_its_way(app, factory, awaited):
    client = app.test_client()
    sign_in(client, "g@shop.example", "password-of-g")
    assert "顾客寄回的包裹 还没有提供运单号" in order_page(client)
    ReturnParcelService(factory).record("alice", ORDER, "SF1234567890", "顺丰速运", conversation_id="chat-r")
    page = order_page(client)
    assert "顺丰速运 SF1234567890" in page and "还没有提供运单号" not in page
    assert f"寄回了商品（{awaited}），快递 顺丰速运 SF1234567890。" in page


def test_an_english_merchant_reads_the_parcel_in_english(app, factory, awaited):
    client = app.test_client()
    sign_in(client, "g@shop.example", "password-of-g")
    token = csrf_from(client.get("/inbox/").get_data(as_text=True))
    client.post("/inbox/settings/language", data={"language": "en", "csrf_token": token, "back": "/inbox/"})
    ReturnParcelService(factory).record("alice", ORDER, "75123456789012")
    page = order_page(client)
    assert "tracking number 75123456789012 (courier not given)" in page
    assert f"sent the goods back ({awaited})" in page
    parcel_part = page[page.index("75123456789012") - 80:][:200]
    assert not CJK.findall(parcel_part), parcel_part
