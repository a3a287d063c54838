"""Price protection against a real database: the price now from the import and the order events,
the difference refunded once per item, and a later cancellation or return paying back only the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import OrderNotFound
from aftersales.service.order_events import OrderEventsService
from aftersales.service.price_protection import PriceProtectionService

from .fixtures import NOW, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def prices(factory, now=NOW) -> PriceProtectionService:
    return PriceProtectionService(factory, clock=lambda: now)


def items(order_no: str, *paid_and_now: tuple[str, str | None]) -> list[dict]:
    return [{"sku": f"S{n}", "title": f"Item {n}", "goods_type": "physical", "quantity": 1, "unit_price": paid,
             **({"current_unit_price": now} if now else {})} for n, (paid, now) in enumerate(paid_and_now, start=1)]


def refunds(factory) -> list[t.Refund]:
    with factory() as session:
        return list(session.scalars(select(t.Refund).order_by(t.Refund.id)))


def test_a_drop_within_the_window_is_refunded_once_to_the_original_channel(factory):
    add_order(factory, "P1000000001", state="delivered", channel="wechat_pay",
              items=items("P1000000001", ("100.00", "80.00"), ("50.00", "50.00")))
    quote = prices(factory).quote("alice", "P1000000001")
    assert (quote["verdict"], quote["total"], quote["channel"]) == ("eligible", 2000, "wechat_pay")
    assert [(i["title"], i["difference"]) for i in quote["items"]] == [("Item 1", 2000)]
    assert quote["window_ends_at"] == (NOW - timedelta(days=1) + timedelta(days=7)).isoformat()

    claimed = prices(factory).claim("alice", "P1000000001", idempotency_key="conv:7", conversation_id="conv")
    assert claimed["status"] == "refunded" and claimed["refund"]["amount"] == 2000
    assert (claimed["refund"]["source"], claimed["refund"]["channel"]) == ("price_protection", "wechat_pay")
    assert prices(factory).claim("alice", "P1000000001", idempotency_key="conv:7", conversation_id="conv") == claimed
    again = prices(factory).claim("alice", "P1000000001")
    assert again["status"] == "already_protected" and again["refund"] is None
    assert len(refunds(factory)) == 1 and refunds(factory)[0].conversation_id == "conv"
    order = service(factory).lookup_order("alice", "P1000000001")
    assert [i["price_protected"] for i in order["items"]] == [True, False]
    assert order["state"] == "delivered"


def test_a_later_return_of_a_protected_item_pays_back_only_what_is_left(factory):
    add_order(factory, "P1000000001", state="delivered", items=items("P1000000001", ("100.00", "70.00")))
    prices(factory).claim("alice", "P1000000001")
    svc = service(factory)
    result = svc.submit("alice", "P1000000001", "return_refund", "changed_mind")
    merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "请寄回", actor="merchant:m1")
    received = merchant(factory).receive_return(result["return"]["return_no"], actor="merchant:m1")
    assert received["refund"]["amount"] == 7000
    assert sum(r.amount for r in refunds(factory)) == 10000  # never more than was paid


def test_a_cancellation_after_price_protection_refunds_the_rest(factory):
    add_order(factory, "P1000000001", state="paid", shipping_fee="8.00",
              items=items("P1000000001", ("100.00", "90.00")))
    prices(factory).claim("alice", "P1000000001")
    cancelled = service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    assert cancelled["refund"]["amount"] == 9000 + 800
    assert sum(r.amount for r in refunds(factory)) == 10800


@pytest.mark.parametrize(("state", "paid_ago", "profile", "goods", "verdict"), [
    ("delivered", timedelta(days=8), "general", "physical", "window_closed"),
    ("pending_payment", timedelta(0), "general", "physical", "not_paid"),
    ("paid", timedelta(days=1), "virtual_goods", "virtual_card", "not_offered"),
])
def test_no_refund_outside_the_rules(factory, state, paid_ago, profile, goods, verdict):
    order_items = [{**i, "goods_type": goods} for i in items("x", ("100.00", "60.00"))]
    add_order(factory, "P1000000001", state=state, paid_ago=paid_ago, profile=profile, items=order_items,
              **({"delivered_at": (NOW - timedelta(days=1)).isoformat()} if state == "delivered" else {}))
    assert prices(factory).claim("alice", "P1000000001")["status"] == verdict
    assert refunds(factory) == []


def test_the_price_now_comes_from_the_order_events_and_an_older_report_does_not_undo_it(factory):
    add_order(factory, "P1000000001", state="shipped", items=items("P1000000001", ("100.00", None)))
    assert prices(factory).quote("alice", "P1000000001")["verdict"] == "price_unknown"
    events = OrderEventsService(factory, merchant(factory), clock=lambda: NOW)
    newer = {"event_id": "e2", "order_no": "P1000000001", "type": "price_changed",
             "occurred_at": (NOW - timedelta(hours=1)).isoformat(), "data": {"sku": "S1", "unit_price": "85.00"}}
    older = {**newer, "event_id": "e1", "occurred_at": (NOW - timedelta(hours=5)).isoformat(),
             "data": {"sku": "S1", "unit_price": "99.00"}}
    assert events.record("shop_g", newer)["outcome"] == "applied"
    assert events.record("shop_g", older)["outcome"] == "stale"
    unknown_sku = {**newer, "event_id": "e3", "data": {"sku": "NOPE", "unit_price": "1.00"}}
    assert events.record("shop_g", unknown_sku)["status"] == 409
    assert prices(factory).quote("alice", "P1000000001")["total"] == 1500


def test_someone_elses_order_is_not_found_and_moves_nothing(factory):
    add_order(factory, "P1000000001", customer="bob", items=items("x", ("100.00", "10.00")))
    with pytest.raises(OrderNotFound):
        prices(factory).claim("alice", "P1000000001")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.Refund)) == 0
