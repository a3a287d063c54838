"""Alipay refunds through the provider's own SDK against a local stub of its gateway (signed requests
checked, signed answers verified): the adapter alone, then the refund worker with it on the real
database — a refund paid once even when Alipay answers only after the client gave up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.alipay import AlipayConfig, AlipayProvider
from aftersales.adapters.payments.port import ProviderUnavailable, RefundOrder
from aftersales.domain.refunds import ProviderStatus
from aftersales.service.refunds import RefundWorker

from .alipay_stub import AlipayBehaviour, AlipayStub
from .fixtures import NOW, add_order, service
from .wechat_pay_stub import private_pem, public_pem

REFUND = RefundOrder("RF2612020000B1", "P1000000001", 3650, "CNY", "alipay", True,
                     datetime(2026, 12, 2, tzinfo=UTC), 3650)


@pytest.fixture
def stub():
    alipay = AlipayStub()
    server = alipay.serve()
    yield alipay
    server.shutdown()


def provider(stub: AlipayStub, timeout_s: float = 2.0) -> AlipayProvider:
    return AlipayProvider(AlipayConfig(appid="2021000000000001", app_private_key=private_pem(stub.app_key),
                                       alipay_public_key=public_pem(stub.alipay_key), gateway=stub.url,
                                       timeout_s=timeout_s))


def test_a_refund_is_signed_verified_and_paid_once_by_its_request_number(stub):
    alipay = provider(stub)
    assert alipay.submit(REFUND).status is ProviderStatus.SUCCEEDED
    assert alipay.submit(REFUND).status is ProviderStatus.SUCCEEDED  # fund_change N: not paid again
    assert stub.payments == [REFUND.refund_no] and stub.unsigned_requests == 0
    assert stub.refunds[("P1000000001", REFUND.refund_no)]["refund_fee"] == "36.50"
    assert alipay.query(REFUND).status is ProviderStatus.SUCCEEDED


def test_a_refusal_is_a_failure_with_alipays_words(stub):
    stub.behaviour = AlipayBehaviour(refuse=("40004", "ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足"))
    answer = provider(stub).submit(REFUND)
    assert answer.status is ProviderStatus.FAILED and "卖家余额不足" in answer.message and stub.payments == []


@pytest.mark.parametrize("behaviour", [AlipayBehaviour(refuse=("20000", "aop.ACQ.SYSTEM_ERROR", "系统繁忙")),
                                       AlipayBehaviour(sign_with_wrong_key=True)],
                         ids=["service-unavailable", "forged-answer"])
def test_no_trustworthy_answer_is_an_unknown_outcome(stub, behaviour):
    stub.behaviour = behaviour
    with pytest.raises(ProviderUnavailable):
        provider(stub).submit(REFUND)


def test_a_refund_alipay_never_made_is_none(stub):
    assert provider(stub).query(REFUND) is None


def test_an_answer_after_the_client_gave_up_ends_in_one_paid_refund(stub, database_url):
    factory = session_factory(database_url)
    add_order(factory, "P1000000001", channel="alipay")
    refund_no = service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind")["refund"]["refund_no"]
    stub.behaviour = AlipayBehaviour(delay_after_paying_s=1.5)
    slow = provider(stub, timeout_s=0.5)
    assert RefundWorker(factory, slow, clock=lambda: NOW).run_once().unanswered == 1
    assert stub.payments == [refund_no]
    stub.behaviour = AlipayBehaviour()
    assert RefundWorker(factory, slow, clock=lambda: NOW + timedelta(seconds=11)).run_once().succeeded == 1
    assert stub.payments == [refund_no]
    with factory() as session:
        assert session.scalars(select(t.Refund.status).where(t.Refund.refund_no == refund_no)).one() == "succeeded"
