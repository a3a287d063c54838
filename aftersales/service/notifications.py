"""Delivering the outbox: messages for the shopper's chat (a merchant's decision, a refund that
arrived, a merchant's reply, the chat handed back to the bot).

Rows are claimed with a lease and settled as every outbox's are (service.outbox), so two
dispatchers never send one row at the same time and a crash mid-send only delays it. Delivery is
at least once: a crash between Rasa's answer and marking the row sent repeats that message once.

The words are the bot's: decisions and refunds are delivered by triggering the external intent
`EXTERNAL_case_update`, whose action composes the message in the shopper's language. A merchant's
reply is their own words and goes into the chat as it is. The bot does not speak in a chat a human
has taken over: a refund notice there waits until the chat is handed back; a decision closes the
case and hands the chat back itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain.lifecycles import NotificationStatus
from aftersales.service.base import utcnow
from aftersales.service.outbox import LEASE, MAX_ATTEMPTS, LeasedOutbox, backoff

__all__ = ["EXTERNAL_INTENT", "LEASE", "MAX_ATTEMPTS", "DispatchReport", "NotificationDispatcher", "backoff"]
EXTERNAL_INTENT = "EXTERNAL_case_update"
WAIT_WHILE_PAUSED = timedelta(minutes=1)


class Conversations(Protocol):
    """The part of Rasa's HTTP API the dispatcher needs (adapters.rasa_api.RasaConversations)."""

    def tracker(self, conversation_id: str, include_events: str = "ALL") -> dict[str, Any]: ...

    def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> dict[str, Any]: ...

    def trigger_intent(self, conversation_id: str, intent: str, entities: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class DispatchReport:
    sent: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class NotificationDispatcher:
    def __init__(self, session_factory: sessionmaker[Session], conversations: Conversations,
                 clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.conversations = conversations
        self.clock = clock

    @property
    def outbox(self) -> LeasedOutbox:
        return LeasedOutbox(self._sessions, t.Notification, lambda row: {
            "conversation_id": row.conversation_id, "kind": row.kind, "payload": dict(row.payload)}, self.clock)

    def dispatch(self, only: list[int] | None = None, limit: int = 50) -> DispatchReport:
        """Send what is due (or just the rows in `only`, if due), oldest first."""
        report = DispatchReport()
        outbox = self.outbox
        for row in outbox.claim(only, limit):
            try:
                sent = self._deliver(row)
            except Exception as exc:  # noqa: BLE001 - any failure leaves the row for a retry
                gave_up = outbox.failed(row, f"{exc.__class__.__name__}: {exc}")
                (report.failed if gave_up else report.waiting).append(row["id"])
                continue
            if sent:
                report.sent.append(row["id"])
                outbox.sent(row)
            else:
                # Waiting for a human to finish is not a failed attempt.
                report.waiting.append(row["id"])
                outbox.record(row, NotificationStatus.PENDING, attempts=row["attempts"] - 1,
                              last_error="the chat is with a human", next_attempt_at=self.clock() + WAIT_WHILE_PAUSED)
        return report

    def _claim(self, only: list[int] | None, limit: int) -> list[dict[str, Any]]:
        return self.outbox.claim(only, limit)

    def _deliver(self, row: dict[str, Any]) -> bool:
        """True when delivered; False when it must wait for the human to hand the chat back."""
        conversation = row["conversation_id"]
        if row["kind"] == "reply":
            self.conversations.append_events(conversation, [{
                "event": "bot", "text": row["payload"]["text"],
                "metadata": {"from": "merchant", "name": row["payload"].get("from"),
                             "ticket_no": row["payload"].get("ticket_no")}}])
            return True
        paused = bool(self.conversations.tracker(conversation, include_events="NONE").get("paused"))
        if paused and row["kind"] in ("refund_completed", "refund_failed"):  # news about money waits for the bot
            return False
        if paused:
            # A paused chat never got its action_listen after the handoff, and the shopper's messages
            # to the human sit unanswered in it; the listen puts it back where rules expect a turn.
            self.conversations.append_events(conversation, [{"event": "resume"},
                                                            {"event": "action", "name": "action_listen"}])
        self.conversations.trigger_intent(conversation, EXTERNAL_INTENT, {"notification_id": str(row["id"])})
        return True
