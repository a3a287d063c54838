"""Order numbers as platforms print them and as shoppers type them.

A platform prints 10–20 digits, optionally behind a short letter prefix (``P…``, ``KS…``). Shoppers
paste them with spaces or dashes, type them with a full-width IME, or bury them in a sentence
("订单号 KS 2024-0521-8899-01 还没发货"). A courier's tracking number in the same message is not one
(aftersales.domain.parcels). Everything that accepts an order number goes through
:func:`normalize` so that one order has one spelling.
"""

from __future__ import annotations

import re
import unicodedata

from aftersales.domain import parcels

_CANONICAL = re.compile(r"[A-Z]{0,3}[0-9]{10,20}")
# Separators shoppers put between digit groups: spaces (incl. ideographic), dashes of every kind.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_·.]")
# In free text: an optional 1–3 letter prefix glued to the digits ("p2026…", "KS2026…") or, in
# capitals as platforms print it, one space before them ("KS 2026…"), then a run of digits in which
# single separators may appear. A lower-case word before a space is a word: "invoice for 6150…",
# "order no 8023…". Look-arounds, not \b: in "订单1234567890" there is no word boundary between 单
# and 1 for Python's Unicode-aware \b.
_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(?:([A-Za-z]{1,3})(?=[0-9])|([A-Z]{1,3}) )?([0-9](?:[ \-‐‑‒–—_]?[0-9]){9,19})(?![0-9])"
)
_WORD_BEFORE_NUMBER = re.compile(r"\s*[a-z]{2,3}\s")


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
    normalized = unicodedata.normalize("NFKC", text)
    # A courier's tracking number ("顺丰 SF1234…", "运单号 7512…") is the parcel's, not the order's.
    taken = [(p.start, p.end) for p in parcels.find_all(normalized)]
    for match in _IN_TEXT.finditer(normalized):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        prefix, digits = match.group(1) or match.group(2) or "", match.group(3)
        candidate = normalize(prefix + digits)
        if candidate is None and prefix:
            candidate = normalize(digits)
        if candidate and candidate not in found:
            found.append(candidate)
    return found


def parse_answer(text: str | None) -> str | None:
    """The order number a shopper's message gives: the whole message when it is one ("p 2026-1121…"),
    else the first one mentioned in it ("the order for 6150339271846")."""
    whole = normalize(text)
    if whole and parcels.find(text) is not None:
        whole = None  # "SF1234567890": a courier's prefix
    if whole and not _WORD_BEFORE_NUMBER.match(text or ""):
        return whole
    return next(iter(find_in_text(text)), None) or whole


def looks_like_attempt(text: str | None) -> bool:
    """True when ``text`` contains a digit run that a shopper probably meant as an order number
    but that is too short or too long to be one (so the bot can say what is wrong with it)."""
    if not text:
        return False
    digits = re.findall(r"[0-9]{5,}", _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)))
    return any(len(d) < 10 or len(d) > 20 for d in digits)
