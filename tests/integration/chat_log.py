"""A chat log for tests: a SQLite file with the rows Rasa's SQL tracker store writes (its `events`
table: the columns, and each event's JSON in `data`), so the sync reads what it reads in production."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from aftersales.adapters.chat_log import EVENTS


class FakeTracker:
    def __init__(self, path: Path):
        self.url = f"sqlite:///{path}"
        self.engine = sa.create_engine(self.url)
        EVENTS.metadata.create_all(self.engine)

    def write(self, sender: str, start: datetime, *steps: tuple, shop_id: str | None = None,
              step: timedelta = timedelta(minutes=1)) -> datetime:
        """Events a ``step`` apart from ``start``: ("user", intent) — with the host app's shop_id in its
        metadata —, ("action", name), ("active_loop", form or None), ("pause",), ("session_started",),
        ("slot", name). Returns the time after the last."""
        rows = []
        at = start
        for kind, *rest in steps:
            name = rest[0] if rest else None
            data: dict = {"event": kind, "timestamp": at.timestamp()}
            if kind == "user":
                data.update({"text": f"({name})", "parse_data": {"intent": {"name": name, "confidence": 1.0}},
                             "metadata": {"shop_id": shop_id} if shop_id else {}})
            elif kind == "slot":
                data.update({"name": name, "value": "x"})
            elif name is not None or kind == "active_loop":
                data["name"] = name
            rows.append({"sender_id": sender, "type_name": kind, "timestamp": at.timestamp(),
                         "intent_name": name if kind == "user" else None,
                         "action_name": None if kind == "user" else data.get("name"), "data": json.dumps(data)})
            at += step
        with self.engine.begin() as connection:
            connection.execute(EVENTS.insert(), rows)
        return at
