"""What a chat came to, read from its events — the denominator of a shop's figures is every
conversation a shopper had, not only those that left a case behind.

A conversation here is one of Rasa's sessions (a chat idle for longer than the session expiry
starts a new one) in which the shopper wrote at least once; the bot's messages queued later by the
notifier (``EXTERNAL_*`` intents) are not the shopper writing. It ends one of three ways:

- **handed off**: a person took it over or got its case — the bot paused for a human, or opened
  a handoff or a complaint (``HANDOFF_ACTIONS``; the sync adds a case of the escalation queue);
- **abandoned**: the shopper left without an answer — in the middle of a form (an order number,
  a reason, a confirmation still asked for) or at the bot's "which of these did you mean?";
- **bot-resolved**: everything else: the shopper was answered or their request carried out.

A conversation whose shopper wrote within ``IDLE`` is still **in progress** and counted as none of
the three yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A shopper silent this long has left (the bot's session itself expires after 120 minutes).
IDLE = timedelta(minutes=30)
HANDOFF_ACTIONS = frozenset({"action_handoff", "action_open_complaint"})
# The bot's question when it did not understand: a shopper who leaves there had no answer.
UNANSWERED_ACTIONS = frozenset({"action_handle_fallback"})
# Actions that are not an answer (the bot listening, the session bookkeeping).
_SILENT_ACTIONS = frozenset({"action_listen", "action_session_start"})


class Outcome(StrEnum):
    BOT_RESOLVED = "bot_resolved"
    HANDED_OFF = "handed_off"
    ABANDONED = "abandoned"
    IN_PROGRESS = "in_progress"


# The three a finished conversation comes to, in the order the figures show them.
FINISHED = (Outcome.BOT_RESOLVED, Outcome.HANDED_OFF, Outcome.ABANDONED)


@dataclass(frozen=True)
class ChatEvent:
    """One stored event of Rasa's tracker, as much of it as the figures read."""

    id: int
    type: str  # Rasa's type name: user, bot, action, active_loop, pause, session_started, …
    at: datetime
    name: str | None = None  # an action's name, the form an active_loop event starts (None: ends)
    intent: str | None = None  # a user event's intent
    shop_id: str | None = None  # a user event's metadata shop_id (the host app's)


@dataclass(frozen=True)
class Session:
    """What the figures need of one conversation."""

    started_at: datetime  # the shopper's first message
    last_at: datetime  # the shopper's last message
    last_event_id: int
    shopper_messages: int
    shop_id: str | None  # the first the host app named
    handed_off: bool
    ended_unanswered: bool  # a form still open, or the bot's last word was "which did you mean?"

    def outcome(self, now: datetime, human_case: bool = False) -> Outcome:
        return outcome(self.last_at, self.handed_off, self.ended_unanswered, now, human_case)


def outcome(last_at: datetime, handed_off: bool, ended_unanswered: bool, now: datetime,
            human_case: bool = False) -> Outcome:
    """How a conversation ended, as of ``now``; ``human_case``: a case of the escalation queue came of it."""
    if handed_off or human_case:
        return Outcome.HANDED_OFF
    if now - last_at < IDLE:
        return Outcome.IN_PROGRESS
    return Outcome.ABANDONED if ended_unanswered else Outcome.BOT_RESOLVED


def sessions(events: Iterable[ChatEvent]) -> list[Session]:
    """One conversation's events (oldest first) as its sessions in which the shopper wrote."""
    found: list[Session] = []
    chunk: list[ChatEvent] = []
    for event in events:
        if event.type == "session_started" and chunk:
            found.extend(_session(chunk))
            chunk = []
        chunk.append(event)
    found.extend(_session(chunk))
    return found


# A rating is the shopper answering the case's question, not a conversation of its own: a rating given
# after the session ended would otherwise count as one the bot resolved alone.
RATING = "rate_case"


def _shopper(event: ChatEvent) -> bool:
    return event.type == "user" and not (event.intent or "").startswith("EXTERNAL_") and event.intent != RATING


def _session(events: list[ChatEvent]) -> list[Session]:
    written = [e for e in events if _shopper(e)]
    if not written:
        return []
    form: str | None = None
    last_answer: str | None = None
    handed_off = False
    for event in events:
        if event.type == "active_loop":
            form = event.name
        elif event.type == "pause" or (event.type == "action" and event.name in HANDOFF_ACTIONS):
            handed_off = True
        elif event.type == "action" and event.name not in _SILENT_ACTIONS:
            last_answer = event.name
        elif _shopper(event):
            last_answer = None  # a new message: what the bot says next is its answer
    return [Session(started_at=written[0].at, last_at=written[-1].at, last_event_id=events[-1].id,
                    shopper_messages=len(written),
                    shop_id=next((e.shop_id for e in written if e.shop_id), None), handed_off=handed_off,
                    ended_unanswered=form is not None or last_answer in UNANSWERED_ACTIONS or last_answer is None)]
