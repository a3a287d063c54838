"""Client for the helpdesk's case API (POST /api/v1/cases), used by the action server to escalate.

By default the helpdesk is our own inbox; a shop can point HELPDESK_URL at another helpdesk that
speaks the same API (aftersales/entrypoints/web/openapi.yaml). Timeouts on every call; connection
failures and 502/503/504 are retried — safely, because each case carries an idempotency key and
the helpdesk answers a repeated key with the case it already opened. Blocking: async callers run
it with asyncio.to_thread."""

from __future__ import annotations

from typing import Any

import requests

from aftersales.adapters.http import retrying_session


class HelpdeskError(Exception):
    """The helpdesk could not be reached, or refused the case."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class HelpdeskClient:
    def __init__(self, base_url: str, token: str, timeout: tuple[float, float] = (3.05, 10.0), retries: int = 3):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # A read timeout is retried as well: the idempotency key makes a repeat harmless.
        self.session = retrying_session(retries, read_retries=1)
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def open_case(self, case: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        """Open (or find again) a case; returns {"status": "opened"|"already_open", "ticket": {...}}."""
        try:
            response = self.session.post(f"{self.base_url}/api/v1/cases", json=case, timeout=self.timeout,
                                         headers={"Idempotency-Key": idempotency_key})
        except requests.RequestException as exc:
            raise HelpdeskError(f"helpdesk unreachable: {exc.__class__.__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            raise HelpdeskError(f"helpdesk refused the case: HTTP {response.status_code} {body.get('error')}",
                                status=response.status_code, code=body.get("code"))
        return body
