"""What the entrypoints (web app, command line, worker) and the action server use, built in one place
from the settings: every service over one connection pool, the payment providers, the Rasa client.
Building is cheap and opens no connection (the payment providers wait for their first use); each
service call opens its own unit of work."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.chat_log import RasaEventLog
from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.helpdesk_client import HelpdeskClient
from aftersales.adapters.payments.alipay import AlipayConfig, AlipayProvider
from aftersales.adapters.payments.demo import DemoPaymentProvider
from aftersales.adapters.payments.port import ByChannel, PaymentProvider
from aftersales.adapters.payments.wechat_pay import WeChatPayConfig, WeChatPayProvider
from aftersales.adapters.rasa_api import CONNECT_TIMEOUT, READ_TIMEOUT, RasaConversations
from aftersales.adapters.webhook_client import CONNECT_TIMEOUT as WEBHOOK_CONNECT_TIMEOUT
from aftersales.adapters.webhook_client import WebhookClient
from aftersales.config import Settings
from aftersales.service.address_changes import AddressChangeService
from aftersales.service.after_sales import AfterSalesService
from aftersales.service.analytics import ShopAnalytics
from aftersales.service.appeals import AppealService
from aftersales.service.base import utcnow
from aftersales.service.conversation_log import ConversationSync
from aftersales.service.inbox import InboxService
from aftersales.service.inbox_reports import InboxReports
from aftersales.service.integrations import IntegrationsService
from aftersales.service.merchant_accounts import MerchantAccounts
from aftersales.service.merchant_operations import MerchantService
from aftersales.service.notifications import NotificationDispatcher
from aftersales.service.order_events import OrderEventsService
from aftersales.service.price_protection import PriceProtectionService
from aftersales.service.refunds import RefundWorker
from aftersales.service.return_parcels import ReturnParcelService
from aftersales.service.satisfaction import SatisfactionService
from aftersales.service.shop_policies import ShopPolicyService
from aftersales.service.topic_cases import TopicCaseService
from aftersales.service.webhooks import ShopWebhooks, WebhookDispatcher
from aftersales.service.withdrawals import WithdrawalService


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


@dataclass(frozen=True)
class Services:
    settings: Settings
    after_sales: AfterSalesService
    merchant_operations: MerchantService
    inbox: InboxService
    merchant_accounts: MerchantAccounts
    inbox_reports: InboxReports
    analytics: ShopAnalytics
    webhooks: ShopWebhooks
    satisfaction: SatisfactionService
    withdrawals: WithdrawalService
    address_changes: AddressChangeService
    topic_cases: TopicCaseService
    return_parcels: ReturnParcelService
    appeals: AppealService
    price_protection: PriceProtectionService
    shop_policies: ShopPolicyService
    order_events: OrderEventsService
    integrations: IntegrationsService
    dispatcher: NotificationDispatcher
    conversations: RasaConversations
    helpdesk: HelpdeskClient
    sessions: sessionmaker[Session]

    # The payment providers read key files and build SDK clients: only the refund worker and the web
    # app's notification routes need them, so they are built on first use, not for every process.
    @functools.cached_property
    def payment_providers(self) -> PaymentProviders:
        return payment_providers()

    @functools.cached_property
    def refunds(self) -> RefundWorker:
        return RefundWorker(self.sessions, self.payment_providers.by_channel, utcnow)

    @functools.cached_property
    def conversation_sync(self) -> ConversationSync | None:
        """The worker's reading of the chat log into the figures (None: Rasa's store is not readable here)."""
        url = self.settings.rasa_tracker_url
        return ConversationSync(self.sessions, RasaEventLog(url), self.settings.default_shop_id) if url else None

    @functools.cached_property
    def webhook_dispatcher(self) -> WebhookDispatcher:
        """The worker's posting of the shops' webhooks, a timeout on every request."""
        timeout = (min(WEBHOOK_CONNECT_TIMEOUT, self.settings.webhook_timeout_seconds),
                   self.settings.webhook_timeout_seconds)
        return WebhookDispatcher(self.sessions, WebhookClient(timeout, internet_only=self.settings.production))

    @property
    def wechat_pay(self) -> WeChatPayProvider | None:
        return self.payment_providers.wechat_pay

    @property
    def alipay(self) -> AlipayProvider | None:
        return self.payment_providers.alipay


def services(settings: Settings, rasa_timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
             rasa_retries: int = 2) -> Services:
    """Everything, once. ``rasa_timeout``/``rasa_retries``: the web app waits for one short attempt
    (a merchant's click), the worker for the client's defaults (it retries later anyway)."""
    sessions = session_factory(settings.database_url)
    merchant_operations = MerchantService(sessions)
    conversations = RasaConversations(settings.rasa_url, settings.rasa_api_token, rasa_timeout, rasa_retries)
    return Services(
        settings=settings, after_sales=AfterSalesService(sessions), merchant_operations=merchant_operations,
        inbox=InboxService(sessions), merchant_accounts=MerchantAccounts(sessions),
        inbox_reports=InboxReports(sessions), analytics=ShopAnalytics(sessions),
        webhooks=ShopWebhooks(sessions, allow_http=not settings.production), satisfaction=SatisfactionService(sessions),
        withdrawals=WithdrawalService(sessions), address_changes=AddressChangeService(sessions),
        topic_cases=TopicCaseService(sessions), return_parcels=ReturnParcelService(sessions),
        appeals=AppealService(sessions), price_protection=PriceProtectionService(sessions),
        shop_policies=ShopPolicyService(sessions),
        order_events=OrderEventsService(sessions, merchant_operations), integrations=IntegrationsService(sessions),
        dispatcher=NotificationDispatcher(sessions, conversations), conversations=conversations,
        # Where the bot's cases go: our inbox's JSON API unless HELPDESK_URL names another helpdesk.
        helpdesk=HelpdeskClient(settings.helpdesk_url, settings.helpdesk_api_token),
        sessions=sessions)
