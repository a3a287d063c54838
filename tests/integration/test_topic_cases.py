"""Invoice, repair, missing-item and delivery-time cases against a real database: opened with the
merchant's fields when the order allows, once per open case; a missing item's refund is paid only
when the merchant approves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import InvalidInput, OrderNotFound
from aftersales.service.topic_cases import TopicCaseService

from .fixtures import NOW, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def cases(factory) -> TopicCaseService:
    return TopicCaseService(factory, clock=lambda: NOW)


def test_an_invoice_case_carries_the_title_the_tax_number_and_the_format(factory):
    add_order(factory, "P1000000001", state="delivered")
    opened = cases(factory).open("alice", "P1000000001", "invoice", "上海某某科技有限公司 91310115MA1H7ABC1X 纸质",
                                 conversation_id="c", idempotency_key="c:1")
    assert opened["status"] == "opened" and opened["ticket"]["kind"] == "invoice"
    assert opened["details"]["tax_number"] == "91310115MA1H7ABC1X" and opened["details"]["format"] == "paper"
    assert cases(factory).open("alice", "P1000000001", "invoice", "个人", idempotency_key="c:1") == opened
    again = cases(factory).open("alice", "P1000000001", "invoice", "个人")
    assert again["status"] == "already_open" and again["ticket"]["ticket_no"] == opened["ticket"]["ticket_no"]
    with pytest.raises(InvalidInput):
        cases(factory).open("alice", "P1000000001", "invoice", "某某有限公司")  # a company needs its tax number


def test_a_missing_item_refund_is_paid_only_on_the_merchants_approval(factory):
    add_order(factory, "P1000000001", state="delivered", prices=("30.00",))
    opened = cases(factory).open("alice", "P1000000001", "missing_item", "杯子碎了，直接退款吧", conversation_id="c")
    ticket = opened["ticket"]["ticket_no"]
    svc = service(factory)
    assert svc.lookup_order("alice", "P1000000001")["refunds"] == []
    decided = merchant(factory).decide_ticket(ticket, True, "核实破损，退款", actor="merchant:m1")
    assert (decided["refund"]["amount"], decided["refund"]["source"]) == (3000, "missing_item")
    assert merchant(factory).decide_ticket(ticket, True, "again", actor="merchant:m1")["status"] == "already_decided"
    assert len(svc.lookup_order("alice", "P1000000001")["refunds"]) == 1


def test_a_reissue_moves_no_money_and_names_the_item_of_several(factory):
    add_order(factory, "P1000000001", state="delivered", prices=("30.00", "20.00"))
    opened = cases(factory).open("alice", "P1000000001", "missing_item", "Item 2 没收到，请补发")
    with factory() as session:
        ticket = session.scalars(select(t.Ticket).where(t.Ticket.ticket_no == opened["ticket"]["ticket_no"])).one()
        second = session.scalars(select(t.OrderItem.id).where(t.OrderItem.title == "Item 2")).one()
        assert ticket.pending_action == {"action": "reissue", "item_ids": [second]}
    decided = merchant(factory).decide_ticket(opened["ticket"]["ticket_no"], True, "今天补发", actor="merchant:m1")
    assert decided["refund"] is None and decided["order"]["refunds"] == []


@pytest.mark.parametrize(("topic", "state", "kwargs", "status"), [
    ("repair", "completed", {"delivered_at": (NOW - timedelta(days=400)).isoformat()}, "warranty_expired"),
    ("repair", "shipped", {}, "not_delivered"),
    ("invoice", "pending_payment", {}, "not_paid"),
    ("change_delivery_time", "in_transit", {}, "in_delivery"),
])
def test_nothing_is_opened_when_the_order_does_not_allow_it(factory, topic, state, kwargs, status):
    add_order(factory, "P1000000001", state=state, **kwargs)
    result = cases(factory).open("alice", "P1000000001", topic, "用了几天就开不了机了，周六送")
    assert (result["status"], result["ticket"]) == (status, None)
    assert service(factory).lookup_order("alice", "P1000000001")["tickets"] == []


def test_a_delivery_time_wish_before_shipment_and_the_check_with_the_profiles_hold(factory):
    add_order(factory, "KS1000000001", state="paid", profile="short_video")
    checked = cases(factory).check("alice", "KS1000000001", "change_delivery_time")
    assert (checked["verdict"], checked["delay_hours"], checked["sla_hours"]) == ("open", 48, 4)
    opened = cases(factory).open("alice", "KS1000000001", "change_delivery_time", "这周家里没人，下周一再发货")
    assert opened["ticket"]["kind"] == "delivery_time" and opened["ticket"]["priority"] == "high"


def test_someone_elses_order_is_not_found(factory):
    add_order(factory, "P1000000001", customer="bob", state="delivered")
    with pytest.raises(OrderNotFound):
        cases(factory).open("alice", "P1000000001", "repair", "开不了机")
