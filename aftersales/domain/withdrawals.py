"""Withdrawing a request (不取消了 / 取消退款 / 取消换货 / 不改了 / 不拦截了): which of an order's requests the
shopper can still take back, and why the others cannot be.

A request can be withdrawn while nothing has been carried out for it: a cancellation or a size or
colour change still under review, a return or exchange the merchant has not received goods for, an
interception the merchant has not handed to the courier (seed 003: once the courier has it, the
interception is theirs to carry out). What has been carried out — an order cancelled, goods
received, money refunded — stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aftersales.domain.lifecycles import RETURN_OPEN, InterceptionStatus, Resolution, ReturnStatus


class RequestKind(StrEnum):
    CANCELLATION = "cancellation"
    RETURN = "return"
    EXCHANGE = "exchange"
    REFUND_ONLY = "refund_only"
    INTERCEPTION = "interception"
    ITEM_CHANGE = "item_change"  # 改尺码 / 改颜色 before shipment, while the shop checks its stock


class Refusal(StrEnum):
    CARRIED_OUT = "carried_out"      # cancelled, received, refunded, intercepted: it happened
    WITH_COURIER = "with_courier"    # the courier is carrying out the interception
    DECIDED = "decided"              # the merchant already turned it down: nothing is pending


@dataclass(frozen=True)
class RequestView:
    kind: RequestKind
    reference: str
    # A return's or an interception's own status; a cancellation's or an item change's (cases the
    # merchant decides): open, approved or rejected.
    status: str
    stage: str | None = None  # interceptions: merchant | courier


# An exchange whose replacement is on its way is carried out too, like a refunded return.
CARRIED_OUT_RETURN = frozenset({ReturnStatus.RECEIVED, ReturnStatus.REFUNDED, ReturnStatus.REPLACEMENT_SHIPPED})


def refusal(request: RequestView) -> Refusal | None:
    """Why ``request`` can no longer be withdrawn; None when it can."""
    if request.kind in (RequestKind.CANCELLATION, RequestKind.ITEM_CHANGE):  # status: open | approved | rejected
        if request.status == "open":
            return None
        return Refusal.CARRIED_OUT if request.status == Resolution.APPROVED else Refusal.DECIDED
    if request.kind is RequestKind.INTERCEPTION:
        if request.status == InterceptionStatus.REQUESTED:
            return Refusal.WITH_COURIER if request.stage == "courier" else None
        return Refusal.CARRIED_OUT if request.status == InterceptionStatus.SUCCEEDED else Refusal.DECIDED
    if request.status in RETURN_OPEN:
        return None
    return Refusal.CARRIED_OUT if request.status in CARRIED_OUT_RETURN else Refusal.DECIDED
