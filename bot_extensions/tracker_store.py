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
the server's CPU at turn 120, py-spy), and the snapshot of what came before the recent turns is kept
per conversation in the process and extended by one turn each time — stored rows never change, so
it stays true; another process builds its own from the rows. Saving appends only the events added
since loading, counted at loading (Rasa counts the stored rows with a query on every save: 7 % of
the server's CPU). The database keeps every event: the conversation API, the inbox and `rasa
export` read them all (`retrieve_full_tracker` is Rasa's own). Measured by `make bench`: turns
91–100 cost what turns 1–10 do.

Configured in endpoints.yml (`type: bot_extensions.tracker_store.RecentTurnsSQLTrackerStore`)."""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

# Where the events this store loaded end in a shortened tracker; what comes after them is new.
_LOADED = "_recent_turns_loaded_events"
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
        self.recent_user_turns = int(recent_user_turns)
        if self.recent_user_turns < 1:
            raise ValueError("recent_user_turns must be at least 1")
        # sender → (row id where its recent turns started, the snapshot of everything before it).
        # Stored rows never change, so a snapshot stays true; each turn extends it by one turn.
        self._snapshots: OrderedDict[str, tuple[int, list[Event]]] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session as Rasa's query finds it, in one query of plain rows (Rasa's own builds
        an ORM object per stored row: half the server's CPU at turn 120, py-spy), of which only the
        recent turns, and before them what the last snapshot does not cover, are parsed."""
        if self.domain is None:
            return None
        with self.session_scope() as session:
            rows = (self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
                    .with_entities(self.SQLEvent.id, self.SQLEvent.type_name, self.SQLEvent.action_name,
                                   self.SQLEvent.data).all())
        if not rows:
            return None  # as Rasa's: no conversation yet

        def events(first: int, end: int | None = None) -> list[Event]:
            return deserialise_events([json.loads(row[3]) for row in rows[first:end]])

        slots = list(self.domain.slots)
        cut = cut_position(rows, self.recent_user_turns)
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

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if hasattr(tracker, _LOADED):  # saved again later (API appends), only what came after this
            setattr(tracker, _LOADED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        loaded = getattr(tracker, _LOADED, None)
        if loaded is None:  # a tracker this store did not load (a new conversation): count the stored rows
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, loaded, None)
