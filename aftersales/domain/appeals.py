"""申诉 — an appeal of a rejected request (seed 002 §4.2–4.3). A shopper whose request the merchant
turned down can have it reviewed a second time, with more evidence (a fuller description,
screenshots to follow, proof the goods are unused) or with an alternative outcome the shop may accept
instead (the amount to the account balance rather than back to the card). The appeal is a case of its
own, linked to the first; approving it carries out what the first asked for. When the second review
rejects it too, the shopper is told the routes outside the shop (the profile's ``outside_routes``).

``assess`` says whether the order's latest rejected request can be appealed now and, if not, why;
``parse_details`` reads the shopper's one message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from aftersales.domain.lifecycles import Resolution, TicketStatus
from aftersales.domain.model import PaymentChannel
from aftersales.domain.profile import AppealRules, PolicyProfile

APPEAL_KIND = "appeal"
REFUND_TO_BALANCE = "refund_to_balance"
# What approving a case carries out (its pending action) that pays money back, so that the money can go
# to the balance instead.
_PAYING_ACTIONS = frozenset({"cancel", "refund_items"})


class Verdict(StrEnum):
    OPEN = "open"                      # ask for the new evidence (or the alternative), then open the appeal
    NOTHING_REJECTED = "nothing_rejected"  # no request of this order was turned down: nothing to appeal
    UNDER_REVIEW = "under_review"      # its appeal is with the merchant now
    APPROVED = "approved"              # its appeal was approved (and carried out)
    EXHAUSTED = "exhausted"            # appealed as often as the policy allows: the routes outside the shop
    WINDOW_CLOSED = "window_closed"    # the rejection is older than the policy's days
    ORDER_MOVED_ON = "order_moved_on"  # a cancellation of an order that has moved on since (shipped, card sent)


@dataclass(frozen=True)
class CaseView:
    """A case of the order, as much as the appeal rule reads."""

    ticket_no: str
    kind: str
    status: str
    resolution: str | None
    decided_at: datetime | None  # when it was resolved (its last change)
    action: str | None = None  # what approving it carries out (pending_action.action)
    order_state: str | None = None  # a cancellation's: the order's state when it was asked
    appeal_of: str | None = None  # an appeal's: the case it appeals


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    case: CaseView | None = None  # the rejected case in question
    appeal: CaseView | None = None  # its latest appeal
    alternatives: tuple[str, ...] = ()
    ends_at: datetime | None = None  # until when it can be appealed


def assess(cases: Sequence[CaseView], order_state: str, channel: PaymentChannel | None, now: datetime,
           profile: PolicyProfile) -> Assessment:
    """The order's most recent rejected request of a kind the policy lets be appealed, and whether it
    can be appealed now."""
    rules = profile.appeals
    rejected = [c for c in cases if c.kind in rules.kinds and c.resolution == Resolution.REJECTED]
    if not rejected:
        return Assessment(Verdict.NOTHING_REJECTED)
    case = max(rejected, key=lambda c: (c.decided_at or datetime.min.replace(tzinfo=now.tzinfo)))
    appeals = [c for c in cases if c.kind == APPEAL_KIND and c.appeal_of == case.ticket_no]
    latest = appeals[-1] if appeals else None
    ends = case.decided_at + timedelta(days=rules.within_days) if case.decided_at else None
    found = Assessment(Verdict.OPEN, case, latest, ends_at=ends)
    if latest is not None and latest.status != TicketStatus.RESOLVED:
        return _with(found, Verdict.UNDER_REVIEW)
    if latest is not None and latest.resolution == Resolution.APPROVED:
        return _with(found, Verdict.APPROVED)
    # An appeal the shopper withdrew was never decided: it uses up no round.
    if len([a for a in appeals if a.resolution != Resolution.WITHDRAWN]) >= rules.per_case:
        return _with(found, Verdict.EXHAUSTED)
    if ends is not None and now > ends:
        return _with(found, Verdict.WINDOW_CLOSED)
    if case.action == "cancel" and case.order_state not in (None, order_state):
        return _with(found, Verdict.ORDER_MOVED_ON)
    return Assessment(Verdict.OPEN, case, latest, alternatives(case, channel, profile), ends)


def alternatives(case: CaseView, channel: PaymentChannel | None, profile: PolicyProfile) -> tuple[str, ...]:
    """What the shopper may take instead of the first request as asked: the money to the account
    balance, where the request pays money back to another channel and the profile offers the balance."""
    offered = REFUND_TO_BALANCE in profile.appeals.alternatives and profile.refund_to_balance
    paying = case.action in _PAYING_ACTIONS and channel not in (None, PaymentChannel.BALANCE)
    return (REFUND_TO_BALANCE,) if offered and paying else ()


def _with(found: Assessment, verdict: Verdict) -> Assessment:
    return Assessment(verdict, found.case, found.appeal, (), found.ends_at)


def routes_after(rules: AppealRules) -> list[dict[str, str | None]]:
    """The routes outside the shop, as data for the words (the notification's payload)."""
    return [{"route": r.route, "contact": r.contact} for r in rules.outside_routes]


class Missing(StrEnum):
    DESCRIPTION = "description"  # too little said for a second review
    TOO_LONG = "too_long"


MAX_CHARS = 500
_PHOTOS = re.compile(r"照片|图片|截图|截屏|视频|拍照|拍了|photo|picture|screenshot|video|image", re.IGNORECASE)


@dataclass(frozen=True)
class Details:
    text: str
    photos_follow: bool = False  # they name photos, screenshots or a video (sent afterwards, to the merchant)


def parse_details(raw: str) -> Details | Missing:
    """The shopper's new evidence in one message. Whether they take the balance instead is their
    button's choice, never read from their words ("我不要退到余额" names the balance too)."""
    text = " ".join(str(raw).split())
    if len(text) > MAX_CHARS:
        return Missing.TOO_LONG
    if sum(1 for ch in text if ch.isalnum()) < 2:
        return Missing.DESCRIPTION
    return Details(text, bool(_PHOTOS.search(text)))
