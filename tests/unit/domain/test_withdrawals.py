"""Which requests a shopper can still take back."""

from __future__ import annotations

import pytest

from aftersales.domain.withdrawals import Refusal, RequestKind, RequestView, refusal


@pytest.mark.parametrize(("kind", "status", "stage", "expected"), [
    (RequestKind.CANCELLATION, "open", None, None),
    (RequestKind.CANCELLATION, "approved", None, Refusal.CARRIED_OUT),
    (RequestKind.CANCELLATION, "rejected", None, Refusal.DECIDED),
    (RequestKind.RETURN, "requested", None, None),
    (RequestKind.RETURN, "authorized", None, None),  # the goods are not back yet
    (RequestKind.EXCHANGE, "authorized", None, None),
    (RequestKind.EXCHANGE, "replacement_shipped", None, Refusal.CARRIED_OUT),  # the new one is on its way
    (RequestKind.RETURN, "received", None, Refusal.CARRIED_OUT),
    (RequestKind.REFUND_ONLY, "refunded", None, Refusal.CARRIED_OUT),
    (RequestKind.RETURN, "rejected", None, Refusal.DECIDED),
    (RequestKind.INTERCEPTION, "requested", "merchant", None),
    (RequestKind.INTERCEPTION, "requested", "courier", Refusal.WITH_COURIER),
    (RequestKind.INTERCEPTION, "succeeded", "merchant", Refusal.CARRIED_OUT),
    (RequestKind.INTERCEPTION, "failed", "courier", Refusal.DECIDED),
])
def test_only_what_was_not_carried_out_can_be_withdrawn(kind, status, stage, expected):
    assert refusal(RequestView(kind, "REF", status, stage)) is expected
