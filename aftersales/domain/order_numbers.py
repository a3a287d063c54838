"""Order numbers as platforms print them and as shoppers type them.

A platform prints 10–20 digits, optionally behind a short letter prefix (``P…``, ``KS…``). Shoppers
paste them with spaces or dashes, type them with a full-width IME, or bury them in a sentence
("订单号 KS 2024-0521-8899-01 还没发货"). Everything that accepts an order number goes through
:func:`normalize` so that one order has one spelling.
"""

from __future__ import annotations

import re
import unicodedata

_CANONICAL = re.compile(r"[A-Z]{0,3}[0-9]{10,20}")
# Separators shoppers put between digit groups: spaces (incl. ideographic), dashes of every kind.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_·.]")
# In free text: an optional 1–3 letter prefix glued to (or one space before) a run of digits in
# which single separators may appear. Look-arounds, not \b: in "订单1234567890" there is no word
# boundary between 单 and 1 for Python's Unicode-aware \b.
_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(?:([A-Za-z]{1,3}) ?)?([0-9](?:[ \-‐‑‒–—_]?[0-9]){9,19})(?![0-9])"
)


def normalize(raw: str | None) -> str | None:
    """The canonical spelling of an order number, or None if ``raw`` is not one."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).strip().upper()
    text = _SEPARATORS.sub("", text)
    return text if _CANONICAL.fullmatch(text) else None


def find_in_text(text: str | None) -> list[str]:
    """Every order number mentioned in ``text``, canonical and in order of appearance, without repeats."""
    if not text:
        return []
    found: list[str] = []
    for match in _IN_TEXT.finditer(unicodedata.normalize("NFKC", text)):
        prefix, digits = match.group(1) or "", match.group(2)
        candidate = normalize(prefix + digits)
        if candidate is None and prefix:
            candidate = normalize(digits)
        if candidate and candidate not in found:
            found.append(candidate)
    return found


def looks_like_attempt(text: str | None) -> bool:
    """True when ``text`` contains a digit run that a shopper probably meant as an order number
    but that is too short or too long to be one (so the bot can say what is wrong with it)."""
    if not text:
        return False
    digits = re.findall(r"[0-9]{5,}", _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)))
    return any(len(d) < 10 or len(d) > 20 for d in digits)
