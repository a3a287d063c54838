"""Cases the merchant settles, collected by the bot with what the merchant needs: an invoice (the
title, the tax number, electronic or paper), a repair (the fault, inside the warranty), a missing,
wrong or damaged item (what is wrong and what the shopper wants: a reissue or that item's money),
a delivery time (before shipment, the wish; after, what the courier can do), and a parcel shown as
delivered that the shopper never got (显示签收但没收到: the merchant asks the courier where it went —
a logistics investigation; if it never reached the shopper, the merchant's approval refunds it).

``assess`` says whether a case can be opened for the order now and, if not, why; ``parse_details``
turns the shopper's one message into the case's fields or names what is missing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from aftersales.domain.model import SHIPPING_STATES, Fulfillment, OrderState, OrderView
from aftersales.domain.profile import PolicyProfile


class Topic(StrEnum):
    INVOICE = "invoice"
    REPAIR = "repair"
    MISSING_ITEM = "missing_item"
    DELIVERY_TIME = "change_delivery_time"
    NOT_RECEIVED = "not_received"

    @property
    def case_kind(self) -> str:
        """The kind of the merchant's case (named after the thing, not the shopper's intent)."""
        return {Topic.DELIVERY_TIME: "delivery_time", Topic.NOT_RECEIVED: "logistics_investigation"}.get(self,
                                                                                                      self.value)


class Verdict(StrEnum):
    OPEN = "open"                          # ask the details, then open the case
    NOT_PAID = "not_paid"                  # invoice: issued for what was paid
    CLOSED = "closed"                      # cancelled or returned: nothing to invoice, repair or deliver
    NOT_DELIVERED = "not_delivered"        # repair, missing items: once it has arrived
    NO_WARRANTY = "no_warranty"            # this kind of goods carries none (fresh, virtual)
    WARRANTY_EXPIRED = "warranty_expired"
    WINDOW_CLOSED = "window_closed"        # missing items: reported within the after-sales window
    IN_DELIVERY = "in_delivery"            # delivery time: the courier has it now
    DELIVERED = "delivered"                # delivery time: it already arrived
    NOT_SHIPPED_GOODS = "not_shipped_goods"  # delivery time, not received: virtual goods travel by no courier


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    ends_at: datetime | None = None  # the warranty's or the window's end
    delay_hours: int | None = None  # delivery time: how long the shop may hold the shipment


def assess(topic: Topic, order: OrderView, now: datetime, profile: PolicyProfile) -> Assessment:
    state = order.state
    if state in (OrderState.CANCELLED, OrderState.RETURNED) or not order.active_items:
        return Assessment(Verdict.CLOSED)
    if topic is Topic.INVOICE:
        return Assessment(Verdict.NOT_PAID if state is OrderState.PENDING_PAYMENT else Verdict.OPEN)
    if topic is Topic.DELIVERY_TIME:
        if order.fulfillment is Fulfillment.VIRTUAL:
            return Assessment(Verdict.NOT_SHIPPED_GOODS)
        if state in (OrderState.PENDING_PAYMENT, OrderState.PAID):
            return Assessment(Verdict.OPEN, delay_hours=profile.delivery_delay_max_hours)
        return Assessment(Verdict.IN_DELIVERY if state in SHIPPING_STATES else Verdict.DELIVERED)
    if topic is Topic.NOT_RECEIVED and order.fulfillment is Fulfillment.VIRTUAL:
        return Assessment(Verdict.NOT_SHIPPED_GOODS)
    if order.delivered_at is None or state in SHIPPING_STATES:
        return Assessment(Verdict.NOT_DELIVERED)
    if topic in (Topic.MISSING_ITEM, Topic.NOT_RECEIVED):  # reported within the after-sales window
        ends = order.delivered_at + timedelta(days=profile.return_window_days)
        return Assessment(Verdict.OPEN if now <= ends else Verdict.WINDOW_CLOSED, ends)
    # Repair: the shortest warranty among the order's goods decides (one kind per order, in practice).
    days = [profile.warranty_days.get(item.goods_type) for item in order.active_items]
    if order.fulfillment is Fulfillment.VIRTUAL or any(d is None for d in days):
        return Assessment(Verdict.NO_WARRANTY)
    ends = order.delivered_at + timedelta(days=min(d for d in days if d is not None))
    return Assessment(Verdict.OPEN if now <= ends else Verdict.WARRANTY_EXPIRED, ends)


class Missing(StrEnum):
    """What a case's details still lack."""

    DESCRIPTION = "description"   # too little said to act on
    TAX_NUMBER = "tax_number"     # a company invoice needs the company's tax number
    TOO_LONG = "too_long"


MAX_CHARS = 500
# 统一社会信用代码 (18) or the older 15/20-character tax numbers: digits and capitals.
_TAX_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?=[A-Za-z]*[0-9])([0-9A-Za-z]{15}(?:[0-9A-Za-z]{3}|[0-9A-Za-z]{5})?)"
                         r"(?![0-9A-Za-z])")
_COMPANY = re.compile(r"公司|有限|集团|企业|中心|事务所|研究院|学校|医院|银行|工作室|Ltd|LLC|Inc|Co\.|Company|GmbH",
                      re.IGNORECASE)
_PAPER = re.compile(r"纸质|纸的|专票|专用发票|paper", re.IGNORECASE)
_REFUND = re.compile(r"退款|退钱|退差|把钱退|refund|money back", re.IGNORECASE)
# 显示签收但没收到: the shopper says they do not have it, and (for the stricter reading) that it is shown
# as delivered, signed for or completed.
_NOT_RECEIVED = re.compile(
    r"(没|未|没有)人?(收到|拿到|见到|到手|签收|签过)|根本没(收|到)|不是我签(收|的)|"
    r"\b(never|not|haven'?t|hasn'?t|didn'?t|did not|have not|has not)\s+(got|get|gotten|received?|arrived?|"
    r"come|came|reached)\b|\bnot received\b|\bnothing (arrived|came|is here|at (my|the) door)\b|"
    r"\bdon'?t have it\b|\bno (parcel|package)\b|\b(it'?s|is) not here\b", re.IGNORECASE)
_SHOWN_DELIVERED = re.compile(r"显示|签收|妥投|送达|已完成|完成了|就完成|\b(delivered|completed|signed)\b",
                              re.IGNORECASE)
# What a shopper may miss that is no parcel: money, an invoice, a message, a call, a reply, news.
_ABOUT_MONEY = re.compile(r"退款|钱|到账|发票|短信|验证码|回复|回音|消息|通知|电话|来电|答复|邮件|"
                          r"refund|money|invoice|repl(y|ies)|answer|response|update|news|call|message|e-?mail|sms",
                          re.IGNORECASE)


def reports_not_received(text: str, shown_delivered: bool = False) -> bool:
    """The shopper says the goods never reached them (not a refund, an invoice or a message they
    miss); with ``shown_delivered``, also that the order shows them as delivered or completed."""
    said = str(text or "")
    if not _NOT_RECEIVED.search(said) or _ABOUT_MONEY.search(said):
        return False
    return not shown_delivered or bool(_SHOWN_DELIVERED.search(said))


@dataclass(frozen=True)
class Details:
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


def parse_details(topic: Topic, raw: str) -> Details | Missing:
    text = " ".join(str(raw).split())
    if len(text) > MAX_CHARS:
        return Missing.TOO_LONG
    if sum(1 for ch in text if ch.isalnum()) < 2:
        return Missing.DESCRIPTION
    if topic is Topic.INVOICE:
        tax = _TAX_NUMBER.search(text)
        company = bool(_COMPANY.search(text)) or tax is not None
        if company and tax is None:
            return Missing.TAX_NUMBER
        title = text if not tax else (text[:tax.start()] + text[tax.end():]).strip(" ,，;；:：")
        return Details(text, {"title_type": "company" if company else "personal", "title": title[:200],
                              "tax_number": tax.group(1).upper() if tax else None,
                              "format": "paper" if _PAPER.search(text) else "electronic"})
    if topic is Topic.MISSING_ITEM:
        return Details(text, {"wish": "refund" if _REFUND.search(text) else "reissue"})
    if topic is Topic.REPAIR and sum(1 for ch in text if ch.isalnum()) < 4:
        return Missing.DESCRIPTION
    return Details(text, {})
