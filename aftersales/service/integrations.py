"""A shop's order system as a client of ours: a bearer token per integration, of which only the
SHA-256 is stored; the token names the one shop whose orders and events it may send."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.service.base import utcnow
from aftersales.service.errors import NotFound
from aftersales.service.unit_of_work import UnitOfWork


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IntegrationsService:
    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.clock = clock

    def add(self, shop_id: str, name: str = "order system") -> str:
        """A new integration for the shop; returns its token, which is shown this once."""
        token = "asi_" + secrets.token_urlsafe(32)
        with UnitOfWork(self._sessions) as uow:
            if uow.shops.get(shop_id) is None:
                raise NotFound(f"no shop {shop_id!r}")
            uow.add(t.Integration(shop_id=shop_id, name=name[:100], token_sha256=_digest(token),
                                  created_at=self.clock()))
            uow.audit(self.clock(), "system:cli", "integration_added", "shop", shop_id, after={"name": name[:100]})
            uow.commit()
        return token

    def shop_for(self, token: str) -> str | None:
        """The shop a token speaks for; None for an unknown or revoked one."""
        if not token:
            return None
        with UnitOfWork(self._sessions, read_only=True) as uow:
            row = uow.session.scalars(select(t.Integration).where(t.Integration.token_sha256 == _digest(token),
                                                                  t.Integration.revoked_at.is_(None))).one_or_none()
            return row.shop_id if row is not None else None
