"""Order events on the real database (SQLite and PostgreSQL): applied once whatever the repeats,
never moving an order back, impossible ones refused and kept, scoped to the integration's shop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.importing import ImportRejected
from aftersales.service.integrations import IntegrationsService
from aftersales.service.order_events import OrderEventsService

from .fixtures import NOW, add_order, merchant, service
from .test_concurrency import run_together


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def events(factory, now=NOW) -> OrderEventsService:
    return OrderEventsService(factory, merchant(factory, now), clock=lambda: now)


def event(event_id, order_no, kind, minutes_ago=0, **data):
    return {"event_id": event_id, "order_no": order_no, "type": kind,
            "occurred_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(), "data": data}


def stored(factory, **where):
    with factory() as session:
        return session.scalar(select(func.count()).select_from(t.OrderEvent).filter_by(**where))


def test_events_move_the_order_and_the_bot_reads_the_new_state(factory):
    add_order(factory, "P1000000001", state="paid")
    svc = events(factory)
    assert svc.record("shop_g", event("e1", "P1000000001", "shipped", 30, carrier="中通快递", tracking_no="ZT1"))[
        "outcome"] == "applied"
    result = svc.record("shop_g", event("e2", "P1000000001", "in_transit", 10, distance_to_destination_km=320))
    assert (result["status"], result["order_state"]) == (200, "in_transit")
    order = service(factory).lookup_order("alice", "P1000000001")
    assert (order["state"], order["carrier"], order["tracking_no"]) == ("in_transit", "中通快递", "ZT1")
    assert order["shipped_at"].startswith((NOW - timedelta(minutes=30)).isoformat()[:16])


def test_a_repeated_event_answers_as_the_first_time_and_changes_nothing_twice(factory):
    add_order(factory, "P1000000001", state="paid")
    svc = events(factory)
    first = svc.record("shop_g", event("e1", "P1000000001", "shipped", 5))
    again = svc.record("shop_g", event("e1", "P1000000001", "shipped", 5))
    assert again == {**first, "duplicate": True}
    assert stored(factory, event_id="e1") == 1
    with factory() as session:
        audits = session.scalar(select(func.count()).select_from(t.AuditEvent)
                                .where(t.AuditEvent.action == "order_event_shipped"))
    assert audits == 1


def test_a_late_older_event_moves_nothing_back_and_fills_what_is_missing(factory):
    add_order(factory, "P1000000001", state="paid")
    svc = events(factory)
    assert svc.record("shop_g", event("late-2", "P1000000001", "delivered", 1))["order_state"] == "delivered"
    older = svc.record("shop_g", event("late-1", "P1000000001", "shipped", 60, carrier="韵达快递", tracking_no="YD9"))
    assert (older["outcome"], older["order_state"]) == ("stale", "delivered")
    order = service(factory).lookup_order("alice", "P1000000001")
    assert (order["state"], order["carrier"], order["tracking_no"]) == ("delivered", "韵达快递", "YD9")


def test_an_impossible_event_is_refused_with_the_reason_and_kept_for_the_merchant(factory):
    add_order(factory, "P1000000001", state="paid")
    svc = events(factory)
    service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    refused = svc.record("shop_g", event("x1", "P1000000001", "delivered"))
    assert refused["status"] == 409 and "cancelled" in refused["reason"]
    assert service(factory).lookup_order("alice", "P1000000001")["state"] == "cancelled"
    [kept] = svc.events_of("P1000000001", {"shop_g"})
    assert (kept["event_id"], kept["outcome"]) == ("x1", "rejected")


def test_another_shops_order_is_not_found_and_not_stored(factory):
    add_order(factory, "P1000000001", state="paid")
    add_order(factory, "P1000000002", state="paid", profile="other_merchant")
    result = events(factory).record("shop_g", event("o1", "P1000000002", "shipped"))
    assert result["status"] == 404 and stored(factory) == 0
    assert service(factory).lookup_order("alice", "P1000000002")["state"] == "paid"


@pytest.mark.parametrize(("raw", "problem"), [
    ("not an object", "JSON object"),
    ({"order_no": "P1000000001", "type": "shipped", "occurred_at": NOW.isoformat()}, "event_id"),
    ({"event_id": "a", "order_no": "12", "type": "shipped", "occurred_at": NOW.isoformat()}, "order number"),
    ({"event_id": "a", "order_no": "P1000000001", "type": "teleported", "occurred_at": NOW.isoformat()}, "type"),
    ({"event_id": "a", "order_no": "P1000000001", "type": "shipped", "occurred_at": "yesterday"}, "ISO 8601"),
    ({"event_id": "a", "order_no": "P1000000001", "type": "shipped",
      "occurred_at": (NOW + timedelta(hours=1)).isoformat()}, "future"),
    ({"event_id": "a", "order_no": "P1000000001", "type": "shipped", "occurred_at": NOW.isoformat(),
      "data": {"colour": "red"}}, "carries no colour"),
    ({"event_id": "a", "order_no": "P1000000001", "type": "in_transit", "occurred_at": NOW.isoformat(),
      "data": {"distance_to_destination_km": "far"}}, "number"),
    ({"event_id": "a", "order_no": "P1000000001", "type": "return_received", "occurred_at": NOW.isoformat()},
     "data.return_no"),
    ({"event_id": "a", "order_no": "P1000000001", "type": "shipped", "occurred_at": NOW.isoformat(), "x": 1},
     "unknown fields"),
])
def test_malformed_events_are_answered_422_with_the_problem(factory, raw, problem):
    add_order(factory, "P1000000001", state="paid")
    result = events(factory).record("shop_g", raw)
    assert result["status"] == 422 and problem in result["error"]
    assert service(factory).lookup_order("alice", "P1000000001")["state"] == "paid"


def test_stock_locked_and_paid_events_record_their_facts(factory):
    add_order(factory, "P1000000001", state="pending_payment", channel=None)
    svc = events(factory)
    assert svc.record("shop_g", event("p0", "P1000000001", "paid", 9))["status"] == 409  # no channel known
    assert svc.record("shop_g", event("p1", "P1000000001", "paid", 9, payment_channel="wechat_pay"))[
        "order_state"] == "paid"
    assert svc.record("shop_g", event("s1", "P1000000001", "stock_locked", 5))["outcome"] == "recorded"
    order = service(factory).lookup_order("alice", "P1000000001")
    assert (order["payment_channel"], order["fulfillment_locked"]) == ("wechat_pay", True)


def test_a_return_received_by_event_refunds_like_the_inbox_button(factory):
    add_order(factory, "P1000000001", state="delivered")
    svc = service(factory)
    opened = svc.submit("alice", "P1000000001", "return_refund", "quality_defect")
    return_no = opened["return"]["return_no"] if opened.get("return") else None
    assert return_no, opened
    inbox_ticket = next(t for t in svc.lookup_order("alice", "P1000000001")["tickets"])
    merchant(factory).decide_ticket(inbox_ticket["ticket_no"], True, "ok", "merchant:k")
    first = events(factory).record("shop_g", event("r1", "P1000000001", "return_received", return_no=return_no))
    assert first["outcome"] == "applied", first
    again = events(factory).record("shop_g", event("r2", "P1000000001", "return_received", return_no=return_no))
    assert again["status"] == 409 and "refunded" in again["reason"]
    refunds = svc.lookup_order("alice", "P1000000001")["refunds"]
    assert len(refunds) == 1


def test_the_same_event_sent_twice_at_once_is_applied_once(factory):
    add_order(factory, "P1000000001", state="paid")
    svc = events(factory)
    results = run_together(*[lambda: svc.record("shop_g", event("same", "P1000000001", "shipped"))] * 4)
    assert all(isinstance(r, dict) and r["status"] == 200 for r in results), results
    assert sorted(r["duplicate"] for r in results).count(False) == 1 and stored(factory, event_id="same") == 1


def paid_record() -> dict:
    """An order as the shop's system sends it (the import format)."""
    return {"order_no": "P1000000077", "shop": {"id": "shop_g"}, "customer": {"id": "alice"}, "state": "paid",
            "payment_channel": "alipay", "created_at": (NOW - timedelta(hours=2)).isoformat(),
            "paid_at": (NOW - timedelta(hours=1)).isoformat(),
            "items": [{"sku": "S1", "title": "杯子", "goods_type": "physical", "quantity": 1, "unit_price": "20"}]}


def test_orders_created_by_an_integration_are_of_its_own_shop(factory):
    add_order(factory, "P1000000001", state="paid")
    svc = events(factory)
    record = paid_record()
    assert svc.put_orders("shop_g", [record]).orders == 1
    with pytest.raises(ImportRejected) as rejected:
        svc.put_orders("shop_x", [{**record, "order_no": "P1000000078"}])
    assert "shop.id must be 'shop_x'" in rejected.value.problems[0][1]


def test_an_order_sent_again_is_updated_forward_only_and_its_items_stay(factory):
    add_order(factory, "P1000000001", state="paid")
    svc = events(factory)
    record = paid_record()
    svc.put_orders("shop_g", [record])
    shipped = {**record, "state": "shipped", "shipped_at": (NOW - timedelta(minutes=30)).isoformat(),
               "carrier": "顺丰速运", "tracking_no": "SF1", "ship_to": "上海市…"}
    summary = svc.put_orders("shop_g", [shipped])
    assert (summary.orders, summary.orders_updated) == (0, 1)
    order = service(factory).lookup_order("alice", "P1000000077")
    assert (order["state"], order["carrier"], order["tracking_no"]) == ("shipped", "顺丰速运", "SF1")
    assert svc.put_orders("shop_g", [record]).orders_updated == 1  # the older copy again: nothing moves back
    assert service(factory).lookup_order("alice", "P1000000077")["state"] == "shipped"
    for changed, problem in (({"items": [{**record["items"][0], "quantity": 2}]}, "cannot change"),
                             ({"customer": {"id": "bob"}}, "another customer"),
                             ({"payment_channel": "wechat_pay"}, "was paid with alipay")):
        with pytest.raises(ImportRejected) as rejected:
            svc.put_orders("shop_g", [{**shipped, **changed}])
        assert problem in rejected.value.problems[0][1]
    service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    cancelled = {**record, "order_no": "P1000000001", "items": [{"sku": "S1", "title": "Item 1", "goods_type":
                 "physical", "quantity": 1, "unit_price": "100.00"}], "state": "shipped",
                 "shipped_at": (NOW - timedelta(minutes=5)).isoformat(), "shop": {"id": "shop_g"},
                 "shipping_fee": "0"}
    with pytest.raises(ImportRejected) as rejected:
        svc.put_orders("shop_g", [cancelled])
    assert "already cancelled" in rejected.value.problems[0][1]


def test_integration_tokens_name_their_shop_and_nothing_else(factory):
    add_order(factory, "P1000000001", state="paid")
    integrations = IntegrationsService(factory)
    token = integrations.add("shop_g")
    assert integrations.shop_for(token) == "shop_g"
    assert integrations.shop_for(token + "x") is None and integrations.shop_for("") is None
    with factory() as session:
        assert token not in {row.token_sha256 for row in session.scalars(select(t.Integration))}
