"""What a shop's order system reports (paid, shipped, delivered, …) and what each report does to an
order. Pure rules: the service layer stores the events and applies the plan.

Events arrive late, twice and out of order. The rules:
- an event names a state the order has already passed → nothing moves back; its data may still fill
  what the order lacks (a carrier or tracking number that a later event did not carry);
- an event names a state further along → the order walks there through the legal transitions
  (a `delivered` that overtook `shipped` ships, carries and delivers the order, in that order);
- an event that no legal walk reaches (a `delivered` for a cancelled order, a `redeemed` for a
  parcel) is impossible: refused with the reason, and kept for the merchant to see."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from aftersales.domain.lifecycles import IllegalTransition
from aftersales.domain.model import (
    STATE_TIMESTAMP,
    Fulfillment,
    OrderState,
    check_transition,
    states_for,
)


class EventType(StrEnum):
    PAID = "paid"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CARD_KEY_SENT = "card_key_sent"  # virtual goods: what "delivered" means for them
    REDEEMED = "redeemed"
    STOCK_LOCKED = "stock_locked"  # the warehouse has picked the goods: cancelling needs the merchant
    PRICE_CHANGED = "price_changed"  # for price protection: the item's new price
    RETURN_RECEIVED = "return_received"
    REPLACEMENT_SHIPPED = "replacement_shipped"


# The state an event reports, for the events that report one.
TARGET_STATE: dict[EventType, OrderState] = {
    EventType.PAID: OrderState.PAID,
    EventType.SHIPPED: OrderState.SHIPPED,
    EventType.IN_TRANSIT: OrderState.IN_TRANSIT,
    EventType.OUT_FOR_DELIVERY: OrderState.OUT_FOR_DELIVERY,
    EventType.DELIVERED: OrderState.DELIVERED,
    EventType.COMPLETED: OrderState.COMPLETED,
    EventType.CARD_KEY_SENT: OrderState.DELIVERED,
    EventType.REDEEMED: OrderState.REDEEMED,
}
# The event that reports a state, per kind of goods (for orders whose state a shop sends directly).
STATE_EVENT: dict[tuple[Fulfillment, OrderState], EventType] = {
    **{(fulfillment, state): event for fulfillment in Fulfillment for event, state in TARGET_STATE.items()
       if event is not EventType.CARD_KEY_SENT},
    (Fulfillment.VIRTUAL, OrderState.DELIVERED): EventType.CARD_KEY_SENT,
}
# What `data` may carry per event (named as in the import format), and which of it is required.
DATA_FIELDS: dict[EventType, frozenset[str]] = {
    **{kind: frozenset({"carrier", "tracking_no", "distance_to_destination_km"}) for kind in
       (EventType.SHIPPED, EventType.IN_TRANSIT, EventType.OUT_FOR_DELIVERY, EventType.DELIVERED)},
    EventType.PAID: frozenset({"payment_channel"}),
    EventType.COMPLETED: frozenset(),
    EventType.CARD_KEY_SENT: frozenset(),
    EventType.REDEEMED: frozenset(),
    EventType.STOCK_LOCKED: frozenset(),
    EventType.PRICE_CHANGED: frozenset({"sku", "unit_price"}),
    EventType.RETURN_RECEIVED: frozenset({"return_no", "tracking_no"}),
    EventType.REPLACEMENT_SHIPPED: frozenset({"return_no", "carrier", "tracking_no"}),
}
REQUIRED_DATA: dict[EventType, frozenset[str]] = {
    EventType.PRICE_CHANGED: frozenset({"sku", "unit_price"}),
    EventType.RETURN_RECEIVED: frozenset({"return_no"}),
    EventType.REPLACEMENT_SHIPPED: frozenset({"return_no", "carrier", "tracking_no"}),
}
# How far along each state is: the order never goes from a later one to an earlier one by an event.
_PROGRESS = {OrderState.PENDING_PAYMENT: 0, OrderState.PAID: 1, OrderState.SHIPPED: 2, OrderState.IN_TRANSIT: 3,
             OrderState.OUT_FOR_DELIVERY: 4, OrderState.DELIVERED: 5, OrderState.REDEEMED: 6,
             OrderState.COMPLETED: 7}


class Outcome(StrEnum):
    APPLIED = "applied"  # the order moved (or its facts changed)
    STALE = "stale"  # an older report: nothing moved back; missing data filled in
    RECORDED = "recorded"  # kept for the merchant and the policy; no state change
    REJECTED = "rejected"  # impossible for this order: refused (409) and kept


@dataclass(frozen=True)
class Plan:
    outcome: Outcome
    path: tuple[OrderState, ...] = field(default=())  # the states to walk through, in order
    reason: str | None = None


def plan(event: EventType, fulfillment: Fulfillment, current: OrderState) -> Plan:
    """What an event of this type does to an order in ``current``."""
    if event is EventType.CARD_KEY_SENT and fulfillment is not Fulfillment.VIRTUAL:
        return Plan(Outcome.REJECTED, reason="a card key is sent for virtual goods only")
    target = TARGET_STATE.get(event)
    if target is None:
        return _plan_record(event, fulfillment, current)
    if target not in states_for(fulfillment):
        return Plan(Outcome.REJECTED, reason=f"{fulfillment} orders are never {target}")
    if current in (OrderState.CANCELLED, OrderState.RETURNED):
        return Plan(Outcome.REJECTED, reason=f"the order is already {current}")
    if current is OrderState.PENDING_PAYMENT and target is not OrderState.PAID:
        # Money is never inferred: only its own event says an order was paid, and with which channel.
        return Plan(Outcome.REJECTED, reason="the order is not paid yet: send its paid event first")
    if target is current or _PROGRESS[target] <= _PROGRESS[current]:
        return Plan(Outcome.STALE)
    path = _walk(fulfillment, current, target)
    if path is None:
        return Plan(Outcome.REJECTED, reason=f"a {fulfillment} order cannot go from {current} to {target}")
    return Plan(Outcome.APPLIED, path)


def _plan_record(event: EventType, fulfillment: Fulfillment, current: OrderState) -> Plan:
    if event is EventType.STOCK_LOCKED and current not in (OrderState.PENDING_PAYMENT, OrderState.PAID):
        return Plan(Outcome.STALE)  # already shipped: the lock no longer matters
    if event is EventType.REPLACEMENT_SHIPPED and fulfillment is Fulfillment.VIRTUAL:
        return Plan(Outcome.REJECTED, reason="virtual goods are not shipped")
    return Plan(Outcome.RECORDED)


def _walk(fulfillment: Fulfillment, current: OrderState, target: OrderState) -> tuple[OrderState, ...] | None:
    """The shortest walk forward through legal transitions (never through cancelled or returned)."""
    queue: deque[tuple[OrderState, tuple[OrderState, ...]]] = deque([(current, ())])
    seen = {current}
    while queue:
        state, path = queue.popleft()
        for following in states_for(fulfillment):
            if following in seen or following not in _PROGRESS or _PROGRESS[following] <= _PROGRESS[state]:
                continue
            try:
                check_transition(fulfillment, state, following)
            except IllegalTransition:
                continue
            if following is target:
                return (*path, following)
            seen.add(following)
            queue.append((following, (*path, following)))
    return None


def walk(order: Any, path: tuple[OrderState, ...], reached_at: Callable[[OrderState], datetime]) -> None:
    """Move ``order`` (anything with a `state` and the STATE_TIMESTAMP fields) along a plan's path,
    stamping each state it reaches that it has no time for yet."""
    for state in path:
        order.state = state.value
        stamp = STATE_TIMESTAMP.get(state)
        if stamp and getattr(order, stamp) is None:
            setattr(order, stamp, reached_at(state))
