"""Posting a signed body to a shop's webhook: a timeout on every request, no redirects followed
(a redirect is the receiver's mistake, and could point anywhere), no retries inside the call (the
outbox retries with backoff, service.webhooks)."""

from __future__ import annotations

import requests

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0


class WebhookClient:
    def __init__(self, timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)):
        self.timeout = timeout
        self._session = requests.Session()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The receiver's HTTP status; a network failure or a timeout raises (requests' errors)."""
        response = self._session.post(url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False)
        response.close()
        return response.status_code
