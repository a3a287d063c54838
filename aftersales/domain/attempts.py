"""Limits on what a client may try across conversations: phone-number guesses, order-number probing,
cases opened without an account. A conversation's own lock-out (three failed look-ups) is gone as
soon as the client starts another conversation; these counters are kept per order, per customer and
per client address, in the database, so they hold across conversations, sender ids and replicas.

Each counter counts hits in a fixed window; reaching the limit locks it for a while, and each
further lock-out doubles that, up to a ceiling. While any counter of an operation is locked the
operation is refused — the right phone digits included. A counter left alone for a day forgets its
lock-outs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True)
class Limit:
    scope: str
    max_hits: int
    window: timedelta
    first_lockout: timedelta
    max_lockout: timedelta = timedelta(hours=24)

    def key(self, value: str) -> str:
        return f"{self.scope}:{value}"[:200]


class CounterState(Protocol):
    """What a counter keeps (a row of the attempt_counters table, or a Counter)."""

    key: str
    hits: int
    window_started_at: datetime | None
    locked_until: datetime | None
    lockouts: int


@dataclass
class Counter:

    key: str
    hits: int = 0
    window_started_at: datetime | None = None
    locked_until: datetime | None = None
    lockouts: int = 0


FORGIVE_AFTER = timedelta(hours=24)

# Wrong phone digits: per order (someone guessing one order's digits from many sender ids), per
# customer (across their orders) and per client address (one client guessing many orders).
PHONE_CHECK_ORDER = Limit("phone_order", 5, timedelta(hours=1), timedelta(minutes=15))
PHONE_CHECK_CUSTOMER = Limit("phone_customer", 10, timedelta(hours=1), timedelta(minutes=15))
PHONE_CHECK_CLIENT = Limit("phone_client", 20, timedelta(hours=1), timedelta(minutes=15))
# A signed-in shopper naming order numbers that are not theirs (probing which numbers exist).
LOOKUP_CUSTOMER = Limit("lookup_customer", 10, timedelta(hours=1), timedelta(minutes=15))
# Cases opened without an account: per conversation, per client address and per shop.
ANONYMOUS_CASES_CONVERSATION = Limit("cases_conversation", 3, timedelta(hours=1), timedelta(hours=1))
ANONYMOUS_CASES_CLIENT = Limit("cases_client", 20, timedelta(hours=1), timedelta(hours=1))
ANONYMOUS_CASES_SHOP = Limit("cases_shop", 60, timedelta(hours=1), timedelta(minutes=15))


def locked_until(counter: CounterState, now: datetime) -> datetime | None:
    if counter.locked_until is not None and counter.locked_until > now:
        return counter.locked_until
    return None


def hit(counter: CounterState, limit: Limit, now: datetime) -> bool:
    """Count one hit; True when it starts a lock-out."""
    if counter.locked_until is not None and now - counter.locked_until > FORGIVE_AFTER:
        counter.lockouts = 0
    if counter.window_started_at is None or now - counter.window_started_at >= limit.window:
        counter.hits, counter.window_started_at = 0, now
    counter.hits += 1
    if counter.hits < limit.max_hits:
        return False
    counter.lockouts += 1
    counter.locked_until = now + min(limit.first_lockout * 2 ** (counter.lockouts - 1), limit.max_lockout)
    counter.hits, counter.window_started_at = 0, now
    return True
