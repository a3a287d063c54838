"""What an order event does to an order (aftersales.domain.order_events): forward through legal
steps, never back, impossible ones refused — and, as a property, under any sequence of events."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.domain.lifecycles import IllegalTransition
from aftersales.domain.model import Fulfillment, OrderState, check_transition
from aftersales.domain.order_events import _PROGRESS, TARGET_STATE, EventType, Outcome, plan

S = OrderState
PHYSICAL, VIRTUAL = Fulfillment.PHYSICAL, Fulfillment.VIRTUAL


@pytest.mark.parametrize(("event", "fulfillment", "current", "outcome", "path"), [
    (EventType.SHIPPED, PHYSICAL, S.PAID, Outcome.APPLIED, (S.SHIPPED,)),
    # A report that overtook the ones before it walks the order through the steps it skipped.
    (EventType.DELIVERED, PHYSICAL, S.PAID, Outcome.APPLIED, (S.SHIPPED, S.IN_TRANSIT, S.DELIVERED)),
    (EventType.PAID, PHYSICAL, S.PENDING_PAYMENT, Outcome.APPLIED, (S.PAID,)),
    (EventType.CARD_KEY_SENT, VIRTUAL, S.PAID, Outcome.APPLIED, (S.DELIVERED,)),
    (EventType.REDEEMED, VIRTUAL, S.PAID, Outcome.APPLIED, (S.DELIVERED, S.REDEEMED)),
    # Older news: nothing moves back.
    (EventType.SHIPPED, PHYSICAL, S.DELIVERED, Outcome.STALE, ()),
    (EventType.IN_TRANSIT, PHYSICAL, S.IN_TRANSIT, Outcome.STALE, ()),
    (EventType.PAID, VIRTUAL, S.COMPLETED, Outcome.STALE, ()),
    # Impossible for this order.
    (EventType.DELIVERED, PHYSICAL, S.CANCELLED, Outcome.REJECTED, ()),
    (EventType.SHIPPED, PHYSICAL, S.RETURNED, Outcome.REJECTED, ()),
    (EventType.SHIPPED, VIRTUAL, S.PAID, Outcome.REJECTED, ()),
    (EventType.REDEEMED, PHYSICAL, S.DELIVERED, Outcome.REJECTED, ()),
    (EventType.CARD_KEY_SENT, PHYSICAL, S.PAID, Outcome.REJECTED, ()),
    (EventType.SHIPPED, PHYSICAL, S.PENDING_PAYMENT, Outcome.REJECTED, ()),  # payment is never inferred
    # Facts, not states.
    (EventType.STOCK_LOCKED, PHYSICAL, S.PAID, Outcome.RECORDED, ()),
    (EventType.STOCK_LOCKED, PHYSICAL, S.SHIPPED, Outcome.STALE, ()),
    (EventType.PRICE_CHANGED, PHYSICAL, S.DELIVERED, Outcome.RECORDED, ()),
    (EventType.REPLACEMENT_SHIPPED, VIRTUAL, S.DELIVERED, Outcome.REJECTED, ()),
])
def test_what_an_event_does(event, fulfillment, current, outcome, path):
    decided = plan(event, fulfillment, current)
    assert (decided.outcome, decided.path) == (outcome, path)
    assert (decided.reason is not None) == (outcome is Outcome.REJECTED)


STATE_EVENTS = sorted(TARGET_STATE, key=str)


@given(fulfillment=st.sampled_from(list(Fulfillment)), start=st.sampled_from([S.PENDING_PAYMENT, S.PAID]),
       events=st.lists(st.sampled_from(STATE_EVENTS), max_size=12))
def test_any_sequence_of_events_only_moves_forward_through_legal_steps(fulfillment, start, events):
    state, taken = start, []
    for event in events:
        decided = plan(event, fulfillment, state)
        if decided.outcome is not Outcome.REJECTED:
            taken.append(event)
        walked = state
        for following in decided.path:
            check_transition(fulfillment, walked, following)  # every step legal
            assert _PROGRESS[following] > _PROGRESS[walked]  # and forward
            walked = following
        if decided.outcome is Outcome.APPLIED:
            assert walked is TARGET_STATE[event]
        else:
            assert decided.path == ()
        state = walked
    # The events taken, sent once more (late duplicates), are old news now: nothing moves.
    for event in taken:
        assert plan(event, fulfillment, state).outcome is Outcome.STALE


def test_the_walk_never_passes_through_cancelled():
    with pytest.raises(IllegalTransition):
        check_transition(PHYSICAL, S.CANCELLED, S.DELIVERED)
    assert plan(EventType.COMPLETED, PHYSICAL, S.SHIPPED).path == (S.IN_TRANSIT, S.DELIVERED, S.COMPLETED)
