"""One way to make an outgoing HTTP session: retries on connection failures and 502/503/504 with
backoff. Timeouts are per call (requests has no session-wide timeout), so every caller passes one."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def retrying_session(retries: int, read_retries: int = 0) -> requests.Session:
    """POSTs are retried too (allowed_methods=None): our calls are idempotent by key or by design.
    A Retry-After header is never waited for: urllib3 would otherwise sleep through a 429's hour
    inside a chat turn; the caller hears the 429 and answers at once."""
    retry = Retry(total=retries, connect=retries, read=read_retries, status=retries, backoff_factor=0.3,
                  status_forcelist=(502, 503, 504), allowed_methods=None, raise_on_status=False,
                  respect_retry_after_header=False)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
