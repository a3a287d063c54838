"""A shop's webhook for new urgent cases (a refund that failed or got no answer): optional, set by
the shop's merchant in the inbox's settings (or `aftersales shops webhook`), with a signing secret
of the shop's own that the inbox shows them.

Opening an urgent case queues a call in the same transaction (UnitOfWork.announce, from open_case);
the worker posts it afterwards (`WebhookDispatcher`, the outbox lease of service.outbox) — never
while the case's transaction is open, with a timeout on every request, retried with backoff on
anything but a 2xx answer. At least once: a receiver tells repeats apart by `delivery_id` (also in
the `X-Aftersales-Delivery` header).

The body is JSON (UTF-8); `X-Aftersales-Signature: sha256=<hex>` is HMAC-SHA256 of the body's bytes
with the shop's secret. A receiver checks it before trusting anything in the body:

    expected = "sha256=" + hmac.new(secret.encode(), request_body, hashlib.sha256).hexdigest()
    hmac.compare_digest(expected, request.headers["X-Aftersales-Signature"])"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain.lifecycles import NotificationStatus
from aftersales.service.base import utcnow
from aftersales.service.errors import InvalidInput, NotFound
from aftersales.service.outbox import LeasedOutbox
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import iso

SIGNATURE_HEADER = "X-Aftersales-Signature"
MAX_URL = 1000


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_url(url: str, allow_http: bool) -> str:
    """An https:// address of a host on the internet; http:// and this machine too in development."""
    url = url.strip()
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if len(url) > MAX_URL or parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise InvalidInput("the webhook needs an https:// address" + (" (or http:// here)" if allow_http else ""))
    if not allow_http:
        host = parts.hostname.lower()
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if host == "localhost" or host.endswith(".localhost") or (address is not None and not address.is_global):
            raise InvalidInput("the webhook must be an address on the internet, not this network's")
    return url


class Poster(Protocol):
    """adapters.webhook_client.WebhookClient."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int: ...


class ShopWebhooks:
    """The merchant's settings: a shop's webhook address and secret, and its recent calls."""

    def __init__(self, session_factory: sessionmaker[Session], allow_http: bool,
                 clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.allow_http = allow_http
        self.clock = clock

    def shops(self, shop_ids: set[str]) -> list[dict[str, Any]]:
        with UnitOfWork(self._sessions, read_only=True) as uow:
            shops = uow.session.scalars(select(t.Shop).where(t.Shop.id.in_(shop_ids)).order_by(t.Shop.id)).all()
            recent = uow.session.scalars(select(t.WebhookDelivery).where(t.WebhookDelivery.shop_id.in_(shop_ids))
                                         .order_by(t.WebhookDelivery.id.desc()).limit(50)).all()
            return [{"id": shop.id, "name": shop.name, "url": shop.urgent_webhook_url,
                     "secret": shop.urgent_webhook_secret,
                     "deliveries": [{"id": d.id, "event": d.event, "status": d.status, "attempts": d.attempts,
                                     "ticket_no": (d.payload.get("case") or {}).get("ticket_no"),
                                     "response_status": d.response_status, "created_at": iso(d.created_at),
                                     "sent_at": iso(d.sent_at)}
                                    for d in recent if d.shop_id == shop.id][:5]}
                    for shop in shops]

    def set(self, shop_id: str, url: str | None, shop_ids: set[str], actor: str,
            new_secret: bool = False) -> dict[str, Any]:
        """The shop's webhook address (None or empty: none). A secret is made with the first address
        and again when asked for (the receiver must then check with the new one)."""
        if shop_id not in shop_ids:
            raise NotFound(shop_id)
        address = check_url(url, self.allow_http) if url and url.strip() else None
        now = self.clock()
        with UnitOfWork(self._sessions) as uow:
            shop = uow.session.get(t.Shop, shop_id, with_for_update=True)
            if shop is None:
                raise NotFound(shop_id)
            before = {"url": shop.urgent_webhook_url}
            shop.urgent_webhook_url = address
            if address is None:
                shop.urgent_webhook_secret = None
            elif new_secret or not shop.urgent_webhook_secret:
                shop.urgent_webhook_secret = secrets.token_hex(32)
            uow.audit(now, actor, "shop_webhook_set", "shop", shop_id, before,
                      {"url": address, "new_secret": bool(address) and (new_secret or before["url"] is None)})
            result = {"url": shop.urgent_webhook_url, "secret": shop.urgent_webhook_secret}
            uow.commit()
        return result


@dataclass
class WebhookReport:
    sent: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class WebhookDispatcher:
    def __init__(self, session_factory: sessionmaker[Session], client: Poster, clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.client = client
        self.clock = clock

    @property
    def outbox(self) -> LeasedOutbox:
        return LeasedOutbox(self._sessions, t.WebhookDelivery, lambda row: {
            "shop_id": row.shop_id, "event": row.event, "payload": dict(row.payload),
            "created_at": iso(row.created_at)}, self.clock)

    def dispatch(self, limit: int = 20) -> WebhookReport:
        """Post what is due, oldest first, each with no transaction open."""
        report = WebhookReport()
        outbox = self.outbox
        for row in outbox.claim(None, limit):
            with UnitOfWork(self._sessions, read_only=True) as uow:
                shop = uow.session.get(t.Shop, row["shop_id"])
                url, secret = (shop.urgent_webhook_url, shop.urgent_webhook_secret) if shop else (None, None)
            if not url or not secret:
                outbox.record(row, NotificationStatus.FAILED, last_error="the shop no longer has a webhook")
                report.failed.append(row["id"])
                continue
            body = json.dumps({**row["payload"], "delivery_id": row["id"], "created_at": row["created_at"]},
                              ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "aftersales-webhook/1",
                       "X-Aftersales-Event": row["event"], "X-Aftersales-Delivery": str(row["id"]),
                       SIGNATURE_HEADER: sign(secret, body)}
            try:
                status = self.client.post(url, body, headers)
            except Exception as exc:  # noqa: BLE001 - a network failure or a timeout: tried again later
                gave_up = outbox.failed(row, f"{exc.__class__.__name__}: {exc}")
                (report.failed if gave_up else report.waiting).append(row["id"])
                continue
            if 200 <= status < 300:
                outbox.sent(row, response_status=status)
                report.sent.append(row["id"])
            else:
                gave_up = outbox.failed(row, f"HTTP {status}", response_status=status)
                (report.failed if gave_up else report.waiting).append(row["id"])
        return report
