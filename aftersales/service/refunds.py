"""Refunds out through a payment provider (the lifecycle: aftersales.domain.refunds).

The worker claims refunds that are due in one short transaction, talks to the provider with no
transaction open and no row locked, then records each answer in a transaction of its own. Every call
carries the refund number as the idempotency key; a call whose outcome is unknown is followed, next
time, by a query before any new submission. A refused refund becomes a case in the merchant's inbox
and a message in the shopper's chat; an arrived one, a message in the chat."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.adapters.payments.port import PaymentProvider, ProviderAnswer, ProviderUnavailable, RefundOrder
from aftersales.domain.refunds import (
    ALERT_AFTER_ATTEMPTS,
    PENDING,
    POLL_EVERY,
    ProviderStatus,
    RefundStatus,
    next_status,
    retry_delay,
)
from aftersales.service.base import open_case
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import refund_dict

log = logging.getLogger(__name__)
# How long a claimed refund is left alone by other workers while this one talks to the provider.
LEASE = timedelta(minutes=2)


@dataclass
class WorkReport:
    succeeded: int = 0
    submitted: int = 0
    failed: int = 0
    unanswered: int = 0


class RefundWorker:
    def __init__(self, session_factory: sessionmaker[Session], provider: PaymentProvider,
                 clock: Callable[[], datetime]):
        self._sessions = session_factory
        self.provider = provider
        self.clock = clock

    def run_once(self, limit: int = 50) -> WorkReport:
        report = WorkReport()
        for refund, status, attempts in self._claim(limit):
            answer, error = self._ask(refund, status, attempts)
            self._record(refund.refund_no, answer, error, report)
        return report

    def take_notification(self, refund_no: str, answer: ProviderAnswer) -> bool:
        """What a provider's verified notification says of a refund, recorded as a polled answer
        would be (a repeat changes nothing). False for a refund number we never issued."""
        with UnitOfWork(self._sessions, read_only=True) as uow:
            if uow.refunds.get(refund_no) is None:
                return False
        self._record(refund_no, answer, None, WorkReport())
        return True

    def _claim(self, limit: int) -> list[tuple[RefundOrder, RefundStatus, int]]:
        now = self.clock()
        with UnitOfWork(self._sessions) as uow:
            claimed = []
            for row in uow.refunds.due([s.value for s in PENDING], now, limit):
                order = uow.orders.by_id(row.order_id)
                assert order is not None
                paid = sum(i.unit_price * i.quantity for i in order.items) + order.shipping_fee
                status = RefundStatus(row.status)
                if status is RefundStatus.REQUESTED:
                    row.attempts += 1
                row.next_attempt_at = now + LEASE
                claimed.append((RefundOrder(row.refund_no, order.order_no, row.amount, row.currency, row.channel,
                                            row.expected_latest <= row.created_at, row.expected_earliest, paid),
                                status, row.attempts))
            uow.commit()
        return claimed

    def _ask(self, refund: RefundOrder, status: RefundStatus,
             attempts: int) -> tuple[ProviderAnswer | None, str | None]:
        """The provider's answer, or None with the reason when there is none."""
        try:
            if status is RefundStatus.SUBMITTED:
                return self.provider.query(refund), None
            if attempts > 1:
                # An earlier attempt got no answer: the provider may have paid. Ask before asking again.
                known = self.provider.query(refund)
                if known is not None:
                    return known, None
            return self.provider.submit(refund), None
        except ProviderUnavailable as exc:
            return None, str(exc) or "no answer"
        except Exception as exc:  # noqa: BLE001 - a provider bug must not stop the others' refunds
            log.exception("payment provider %s failed on %s", self.provider.name, refund.refund_no)
            return None, f"{type(exc).__name__}: {exc}"[:500]

    def _record(self, refund_no: str, answer: ProviderAnswer | None, error: str | None, report: WorkReport) -> None:
        now = self.clock()
        with UnitOfWork(self._sessions) as uow:
            refund = uow.refunds.get(refund_no, lock=True)
            assert refund is not None  # refunds are never deleted
            current = RefundStatus(refund.status)
            before = refund_dict(refund)
            if answer is None:
                refund.last_error = error
                refund.next_attempt_at = now + (POLL_EVERY if current is RefundStatus.SUBMITTED
                                                else retry_delay(refund.attempts))
                report.unanswered += 1
                if current is RefundStatus.REQUESTED and refund.attempts == ALERT_AFTER_ATTEMPTS:
                    self._open_case(uow, refund, now, "refund_unanswered", error)
                uow.commit()
                return
            target = next_status(current, answer.status)
            refund.provider_ref = answer.provider_ref or refund.provider_ref
            refund.last_error = answer.message if answer.status is ProviderStatus.FAILED else None
            refund.next_attempt_at = now + POLL_EVERY
            if target is None:  # still on its way
                uow.commit()
                return
            refund.status = target.value
            if target is RefundStatus.SUBMITTED:
                refund.submitted_at = now
                report.submitted += 1
            elif target is RefundStatus.SUCCEEDED:
                refund.submitted_at = refund.submitted_at or now
                refund.completed_at = now
                uow.notify(refund.conversation_id, "refund_completed", now, refund=refund)
                report.succeeded += 1
            else:
                refund.completed_at = now
                ticket = self._open_case(uow, refund, now, "refund_failed", answer.message)
                uow.notify(refund.conversation_id, "refund_failed", now, ticket=ticket, refund=refund)
                report.failed += 1
            uow.audit(now, f"provider:{self.provider.name}", f"refund_{target.value}", "refund", refund.refund_no,
                      before, refund_dict(refund))
            uow.commit()

    @staticmethod
    def _open_case(uow: UnitOfWork, refund: t.Refund, now: datetime, kind: str, message: str | None) -> t.Ticket:
        """The merchant must act: the money did not go out (or nobody knows whether it did)."""
        order = uow.orders.by_id(refund.order_id)
        assert order is not None
        ticket = open_case(uow, now, kind, order.shop_id, order, order.customer_id, None, None,
                           conversation_id=refund.conversation_id, context=_case_context(refund, message))
        uow.audit(now, "system:payments", "ticket_opened", "ticket", ticket.ticket_no, None,
                  {"kind": kind, "refund_no": refund.refund_no})
        return ticket


def _case_context(refund: t.Refund, message: str | None) -> dict[str, Any]:
    return {"summary": f"refund {refund.refund_no}: {message or 'no answer from the payment provider'}",
            "refund_no": refund.refund_no, "provider_message": message}
