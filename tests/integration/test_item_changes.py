"""A size or colour change before shipment (改尺码 / 改颜色) against a real database: asked as an
exchange of a paid order, checked by the shop for stock, recorded on the order item once approved
(audited), refused once the parcel left, told in the chat, and withdrawable while it is open."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import Conflict
from aftersales.service.order_events import OrderEventsService
from aftersales.service.withdrawals import WithdrawalService

from .fixtures import NOW, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def ask_change(factory, order_no="P1000000001", item_ids=(), wish="换成 42 码", **order) -> dict:
    add_order(factory, order_no, **order)
    asked = service(factory).submit("alice", order_no, "exchange", "ordered_by_mistake", list(item_ids),
                                    exchange_wish=wish, conversation_id="conv-size", idempotency_key=f"k-{order_no}")
    assert asked["status"] == "under_review", asked
    return asked


def rows(factory, table, *where):
    with factory() as session:
        return list(session.scalars(select(table).where(*where)))


def test_asking_opens_a_stock_check_and_changes_nothing_yet(factory):
    asked = ask_change(factory, prices=("100.00", "60.00"))
    ticket = asked["ticket"]
    assert (ticket["kind"], ticket["desired_outcome"], ticket["priority"]) == ("item_change", "exchange", "high")
    assert asked["decision"]["code"] == "item_change_before_shipment" and asked["decision"]["refund"] is None
    order = service(factory).lookup_order("alice", "P1000000001")
    assert [i["variant"] for i in order["items"]] == [None, None]
    assert order["refunds"] == [] and order["returns"] == [] and order["state"] == "paid"
    [row] = rows(factory, t.Ticket, t.Ticket.ticket_no == ticket["ticket_no"])
    assert row.pending_action["action"] == "change_item" and row.pending_action["wish"] == "换成 42 码"
    assert len(row.pending_action["item_ids"]) == 2  # the whole order, when no item was chosen


def test_asked_twice_one_case(factory):
    first = ask_change(factory)
    again = service(factory).submit("alice", "P1000000001", "exchange", "ordered_by_mistake",
                                    exchange_wish="换成 43 码", conversation_id="conv-size", idempotency_key="k2")
    assert again["status"] == "already_requested"
    assert again["ticket"]["ticket_no"] == first["ticket"]["ticket_no"]
    assert len(rows(factory, t.Ticket, t.Ticket.kind == "item_change")) == 1


def test_approving_changes_the_chosen_item_audits_it_and_tells_the_chat(factory):
    add_order(factory, "P1000000001", prices=("100.00", "60.00"))
    order = service(factory).lookup_order("alice", "P1000000001")
    second = order["items"][1]["id"]
    asked = service(factory).submit("alice", "P1000000001", "exchange", "ordered_by_mistake", [second],
                                    exchange_wish="黑色 L 码", conversation_id="conv-size")
    decided = merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "有货，已改", actor="merchant:m1",
                                              shop_ids={"shop_g"})
    assert decided["status"] == "approved"
    items = service(factory).lookup_order("alice", "P1000000001")["items"]
    assert [i["variant"] for i in items] == [None, "黑色 L 码"]
    [audit] = rows(factory, t.AuditEvent, t.AuditEvent.action == "item_changed")
    assert audit.actor == "merchant:m1" and audit.entity_id == "P1000000001"
    assert audit.before["variants"] == {} and audit.after["variants"] == {str(second): "黑色 L 码"}
    [told] = rows(factory, t.Notification, t.Notification.kind == "decision")
    assert told.conversation_id == "conv-size" and told.payload["exchange_wish"] == "黑色 L 码"
    # Decided once: the same decision again changes nothing more.
    again = merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "", actor="merchant:m1")
    assert again["status"] == "already_decided"
    assert len(rows(factory, t.AuditEvent, t.AuditEvent.action == "item_changed")) == 1


@pytest.mark.parametrize("how", ["inbox", "order_event", "import"])
def test_once_the_parcel_leaves_the_change_lapses_and_the_chat_hears_why(factory, how):
    asked = ask_change(factory)
    if how == "inbox":
        merchant(factory).advance_order("P1000000001", "shipped", actor="merchant:m1", carrier="顺丰",
                                        tracking_no="SF1")
    elif how == "order_event":
        events = OrderEventsService(factory, merchant(factory), clock=lambda: NOW)
        events.record("shop_g", {"event_id": "e1", "order_no": "P1000000001", "type": "shipped",
                                "occurred_at": NOW.isoformat(), "data": {"carrier": "顺丰", "tracking_no": "SF1"}})
    else:
        add_order(factory, "P1000000001", state="shipped", update_existing=True)
    [row] = rows(factory, t.Ticket, t.Ticket.kind == "item_change")
    assert (row.status, row.resolution) == ("resolved", "lapsed")
    [told] = rows(factory, t.Notification, t.Notification.kind == "item_change_lapsed")
    assert (told.conversation_id, told.payload["state"]) == ("conv-size", "shipped")
    with pytest.raises(Conflict):  # nothing left to approve
        merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "", actor="merchant:m1")
    assert [i["variant"] for i in service(factory).lookup_order("alice", "P1000000001")["items"]] == [None]


def test_a_lapsed_change_does_not_stand_in_the_way_of_an_exchange_after_delivery(factory):
    ask_change(factory)
    for state in ("shipped", "in_transit", "out_for_delivery", "delivered"):
        merchant(factory).advance_order("P1000000001", state, actor="merchant:m1")
    exchange = service(factory).submit("alice", "P1000000001", "exchange", "does_not_fit", exchange_wish="换 43 码")
    assert exchange["status"] == "under_review" and exchange["return"]["outcome"] == "exchange"


def test_cancelling_the_order_closes_the_change_and_only_the_shops_cancellation_is_told(factory):
    ask_change(factory)
    service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    [row] = rows(factory, t.Ticket, t.Ticket.kind == "item_change")
    assert row.resolution == "lapsed"
    assert rows(factory, t.Notification, t.Notification.kind == "item_change_lapsed") == []  # the shopper did it
    ask_change(factory, order_no="P1000000002")
    merchant(factory).merchant_cancel("P1000000002", "out_of_stock", actor="merchant:m1")
    [told] = rows(factory, t.Notification, t.Notification.kind == "item_change_lapsed")
    assert told.payload == {"order_no": "P1000000002", "state": "cancelled"}


def test_another_items_change_is_a_request_of_its_own(factory):
    add_order(factory, "P1000000001", prices=("100.00", "60.00"))
    first, second = (i["id"] for i in service(factory).lookup_order("alice", "P1000000001")["items"])
    svc = service(factory)
    one = svc.submit("alice", "P1000000001", "exchange", "ordered_by_mistake", [first], exchange_wish="L 码")
    other = svc.submit("alice", "P1000000001", "exchange", "ordered_by_mistake", [second], exchange_wish="白色")
    again = svc.submit("alice", "P1000000001", "exchange", "ordered_by_mistake", [first], exchange_wish="XL 码")
    assert (one["status"], other["status"], again["status"]) == ("under_review", "under_review", "already_requested")
    assert again["ticket"]["ticket_no"] == one["ticket"]["ticket_no"] != other["ticket"]["ticket_no"]


def test_the_item_becomes_the_wish_without_the_words_asking_for_it(factory):
    asked = ask_change(factory, wish="换成 42 码的")
    decided = merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "", actor="merchant:m1")
    assert decided["order"]["items"][0]["variant"] == "42 码"
    [told] = rows(factory, t.Notification, t.Notification.kind == "decision")
    assert (told.payload["exchange_wish"], told.payload["variant"]) == ("换成 42 码的", "42 码")


def test_a_rejection_leaves_the_order_as_it_was(factory):
    asked = ask_change(factory)
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], False, "42 码没货了", actor="merchant:m1")
    items = service(factory).lookup_order("alice", "P1000000001")["items"]
    assert [i["variant"] for i in items] == [None]
    assert rows(factory, t.AuditEvent, t.AuditEvent.action == "item_changed") == []


def test_withdrawn_while_open_then_the_merchant_cannot_carry_it_out(factory):
    asked = ask_change(factory)
    withdrawals = WithdrawalService(factory, clock=lambda: NOW)
    offered = withdrawals.withdrawable("alice", "P1000000001", ["exchange"])
    assert [(r["kind"], r["reference"]) for r in offered["open"]] == [("item_change", asked["ticket"]["ticket_no"])]
    done = withdrawals.withdraw("alice", "P1000000001", ["exchange"])
    assert done["status"] == "withdrawn"
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], True, "", actor="merchant:m1")
    assert [i["variant"] for i in service(factory).lookup_order("alice", "P1000000001")["items"]] == [None]


def test_a_card_shop_changes_nothing(factory):
    add_order(factory, "P1000000001", profile="virtual_goods", goods="virtual_card")
    decision = service(factory).preview("alice", "P1000000001", "exchange", "changed_mind")
    assert (decision["allowed"], decision["code"]) == (False, "virtual_goods_not_returnable")
