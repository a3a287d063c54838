"""A long conversation costs each turn what a short one does.

Rasa rebuilds the dialogue state from every event of the session at each prediction (RulePolicy
walks the whole history, several times a turn) and sends every event to the action server with
each custom action, so a turn got dearer the longer the chat: measured by `make bench`, turn 100
cost ×4.6 what turn 5 did.

`RecentTurnsSQLTrackerStore` stores and reads exactly what Rasa's SQL store does, but hands the
processor a tracker of the last `recent_user_turns` shopper messages, opened by a snapshot of the
conversation as it stood before them: slot values (order, reason, outcome, language…), the active
form and a paused (handed-off) conversation. No rule looks back further than a few turns, so the
bot predicts what it would from the whole history (tests/e2e/test_long_conversation.py). The
handoff's saved transcript comes from those ten turns (20–30 lines; the inbox shows the whole
conversation, read from Rasa). Turn 100 now costs ×1.3 what turn 5 does (bench/results). Saving
appends only the events added since loading — counted at loading, where Rasa counts the stored rows again with a
query on every save (7 % of the server's CPU per turn, measured with py-spy). The database keeps
every event: the conversation API, the inbox and `rasa export` read them all
(`retrieve_full_tracker` is Rasa's own).

Configured in endpoints.yml (`type: bot_extensions.tracker_store.RecentTurnsSQLTrackerStore`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused, Event, SlotSet, UserUttered
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

# Where the events this store loaded end in a shortened tracker; what comes after them is new.
_LOADED = "_recent_turns_loaded_events"


def recent_turns(tracker: DialogueStateTracker, slots: Iterable[Slot], user_turns: int) -> DialogueStateTracker:
    """The tracker from its `user_turns`-th last shopper message on, after a snapshot of the state
    before it; the tracker itself when it is that short already. Either way it remembers how many
    of its events came from the store."""
    events = list(tracker.events)
    messages = [i for i, event in enumerate(events) if isinstance(event, UserUttered)]
    if len(messages) <= user_turns:
        setattr(tracker, _LOADED, len(events))
        return tracker
    cut = messages[-user_turns]
    # Start at the action_listen that waited for that message, as every turn starts.
    if isinstance(events[cut - 1], ActionExecuted) and events[cut - 1].action_name == ACTION_LISTEN_NAME:
        cut -= 1
    slots = list(slots)
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:cut], slots)
    at = events[cut].timestamp
    snapshot: list[Event] = [SlotSet(name, slot.value, timestamp=at) for name, slot in before.slots.items()
                             if slot.value != slot.initial_value]
    if before.active_loop_name:
        snapshot.append(ActiveLoop(before.active_loop_name, timestamp=at))
    if before.is_paused():
        snapshot.append(ConversationPaused(timestamp=at))
    shortened = DialogueStateTracker.from_events(tracker.sender_id, snapshot + events[cut:], slots)
    setattr(shortened, _LOADED, len(shortened.events))
    return shortened


class RecentTurnsSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, recent_user_turns: int | str = 10, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recent_user_turns = int(recent_user_turns)
        if self.recent_user_turns < 1:
            raise ValueError("recent_user_turns must be at least 1")

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is None or self.domain is None:
            return tracker
        return recent_turns(tracker, self.domain.slots, self.recent_user_turns)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        if hasattr(tracker, _LOADED):  # saved again later (API appends), only what came after this
            setattr(tracker, _LOADED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        loaded = getattr(tracker, _LOADED, None)
        if loaded is None:  # a tracker this store did not load (a new conversation): count the stored rows
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, loaded, None)
