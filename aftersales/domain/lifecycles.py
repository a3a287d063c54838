"""The lifecycles of what after-sales work is made of — the merchant's cases, returns and exchanges,
interceptions, the chat's queued messages — each a status enum with the moves it may make, in one
table per lifecycle below. The values are the ones stored in the database.

A service never assigns a status by hand: ``current.to(target)`` returns the target when the table
allows the move and raises IllegalTransition when it does not (the service answers that with its
Conflict). A status with no way out is terminal. Orders (aftersales.domain.model) and refunds
(aftersales.domain.refunds) keep their tables beside their other rules; a refund's status is a
Lifecycle too."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self


class IllegalTransition(Exception):
    def __init__(self, current: Any, target: Any, message: str | None = None):
        super().__init__(message or f"{type(current).__name__} {current} cannot become {target}")
        self.current = current
        self.target = target


# Each lifecycle's table, registered under its class by register(); Lifecycle reads it.
_TABLES: dict[type[Lifecycle], Mapping[Any, frozenset[Any]]] = {}


class Lifecycle(StrEnum):
    """A status whose legal next statuses are in its class's table."""

    @property
    def next(self) -> frozenset[Self]:
        return _TABLES[type(self)][self]

    @property
    def terminal(self) -> bool:
        return not self.next

    def to(self, target: Self) -> Self:
        """``target``, if this status may become it; IllegalTransition otherwise."""
        if target not in self.next:
            raise IllegalTransition(self, target)
        return target


def register(kind: type[Lifecycle], moves: Mapping[Any, frozenset[Any]]) -> None:
    """``kind``'s table (here, or in the module of its own lifecycle): every status has a row, and
    every move stays inside the enum."""
    if set(moves) != set(kind) or any(not targets <= set(kind) for targets in moves.values()):
        raise AssertionError(f"the table of {kind.__name__} must name each of its statuses and only them")
    _TABLES[kind] = dict(moves)


class TicketStatus(Lifecycle):
    """A case in the merchant's inbox."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"  # by a decision, a withdrawal in the chat, or recorded so (a merchant's own cancellation)


TICKET_OPEN = frozenset({TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER})
# An open case may be set to any open status (the merchant's choice, the same one included: that is
# a no-op, audited like any change) or be resolved; a resolved case stays resolved.
register(TicketStatus, {**{status: TICKET_OPEN | {TicketStatus.RESOLVED} for status in TICKET_OPEN},
                      TicketStatus.RESOLVED: frozenset()})


class Resolution(StrEnum):
    """How a resolved case ended."""

    APPROVED = "approved"
    REJECTED = "rejected"
    ANSWERED = "answered"  # stored by earlier releases for a question answered; none is written now
    WITHDRAWN = "withdrawn"  # by the shopper, in the chat
    LAPSED = "lapsed"  # overtaken before the shop decided: a size or colour change whose order shipped


class ReturnStatus(Lifecycle):
    """A return, a refund without return, or an exchange."""

    REQUESTED = "requested"  # waiting for the merchant's review
    AUTHORIZED = "authorized"  # the goods are expected back (or the refused parcel)
    RECEIVED = "received"  # an exchange's goods are back: the replacement goes out next
    REFUNDED = "refunded"
    REJECTED = "rejected"  # at review, or at inspection of the goods; an appeal reopens a review's rejection
    WITHDRAWN = "withdrawn"
    REPLACEMENT_SHIPPED = "replacement_shipped"


# Waiting for the merchant: a decision or the goods.
RETURN_OPEN = frozenset({ReturnStatus.REQUESTED, ReturnStatus.AUTHORIZED})
register(ReturnStatus, {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.AUTHORIZED, ReturnStatus.REFUNDED, ReturnStatus.REJECTED,
                                       ReturnStatus.WITHDRAWN}),
    ReturnStatus.AUTHORIZED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.REFUNDED, ReturnStatus.REJECTED,
                                        ReturnStatus.WITHDRAWN}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.REPLACEMENT_SHIPPED}),
    ReturnStatus.REFUNDED: frozenset(),
    # A shopper's appeal of the review's rejection (aftersales.domain.appeals) asks the merchant to
    # review it once more: back to waiting for their decision. How often is the appeal's rule.
    ReturnStatus.REJECTED: frozenset({ReturnStatus.REQUESTED}),
    ReturnStatus.WITHDRAWN: frozenset(),
    ReturnStatus.REPLACEMENT_SHIPPED: frozenset(),
})


class InterceptionStatus(Lifecycle):
    REQUESTED = "requested"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


register(InterceptionStatus, {
    InterceptionStatus.REQUESTED: frozenset({InterceptionStatus.SUCCEEDED, InterceptionStatus.FAILED,
                                             InterceptionStatus.WITHDRAWN}),
    InterceptionStatus.SUCCEEDED: frozenset(),
    InterceptionStatus.FAILED: frozenset(),
    InterceptionStatus.WITHDRAWN: frozenset(),
})


class NotificationStatus(Lifecycle):
    """A message in the outbox for the shopper's chat (aftersales.service.notifications)."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher, for the length of its lease
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt


register(NotificationStatus, {
    NotificationStatus.PENDING: frozenset({NotificationStatus.SENDING}),
    # A lease that ran out (the dispatcher crashed mid-send) is claimed again; a failed attempt or a
    # chat still with a human puts it back in the queue.
    NotificationStatus.SENDING: frozenset({NotificationStatus.SENDING, NotificationStatus.SENT,
                                           NotificationStatus.PENDING, NotificationStatus.FAILED}),
    NotificationStatus.SENT: frozenset(),
    NotificationStatus.FAILED: frozenset(),
})
