"""A long conversation costs each turn what a short one does.

Rasa rebuilds the dialogue state from every event of the session at each prediction (RulePolicy
walks the whole history, several times a turn) and sends every event to the action server with
each custom action, so a turn got dearer the longer the chat: measured by `make bench`, turn 100
cost ×4.6 what turn 5 did.

`RecentTurnsSQLTrackerStore` stores and reads exactly what Rasa's SQL store does, but hands the
processor a tracker of the last `recent_user_turns` shopper messages, opened by a snapshot of the
conversation as it stood before them: slot values (order, reason, outcome, language…), the active
form and a paused (handed-off) conversation. No rule spans more than one shopper message, so the
bot predicts what it would from the whole history (tests/e2e/test_long_conversation.py). The
handoff's saved summary (12 lines) comes from those six turns; the inbox shows the whole
conversation, read from Rasa. Reading skips what it can: rows come as JSON, not ORM objects (half
the server's CPU at turn 120, py-spy), through a statement built once, and the snapshot of what
came before the recent turns is kept per conversation in the process and extended by one turn each
time — stored rows never change, so it stays true; another process builds its own from the rows.
Saving appends only the events added since loading, counted at loading, or all of a conversation
it began (Rasa counts the stored rows with a query on every save: 7 % of the server's CPU), in one
multi-row insert rather than an ORM object per event (Rasa's unit of work and its SQL compilation
were another 5 %). The database keeps every event: the conversation API, the inbox and `rasa export`
read them all (`retrieve_full_tracker` is Rasa's own). Measured by `make bench`: turns 91–100 cost
×1.2 what turns 1–10 do, all of it the recent turns filling during turns 1–6 (turns 4–13 already
cost what turns 91–100 do).

On SQLite (the embedded default) connections are pooled — SQLAlchemy 1.4 opens a new one for every
read and write of a file database — and the file is in WAL mode with `synchronous=NORMAL`: a commit
is an append to the log, synced at checkpoints rather than on every turn (the commit's fsync was
12 % of the server's CPU). A crash of the process loses nothing; a power cut may lose the last
turns of conversations, never the orders database, which keeps its own settings.

Configured in endpoints.yml (`type: bot_extensions.tracker_store.RecentTurnsSQLTrackerStore`)."""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

# Where the events this store loaded end in a shortened tracker; what comes after them is new.
_LOADED = "_recent_turns_loaded_events"
SESSION_START_INDEX = "ix_events_sender_type_time"
# Conversations whose last snapshot this process keeps: ~20 events each.
_SNAPSHOTS_KEPT = 10_000


def cut_position(rows: list[Any], user_turns: int) -> int:
    """Where the recent turns start among a session's rows (id, type, action name, …): at the
    action_listen before the `user_turns`-th last shopper message; 0 when the session is that short."""
    messages = [i for i, row in enumerate(rows) if row[1] == UserUttered.type_name]
    if len(messages) <= user_turns:
        return 0
    cut = messages[-user_turns]
    if rows[cut - 1][1] == ActionExecuted.type_name and rows[cut - 1][2] == ACTION_LISTEN_NAME:
        cut -= 1
    return cut


def snapshot(sender_id: str, events: list[Event], slots: list[Slot]) -> list[Event]:
    """Events that put a new tracker where `events` left one: slot values, the active form, a pause.
    Replaying them and then what follows gives the state replaying everything would."""
    state = DialogueStateTracker.from_events(sender_id, events, slots)
    at = events[-1].timestamp if events else None
    found: list[Event] = [SlotSet(name, slot.value, timestamp=at) for name, slot in state.slots.items()
                          if slot.value != slot.initial_value]
    if state.active_loop_name:
        found.append(ActiveLoop(state.active_loop_name, timestamp=at))
    if state.is_paused():
        found.append(ConversationPaused(timestamp=at))
    return found


class RecentTurnsSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, recent_user_turns: int | str = 6, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self._pool_sqlite_connections()
        self.recent_user_turns = int(recent_user_turns)
        if self.recent_user_turns < 1:
            raise ValueError("recent_user_turns must be at least 1")
        self._index_session_starts()
        # Rasa's query (`_event_query`: the events since the latest session start, in order) and its
        # insert, built once as Core statements: building the ORM ones was 5 % of every turn each.
        events = self.SQLEvent.__table__
        self._insert_rows = events.insert()
        session_start = (sa.select(sa.func.max(events.c.timestamp))
                         .where(events.c.sender_id == sa.bindparam("sender_id"),
                                events.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        self._latest_session_rows = (
            sa.select(events.c.id, events.c.type_name, events.c.action_name, events.c.data)
            .where(events.c.sender_id == sa.bindparam("sender_id"),
                   sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
            .order_by(events.c.id))
        # The same, from the row where the snapshot this process keeps ends.
        self._latest_session_rows_from = self._latest_session_rows.where(events.c.id >= sa.bindparam("from_id"))
        # sender → (row id where its recent turns started, the snapshot of everything before it).
        # Stored rows never change, so a snapshot stays true; each turn extends it by one turn.
        self._snapshots: OrderedDict[str, tuple[int, list[Event]]] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session as Rasa's query finds it, in one query of plain rows (Rasa's own builds
        an ORM object per stored row: half the server's CPU at turn 120, py-spy), of which only the
        recent turns, and before them what the last snapshot does not cover, are parsed. With a
        snapshot, only the rows from where it ends are read: reading every row of the session each
        turn made a turn cost more the longer the conversation (rasa's CPU per turn 15 → 22 ms from
        turn 1 to turn 300)."""
        if self.domain is None:
            return None
        known = self._snapshots.get(sender_id)
        if known is not None:
            tracker = self._from_snapshot(sender_id, *known)
            if tracker is not None:
                return tracker
        with self.session_scope() as session:
            rows = session.execute(self._latest_session_rows, {"sender_id": sender_id}).all()
        if not rows:
            return None  # as Rasa's: no conversation yet
        return self._tracker(sender_id, rows)

    def _from_snapshot(self, sender_id: str, known_id: int, known: list[Event]) -> DialogueStateTracker | None:
        """The tracker from the rows since the snapshot, when they tell the whole story: the
        snapshot's first row is still in the latest session, and the recent turns begin after it
        (where the cut lands on the tail's first row, the row before it would decide). None when
        they do not: then all the session's rows are read, as without a snapshot."""
        with self.session_scope() as session:
            rows = session.execute(self._latest_session_rows_from, {"sender_id": sender_id, "from_id": known_id}).all()
        if not rows or rows[0][0] != known_id:  # a new session started since
            return None
        cut = cut_position(rows, self.recent_user_turns)
        if cut == 0:
            return None
        return self._tracker(sender_id, rows, cut)

    def _tracker(self, sender_id: str, rows: list[Any], cut: int | None = None) -> DialogueStateTracker:
        """The tracker of `rows` (the latest session's, or its tail from the snapshot's first row);
        `cut`: where in them the recent turns start, if already known."""
        assert self.domain is not None

        def events(first: int, end: int | None = None) -> list[Event]:
            return deserialise_events([json.loads(row[3]) for row in rows[first:end]])

        slots = list(self.domain.slots)
        cut = cut_position(rows, self.recent_user_turns) if cut is None else cut
        if cut == 0:
            tracker = DialogueStateTracker.from_events(sender_id, events(0), slots)
        else:
            ids = [row[0] for row in rows]
            known_id, known = self._snapshots.get(sender_id, (ids[0], []))
            if not ids[0] <= known_id <= ids[cut]:  # from another session: start over
                known_id, known = ids[0], []
            before = snapshot(sender_id, known + events(ids.index(known_id), cut), slots)
            self._snapshots[sender_id] = (ids[cut], before)
            self._snapshots.move_to_end(sender_id)
            while len(self._snapshots) > _SNAPSHOTS_KEPT:
                self._snapshots.popitem(last=False)
            tracker = DialogueStateTracker.from_events(sender_id, before + events(cut), slots)
        setattr(tracker, _LOADED, len(tracker.events))
        return tracker

    def _index_session_starts(self) -> None:
        """Every read finds the conversation's latest session start; with Rasa's index (sender
        only) that walked every stored row of the conversation, all its sessions, on each turn. An
        index on sender, type and time finds it in one look-up. Added beside Rasa's own; two
        replicas starting together may both try: the one that finds it made goes on."""
        events = self.SQLEvent.__table__
        # Rasa's table is one per process: a second store finds the index on it already.
        index = next((i for i in events.indexes if i.name == SESSION_START_INDEX), None) or sa.Index(
            SESSION_START_INDEX, events.c.sender_id, events.c.type_name, events.c.timestamp)
        try:
            index.create(self.engine, checkfirst=True)
        except sa.exc.DBAPIError:
            if SESSION_START_INDEX not in {i["name"] for i in sa.inspect(self.engine).get_indexes(events.name)}:
                raise

    def _pool_sqlite_connections(self) -> None:
        self.engine.dispose()
        self.engine = sa.create_engine(self.engine.url, poolclass=sa.pool.QueuePool,
                                       connect_args={"check_same_thread": False})

        @sa.event.listens_for(self.engine, "connect")
        def _settings(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's rows (the same columns and JSON), written in one insert."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [self._row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(self._insert_rows, rows)
                session.commit()
        # Everything in it is stored now: saved again (the end of a new conversation's first turn,
        # API appends), it adds only what came after, without counting the stored rows again.
        setattr(tracker, _LOADED, len(tracker.events))

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        data = event.as_dict()
        return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": json.dumps(data)}

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        return as_new(super().init_tracker(sender_id))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        loaded = getattr(tracker, _LOADED, None)
        if loaded is None:  # neither loaded nor begun here (rebuilt by the API): count the stored rows
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, loaded, None)


def as_new(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """`tracker` marked as one of which nothing is stored yet. Rasa begins a tracker (`init_tracker`)
    only in `create_tracker`, after reading found no conversation: its first save writes every event
    without counting the stored rows (a query that was a third of a new conversation's first read)."""
    setattr(tracker, _LOADED, 0)
    return tracker
