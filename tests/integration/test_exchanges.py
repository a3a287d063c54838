"""An exchange to the end against a real database: asked with what instead, approved, the goods
back, the replacement sent — by the inbox's operation or the shop system's event — and told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.merchant_operations import MerchantService
from aftersales.service.order_events import OrderEventsService

from .fixtures import NOW, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def exchanges(factory) -> MerchantService:
    return merchant(factory)


def received_exchange(factory, reason="does_not_fit") -> tuple[str, str]:
    add_order(factory, "P1000000001", state="delivered")
    svc = service(factory)
    asked = svc.submit("alice", "P1000000001", "exchange", reason, exchange_wish="  换成 42 码\n黑色 ",
                       conversation_id="conv-x")
    assert asked["status"] == "under_review" and asked["return"]["exchange_wish"] == "换成 42 码 黑色"
    assert asked["decision"]["refund"] is None
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "请寄回", actor="merchant:m1")
    merchant(factory).receive_return(asked["return"]["return_no"], actor="merchant:m1")
    return asked["return"]["return_no"], asked["ticket"]["ticket_no"]


def notifications(factory, kind: str) -> list[t.Notification]:
    with factory() as session:
        return list(session.scalars(select(t.Notification).where(t.Notification.kind == kind)))


@pytest.mark.parametrize(("reason", "back", "replacement"), [
    ("does_not_fit", "customer", "merchant"), ("quality_defect", "merchant", "merchant")])
def test_who_pays_each_way_follows_the_fault(factory, reason, back, replacement):
    add_order(factory, "P1000000001", state="delivered")
    decision = service(factory).preview("alice", "P1000000001", "exchange", reason)
    assert (decision["return_shipping_payer"], decision["replacement_shipping_payer"]) == (back, replacement)


def test_an_exchange_needs_to_say_what_instead(factory):
    add_order(factory, "P1000000001", state="delivered")
    with pytest.raises(InvalidInput):
        service(factory).submit("alice", "P1000000001", "exchange", "does_not_fit", exchange_wish="  ")


def test_the_replacement_goes_out_once_and_the_chat_is_told_its_parcel(factory):
    return_no, _ = received_exchange(factory)
    shipped = exchanges(factory).ship_replacement(return_no, "顺丰速运", " SF 1234 5678 ", actor="merchant:m1",
                                                  shop_ids={"shop_g"})
    assert shipped["status"] == "replacement_shipped"
    assert (shipped["return"]["replacement_carrier"], shipped["return"]["replacement_tracking_no"]) == (
        "顺丰速运", "SF12345678")
    again = exchanges(factory).ship_replacement(return_no, "顺丰速运", "SF12345678", actor="merchant:m1")
    assert again["status"] == "already_shipped"
    with pytest.raises(Conflict):
        exchanges(factory).ship_replacement(return_no, "中通", "ZT999", actor="merchant:m1")
    [told] = notifications(factory, "replacement_shipped")
    assert told.conversation_id == "conv-x" and told.payload["tracking_no"] == "SF12345678"
    order = service(factory).lookup_order("alice", "P1000000001")
    assert order["refunds"] == [] and order["state"] == "delivered"


def test_not_before_the_goods_are_back_not_for_a_return_not_for_another_shop(factory):
    add_order(factory, "P1000000001", state="delivered")
    add_order(factory, "P1000000002", state="delivered")
    svc = service(factory)
    exchange = svc.submit("alice", "P1000000001", "exchange", "does_not_fit", exchange_wish="换 L 码")
    ret = svc.submit("alice", "P1000000002", "return_refund", "changed_mind")
    with pytest.raises(Conflict):
        exchanges(factory).ship_replacement(exchange["return"]["return_no"], "顺丰", "SF1", actor="merchant:m1")
    with pytest.raises(Conflict):
        exchanges(factory).ship_replacement(ret["return"]["return_no"], "顺丰", "SF1", actor="merchant:m1")
    with pytest.raises(NotFound):
        exchanges(factory).ship_replacement(exchange["return"]["return_no"], "顺丰", "SF1", actor="merchant:evil",
                                            shop_ids={"shop_x"})
    assert notifications(factory, "replacement_shipped") == []


def test_the_shop_systems_event_ships_the_replacement_too(factory):
    return_no, _ = received_exchange(factory)
    events = OrderEventsService(factory, merchant(factory), clock=lambda: NOW)
    event = {"event_id": "rs-1", "order_no": "P1000000001", "type": "replacement_shipped",
             "occurred_at": NOW.isoformat(), "data": {"return_no": return_no, "carrier": "顺丰", "tracking_no": "SF7"}}
    assert events.record("shop_g", event)["outcome"] == "applied"
    assert events.record("shop_g", event)["duplicate"] is True
    missing = {**event, "event_id": "rs-2", "data": {"return_no": return_no}}
    assert events.record("shop_g", missing)["status"] == 422
    assert len(notifications(factory, "replacement_shipped")) == 1
    assert service(factory).lookup_order("alice", "P1000000001")["returns"][0]["status"] == "replacement_shipped"
