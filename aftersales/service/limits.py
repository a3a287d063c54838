"""The limits of aftersales.domain.attempts applied inside a unit of work: refuse while locked,
count a hit, and leave a line in the audit log when a lock-out starts (the inbox shows it with the
order or shop it protects)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from aftersales.domain import attempts
from aftersales.service.errors import TooManyAttempts
from aftersales.service.unit_of_work import UnitOfWork

Keyed = tuple[attempts.Limit, str]


def _keys(limits: Iterable[Keyed]) -> dict[str, attempts.Limit]:
    return {limit.key(value): limit for limit, value in limits if value}


def refuse_if_locked(uow: UnitOfWork, limits: Iterable[Keyed], now: datetime, lock: bool = False) -> None:
    """``lock``: hold the counters' rows until the unit of work ends (check and count as one step)."""
    keyed = _keys(limits)
    rows = uow.attempts.lock(list(keyed)) if lock else uow.attempts.read(list(keyed))
    locked = [(until, keyed[row.key]) for row in rows
              if (until := attempts.locked_until(row, now)) is not None]
    if locked:
        until, limit = max(locked, key=lambda pair: pair[0])
        raise TooManyAttempts(limit.scope, math.ceil((until - now).total_seconds()))


def count(uow: UnitOfWork, limits: Iterable[Keyed], now: datetime, actor: str, entity: str,
          entity_id: str) -> TooManyAttempts | None:
    """One hit on each counter; the refusal to raise (after committing) when one locked just now."""
    keyed = _keys(limits)
    started: TooManyAttempts | None = None
    for row in uow.attempts.lock(list(keyed)):
        limit = keyed[row.key]
        if attempts.hit(row, limit, now):
            assert row.locked_until is not None
            seconds = math.ceil((row.locked_until - now).total_seconds())
            uow.audit(now, actor, "attempts_locked", entity, entity_id,
                      after={"limit": limit.scope, "key": row.key, "locked_until": row.locked_until.isoformat(),
                             "lockouts": row.lockouts})
            if started is None or seconds > started.retry_after_s:
                started = TooManyAttempts(limit.scope, seconds)
    return started
