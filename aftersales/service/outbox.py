"""What every outbox shares — the chat's messages (service.notifications) and the shops' webhooks
(service.webhooks): rows written in the transaction that caused them, then delivered at least once
by whoever claims them.

A row is claimed with a lease (status `sending`, due again when the lease runs out), so two
dispatchers never send one row at the same time and a crash mid-send only delays it. Each claim
counts an attempt; a dispatcher records how its attempt went only while the row is still its claim
(the attempts it counted): one whose lease ran out and was claimed again leaves the row to the other.
A failed attempt is tried again after a backoff, until MAX_ATTEMPTS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.domain.lifecycles import NotificationStatus
from aftersales.service.base import advance
from aftersales.service.unit_of_work import UnitOfWork

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 3600))


class LeasedOutbox:
    """Claiming and settling the rows of one outbox table (a model with status, attempts,
    next_attempt_at, last_error and sent_at). ``snapshot``: what a dispatcher needs of a row to
    deliver it, read while claiming (the row itself is not kept outside the transaction)."""

    def __init__(self, session_factory: sessionmaker[Session], model: Any, snapshot: Callable[[Any], dict[str, Any]],
                 clock: Callable[[], datetime], lease: timedelta = LEASE):
        self._sessions = session_factory
        self.model = model
        self.snapshot = snapshot
        self.clock = clock
        self.lease = lease

    def claim(self, only: list[int] | None, limit: int) -> list[dict[str, Any]]:
        """Rows waiting to be sent, or whose sender's lease ran out, oldest first; those another
        dispatcher holds are skipped. ``only``: just these rows, if due."""
        now = self.clock()
        model = self.model
        query = (select(model)
                 .where(model.status.in_([NotificationStatus.PENDING.value, NotificationStatus.SENDING.value]),
                        model.next_attempt_at <= now)
                 .order_by(model.id).limit(limit).with_for_update(skip_locked=True))
        if only is not None:
            query = query.where(model.id.in_(only))
        with UnitOfWork(self._sessions) as uow:
            claimed = []
            rows: list[Any] = list(uow.session.scalars(query))
            for row in rows:
                row.status = advance(row.status, NotificationStatus.SENDING)
                row.attempts, row.next_attempt_at = row.attempts + 1, now + self.lease
                claimed.append({**self.snapshot(row), "id": row.id, "attempts": row.attempts})
            uow.commit()
        return claimed

    def sent(self, claimed: dict[str, Any], **changes: Any) -> None:
        self.record(claimed, NotificationStatus.SENT, last_error=None, sent_at=self.clock(), **changes)

    def failed(self, claimed: dict[str, Any], error: str, **changes: Any) -> bool:
        """The attempt failed: tried again after a backoff; True when that was the last attempt."""
        gave_up = claimed["attempts"] >= MAX_ATTEMPTS
        self.record(claimed, NotificationStatus.FAILED if gave_up else NotificationStatus.PENDING,
                    last_error=error[:1000], next_attempt_at=self.clock() + backoff(claimed["attempts"]), **changes)
        return gave_up

    def record(self, claimed: dict[str, Any], status: NotificationStatus, **changes: Any) -> None:
        with UnitOfWork(self._sessions) as uow:
            row = uow.session.get(self.model, claimed["id"], with_for_update=True)
            assert row is not None
            if row.attempts != claimed["attempts"] or NotificationStatus(row.status).terminal:
                # This dispatcher's lease ran out and another claimed the row since (each claim counts an
                # attempt): the row is the other's to record now.
                return
            row.status = advance(row.status, status)
            for name, value in changes.items():
                setattr(row, name, value)
            uow.commit()
