"""What every action needs, built once per action-server process: settings, the services (sharing
one connection pool; each call opens its own unit of work) and the shopper's identity."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker

from aftersales import bootstrap
from aftersales.adapters.customer_tokens import InvalidToken, verify
from aftersales.bootstrap import Services
from aftersales.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
# Metadata the chat channel writes itself over anything the client sent (bot_extensions.guard; the
# bot runtime cannot be imported here, a test checks that the names agree).
SESSION_BINDING = "chat_session"
CLIENT_ADDRESS = "client_address"


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@functools.lru_cache(maxsize=1)
def services() -> Services:
    return bootstrap.services(settings())


async def call(operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking service call off the event loop, so one slow query never stalls every chat."""
    return await asyncio.to_thread(operation, *args, **kwargs)


def metadata(tracker: Tracker) -> dict[str, Any]:
    latest = (tracker.latest_message or {}).get("metadata") or {}
    if latest:
        return latest
    return tracker.get_slot("session_started_metadata") or {}


def language(tracker: Tracker) -> str:
    """The shopper's language: the slot the bot keeps per message (the app's metadata, else what the
    shopper writes in; bot_extensions.language), so the actions' words match the bot's replies."""
    return tracker.get_slot("language") or "zh"


def customer_id(tracker: Tracker) -> str | None:
    """The shopper, from the signed token the shop's app puts in the message metadata — and from
    nothing else: entities, slots and message text all come from the user and can say anything."""
    token = metadata(tracker).get("customer_token")
    if not token:
        return None
    try:
        return verify(settings().customer_token_secret, token)
    except InvalidToken as exc:
        log.info("rejected customer token in conversation %s: %s", tracker.sender_id, exc)
        return None


def session_binding(tracker: Tracker) -> str | None:
    """The client session this message came in (None outside the chat channels: `rasa test`)."""
    value = metadata(tracker).get(SESSION_BINDING)
    return str(value) if value else None


def client_address(tracker: Tracker) -> str | None:
    value = metadata(tracker).get(CLIENT_ADDRESS)
    return str(value)[:64] if value else None
