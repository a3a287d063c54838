"""The embedded default's payment provider: no network, no money. Refunds to the channels the policy
calls immediate (Alipay, WeChat Pay, balance) succeed when submitted; the others are accepted and
arrive at the earliest time the policy promised — as the providers' own sandboxes behave, and
deterministic, so a query after a lost answer finds what the submission did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aftersales.adapters.payments.port import ProviderAnswer, RefundOrder
from aftersales.domain.refunds import ProviderStatus


class DemoPaymentProvider:
    name = "demo"

    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    def submit(self, refund: RefundOrder) -> ProviderAnswer:
        return self._answer(refund)

    def query(self, refund: RefundOrder) -> ProviderAnswer | None:
        # The demo keeps nothing: what a submission would have answered is what it did answer.
        return self._answer(refund)

    def _answer(self, refund: RefundOrder) -> ProviderAnswer:
        arrived = refund.immediate or self.clock() >= refund.expected_earliest
        status = ProviderStatus.SUCCEEDED if arrived else ProviderStatus.ACCEPTED
        return ProviderAnswer(status, f"DEMO-{refund.refund_no}")
