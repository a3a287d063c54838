"""The shopper's rating of how a case was handled: asked once, in the chat the case came from, when
the merchant's decision is told there (actions/notifications.py), and answered with a button
(1–5; actions/satisfaction.py). The first score counts; a score for a case of another chat or
another shopper is refused like a case that does not exist. The score shows on the case's page
and in the figures (service.analytics)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aftersales.domain.cases import SHOPS_OWN_KINDS
from aftersales.domain.lifecycles import TicketStatus
from aftersales.service.base import utcnow
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.unit_of_work import UnitOfWork

SCORES = (1, 2, 3, 4, 5)


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


class SatisfactionService:
    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.clock = clock

    def ask(self, ticket_no: str, conversation_id: str) -> bool:
        """Whether to ask for a rating now: once per case, once it is decided, in its own chat."""
        now = self.clock()
        with UnitOfWork(self._sessions) as uow:
            try:
                ticket = uow.tickets.get(ticket_no, lock=True)
            except NotFound:
                return False
            if (ticket.status != TicketStatus.RESOLVED or ticket.kind in SHOPS_OWN_KINDS
                    or not _same(ticket.conversation_id, conversation_id) or ticket.satisfaction_asked_at is not None):
                return False
            ticket.satisfaction_asked_at = now
            uow.commit()
        return True

    def rate(self, ticket_no: str, score: Any, conversation_id: str, customer_id: str | None) -> dict[str, Any]:
        """Record the shopper's score (1–5) of a case they were asked about. The first score counts: a
        second one changes nothing and answers with the first. A case of another chat, or of another
        shopper than the one identified in this message, is NotFound."""
        try:
            value = int(score)
        except (TypeError, ValueError):
            raise InvalidInput(f"a score is one of {SCORES}") from None
        if value not in SCORES or str(score).strip() not in {str(s) for s in SCORES}:
            raise InvalidInput(f"a score is one of {SCORES}")
        now = self.clock()
        with UnitOfWork(self._sessions) as uow:
            ticket = uow.tickets.get(ticket_no, lock=True)
            if not _same(ticket.conversation_id, conversation_id) or (
                    customer_id is not None and ticket.customer_id is not None
                    and not _same(ticket.customer_id, customer_id)):
                raise NotFound(ticket_no)
            if ticket.satisfaction is not None:
                return {"status": "already_rated", "ticket_no": ticket.ticket_no, "score": ticket.satisfaction}
            if ticket.satisfaction_asked_at is None:
                raise Conflict(f"case {ticket_no} was not offered for rating")
            ticket.satisfaction, ticket.satisfaction_at = value, now
            uow.audit(now, f"customer:{customer_id or 'anonymous'}", "case_rated", "ticket", ticket.ticket_no, None,
                      {"score": value})
            uow.commit()
        return {"status": "recorded", "ticket_no": ticket_no, "score": value}
