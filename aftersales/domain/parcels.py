"""Parcels a shopper names in a message — the courier's tracking number (运单号) and, when it can be
told, the carrier — and what a return's parcel may be told now.

A tracking number looks like an order number: letters, then ten or more digits. It is one when a
courier's prefix says so ("SF1234567890", "JT0001234567890"), or when the words just before it do
("快递单号 7512…", "顺丰 2345…", "tracking no. 9876…"). Everything else stays an order number, so
aftersales.domain.order_numbers leaves out the spans found here. A message that is only a number is
a tracking number only where the bot asked for one (parse_answer).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from aftersales.domain.lifecycles import ReturnStatus

# The carriers shoppers name, as they name them → the name the merchant reads. Longer names first,
# so "京东物流" wins over "京东".
_CARRIER_NAMES: tuple[tuple[str, str], ...] = (
    ("顺丰速运", "顺丰速运"), ("顺丰", "顺丰速运"), ("sf express", "顺丰速运"),
    ("中通快递", "中通快递"), ("中通", "中通快递"), ("zto", "中通快递"),
    ("圆通速递", "圆通速递"), ("圆通", "圆通速递"), ("yto", "圆通速递"),
    ("韵达快递", "韵达快递"), ("韵达", "韵达快递"), ("yunda", "韵达快递"),
    ("申通快递", "申通快递"), ("申通", "申通快递"), ("sto express", "申通快递"),
    ("极兔速递", "极兔速递"), ("极兔", "极兔速递"), ("j&t", "极兔速递"),
    ("京东快递", "京东物流"), ("京东物流", "京东物流"), ("jd logistics", "京东物流"),
    ("德邦快递", "德邦快递"), ("德邦", "德邦快递"),
    ("中国邮政", "中国邮政"), ("邮政", "中国邮政"), ("ems", "中国邮政"), ("china post", "中国邮政"),
)
# Prefixes couriers print before their digits.
_PREFIXES = {"SF": "顺丰速运", "JT": "极兔速递", "YT": "圆通速递", "JD": "京东物流", "JDV": "京东物流",
             "JDX": "京东物流", "JDK": "京东物流", "DPK": "德邦快递"}
# Words that say the next number is a parcel's. "订单号" is not one of them (单号 alone is too vague).
_CUES = re.compile(r"(快递单号|快递号|运单号|运单|物流单号|物流号|退货单号|寄回单号|面单号|"
                   r"tracking(?: number| no\.?| #)?|waybill|awb)\s*[:：#]?\s*(?:是|为|is)?\s*$",
                   re.IGNORECASE)
# Letters (a courier's prefix glued to the digits, or one space before them; other letters before a
# space only in capitals — a lower-case word before a space is a word: "number is 9876…"), then 8–22
# digits with single spaces or dashes of any kind between them (as order numbers are typed,
# aftersales.domain.order_numbers); or a postal item number ("EA123456789CN").
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}[0-9]{9}[A-Za-z]{2})(?![A-Za-z0-9])"
                        r"|(?<![A-Za-z0-9])(?:([A-Za-z]{1,4})(?=[0-9])|([A-Z]{1,4}|(?i:sf|jt|yt|jd[vxk]?|dpk)) )?"
                        r"([0-9](?:[ \-‐‑‒–—_]?[0-9]){7,21})(?![0-9])")
_POSTAL = "postal"  # an international postal item number: EMS's
# How far before a number its cue or carrier may stand: "顺丰 SF…", "运单号是：…", "tracking number is …".
_CUE_WINDOW = 24


@dataclass(frozen=True)
class Parcel:
    tracking_no: str  # upper case, no spaces
    carrier: str | None  # the merchant's name for it, when the message or the prefix says which
    start: int  # where it stands in the normalized text
    end: int


def _normalized(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def carrier_named(text: str) -> str | None:
    lowered = _normalized(text).lower()
    for name, carrier in _CARRIER_NAMES:
        if re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", lowered):
            return carrier
    return None


def _candidates(text: str) -> Iterable[tuple[str, str, int, int]]:
    """(prefix, tracking number, start, end) of each number shaped like a parcel's."""
    for match in _CANDIDATE.finditer(text):
        if match.group(1):
            yield _POSTAL, match.group(1).upper(), match.start(), match.end()
        else:
            prefix = (match.group(2) or match.group(3) or "").upper()
            digits = re.sub(r"[ \-‐‑‒–—_]", "", match.group(4))
            yield prefix, prefix + digits, match.start(), match.end()


def find_all(text: str | None) -> list[Parcel]:
    """The parcels ``text`` names: numbers a courier's prefix or the words before them mark."""
    if not text:
        return []
    text = _normalized(text)
    found: list[Parcel] = []
    for prefix, number, start, end in _candidates(text):
        before = text[max(0, start - _CUE_WINDOW):start]
        named = carrier_named(before)
        if prefix == _POSTAL:
            found.append(Parcel(number, "中国邮政", start, end))
        elif prefix in _PREFIXES:
            found.append(Parcel(number, named or _PREFIXES[prefix], start, end))
        elif prefix and not _CUES.search(before) and not named:
            continue  # a prefix of no courier's (an order number's "P", "KS")
        elif _CUES.search(before) or (named and _near_end(before, named)):
            found.append(Parcel(number, named or carrier_named(text), start, end))
    return found


def _near_end(before: str, carrier: str) -> bool:
    """The carrier's name stands right before the number ("顺丰 1234…", "中通快递：7512…"), not somewhere
    earlier in the sentence."""
    lowered = before.lower()
    names = [name for name, canonical in _CARRIER_NAMES if canonical == carrier and name in lowered]
    last = max(lowered.rfind(name) + len(name) for name in names)
    return len(lowered[last:].strip(" :：,，是为")) == 0


def find(text: str | None) -> Parcel | None:
    return next(iter(find_all(text)), None)


def parse_answer(text: str | None) -> Parcel | None:
    """The parcel a shopper names when asked for one: marked as above, or a message that is only a
    number ("7512 3456 7890", "SF1234567890。")."""
    marked = find(text)
    if marked is not None or not text:
        return marked
    stripped = _normalized(text).strip().rstrip(".。!！")
    candidates = list(_candidates(stripped))
    if len(candidates) == 1:
        prefix, number, start, end = candidates[0]
        if prefix and prefix != _POSTAL and prefix not in _PREFIXES:
            return None  # "P2026…", "KS2026…": an order number's prefix, not a courier's
        rest = (stripped[:start] + stripped[end:]).strip(" ,，:：")
        carrier = carrier_named(rest) if rest else None
        # Nothing else, or only the carrier's name ("中通 7512…", "顺丰的") — not a sentence about an order.
        if not rest or (carrier is not None and len(rest) <= 8 and "订单" not in rest and "order" not in rest.lower()):
            return Parcel(number, carrier or _PREFIXES.get(prefix) or ("中国邮政" if prefix == _POSTAL else None),
                          start, end)
    return None


# How a return comes back (return_requests.method): by post, as a refused delivery, or not at all.
SHIP_BACK = "ship_back"


class ReturnParcelVerdict(StrEnum):
    """What the shopper's parcel for a return can be told, by the return's state."""

    AWAITED = "awaited"            # authorized to come back by post: the tracking number is recorded
    UNDER_REVIEW = "under_review"  # the merchant has not decided yet: the address comes with approval
    NOT_NEEDED = "not_needed"      # a refund without return, or a refused delivery: nothing to send
    RECEIVED = "received"          # the shop has it back already
    CLOSED = "closed"              # rejected or withdrawn: nothing to send
    NO_RETURN = "no_return"        # the order has no return or exchange


def return_parcel_verdict(status: str | None, method: str | None) -> ReturnParcelVerdict:
    """``status`` and ``method`` of the order's newest return (None when there is none)."""
    if status is None:
        return ReturnParcelVerdict.NO_RETURN
    if method != SHIP_BACK:
        return ReturnParcelVerdict.NOT_NEEDED
    return {ReturnStatus.REQUESTED: ReturnParcelVerdict.UNDER_REVIEW,
            ReturnStatus.AUTHORIZED: ReturnParcelVerdict.AWAITED,
            ReturnStatus.REJECTED: ReturnParcelVerdict.CLOSED,
            ReturnStatus.WITHDRAWN: ReturnParcelVerdict.CLOSED,
            }.get(ReturnStatus(status), ReturnParcelVerdict.RECEIVED)
