"""The inbox and the chat's new flows on SQLite and PostgreSQL: a merchant ships an exchange's
replacement (once, only their shop's, only once the goods are back), the order timeline tells
exchanges, withdrawals and price protection in sentences, and analytics count withdrawn cases apart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.entrypoints.web.inbox import audit_action, label, timeline_sentence
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.inbox import InboxService
from aftersales.service.price_protection import PriceProtectionService
from aftersales.service.withdrawals import WithdrawalService
from tests.integration.fixtures import NOW, add_order, merchant, reports, service

G = "merchant:g@shop.example"
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # a code such as replacement_shipped or does_not_fit


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def inbox(factory, minutes: int = 0) -> InboxService:
    now = NOW + timedelta(minutes=minutes)
    return InboxService(factory, clock=lambda: now)


def exchange(factory, order_no: str = "P1000000001", receive: bool = True, profile: str = "general") -> str:
    add_order(factory, order_no, state="delivered", profile=profile)
    svc = service(factory)
    asked = svc.submit("alice", order_no, "exchange", "does_not_fit", exchange_wish="换成 42 码 黑色",
                       conversation_id=f"chat-{order_no}")
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "请寄回", actor=G)
    if receive:
        merchant(factory).receive_return(asked["return"]["return_no"], actor=G)
    return asked["return"]["return_no"]


def count(factory, model, *where) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_the_merchant_ships_the_replacement_once_and_the_chat_is_told(factory):
    return_no = exchange(factory)
    shipped = merchant(factory, NOW + timedelta(minutes=5)).ship_replacement(return_no, "顺丰速运", "SF 1234 5678", G, {"shop_g"}, order_no="P1000000001")
    assert shipped["status"] == "replacement_shipped" and shipped["notification_id"]
    assert shipped["return"]["replacement_tracking_no"] == "SF12345678"
    again = merchant(factory, NOW + timedelta(minutes=6)).ship_replacement(return_no, "顺丰速运", "SF12345678", G, {"shop_g"}, order_no="P1000000001")
    assert again["status"] == "already_shipped" and again["notification_id"] is None
    with pytest.raises(Conflict):  # another parcel after it went out
        merchant(factory, NOW + timedelta(minutes=7)).ship_replacement(return_no, "中通快递", "ZT1", G, {"shop_g"}, order_no="P1000000001")
    assert count(factory, t.Notification, t.Notification.kind == "replacement_shipped") == 1
    assert count(factory, t.AuditEvent, t.AuditEvent.action == "replacement_shipped") == 1
    with factory() as session:
        told = session.scalar(select(t.Notification).where(t.Notification.kind == "replacement_shipped"))
        assert told.conversation_id == "chat-P1000000001" and told.payload["carrier"] == "顺丰速运"


def test_only_an_exchange_of_the_merchants_order_with_the_goods_back(factory):
    waiting = exchange(factory, "P1000000001", receive=False)
    theirs = exchange(factory, "X1000000001", profile="other_merchant")
    mine = exchange(factory, "P1000000002")
    with pytest.raises(Conflict):  # the goods are not back yet
        merchant(factory).ship_replacement(waiting, "顺丰速运", "SF1", G, {"shop_g"}, order_no="P1000000001")
    with pytest.raises(NotFound):  # another shop's exchange looks like none at all
        merchant(factory).ship_replacement(theirs, "顺丰速运", "SF1", G, {"shop_g"}, order_no="X1000000001")
    with pytest.raises(NotFound):  # named under another order of the merchant's
        merchant(factory).ship_replacement(theirs, "顺丰速运", "SF1", G, {"shop_g"}, order_no="P1000000002")
    with pytest.raises(NotFound):
        merchant(factory).ship_replacement(mine, "顺丰速运", "SF1", G, {"shop_g"}, order_no="P1000000001")
    with pytest.raises(InvalidInput):
        merchant(factory).ship_replacement(mine, "顺丰速运", "  ", G, {"shop_g"}, order_no="P1000000002")
    with factory() as session:
        statuses = dict(session.execute(select(t.ReturnRequest.return_no, t.ReturnRequest.status)).all())
    assert statuses == {waiting: "authorized", theirs: "received", mine: "received"}
    assert count(factory, t.Notification, t.Notification.kind == "replacement_shipped") == 0


def test_the_timeline_tells_exchanges_withdrawals_and_price_protection_in_sentences(factory):
    return_no = exchange(factory)
    merchant(factory, NOW + timedelta(minutes=5)).ship_replacement(return_no, "顺丰速运", "SF12345678", G, {"shop_g"}, order_no="P1000000001")
    add_order(factory, "P1000000002", state="delivered")
    ret = service(factory).submit("alice", "P1000000002", "exchange", "does_not_fit", exchange_wish="换 L 码")
    WithdrawalService(factory, clock=lambda: NOW).withdraw("alice", "P1000000002")
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    service(factory).submit("alice", "KS1000000001", "intercept", "changed_mind")
    WithdrawalService(factory, clock=lambda: NOW).withdraw("alice", "KS1000000001")
    add_order(factory, "P1000000003", state="delivered", items=[
        {"sku": "S1", "title": "Kettle", "goods_type": "physical", "quantity": 1, "unit_price": "100.00",
         "current_unit_price": "80.00"}])
    PriceProtectionService(factory, clock=lambda: NOW).claim("alice", "P1000000003")

    def story(order_no: str, shops: set[str]) -> list[str]:
        events = reports(factory, NOW + timedelta(minutes=30)).order_timeline(order_no, shops)
        lines = [timeline_sentence(e) for e in events]
        for line in lines:
            assert not CODE.search(line), line
            assert "记录了一项操作" not in line and "一条消息" not in line, line
        return lines

    exchanged = "\n".join(story("P1000000001", {"shop_g"}))
    assert "顾客 Alice 申请换货" in exchanged and "想换成「换成 42 码 黑色」" in exchanged
    assert "寄回运费由顾客承担" in exchanged and "换货寄出运费由商家承担" in exchanged
    assert "寄出换货商品" in exchanged and "快递 顺丰速运 SF12345678" in exchanged
    assert "换货商品已寄出及运单号" in exchanged  # the chat's message
    withdrawn = "\n".join(story("P1000000002", {"shop_g"}))
    assert f"撤回了换货申请 {ret['return']['return_no']}" in withdrawn and "撤回了换货工单" in withdrawn
    assert "撤回了拦截快递的申请" in "\n".join(story("KS1000000001", {"shop_k"}))
    protected = "\n".join(story("P1000000003", {"shop_g"}))
    assert "申请价保，Kettle降价，退差价 ¥20.00" in protected and "因为价保退差价" in protected
    for action in ("ticket_withdrawn", "return_withdrawn", "interception_withdrawn", "price_protection_refunded",
                   "replacement_shipped"):
        assert audit_action(action) != action
    for section, code in (("resolution", "withdrawn"), ("return_status", "withdrawn"),
                          ("return_status", "replacement_shipped"), ("interception_status", "withdrawn"),
                          ("refund_sources", "price_protection"), ("reasons", "does_not_fit"),
                          ("notification_kinds", "replacement_shipped")):
        assert label(section, code) != code, (section, code)


def test_analytics_count_withdrawn_cases_apart_from_approved_and_rejected(factory):
    add_order(factory, "P1000000002", state="delivered")
    service(factory).submit("alice", "P1000000002", "exchange", "does_not_fit", exchange_wish="换 L 码")
    WithdrawalService(factory, clock=lambda: NOW).withdraw("alice", "P1000000002")
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    service(factory).submit("alice", "KS1000000001", "intercept", "changed_mind")
    WithdrawalService(factory, clock=lambda: NOW).withdraw("alice", "KS1000000001")
    add_order(factory, "KS1000000002", state="shipped", profile="short_video")
    ticket = service(factory).submit("alice", "KS1000000002", "intercept", "changed_mind")["ticket"]["ticket_no"]
    merchant(factory).decide_ticket(ticket, False, "已揽收", "merchant:k@shop.example", shop_ids={"shop_k"})
    figures = reports(factory, NOW + timedelta(minutes=60)).analytics({"shop_g", "shop_k"})
    assert figures["cases_by_resolution"] == {"rejected": 1, "withdrawn": 2}
    assert figures["interceptions_by_stage"] == {"merchant": {"withdrawn": 1, "failed": 1}}
