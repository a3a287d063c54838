"""WeChat Pay v3 refunds through the provider's own SDK against a local stub of its API (signed
requests checked, signed answers verified): the adapter alone, then the refund worker with it on the
real database — a refund paid once even when WeChat Pay answers only after the client gave up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.port import ProviderUnavailable, RefundOrder
from aftersales.adapters.payments.wechat_pay import WeChatPayConfig, WeChatPayProvider
from aftersales.domain.refunds import ProviderStatus
from aftersales.service.refunds import RefundWorker

from .fixtures import NOW, add_order, service
from .wechat_pay_stub import Behaviour, WeChatPayStub, private_pem, public_pem

REFUND = RefundOrder("RF2612020000A1", "P1000000001", 3600, "CNY", "wechat_pay", True,
                     datetime(2026, 12, 2, tzinfo=UTC), 3600)


@pytest.fixture
def stub():
    wechat = WeChatPayStub()
    server, url = wechat.serve()
    wechat.url = url
    yield wechat
    server.shutdown()


def provider(stub: WeChatPayStub, timeout=(1.0, 2.0)) -> WeChatPayProvider:
    return WeChatPayProvider(WeChatPayConfig(
        mchid="1900000109", appid="wx0000000000000001", cert_serial_no="5157F09EFDC096DE15EBE81A47057A72",
        private_key=private_pem(stub.merchant_key), apiv3_key="k" * 32, public_key=public_pem(stub.platform_key),
        public_key_id=stub.public_key_id, api_url=stub.url, timeout=timeout))


def test_a_refund_is_signed_verified_and_paid_once_by_its_number(stub):
    wechat = provider(stub)
    first = wechat.submit(REFUND)
    again = wechat.submit(REFUND)
    assert first.status is ProviderStatus.SUCCEEDED and first.provider_ref == again.provider_ref
    assert stub.payments == [REFUND.refund_no] and stub.unsigned_requests == 0
    assert stub.refunds[REFUND.refund_no]["amount"] == {"refund": 3600, "total": 3600, "currency": "CNY"}
    assert wechat.query(REFUND).status is ProviderStatus.SUCCEEDED


def test_processing_then_arrived(stub):
    stub.behaviour = Behaviour(status="PROCESSING")
    wechat = provider(stub)
    assert wechat.submit(REFUND).status is ProviderStatus.ACCEPTED
    stub.settle(REFUND.refund_no)
    assert wechat.query(REFUND).status is ProviderStatus.SUCCEEDED


def test_a_refusal_is_a_failure_with_wechat_pays_words(stub):
    stub.behaviour = Behaviour(refuse=(403, "NOT_ENOUGH", "基本账户余额不足"))
    answer = provider(stub).submit(REFUND)
    assert answer.status is ProviderStatus.FAILED and "NOT_ENOUGH" in answer.message and stub.payments == []


@pytest.mark.parametrize("behaviour", [Behaviour(refuse=(500, "SYSTEM_ERROR", "系统错误")),
                                       Behaviour(refuse=(429, "FREQUENCY_LIMITED", "频率超限")),
                                       Behaviour(sign_with_wrong_key=True)],
                         ids=["system-error", "rate-limited", "forged-answer"])
def test_no_trustworthy_answer_is_an_unknown_outcome(stub, behaviour):
    stub.behaviour = behaviour
    with pytest.raises(ProviderUnavailable):
        provider(stub).submit(REFUND)


def test_an_unknown_refund_is_none_when_asked_after(stub):
    assert provider(stub).query(REFUND) is None


def test_an_answer_after_the_client_gave_up_ends_in_one_paid_refund(stub, database_url):
    factory = session_factory(database_url)
    add_order(factory, "P1000000001", channel="wechat_pay")
    refund_no = service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind")["refund"]["refund_no"]
    stub.behaviour = Behaviour(delay_after_paying_s=1.5)
    slow_client = provider(stub, timeout=(1.0, 0.5))
    first = RefundWorker(factory, slow_client, clock=lambda: NOW).run_once()
    assert first.unanswered == 1 and stub.payments == [refund_no]  # paid, but nobody heard it
    stub.behaviour = Behaviour()
    later = RefundWorker(factory, slow_client, clock=lambda: NOW.replace(minute=NOW.minute + 1)).run_once()
    assert later.succeeded == 1 and stub.payments == [refund_no]
    with factory() as session:
        row = session.scalars(select(t.Refund).where(t.Refund.refund_no == refund_no)).one()
    assert row.status == "succeeded" and row.provider_ref == stub.refunds[refund_no]["refund_id"]
