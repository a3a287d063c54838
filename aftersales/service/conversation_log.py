"""Every conversation a shopper had, for the figures: the worker reads what is new in the chat log
(Rasa's tracker store, adapters.chat_log) and keeps one row per conversation (tables.Conversation).

The log is read from a mark (the last event id read, kept in chat_log_marks), a batch at a time;
each conversation with new events is summarized again from its own events of the last
``KEEP`` days, so reading a row twice changes nothing. On PostgreSQL an event id can be committed
after a higher one, so every round looks back ``RESCAN`` ids behind the mark as well.

A conversation's shop: the shop of its latest case or refund, else the shop the host app named in
the chat's metadata, else the bot's default shop (as the actions decide it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain.conversations import ChatEvent, sessions
from aftersales.service.base import utcnow
from aftersales.service.unit_of_work import UnitOfWork

MARK = "rasa_events"
KEEP = timedelta(days=400)
RESCAN = 200
BATCH = 2000


class ChatLog(Protocol):
    """What the sync reads of the chat log (adapters.chat_log.RasaEventLog)."""

    def last_id(self) -> int: ...

    def senders_after(self, event_id: int, limit: int) -> tuple[list[str], int]: ...

    def events_of(self, senders: Iterable[str], since: datetime) -> dict[str, list[ChatEvent]]: ...


@dataclass
class SyncReport:
    conversations: int = 0  # conversations summarized again
    read_to: int = 0  # the last event id read


class ConversationSync:
    def __init__(self, session_factory: sessionmaker[Session], log: ChatLog, default_shop_id: str,
                 clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.log = log
        self.default_shop_id = default_shop_id
        self.clock = clock

    def run_once(self, batch: int = BATCH) -> SyncReport:
        """Read the next batch of the chat log into the conversations table."""
        now = self.clock()
        with UnitOfWork(self._sessions, read_only=True) as uow:
            mark = uow.session.get(t.ChatLogMark, MARK)
            start = mark.event_id if mark is not None else 0
        if self.log.last_id() <= start:
            return SyncReport(read_to=start)
        lower = max(start - RESCAN, 0)
        senders, read_to = self.log.senders_after(lower, batch + start - lower)
        events = self.log.events_of(senders, now - KEEP)
        with UnitOfWork(self._sessions) as uow:
            shops = self._case_shops(uow, senders)
            stored = {(row.conversation_id, row.started_at): row for row in uow.session.scalars(
                select(t.Conversation).where(t.Conversation.conversation_id.in_(senders)))} if senders else {}
            count = 0
            for sender in senders:
                for session in sessions(events.get(sender, [])):
                    row = stored.get((sender, session.started_at))
                    if row is None:
                        row = t.Conversation(conversation_id=sender, started_at=session.started_at)
                        uow.add(row)
                    row.last_at, row.last_event_id = session.last_at, session.last_event_id
                    row.shop_id = shops.get(sender) or session.shop_id or self.default_shop_id
                    row.shopper_messages = session.shopper_messages
                    row.handed_off, row.ended_unanswered = session.handed_off, session.ended_unanswered
                    row.updated_at = now
                    count += 1
            mark = uow.session.get(t.ChatLogMark, MARK, with_for_update=True)
            if mark is None:
                uow.add(t.ChatLogMark(name=MARK, event_id=read_to, read_at=now))
            else:
                mark.event_id, mark.read_at = max(mark.event_id, read_to), now
            uow.commit()
        return SyncReport(conversations=count, read_to=read_to)

    @staticmethod
    def _case_shops(uow: UnitOfWork, senders: list[str]) -> dict[str, str]:
        """Each conversation's shop by its latest case or refund (what it was about)."""
        if not senders:
            return {}
        found: dict[str, tuple[datetime, str]] = {}
        rows = [*uow.session.execute(select(t.Ticket.conversation_id, t.Ticket.created_at, t.Ticket.shop_id)
                                     .where(t.Ticket.conversation_id.in_(senders))),
                *uow.session.execute(select(t.Refund.conversation_id, t.Refund.created_at, t.Order.shop_id)
                                     .join(t.Order, t.Refund.order_id == t.Order.id)
                                     .where(t.Refund.conversation_id.in_(senders)))]
        for conversation, at, shop in rows:
            if conversation and (conversation not in found or at > found[conversation][0]):
                found[conversation] = (at, shop)
        return {conversation: shop for conversation, (_, shop) in found.items()}
