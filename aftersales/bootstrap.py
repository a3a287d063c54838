"""What the entrypoints build from the settings, built in one place."""

from __future__ import annotations

import os

from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.alipay import AlipayConfig, AlipayProvider
from aftersales.adapters.payments.demo import DemoPaymentProvider
from aftersales.adapters.payments.wechat_pay import WeChatPayConfig, WeChatPayProvider
from aftersales.config import Settings
from aftersales.service.after_sales import utcnow
from aftersales.service.refunds import ByChannel, PaymentProvider, RefundWorker


def payment_provider(settings: Settings) -> PaymentProvider:
    """Each payment channel's provider: WeChat Pay's and Alipay's own when WECHATPAY_* / ALIPAY_* are
    configured; the demo provider for every channel that has none (the embedded default)."""
    providers: dict[str, PaymentProvider] = {}
    wechat = wechat_pay()
    if wechat is not None:
        providers["wechat_pay"] = wechat
    alipay_provider = alipay()
    if alipay_provider is not None:
        providers["alipay"] = alipay_provider
    return ByChannel(providers, DemoPaymentProvider(utcnow))


def wechat_pay() -> WeChatPayProvider | None:
    config = WeChatPayConfig.from_env(os.environ)
    return None if config is None else WeChatPayProvider(config)


def alipay() -> AlipayProvider | None:
    config = AlipayConfig.from_env(os.environ)
    return None if config is None else AlipayProvider(config)


def refund_worker(settings: Settings) -> RefundWorker:
    return RefundWorker(session_factory(settings.database_url), payment_provider(settings), utcnow)
