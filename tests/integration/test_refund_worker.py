"""Refunds through a payment provider, on SQLite and PostgreSQL, against fake providers (one layer:
the worker and the database are real): stored before any call, submitted with no transaction open,
paid once however the calls end, refusals to the merchant's inbox and the shopper's chat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.port import ProviderAnswer, ProviderUnavailable, RefundOrder
from aftersales.domain.refunds import ALERT_AFTER_ATTEMPTS, ProviderStatus
from aftersales.service.inbox import InboxService
from aftersales.service.refunds import RefundWorker

from .fixtures import NOW, add_order, service
from .test_concurrency import run_together


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


class FakeProvider:
    """A provider that pays each refund number at most once (its idempotency), with scripted trouble."""

    name = "fake"

    def __init__(self, on_submit=None, on_query=None):
        self.paid: dict[str, int] = {}
        self.submits: list[str] = []
        self.queries: list[str] = []
        self.on_submit = on_submit or (lambda provider, refund: provider.pay(refund))
        self.on_query = on_query

    def pay(self, refund: RefundOrder) -> ProviderAnswer:
        self.paid.setdefault(refund.refund_no, refund.amount)
        return ProviderAnswer(ProviderStatus.SUCCEEDED, f"FAKE-{refund.refund_no}")

    def submit(self, refund: RefundOrder) -> ProviderAnswer:
        self.submits.append(refund.refund_no)
        return self.on_submit(self, refund)

    def query(self, refund: RefundOrder) -> ProviderAnswer | None:
        self.queries.append(refund.refund_no)
        if self.on_query is not None:
            return self.on_query(self, refund)
        return ProviderAnswer(ProviderStatus.SUCCEEDED) if refund.refund_no in self.paid else None


def cancelled_with_refund(factory, order_no="P1000000001", conversation="chat-1", customer="alice") -> str:
    add_order(factory, order_no, channel="alipay", customer=customer)
    result = service(factory).submit(customer, order_no, "cancel_refund", "changed_mind", conversation_id=conversation)
    assert result["refund"]["status"] == "requested"
    return result["refund"]["refund_no"]


def refund_row(factory, refund_no):
    with factory() as session:
        return session.scalars(select(t.Refund).where(t.Refund.refund_no == refund_no)).one()


def notification_kinds(factory):
    with factory() as session:
        return [n.kind for n in session.scalars(select(t.Notification).order_by(t.Notification.id))]


def test_nothing_is_sent_until_the_worker_runs_and_then_it_is_paid_once(factory):
    refund_no = cancelled_with_refund(factory)
    provider = FakeProvider()
    assert provider.submits == []  # the cancellation itself called no provider
    worker = RefundWorker(factory, provider, clock=lambda: NOW)
    assert worker.run_once().succeeded == 1 and worker.run_once().succeeded == 0
    row = refund_row(factory, refund_no)
    assert (row.status, row.provider_ref, provider.submits) == ("succeeded", f"FAKE-{refund_no}", [refund_no])
    assert notification_kinds(factory) == ["refund_completed"]


def test_a_provider_that_times_out_after_paying_ends_with_exactly_one_succeeded_refund(factory):
    refund_no = cancelled_with_refund(factory)

    def pay_then_time_out(provider, refund):
        provider.pay(refund)
        raise ProviderUnavailable("read timed out")

    provider = FakeProvider(on_submit=pay_then_time_out)
    first = RefundWorker(factory, provider, clock=lambda: NOW).run_once()
    assert first.unanswered == 1 and refund_row(factory, refund_no).status == "requested"
    assert RefundWorker(factory, provider, clock=lambda: NOW).run_once().unanswered == 0  # backing off
    later = NOW + timedelta(seconds=11)
    assert RefundWorker(factory, provider, clock=lambda: later).run_once().succeeded == 1
    assert provider.submits == [refund_no] and provider.queries == [refund_no]  # asked, not paid again
    assert provider.paid == {refund_no: refund_row(factory, refund_no).amount}
    assert refund_row(factory, refund_no).status == "succeeded" and notification_kinds(factory) == ["refund_completed"]


def test_a_refused_refund_reaches_the_merchants_inbox_and_the_shoppers_chat(factory):
    refund_no = cancelled_with_refund(factory)
    provider = FakeProvider(on_submit=lambda p, r: ProviderAnswer(ProviderStatus.FAILED, None, "收款账户已注销"))
    assert RefundWorker(factory, provider, clock=lambda: NOW).run_once().failed == 1
    row = refund_row(factory, refund_no)
    assert (row.status, row.last_error) == ("failed", "收款账户已注销")
    inbox = InboxService(factory, clock=lambda: NOW)
    [case] = inbox.cases({"shop_g"}, queue="refunds")
    assert case["kind"] == "refund_failed" and case["priority"] == "urgent"
    assert "收款账户已注销" in inbox.case(case["ticket_no"], {"shop_g"})["ticket"]["context"]["summary"]
    assert notification_kinds(factory) == ["refund_failed"]
    with factory() as session:
        notification_id = session.scalar(select(t.Notification.id))
    told = service(factory).notification(notification_id, "chat-1")
    assert told["ticket"]["ticket_no"] == case["ticket_no"] and told["refund"]["status"] == "failed"


def test_an_outage_backs_off_and_after_a_while_tells_the_merchant_once(factory):
    refund_no = cancelled_with_refund(factory)

    def down(provider, refund):
        raise ProviderUnavailable("connection refused")

    provider = FakeProvider(on_submit=down, on_query=lambda p, r: (_ for _ in ()).throw(ProviderUnavailable("down")))
    at, delays = NOW, []
    for _ in range(ALERT_AFTER_ATTEMPTS + 1):
        RefundWorker(factory, provider, clock=lambda at=at: at).run_once()
        row = refund_row(factory, refund_no)
        delays.append(row.next_attempt_at - at)
        at = row.next_attempt_at
    assert delays[:4] == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40), timedelta(seconds=80)]
    assert refund_row(factory, refund_no).status == "requested"
    inbox = InboxService(factory, clock=lambda: NOW)
    assert [c["kind"] for c in inbox.cases({"shop_g"}, queue="refunds")] == ["refund_unanswered"]


def test_an_accepted_refund_is_asked_after_until_it_arrives(factory):
    refund_no = cancelled_with_refund(factory)
    arrived = [False]
    provider = FakeProvider(on_submit=lambda p, r: ProviderAnswer(ProviderStatus.ACCEPTED, "ACC1"),
                            on_query=lambda p, r: ProviderAnswer(ProviderStatus.SUCCEEDED if arrived[0]
                                                                 else ProviderStatus.ACCEPTED))
    assert RefundWorker(factory, provider, clock=lambda: NOW).run_once().submitted == 1
    assert refund_row(factory, refund_no).status == "submitted"
    in_a_minute = NOW + timedelta(minutes=1)
    assert RefundWorker(factory, provider, clock=lambda: in_a_minute).run_once().succeeded == 0
    arrived[0] = True
    in_two = NOW + timedelta(minutes=2)
    assert RefundWorker(factory, provider, clock=lambda: in_two).run_once().succeeded == 1
    assert provider.submits == [refund_no] and refund_row(factory, refund_no).provider_ref == "ACC1"


def test_the_provider_is_called_with_no_transaction_open(factory):
    cancelled_with_refund(factory)
    add_order(factory, "P1000000002", channel="alipay")

    def write_meanwhile(provider, refund):
        # Another operation writes while the worker waits for the provider: it must not block.
        assert service(factory).submit("alice", "P1000000002", "cancel_refund", "changed_mind")["status"] == "done"
        return provider.pay(refund)

    provider = FakeProvider(on_submit=write_meanwhile)
    assert RefundWorker(factory, provider, clock=lambda: NOW).run_once().succeeded == 1


def test_two_workers_at_once_submit_each_refund_once(factory):
    refunds = [cancelled_with_refund(factory, f"P100000000{n}", f"chat-{n}", customer) for n, customer
               in enumerate(("alice", "bob"), start=1)]
    provider = FakeProvider()
    run_together(*[lambda: RefundWorker(factory, provider, clock=lambda: NOW).run_once() for _ in range(3)])
    assert sorted(provider.submits) == sorted(refunds)
    assert {refund_row(factory, no).status for no in refunds} == {"succeeded"}
