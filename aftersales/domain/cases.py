"""What every case in the merchant's inbox is opened with, whoever opens it: its priority, how
long the merchant has to answer it (its SLA), and whether the platform sees it too."""

from __future__ import annotations

from aftersales.domain.model import Fault
from aftersales.domain.profile import PolicyProfile

# The case of an exchange before shipment (改尺码 / 改颜色): the shop checks its stock, then the item changes.
ITEM_CHANGE_KIND = "item_change"
# Cases the shop opens itself, resolved as they open (its own cancellation): nobody waited for an
# answer and the shopper asked for nothing to rate.
SHOPS_OWN_KINDS = frozenset({"merchant_cancellation"})
# The money did not go out, or nobody knows whether it did: before anything else.
URGENT_KINDS = frozenset({"refund_failed", "refund_unanswered"})
# A complaint, what the shop must see before it packs or ships (a new address, a wished time, a
# size or colour) or has already got wrong (an item missing, a parcel that never reached the
# shopper), and a second review of what it turned down once (an appeal).
HIGH_KINDS = frozenset({"complaint", "address_change", "delivery_time", ITEM_CHANGE_KIND, "missing_item",
                        "logistics_investigation", "appeal"})
# A complaint is about the shop itself (its goods, its service, its answers), so the shop is not its only
# judge: such a case is marked for the platform too (平台介入), which sees it beside the shop's own queue.
PLATFORM_KINDS = frozenset({"complaint"})
# A case of a kind whose answer time the shop's profile does not name, and a case of no order's
# (so of no profile): four hours.
DEFAULT_SLA_HOURS = 4.0
LARGE_AMOUNT = 100_000  # minor units: 1,000 yuan


URGENT = "urgent"


def priority(kind: str, fault: Fault | None = None, amount_minor: int = 0) -> str:
    """Urgent and high kinds by their kind; a case a decision opens (a review, a return, an
    interception) high when the merchant's or the platform's fault, or a large amount (002 §2.3)."""
    if kind in URGENT_KINDS:
        return URGENT
    if kind in HIGH_KINDS or fault in (Fault.MERCHANT, Fault.PLATFORM) or amount_minor >= LARGE_AMOUNT:
        return "high"
    return "normal"


def for_platform(kind: str) -> bool:
    """Whether a case of this kind is marked for the platform as well as the shop."""
    return kind in PLATFORM_KINDS


def sla_hours(kind: str, profile: PolicyProfile | None, decided: float | None = None) -> float:
    """The hours the policy's decision gave the merchant, else the profile's for this kind of case,
    else DEFAULT_SLA_HOURS."""
    if decided:
        return decided
    found = profile.sla_hours.get(kind) if profile is not None else None
    return found if found is not None else DEFAULT_SLA_HOURS
