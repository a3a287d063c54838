"""An order's timeline in the merchant inbox, on SQLite and PostgreSQL: its milestones, audit lines,
cases, refunds, interceptions and the shopper's notifications in one list by time, one import line."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.demo import DemoPaymentProvider
from aftersales.service.errors import NotFound
from aftersales.service.inbox import InboxService
from aftersales.service.refunds import RefundWorker
from tests.integration.fixtures import NOW, accounts, add_order, merchant, reports, service

MINE = {"shop_k"}
K = "merchant:k@shop.example"


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def inbox_at(factory, minutes: int) -> InboxService:
    return InboxService(factory, clock=lambda: at(minutes))


@pytest.fixture
def intercepted(factory):
    """A shipped order whose parcel the shopper asked to stop; merchant K takes the case (in bulk),
    approves it, the refund is paid out; and the order was imported three times (demo reseeds)."""
    order_no = add_order(factory, "KS1000000001", state="shipped", profile="short_video", channel="alipay",
                         carrier="韵达快递", tracking_no="YD0000001")
    with factory() as session, session.begin():
        session.execute(update(t.AuditEvent).where(t.AuditEvent.action == "order_imported").values(at=at(-60)))
        for minutes in (-50, -40):
            session.add(t.AuditEvent(at=at(minutes), actor="system:demo", action="order_imported", entity="order",
                                     entity_id=order_no, before=None, after={"state": "shipped"}))
    k_id = accounts(factory, at(0)).create_merchant("k@shop.example", "K 客服", "password-of-k", ["shop_k"])["id"]
    ticket_no = service(factory, at(0)).submit("alice", order_no, "intercept", "changed_mind",
                                               conversation_id="chat-1")["ticket"]["ticket_no"]
    inbox_at(factory, 5).bulk_assign([ticket_no], MINE, k_id, K)
    merchant(factory, at(10)).decide_ticket(ticket_no, True, "已联系快递拦截", K, shop_ids=MINE)
    with factory() as session, session.begin():
        session.execute(update(t.Notification).values(status="sent", sent_at=at(12)))
    RefundWorker(factory, DemoPaymentProvider(lambda: at(20)), clock=lambda: at(20)).run_once()
    return order_no, ticket_no


def test_the_timeline_tells_an_orders_story_in_order_with_one_import_line(factory, intercepted):
    order_no, ticket_no = intercepted
    events = reports(factory, at(30)).order_timeline(order_no, MINE)
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)
    story = [(e["type"], e["action"]) for e in events]
    assert story[:4] == [("milestone", "placed"), ("milestone", "paid"), ("milestone", "shipped"),
                         ("audit", "order_imported")]
    assert story.count(("audit", "order_imported")) == 1  # the reseeds' repeats are left out
    assert [a for kind, a in story if kind == "audit"] == [
        "order_imported", "interception_requested", "ticket_opened", "ticket_assigned",
        "ticket_approved", "interception_succeeded", "order_cancelled", "refund_issued",  # decided, then done
        *[a for kind, a in story if kind == "audit" and a.startswith("refund_") and a != "refund_issued"]]
    assert {"refund_succeeded"} <= {a for _, a in story}
    notifications = [e for e in events if e["type"] == "notification"]
    assert [(n["action"], n["data"]["status"]) for n in notifications][0] == ("decision", "sent")
    assert notifications[0]["at"] == at(12).isoformat() and notifications[0]["ref"] == ticket_no
    assert any(n["action"] == "refund_completed" for n in notifications)
    # Who did what, with the names the sentences need.
    opened = next(e for e in events if e["action"] == "ticket_opened")
    assert opened["actor"] == {"kind": "customer", "name": "Alice"}
    assert opened["data"]["ticket"] == {"kind": "interception", "reason": "changed_mind",
                                        "desired_outcome": "intercept"}
    assigned = next(e for e in events if e["action"] == "ticket_assigned")
    assert assigned["actor"] == {"kind": "merchant", "name": "K 客服"} and assigned["data"]["assignee_name"] == "K 客服"
    cancelled = next(e for e in events if e["action"] == "order_cancelled")
    assert cancelled["data"]["cancel_reason"] == "changed_mind"
    shipped = next(e for e in events if e["action"] == "shipped")
    assert shipped["data"] == {"carrier": "韵达快递", "tracking_no": "YD0000001"}


def test_a_state_reported_by_the_order_system_is_told_once(factory):
    from aftersales.service.order_events import OrderEventsService

    order_no = add_order(factory, "KS1000000002", state="paid", profile="short_video")
    events_service = OrderEventsService(factory, merchant(factory, at(0)), clock=lambda: at(0))
    events_service.record("shop_k", {"event_id": "e-1", "type": "shipped", "order_no": order_no,
                                      "occurred_at": at(-5).isoformat(),
                                      "data": {"carrier": "韵达快递", "tracking_no": "YD0000002"}})
    events = reports(factory, at(1)).order_timeline(order_no, MINE)
    actions = [e["action"] for e in events]
    assert "order_event_shipped" in actions and "shipped" not in actions  # not twice
    reported = next(e for e in events if e["action"] == "order_event_shipped")
    assert reported["actor"]["kind"] == "integration"
    assert (reported["data"]["before"]["state"], reported["data"]["after"]["state"]) == ("paid", "shipped")


def test_another_shops_order_has_no_timeline(factory, intercepted):
    order_no, _ = intercepted
    with pytest.raises(NotFound):
        reports(factory, at(30)).order_timeline(order_no, {"shop_x"})
    with pytest.raises(NotFound):
        reports(factory, at(30)).order_timeline("KS9999999999", MINE)
    with factory() as session:
        assert session.scalar(select(t.Order.state).where(t.Order.order_no == order_no)) == "cancelled"
