"""Price protection's rule: a drop within the window, refunded once per item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.domain.model import OrderState
from aftersales.domain.price_protection import ItemPrice, Verdict, assess

PAID = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def item(n=1, paid=10000, now=None, quantity=1, settled=False, protected=False):
    return ItemPrice(n, f"Item {n}", quantity, paid, now, settled, protected)


@pytest.mark.parametrize(("items", "state", "days_after", "window", "verdict"), [
    ((item(now=8000),), OrderState.DELIVERED, 3, 7, Verdict.ELIGIBLE),
    ((item(now=8000),), OrderState.DELIVERED, 3, None, Verdict.NOT_OFFERED),
    ((item(now=8000),), OrderState.PENDING_PAYMENT, 0, 7, Verdict.NOT_PAID),
    ((item(now=8000),), OrderState.CANCELLED, 1, 7, Verdict.NOTHING_LEFT),
    ((item(now=8000, settled=True),), OrderState.DELIVERED, 1, 7, Verdict.NOTHING_LEFT),
    ((item(now=8000),), OrderState.DELIVERED, 8, 7, Verdict.WINDOW_CLOSED),
    ((item(now=8000, protected=True),), OrderState.DELIVERED, 1, 7, Verdict.ALREADY_PROTECTED),
    ((item(),), OrderState.SHIPPED, 1, 7, Verdict.PRICE_UNKNOWN),
    ((item(now=10000),), OrderState.SHIPPED, 1, 7, Verdict.NO_DROP),
    ((item(now=12000),), OrderState.SHIPPED, 1, 7, Verdict.NO_DROP),
])
def test_verdicts(items, state, days_after, window, verdict):
    assert assess(items, state, PAID, PAID + timedelta(days=days_after), window).verdict is verdict


def test_only_the_items_that_dropped_and_were_not_protected_are_claimed():
    found = assess((item(1, now=8000, quantity=2), item(2, now=10000), item(3, now=5000, protected=True)),
                   OrderState.DELIVERED, PAID, PAID + timedelta(days=1), 7)
    assert [(c.id, c.difference) for c in found.claims] == [(1, 4000)] and found.total == 4000
    assert found.window_ends_at == PAID + timedelta(days=7)


@given(st.lists(st.tuples(st.integers(1, 10**6), st.one_of(st.none(), st.integers(0, 10**6)), st.integers(1, 5),
                          st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_the_refund_never_exceeds_what_was_paid_for_the_items_not_yet_protected(rows):
    items = tuple(ItemPrice(n, "x", q, paid, now, settled, protected)
                  for n, (paid, now, q, settled, protected) in enumerate(rows))
    found = assess(items, OrderState.DELIVERED, PAID, PAID + timedelta(days=1), 7)
    open_total = sum(i.paid_unit_price * i.quantity for i in items if not i.settled and not i.protected)
    assert 0 <= found.total <= open_total
    assert all(c.difference > 0 for c in found.claims)
    assert (found.verdict is Verdict.ELIGIBLE) == bool(found.claims)
