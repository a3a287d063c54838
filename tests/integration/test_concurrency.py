"""Money moves at most once under concurrency: real threads, real transactions, real locks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import Conflict
from aftersales.service.unit_of_work import UnitOfWork

from .fixtures import add_order, merchant, service


def run_together(*calls):
    """Start every call at the same instant; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))

    def wrapped(call):
        barrier.wait()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each racer got
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(wrapped, calls))


def refunds_of(factory, order_no):
    with factory() as session:
        return session.scalar(select(func.count()).select_from(t.Refund).join(t.Order)
                              .where(t.Order.order_no == order_no))


@pytest.mark.parametrize("same_key", [False, True], ids=["distinct-keys", "one-retried-key"])
def test_twenty_parallel_cancels_refund_exactly_once(database_url, same_key):
    factory = session_factory(database_url)
    add_order(factory, "P1000000001", channel="alipay")
    svc = service(factory)
    results = run_together(*[
        (lambda n=n: svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind",
                                idempotency_key="retry" if same_key else f"key-{n}"))
        for n in range(20)
    ])
    assert not [r for r in results if isinstance(r, Exception)], results
    done = [r for r in results if r["status"] == "done"]
    refused = [r for r in results if r["status"] == "refused"]
    if same_key:
        assert len(done) == 20 and len({r["refund"]["refund_no"] for r in done}) == 1
    else:
        assert len(done) == 1 and len(refused) == 19
        assert {r["decision"]["code"] for r in refused} == {"already_cancelled"}
    assert refunds_of(factory, "P1000000001") == 1


@pytest.mark.parametrize("round_", range(5))
def test_cancel_racing_the_merchant_shipment_has_one_consistent_winner(database_url, round_):
    factory = session_factory(database_url)
    order_no = f"P100000000{round_}"
    add_order(factory, order_no, channel="wechat_pay")
    svc = service(factory)
    cancel, ship = run_together(
        lambda: svc.submit("alice", order_no, "cancel_refund", "changed_mind"),
        lambda: merchant(factory).advance_order(order_no, "shipped", actor="merchant:m1", carrier="SF", tracking_no="SF1"),
    )
    state = svc.lookup_order("alice", order_no)["state"]
    if isinstance(ship, Conflict):  # the cancel won
        assert cancel["status"] == "done" and state == "cancelled"
        assert refunds_of(factory, order_no) == 1
    else:  # the shipment won: the cancel saw a shipped order and was refused
        assert not isinstance(ship, Exception), ship
        assert (cancel["status"], cancel["decision"]["code"]) == ("refused", "already_shipped")
        assert state == "shipped" and refunds_of(factory, order_no) == 0


def test_parallel_merchant_approvals_execute_once(database_url):
    factory = session_factory(database_url)
    add_order(factory, "8800000000001", profile="virtual_goods", goods="virtual_card")
    svc = service(factory)
    ticket = svc.submit("alice", "8800000000001", "cancel_refund", "changed_mind")["ticket"]["ticket_no"]
    results = run_together(*[(lambda: merchant(factory).decide_ticket(ticket, True, "同意", actor="merchant:m1"))
                             for _ in range(8)])
    statuses = sorted(r["status"] for r in results)
    assert statuses == ["already_decided"] * 7 + ["approved"]
    assert refunds_of(factory, "8800000000001") == 1


def test_reads_do_not_wait_for_a_writer(database_url):
    """A shopper's look-up runs while another transaction holds the write lock (SQLite: WAL readers
    take no lock; PostgreSQL: readers never wait for row locks), and sees the last commit."""
    factory = session_factory(database_url)
    add_order(factory, "P1000000009", channel="alipay")
    svc = service(factory)
    with UnitOfWork(factory) as writer:
        writer.orders.lock("P1000000009").state = "shipped"  # row locked, write lock held, not committed
        writer.flush()
        with ThreadPoolExecutor(max_workers=1) as pool:
            read = pool.submit(svc.lookup_order, "alice", "P1000000009")
            seen = read.result(timeout=10)  # before: waited for the writer (30 s busy timeout on SQLite)
    assert seen["state"] == "paid"


def test_a_read_only_unit_of_work_cannot_commit(database_url):
    with UnitOfWork(session_factory(database_url), read_only=True) as uow, pytest.raises(RuntimeError):
        uow.commit()


@pytest.mark.parametrize("round_", range(3))
def test_a_withdrawal_and_the_merchants_approval_at_once_end_in_exactly_one(database_url, round_):
    from aftersales.service.withdrawals import WithdrawalService

    factory = session_factory(database_url)
    # Paid a day ago, past the self-cancel window: the cancellation goes to review.
    add_order(factory, "8800000000001", profile="virtual_goods", goods="virtual_card", channel="alipay")
    svc = service(factory)
    ticket = svc.submit("alice", "8800000000001", "cancel_refund", "changed_mind")["ticket"]["ticket_no"]
    withdrawal, decision = run_together(
        lambda: WithdrawalService(factory, clock=svc.clock).withdraw("alice", "8800000000001"),
        lambda: merchant(factory).decide_ticket(ticket, True, "同意", actor="merchant:m1"))
    if isinstance(decision, Conflict):  # the withdrawal came first
        assert withdrawal["status"] == "withdrawn" and refunds_of(factory, "8800000000001") == 0
    else:  # the approval came first: the cancellation was carried out and stays
        assert decision["status"] == "approved" and withdrawal["status"] == "nothing_open"
        assert withdrawal["closed"][0]["refusal"] == "carried_out"
        assert refunds_of(factory, "8800000000001") == 1
