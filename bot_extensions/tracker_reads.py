"""A conversation that cannot be read is an error, not a new conversation.

Rasa wraps every tracker store in `FailSafeTrackerStore`, whose `retrieve` answers a failed read
(the database down, a broken connection) with None. The processor then takes the shopper's message
as the first of a blank conversation: "确认" at a confirmation step is answered as if nothing had been
said before, and that turn is saved to an in-memory store on this one replica. Measured in the
fault test that stops PostgreSQL mid-form (tests/faults): the shopper got "不客气" instead of an
apology.

Here a failed read raises, as the store raised it: the message is not handled, and the channel
answers with the apology (bot_extensions.channels.never_silent). Saving keeps Rasa's fallback — by
then the turn has happened, and its replies have been sent.

A tracker the wrapper begins for a new conversation is marked new, as the wrapped store marks its
own (bot_extensions.tracker_store.as_new): its first save then counts no stored rows."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache  # once per process
def install() -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore

    from bot_extensions.tracker_store import as_new

    async def retrieve(self: FailSafeTrackerStore, sender_id: str) -> Any:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: str) -> Any:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    def init_tracker(self: FailSafeTrackerStore, sender_id: str) -> Any:
        return as_new(TrackerStore.init_tracker(self, sender_id))

    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.init_tracker = init_tracker  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[method-assign]
