"""A new delivery address as a shopper types it in the chat: the recipient's phone and the address
itself, checked enough that a courier could use it — not parsed into provinces, which the shop's own
system does with its own address book."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from aftersales.domain.model import SHIPPING_STATES, Fulfillment, OrderState, OrderView

# Mainland mobile numbers (11 digits from 13–19), with the spaces and dashes people type.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?(1[3-9][0-9](?:[\s-]?[0-9]){8})(?![0-9])")
MIN_ADDRESS_CHARS = 6
MAX_CHARS = 200


class Problem(StrEnum):
    NO_PHONE = "no_phone"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class NewAddress:
    text: str  # what the shopper wrote, whitespace tidied: recipient, phone, address
    phone: str  # digits only

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


def parse(raw: str) -> NewAddress | Problem:
    text = " ".join(str(raw).split())
    if len(text) > MAX_CHARS:
        return Problem.TOO_LONG
    found = _MOBILE.search(text)
    if found is None:
        return Problem.NO_PHONE
    rest = (text[:found.start()] + text[found.end():]).strip(" ,，;；:：")
    if sum(1 for ch in rest if ch.isalnum()) < MIN_ADDRESS_CHARS:
        return Problem.TOO_SHORT
    return NewAddress(text, re.sub(r"[^0-9]", "", found.group(1)))


CHANGEABLE_STATES = frozenset({OrderState.PENDING_PAYMENT, OrderState.PAID})


def changeability(order: OrderView) -> str:
    """changeable (before shipment), shipped (only the courier can redirect it), closed, or no_address
    (virtual goods go to no address)."""
    if order.fulfillment is Fulfillment.VIRTUAL:
        return "no_address"
    if order.state in CHANGEABLE_STATES:
        return "changeable"
    return "shipped" if order.state in SHIPPING_STATES else "closed"
