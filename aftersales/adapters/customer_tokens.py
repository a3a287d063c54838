"""Signed customer tokens: the shop's app backend mints one for the logged-in shopper and the chat
widget passes it as message metadata (``customer_token``). The action server trusts nothing else
about who the shopper is."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime, timedelta

import jwt

ISSUER = "aftersales"
AUDIENCE = "aftersales-chat"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


def mint(secret: str, customer_id: str, ttl_minutes: int = 120, now: datetime | None = None,
         shop_id: str | None = None) -> str:
    if not customer_id or len(customer_id) > 64:
        raise ValueError("customer id must be 1–64 characters")
    issued = now or datetime.now(UTC)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": customer_id, "iat": issued,
              "exp": issued + timedelta(minutes=ttl_minutes)}
    if shop_id:
        claims["shop"] = shop_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str | None) -> str:
    """The customer id in a valid token; InvalidToken for anything else (missing, forged, expired)."""
    if not token or not isinstance(token, str) or len(token) > 4096:
        raise InvalidToken("no token")
    try:
        customer, expires = _verified(secret, token)
        if time.time() < expires:
            return customer
        # Past its exp: jwt decides (it allows the leeway, then refuses), as for a token never seen.
        return _decode(secret, token)[0]
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None


def _decode(secret: str, token: str) -> tuple[str, float]:
    """The customer and the expiry of a token jwt accepts now; jwt's error otherwise."""
    claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                        options={"require": ["exp", "iat", "sub"]}, leeway=30)
    return str(claims["sub"]), float(claims["exp"])


# The chat's token comes with every message, and each action asks who the shopper is once or twice:
# decoding it each time was 7 % of the action server's CPU. A token jwt accepted stays acceptable
# until its exp (its signature, audience, issuer and issue time do not change, and a token valid at
# its issue time is valid later); only the expiry needs checking again. Refusals are not kept.
_verified = functools.lru_cache(maxsize=1024)(_decode)
