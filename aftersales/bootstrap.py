"""What the entrypoints build from the settings, built in one place."""

from __future__ import annotations

from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.demo import DemoPaymentProvider
from aftersales.config import Settings
from aftersales.service.after_sales import utcnow
from aftersales.service.refunds import PaymentProvider, RefundWorker


def payment_provider(settings: Settings) -> PaymentProvider:
    """The embedded default's demo provider; the real providers' adapters are not built yet."""
    return DemoPaymentProvider(utcnow)


def refund_worker(settings: Settings) -> RefundWorker:
    return RefundWorker(session_factory(settings.database_url), payment_provider(settings), utcnow)
