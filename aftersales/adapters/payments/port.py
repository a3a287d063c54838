"""The payment-provider port: what the refund worker asks of a provider (WeChat Pay, Alipay, the
demo), and what a provider answers. Adapters implement it; the service layer depends on it only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aftersales.domain.refunds import ProviderStatus


@dataclass(frozen=True)
class RefundOrder:
    """What a provider needs to refund (the refund number is also the idempotency key)."""

    refund_no: str
    order_no: str
    amount: int
    currency: str
    channel: str
    immediate: bool  # the policy promises it at once (Alipay, WeChat Pay, balance)
    expected_earliest: datetime
    paid_total: int  # what the shopper paid for the order (providers refund against the payment)


@dataclass(frozen=True)
class ProviderAnswer:
    status: ProviderStatus
    provider_ref: str | None = None
    message: str | None = None


class ProviderUnavailable(Exception):
    """No answer (timeout, connection refused, 5xx): the refund's fate at the provider is unknown."""


class PaymentProvider(Protocol):
    name: str

    def submit(self, refund: RefundOrder) -> ProviderAnswer:
        """Ask for the refund; idempotent by refund number. Raises ProviderUnavailable."""

    def query(self, refund: RefundOrder) -> ProviderAnswer | None:
        """The provider's status of the refund; None if it never received it. Raises ProviderUnavailable."""


class ByChannel:
    """One provider per payment channel, a default for the rest."""

    name = "by_channel"

    def __init__(self, providers: dict[str, PaymentProvider], default: PaymentProvider):
        self.providers, self.default = providers, default

    def _for(self, refund: RefundOrder) -> PaymentProvider:
        return self.providers.get(refund.channel, self.default)

    def submit(self, refund: RefundOrder) -> ProviderAnswer:
        return self._for(refund).submit(refund)

    def query(self, refund: RefundOrder) -> ProviderAnswer | None:
        return self._for(refund).query(refund)
