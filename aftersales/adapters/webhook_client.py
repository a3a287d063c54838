"""Posting a signed body to a shop's webhook: a timeout on every request, no redirects followed
(a redirect is the receiver's mistake, and could point anywhere), no retries inside the call (the
outbox retries with backoff, service.webhooks). In production only hosts on the internet are
posted to: the name is resolved at each post, so a name that points into this network (or was
changed to since the merchant saved it) is refused."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0


class NotOnTheInternet(requests.RequestException):
    """The webhook's host resolves to an address of this network (loopback, private, link-local…)."""


def check_host(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        found = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError) as exc:
        raise NotOnTheInternet(f"{host!r} does not resolve") from exc
    private = sorted(a for a in found if not ipaddress.ip_address(a.split("%")[0]).is_global)
    if not found or private:
        raise NotOnTheInternet(f"{host!r} resolves to {', '.join(private) or 'nothing'}, not the internet")


class WebhookClient:
    def __init__(self, timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT), internet_only: bool = False):
        self.timeout = timeout
        self.internet_only = internet_only
        self._session = requests.Session()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The receiver's HTTP status; a network failure, a timeout or (``internet_only``) a host of
        this network raises (requests' errors)."""
        if self.internet_only:
            check_host(url)
        response = self._session.post(url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False)
        response.close()
        return response.status_code
