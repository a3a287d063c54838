"""A refund's lifecycle, apart from the order it belongs to.

A refund is stored as `requested` in the same transaction as the cancellation or return that owes
it — before any payment provider hears of it. The worker then submits it, outside any transaction,
with the refund number as the provider's idempotency key: the provider accepts it (`submitted`, the
money on its way), pays at once (`succeeded`) or refuses (`failed`). A call whose outcome is unknown
(a timeout after the provider may have paid) leaves it `requested`; the next attempt asks the
provider first and submits again only if the provider has never heard of it — so money moves once."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from aftersales.domain.lifecycles import Lifecycle, register


class RefundStatus(Lifecycle):
    REQUESTED = "requested"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ProviderStatus(StrEnum):
    """What a payment provider says of a refund."""

    ACCEPTED = "accepted"  # taken; the money arrives later
    SUCCEEDED = "succeeded"
    FAILED = "failed"


register(RefundStatus, {
    RefundStatus.REQUESTED: frozenset({RefundStatus.SUBMITTED, RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUBMITTED: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
})
PENDING = frozenset({RefundStatus.REQUESTED, RefundStatus.SUBMITTED})
# What the provider's answer makes of the refund.
STATUS_FOR = {ProviderStatus.ACCEPTED: RefundStatus.SUBMITTED, ProviderStatus.SUCCEEDED: RefundStatus.SUCCEEDED,
              ProviderStatus.FAILED: RefundStatus.FAILED}
# How often a submitted refund is asked after, until the provider says it arrived or failed.
POLL_EVERY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
# Attempts whose outcome stayed unknown before the merchant is told to look (the worker goes on).
ALERT_AFTER_ATTEMPTS = 8


def next_status(current: RefundStatus, answer: ProviderStatus) -> RefundStatus | None:
    """The refund's status after the provider's answer; None when the answer changes nothing (an
    `accepted` for a refund already submitted, or any answer for one already final)."""
    target = STATUS_FOR[answer]
    return target if target in current.next else None


def retry_delay(attempts: int) -> timedelta:
    """Backoff after an attempt with no answer: 10 s, 20 s, 40 s … up to an hour."""
    return min(timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)
