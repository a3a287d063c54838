"""The exchange in the inbox over HTTP (Flask's test client), on SQLite and PostgreSQL: what the
shopper wants instead and who pays each way, in words; the replacement's form only for an exchange
whose goods are back, CSRF-protected, for the merchant's own shop, and a second click changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.service.withdrawals import WithdrawalService
from tests.integration.fixtures import NOW, accounts, add_order, merchant, service
from tests.web.conftest import csrf_from, sign_in

CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")




def exchange(factory, order_no: str, profile: str = "general", receive: bool = True) -> tuple[str, str]:
    add_order(factory, order_no, state="delivered", profile=profile, customer="alice" if profile == "general" else "bob")
    customer = "alice" if profile == "general" else "bob"
    svc = service(factory)
    asked = svc.submit(customer, order_no, "exchange", "does_not_fit", exchange_wish="换成 42 码 黑色",
                       conversation_id=f"chat-{order_no}")
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "请寄回", actor="merchant:g@shop.example")
    if receive:
        merchant(factory).receive_return(asked["return"]["return_no"], actor="merchant:g@shop.example")
    return asked["return"]["return_no"], asked["ticket"]["ticket_no"]


@pytest.fixture
def shop(factory):
    received = exchange(factory, "P1000000001")
    waiting = exchange(factory, "P1000000002", receive=False)
    theirs = exchange(factory, "X1000000001", profile="other_merchant")
    accounts(factory).create_merchant("g@shop.example", "G 客服", "password-of-g", ["shop_g"])
    accounts(factory).create_merchant("x@shop.example", "X 客服", "password-of-x", ["shop_x"])
    return {"received": received, "waiting": waiting, "theirs": theirs}


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)))


def signed_in(app):
    client = app.test_client()
    sign_in(client, "g@shop.example", "password-of-g")
    return client


def shipped(factory, return_no: str) -> tuple[str, str | None, int, int]:
    with factory() as session:
        ret = session.scalar(select(t.ReturnRequest).where(t.ReturnRequest.return_no == return_no))
        told = session.scalar(select(func.count()).select_from(t.Notification)
                              .where(t.Notification.kind == "replacement_shipped"))
        audit = session.scalar(select(func.count()).select_from(t.AuditEvent)
                               .where(t.AuditEvent.action == "replacement_shipped"))
        return ret.status, ret.replacement_tracking_no, int(told or 0), int(audit or 0)


def test_the_order_and_case_pages_say_what_instead_and_who_pays_each_way(app, shop):
    client = signed_in(app)
    return_no, ticket_no = shop["received"]
    for path in ("/inbox/orders/P1000000001", f"/inbox/cases/{ticket_no}"):
        page = text_of(client.get(path).get_data(as_text=True))
        assert "顾客想换成 换成 42 码 黑色" in page, path
        assert "寄回运费 由顾客承担" in page and "换货寄出运费 由商家承担" in page, path
        assert "已收到退回的商品，待寄出换货" in page and "寄出换货商品" in page, path
        assert not CODE.search(page) and "does_not_fit" not in page, (path, CODE.findall(page))
    case = text_of(client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True))
    assert "尺码或颜色不合适" in case and "同意了换货工单" not in case


def test_the_replacement_form_is_only_for_an_exchange_whose_goods_are_back(app, factory, shop):
    client = signed_in(app)
    received, waiting = shop["received"][0], shop["waiting"][0]
    page = client.get("/inbox/orders/P1000000001").get_data(as_text=True)
    assert f"/returns/{received}/replacement" in page
    waiting_page = client.get("/inbox/orders/P1000000002").get_data(as_text=True)
    assert "/replacement" not in waiting_page and "已收到退回的商品" in waiting_page  # inspection first
    assert "扣款后退款" not in waiting_page  # an exchange refunds nothing
    add_order(factory, "P1000000003", state="delivered")
    ret = service(factory).submit("alice", "P1000000003", "return_refund", "changed_mind")
    merchant(factory).decide_ticket(ret["ticket"]["ticket_no"], True, "ok", actor="merchant:g@shop.example")
    merchant(factory).receive_return(ret["return"]["return_no"], actor="merchant:g@shop.example")
    assert "/replacement" not in client.get("/inbox/orders/P1000000003").get_data(as_text=True)
    token = csrf_from(page)
    refused = client.post(f"/inbox/orders/P1000000002/returns/{waiting}/replacement",
                          data={"carrier": "顺丰速运", "tracking_no": "SF1", "csrf_token": token}, follow_redirects=True)
    assert "没有执行" in refused.get_data(as_text=True)
    assert shipped(factory, waiting)[:2] == ("authorized", None)


def test_shipping_needs_the_csrf_token_and_a_second_click_changes_nothing(app, factory, shop):
    client = signed_in(app)
    return_no, ticket_no = shop["received"]
    path = f"/inbox/orders/P1000000001/returns/{return_no}/replacement"
    form = {"carrier": "顺丰速运", "tracking_no": "SF 1234 5678"}
    assert client.post(path, data=form).status_code == 400
    assert client.post(path, data={**form, "csrf_token": "forged"}).status_code == 400
    assert shipped(factory, return_no) == ("received", None, 0, 0)
    token = csrf_from(client.get(f"/inbox/cases/{ticket_no}").get_data(as_text=True))
    first = client.post(path, data={**form, "csrf_token": token, "back": f"/inbox/cases/{ticket_no}"})
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/inbox/cases/{ticket_no}")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "已记录换货商品寄出" in page and "排队" in page  # Rasa is away: the message waits for the worker
    assert "换货商品已寄出" in page and "顺丰速运 SF12345678" in page and "/replacement" not in page
    assert shipped(factory, return_no) == ("replacement_shipped", "SF12345678", 1, 1)
    again = client.post(path, data={**form, "csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "已经寄出过" in again and "没有改动" in again
    assert shipped(factory, return_no) == ("replacement_shipped", "SF12345678", 1, 1)
    other = client.post(path, data={"carrier": "中通快递", "tracking_no": "ZT1", "csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)
    assert "没有执行" in other and shipped(factory, return_no) == ("replacement_shipped", "SF12345678", 1, 1)
    timeline = text_of(client.get("/inbox/orders/P1000000001").get_data(as_text=True))
    assert "G 客服寄出换货商品" in timeline and not CODE.search(timeline)
    evil = client.post(path, data={**form, "csrf_token": token, "back": "https://evil.example/"})
    assert evil.headers["Location"].endswith("/inbox/orders/P1000000001")


def test_another_shops_exchange_is_refused_like_one_that_does_not_exist(app, factory, shop):
    client = signed_in(app)
    theirs = shop["theirs"][0]
    token = csrf_from(client.get("/inbox/orders/P1000000001").get_data(as_text=True))
    form = {"carrier": "顺丰速运", "tracking_no": "SF1", "csrf_token": token}
    assert client.post(f"/inbox/orders/X1000000001/returns/{theirs}/replacement", data=form).status_code == 404
    assert client.post(f"/inbox/orders/P1000000001/returns/{theirs}/replacement", data=form).status_code == 404
    assert client.post("/inbox/orders/P1000000001/returns/RT0000000000/replacement", data=form).status_code == 404
    assert shipped(factory, theirs) == ("received", None, 0, 0)


def test_withdrawn_cases_and_requests_are_in_words_in_the_list_the_case_and_the_order(app, factory, shop):
    client = signed_in(app)
    add_order(factory, "P1000000004", state="delivered")
    asked = service(factory).submit("alice", "P1000000004", "exchange", "does_not_fit", exchange_wish="换 L 码")
    WithdrawalService(factory, clock=lambda: NOW).withdraw("alice", "P1000000004")
    ticket_no = asked["ticket"]["ticket_no"]
    listed = text_of(client.get("/inbox/?status=resolved").get_data(as_text=True))
    assert ticket_no in listed and "已处理（顾客已撤回）" in listed
    for path in (f"/inbox/cases/{ticket_no}", "/inbox/orders/P1000000004"):
        page = text_of(client.get(path).get_data(as_text=True))
        assert "顾客已撤回" in page and "withdrawn" not in page and not CODE.search(page), path
    analytics = text_of(client.get("/inbox/analytics").get_data(as_text=True))
    assert "顾客已撤回" in analytics and not CODE.search(analytics)
