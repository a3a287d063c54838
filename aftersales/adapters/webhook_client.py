"""Posting a signed body to a shop's webhook: a timeout on every request, no redirects followed
(a redirect is the receiver's mistake, and could point anywhere), no retries inside the call (the
outbox retries with backoff, service.webhooks). In production only hosts on the internet are
posted to: the name is resolved at each post, a name that points into this network (or was changed
to since the merchant saved it) is refused, and the request goes to an address that was checked —
the name is not looked up a second time, so a DNS answer that changes in between (DNS rebinding)
cannot send it elsewhere; for the same reason no proxy from the environment is used. HTTPS still
checks the certificate against the shop's host name."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 10.0


class NotOnTheInternet(requests.RequestException):
    """The webhook's host resolves to an address of this network (loopback, private, link-local…)."""


def public_addresses(url: str) -> list[str]:
    """The addresses the webhook's host resolves to, IPv4 first and otherwise in the resolver's order,
    when every one of them is on the internet."""
    host = urlsplit(url).hostname or ""
    try:
        found = list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, None)))
    except (socket.gaierror, UnicodeError) as exc:
        raise NotOnTheInternet(f"{host!r} does not resolve") from exc
    private = [a for a in found if not ipaddress.ip_address(a.split("%")[0]).is_global]
    if not found or private:
        raise NotOnTheInternet(f"{host!r} resolves to {', '.join(private) or 'nothing'}, not the internet")
    return sorted(found, key=lambda address: ":" in address)  # stable: IPv6 after IPv4, each in order


def pinned(url: str, address: str) -> tuple[str, str]:
    """``url`` with its host replaced by ``address``, and the Host header that names the original host."""
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    port = f":{parts.port}" if parts.port else ""
    host_header = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    return urlunsplit(parts._replace(netloc=f"{literal}{port}")), f"{host_header}{port}"


class _NamedHost(HTTPAdapter):
    """Connects to an address, but speaks TLS to the host name: SNI and the certificate check use it."""

    def __init__(self, hostname: str):
        self._hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, server_hostname=self._hostname,
                                 assert_hostname=self._hostname, **pool_kwargs)


class WebhookClient:
    def __init__(self, timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT), internet_only: bool = False):
        self.timeout = timeout
        self.internet_only = internet_only
        self._session = requests.Session()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The receiver's HTTP status; a network failure, a timeout or (``internet_only``) a host of
        this network raises (requests' errors)."""
        if not self.internet_only:
            return self._post(self._session, url, body, headers)
        unreachable: requests.ConnectionError | None = None
        with requests.Session() as session:  # its own: the pool is for this host's checked addresses only
            session.mount("https://", _NamedHost(urlsplit(url).hostname or ""))
            for address in public_addresses(url):  # as a browser would: the next one if one cannot be reached
                target, host_header = pinned(url, address)
                try:
                    # Straight to the checked address: a proxy from the environment would look the name up again.
                    return self._post(session, target, body, {**headers, "Host": host_header}, direct=True)
                except requests.ConnectionError as exc:
                    unreachable = exc
        assert unreachable is not None  # public_addresses gives at least one
        raise unreachable

    def _post(self, session: requests.Session, url: str, body: bytes, headers: dict[str, str],
              direct: bool = False) -> int:
        response = session.post(url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False,
                                proxies={"http": None, "https": None} if direct else None)  # type: ignore[dict-item]
        response.close()
        return response.status_code
