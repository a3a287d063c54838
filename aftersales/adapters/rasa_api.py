"""Client for Rasa's HTTP API (the bot's conversations), used by the inbox and the notifier.

Rasa runs with `--enable-api --auth-token`; the token goes in the `token` query parameter, as
Rasa expects. Every call has a timeout; connection failures and 502/503/504 are retried with
backoff. Callers in async code must run these calls off the event loop (asyncio.to_thread)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from aftersales.adapters.http import retrying_session

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 15.0


class RasaUnavailable(Exception):
    """Rasa could not be reached or answered with an error."""


class RasaConversations:
    def __init__(self, base_url: str, token: str | None, timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
                 retries: int = 2):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        # No retry after a read timeout: Rasa may have acted on the call; the outbox retries later.
        self.session = retrying_session(retries, read_retries=0)

    def tracker(self, conversation_id: str, include_events: str = "ALL") -> dict[str, Any]:
        """The conversation's current state: slots, `paused` and — unless `include_events` is NONE —
        its events (Rasa's verbosity: ALL, AFTER_RESTART, APPLIED, NONE)."""
        return self._call("GET", f"/conversations/{quote(conversation_id, safe='')}/tracker",
                          params={"include_events": include_events})

    def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        """Append events; bot messages among them are also sent to the shopper's latest channel."""
        return self._call("POST", f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
                          params={"output_channel": "latest", "execute_side_effects": "true"}, json=events)

    def trigger_intent(self, conversation_id: str, intent: str, entities: dict[str, Any]) -> dict[str, Any]:
        """Run the bot for this conversation as if the shopper had expressed `intent`."""
        return self._call("POST", f"/conversations/{quote(conversation_id, safe='')}/trigger_intent",
                          params={"output_channel": "latest"}, json={"name": intent, "entities": entities})

    def _call(self, method: str, path: str, params: dict[str, str], json: Any = None) -> dict[str, Any]:
        if self.token:
            params = {**params, "token": self.token}
        try:
            response = self.session.request(method, self.base_url + path, params=params, json=json,
                                            timeout=self.timeout)
        except requests.RequestException as exc:
            raise RasaUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()
