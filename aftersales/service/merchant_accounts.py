"""The merchants who work the inbox: their accounts, signing in (with a lock-out after a run of wrong
passwords), the language each reads the inbox in, and who works which shop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.service.base import utcnow
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.unit_of_work import UnitOfWork

LANGUAGES = ("zh", "en")  # the inbox's languages; zh first, the default
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class MerchantAccounts:
    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.clock = clock

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    def create_merchant(self, email: str, display_name: str, password: str, shop_ids: list[str]) -> dict[str, Any]:
        email = email.strip().lower()
        if "@" not in email or len(password) < 10:
            raise InvalidInput("a merchant needs an e-mail address and a password of at least 10 characters")
        with self._uow() as uow:
            shops = [uow.session.get(t.Shop, shop_id) for shop_id in shop_ids]
            if not shops or any(shop is None for shop in shops):
                raise InvalidInput(f"unknown shop among {shop_ids}")
            if uow.session.scalar(select(t.Merchant).where(t.Merchant.email == email)) is not None:
                raise Conflict(f"a merchant with e-mail {email} exists")
            merchant = t.Merchant(email=email, display_name=display_name[:100], password_hash=_hasher.hash(password),
                                  failed_logins=0, created_at=self.clock(), shops=shops)
            uow.add(merchant)
            uow.flush()
            result = _merchant_dict(merchant)
            uow.commit()
        return result

    def authenticate(self, email: str, password: str) -> dict[str, Any] | None:
        """The merchant, or None for a wrong e-mail or password — or a sign-in locked after
        MAX_FAILED_LOGINS failures in a row (for LOCKOUT; the right password does not open it)."""
        now = self.clock()
        with self._uow() as uow:
            merchant = uow.session.scalar(select(t.Merchant).where(t.Merchant.email == email.strip().lower())
                                          .with_for_update())
            try:
                _hasher.verify(merchant.password_hash if merchant else _DUMMY_HASH, password)
                verified = True
            except (VerificationError, InvalidHashError):
                verified = False
            if merchant is None:
                return None
            if merchant.locked_until is not None and merchant.locked_until > now:
                return None
            if not verified:
                merchant.failed_logins += 1
                if merchant.failed_logins >= MAX_FAILED_LOGINS:
                    merchant.failed_logins, merchant.locked_until = 0, now + LOCKOUT
                    uow.audit(now, f"merchant:{merchant.email}", "sign_in_locked", "merchant", merchant.id)
                uow.commit()
                return None
            merchant.failed_logins, merchant.locked_until = 0, None
            if _hasher.check_needs_rehash(merchant.password_hash):
                merchant.password_hash = _hasher.hash(password)
            result = _merchant_dict(merchant)
            uow.commit()
        return result

    def set_language(self, merchant_id: int, language: str) -> dict[str, Any]:
        """The language the merchant reads the inbox in (LANGUAGES)."""
        if language not in LANGUAGES:
            raise InvalidInput(f"the inbox speaks {', '.join(LANGUAGES)}")
        now = self.clock()
        with self._uow() as uow:
            merchant = uow.session.get(t.Merchant, merchant_id)
            if merchant is None:
                raise NotFound(str(merchant_id))
            if merchant.language != language:
                before = {"language": merchant.language}
                merchant.language = language
                uow.audit(now, f"merchant:{merchant.email}", "merchant_language_changed", "merchant", str(merchant.id),
                          before, {"language": language})
            result = _merchant_dict(merchant)
            uow.commit()
        return result

    def merchant(self, merchant_id: int) -> dict[str, Any] | None:
        with self._uow() as uow:
            merchant = uow.session.get(t.Merchant, merchant_id)
            return _merchant_dict(merchant) if merchant else None

    def teammates(self, shop_ids: set[str]) -> list[dict[str, Any]]:
        """The merchants who work at least one of these shops, to assign cases to; each with only
        those of its shops that are among ``shop_ids`` (a colleague's other shops are not shown)."""
        with self._uow() as uow:
            ids = select(t.merchant_shops.c.merchant_id).where(t.merchant_shops.c.shop_id.in_(shop_ids))
            merchants = uow.session.scalars(select(t.Merchant).where(t.Merchant.id.in_(ids))
                                            .order_by(t.Merchant.display_name, t.Merchant.id)).all()
            return [{"id": m.id, "email": m.email, "display_name": m.display_name,
                     "shop_ids": [s.id for s in m.shops if s.id in shop_ids]} for m in merchants]


def _merchant_dict(merchant: t.Merchant) -> dict[str, Any]:
    return {"id": merchant.id, "email": merchant.email, "display_name": merchant.display_name,
            "language": merchant.language or "zh",
            "shop_ids": [s.id for s in merchant.shops], "shops": [{"id": s.id, "name": s.name} for s in merchant.shops]}

