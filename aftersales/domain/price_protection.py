"""Price protection (价保 / 退差价): when an item's price drops within the profile's window after
payment, the difference is refunded — once per item, to the channel the order was paid with.

The price now comes with the order data (the import's ``current_unit_price``, the order events'
``price_changed``); without it nobody can say whether the price dropped, and the bot says so instead
of guessing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from aftersales.domain.model import OrderState


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    NOT_OFFERED = "not_offered"              # this kind of shop has no price protection
    NOT_PAID = "not_paid"                    # nothing paid, nothing to refund
    NOTHING_LEFT = "nothing_left"            # cancelled or returned: the money went back already
    WINDOW_CLOSED = "window_closed"
    ALREADY_PROTECTED = "already_protected"  # every item's difference was refunded before
    PRICE_UNKNOWN = "price_unknown"          # the shop has not told us the price now
    NO_DROP = "no_drop"                      # the price now is not lower than the price paid


@dataclass(frozen=True)
class ItemPrice:
    id: int
    title: str
    quantity: int
    paid_unit_price: int  # minor units
    current_unit_price: int | None
    settled: bool  # cancelled or refunded: no longer the shopper's at that price
    protected: bool  # its price drop was refunded already


@dataclass(frozen=True)
class ItemClaim:
    id: int
    title: str
    quantity: int
    paid_unit_price: int
    current_unit_price: int

    @property
    def difference(self) -> int:
        return (self.paid_unit_price - self.current_unit_price) * self.quantity


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    window_ends_at: datetime | None = None
    claims: tuple[ItemClaim, ...] = ()
    # Items whose price now is known and not lower: shown with their figures when nothing dropped.
    unchanged: tuple[ItemPrice, ...] = ()

    @property
    def total(self) -> int:
        return sum(c.difference for c in self.claims)


def assess(items: tuple[ItemPrice, ...], state: OrderState, paid_at: datetime | None, now: datetime,
           window_days: int | None) -> Assessment:
    if window_days is None:
        return Assessment(Verdict.NOT_OFFERED)
    if paid_at is None or state is OrderState.PENDING_PAYMENT:
        return Assessment(Verdict.NOT_PAID)
    active = tuple(i for i in items if not i.settled)
    if state in (OrderState.CANCELLED, OrderState.RETURNED) or not active:
        return Assessment(Verdict.NOTHING_LEFT)
    ends = paid_at + timedelta(days=window_days)
    if now > ends:
        return Assessment(Verdict.WINDOW_CLOSED, ends)
    open_items = tuple(i for i in active if not i.protected)
    claims = tuple(ItemClaim(i.id, i.title, i.quantity, i.paid_unit_price, i.current_unit_price)
                   for i in open_items
                   if i.current_unit_price is not None and i.current_unit_price < i.paid_unit_price)
    if claims:
        return Assessment(Verdict.ELIGIBLE, ends, claims)
    if len(open_items) < len(active):  # asked again: what dropped was refunded, nothing dropped since
        return Assessment(Verdict.ALREADY_PROTECTED, ends)
    if any(i.current_unit_price is None for i in open_items):
        return Assessment(Verdict.PRICE_UNKNOWN, ends)
    return Assessment(Verdict.NO_DROP, ends, unchanged=open_items)
