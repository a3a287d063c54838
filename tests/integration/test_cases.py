"""Every way a case is opened gives it its priority and SLA by the one rule (aftersales.domain.cases)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory

from .fixtures import NOW, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def stored(factory, ticket_no: str) -> t.Ticket:
    with factory() as session:
        return session.scalars(select(t.Ticket).where(t.Ticket.ticket_no == ticket_no)).one()


def hours_given(ticket: t.Ticket) -> float | None:
    due: datetime | None = ticket.sla_due_at
    return None if due is None else (due - ticket.created_at) / timedelta(hours=1)


def test_each_opener_gets_the_rules_priority_and_sla(factory):
    add_order(factory, "P1000000001")
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    svc = service(factory)
    complaint = svc.open_ticket("alice", "complaint", "太慢了", order_no="P1000000001")["ticket"]["ticket_no"]
    anonymous = svc.open_ticket(None, "escalation", "转人工", shop_id="shop_g")["ticket"]["ticket_no"]
    intercepted = svc.submit("alice", "KS1000000001", "intercept", "changed_mind")["ticket"]["ticket_no"]
    assert (stored(factory, complaint).priority, hours_given(stored(factory, complaint))) == ("high", 24)
    # No order, so no shop profile read: the one fallback, four hours.
    assert (stored(factory, anonymous).priority, hours_given(stored(factory, anonymous))) == ("normal", 4)
    # The decision's own hours (short video: an interception within 2 h).
    assert (stored(factory, intercepted).priority, hours_given(stored(factory, intercepted))) == ("normal", 2)


def test_a_merchants_own_cancellation_is_recorded_resolved_with_no_sla(factory):
    add_order(factory, "P1000000002")
    merchant(factory).merchant_cancel("P1000000002", "out_of_stock", actor="merchant:m1")
    with factory() as session:
        [case] = session.scalars(select(t.Ticket).where(t.Ticket.kind == "merchant_cancellation")).all()
        assert (case.status, case.resolution, case.priority, case.sla_due_at) == ("resolved", "approved", "normal",
                                                                                  None)
        assert case.created_at == NOW
