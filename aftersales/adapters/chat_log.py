"""Rasa's tracker store read as a log of chat events, read-only: the rows its SQL store writes
(`events`: id, sender_id, type_name, timestamp, intent_name, action_name, data — the same columns
bot_extensions.tracker_store writes, tested against Rasa's own store). Nothing here writes to it or
takes its write lock. A store that does not exist yet (Rasa never started) reads as empty."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from aftersales.adapters.db.engine import READ_ONLY, make_engine
from aftersales.domain.conversations import ChatEvent

_META = sa.MetaData()
EVENTS = sa.Table(
    "events", _META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
# Only these events matter to what a conversation came to (slots and bot messages are most rows).
READ_TYPES = ("user", "action", "active_loop", "pause", "session_started")


class RasaEventLog:
    def __init__(self, url: str):
        self.url = url

    @functools.cached_property
    def _engine(self) -> sa.Engine:
        return make_engine(self.url)

    def _rows(self, query: sa.Select) -> list[Any]:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
            return []  # no file yet: connecting would create an empty one where Rasa's belongs
        try:
            with self._engine.connect() as connection:
                return list(connection.execution_options(**{READ_ONLY: True}).execute(query))
        except (OperationalError, ProgrammingError) as exc:
            if "events" in str(exc) and ("no such table" in str(exc) or "does not exist" in str(exc)):
                return []  # Rasa has not written a conversation yet
            raise

    def last_id(self) -> int:
        rows = self._rows(sa.select(sa.func.max(EVENTS.c.id)))
        return int(rows[0][0] or 0) if rows else 0

    def senders_after(self, event_id: int, limit: int) -> tuple[list[str], int]:
        """The conversations with events after ``event_id`` among the next ``limit`` events, and the
        last event id read (``event_id`` when there are none)."""
        rows = self._rows(sa.select(EVENTS.c.id, EVENTS.c.sender_id).where(EVENTS.c.id > event_id)
                          .order_by(EVENTS.c.id).limit(limit))
        return list(dict.fromkeys(row[1] for row in rows)), max((row[0] for row in rows), default=event_id)

    def events_of(self, senders: Iterable[str], since: datetime) -> dict[str, list[ChatEvent]]:
        """Each conversation's events since ``since``, oldest first."""
        chosen = list(senders)
        found: dict[str, list[ChatEvent]] = {sender: [] for sender in chosen}
        for start in range(0, len(chosen), 200):
            rows = self._rows(
                sa.select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp,
                          EVENTS.c.intent_name, EVENTS.c.action_name,
                          sa.case((EVENTS.c.type_name == "user", EVENTS.c.data), else_=sa.null()))
                .where(EVENTS.c.sender_id.in_(chosen[start:start + 200]), EVENTS.c.type_name.in_(READ_TYPES),
                       EVENTS.c.timestamp >= since.timestamp())
                .order_by(EVENTS.c.id))
            for id_, sender, type_name, timestamp, intent, action, data in rows:
                found[sender].append(ChatEvent(id=id_, type=type_name, at=datetime.fromtimestamp(timestamp, UTC),
                                               name=action, intent=intent, shop_id=_shop_of(data)))
        return found


def _shop_of(data: str | None) -> str | None:
    """The shop the host app named in a shopper's message (its metadata's shop_id)."""
    if not data:
        return None
    try:
        metadata = json.loads(data).get("metadata") or {}
    except (ValueError, AttributeError):
        return None
    shop = metadata.get("shop_id") if isinstance(metadata, dict) else None
    return str(shop)[:64] if shop else None
