"""What the entrypoints build from the settings, built in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass

from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.alipay import AlipayConfig, AlipayProvider
from aftersales.adapters.payments.demo import DemoPaymentProvider
from aftersales.adapters.payments.port import ByChannel, PaymentProvider
from aftersales.adapters.payments.wechat_pay import WeChatPayConfig, WeChatPayProvider
from aftersales.config import Settings
from aftersales.service.base import utcnow
from aftersales.service.refunds import RefundWorker


@dataclass(frozen=True)
class PaymentProviders:
    """The providers, each built once: by channel for the refund worker, by name for the routes that
    take their notifications."""

    by_channel: PaymentProvider
    wechat_pay: WeChatPayProvider | None
    alipay: AlipayProvider | None


def payment_providers() -> PaymentProviders:
    """WeChat Pay's and Alipay's own when WECHATPAY_* / ALIPAY_* are configured; the demo provider for
    every channel that has none (the embedded default)."""
    wechat_config, alipay_config = WeChatPayConfig.from_env(os.environ), AlipayConfig.from_env(os.environ)
    wechat = WeChatPayProvider(wechat_config) if wechat_config else None
    alipay = AlipayProvider(alipay_config) if alipay_config else None
    real: dict[str, PaymentProvider] = {channel: provider for channel, provider
                                        in (("wechat_pay", wechat), ("alipay", alipay)) if provider is not None}
    return PaymentProviders(ByChannel(real, DemoPaymentProvider(utcnow)), wechat, alipay)


def refund_worker(settings: Settings) -> RefundWorker:
    return RefundWorker(session_factory(settings.database_url), payment_providers().by_channel, utcnow)
