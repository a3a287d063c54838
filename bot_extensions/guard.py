"""What the chat channels check before a message reaches the NLU: its shape, its length, whether it
has any words at all, how fast its conversation is sending — and which client session it came from.
Pure Python (no Rasa, no Sanic), so it is tested on its own; bot_extensions.channels applies it.

A conversation's id (REST `sender`, socket.io `session_id`) is chosen by the client and can be
replayed by anyone who learns or guesses it. What proves that two messages come from the same
client is a *session key*: a secret only that client holds (REST: the `X-Chat-Session` header, which
the server issues when a request has none; socket.io: the widget's `session_key`, else the socket's
own id). The channel stamps every message's metadata with a digest of the pair (SESSION_BINDING) and
with the client's address (CLIENT_ADDRESS), overwriting whatever the client put under those names;
the actions bind a phone check to that digest, so a replayed sender id inherits nothing."""

from __future__ import annotations

import hashlib
import secrets
import time
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# One limit for every channel. Longer messages are answered "please shorten" without reaching the
# NLU: a 10,000-character message used to hold the server for seconds and gigabytes.
MAX_MESSAGE_CHARS = 1000
# Sender ids and session keys are stored and hashed; anything longer is not an id.
MAX_ID_CHARS = 128
MIN_SESSION_KEY_CHARS = 16
SESSION_BINDING = "chat_session"
CLIENT_ADDRESS = "client_address"
TRUSTED_METADATA = (SESSION_BINDING, CLIENT_ADDRESS)
SESSION_HEADER = "X-Chat-Session"

# The channel's own answers (domain.yml responses, worded per language there).
TOO_LONG = "utter_message_too_long"
WITHOUT_WORDS = "utter_message_without_words"
TOO_FAST = "utter_slow_down"


class MalformedRequest(ValueError):
    """A request the channel answers 400, with this reason."""


@dataclass(frozen=True)
class ChatRequest:
    sender: str | None
    text: str
    metadata: dict[str, Any]


def parse_rest_body(body: Any) -> ChatRequest:
    """The REST webhook's JSON body, strictly: an object with a string `message`, an optional
    string `sender` and an optional object `metadata`."""
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    text = body.get("message", "")
    if not isinstance(text, str):
        raise MalformedRequest("'message' must be a string")
    sender = body.get("sender")
    if sender is not None and (not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_ID_CHARS):
        raise MalformedRequest(f"'sender' must be a non-empty string of at most {MAX_ID_CHARS} characters")
    metadata = body.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise MalformedRequest("'metadata' must be a JSON object")
    return ChatRequest(sender, text, metadata)


def new_conversation_id() -> str:
    return "rest-" + secrets.token_hex(16)


def new_session_key() -> str:
    return secrets.token_urlsafe(24)


def usable_session_key(key: Any) -> str | None:
    if isinstance(key, str) and MIN_SESSION_KEY_CHARS <= len(key) <= MAX_ID_CHARS:
        return key
    return None


def session_binding(sender: str, session_key: str) -> str:
    return hashlib.sha256(f"{sender}\x00{session_key}".encode()).hexdigest()[:32]


def stamped(metadata: dict[str, Any], sender: str, session_key: str, client_address: str | None) -> dict[str, Any]:
    """The client's metadata with the channel's own fields in place of anything it sent under them."""
    clean = {k: v for k, v in metadata.items() if k not in TRUSTED_METADATA}
    return {**clean, SESSION_BINDING: session_binding(sender, session_key), CLIENT_ADDRESS: client_address}


def has_words(text: str) -> bool:
    """False for a message of nothing but whitespace, control and zero-width characters."""
    return any(unicodedata.category(ch)[0] not in ("C", "Z") and not ch.isspace() for ch in text)


def refusal(text: str) -> str | None:
    """The channel's answer instead of the NLU's, if the message needs one."""
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG
    if not has_words(text):
        return WITHOUT_WORDS
    return None


class MessageRate:
    """Messages per conversation in a sliding window, kept in this process's memory (each rasa
    replica of the scaled profile counts its own share). Bounded: the oldest conversations are
    forgotten first."""

    def __init__(self, limit: int = 20, window_s: float = 30.0, max_conversations: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.max_conversations, self.clock = limit, window_s, max_conversations, clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, conversation: str) -> bool:
        now = self.clock()
        times = self._seen.pop(conversation, None) or deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        allowed = len(times) < self.limit
        if allowed:
            times.append(now)
        self._seen[conversation] = times
        while len(self._seen) > self.max_conversations:
            self._seen.popitem(last=False)
        return allowed


def message_rate(setting: str | None) -> MessageRate:
    """CHAT_MESSAGE_RATE, "messages/seconds" per conversation (default 20/30: no person types faster)."""
    if not setting:
        return MessageRate()
    try:
        limit, window = setting.split("/")
        return MessageRate(limit=int(limit), window_s=float(window))
    except ValueError as exc:
        raise ValueError(f"CHAT_MESSAGE_RATE must look like 20/30 (messages/seconds), not {setting!r}") from exc
