"""Limits across conversations (aftersales.domain.attempts) on the real database: phone guesses per
order, per customer and per client; order-number probing by a signed-in shopper; cases without an
account. Each lock-out refuses the right answer too, ends when its time is up, and is in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.domain import attempts
from aftersales.service.errors import OrderNotFound, TooManyAttempts

from .fixtures import NOW, add_order, service
from .test_concurrency import run_together


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def audit_rows(factory, action="attempts_locked"):
    with factory() as session:
        return list(session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == action)))


def wrong_guesses(svc, order_no, count, client="10.0.0.1"):
    outcomes = []
    for n in range(count):
        try:
            svc.identify_by_phone(order_no, f"{9000 + n}", client)
            outcomes.append("ok")
        except TooManyAttempts:
            outcomes.append("locked")
        except OrderNotFound:
            outcomes.append("wrong")
    return outcomes


def test_wrong_digits_for_one_order_lock_it_for_every_client_and_the_right_digits_too(factory):
    add_order(factory, "P1000000001", customer="alice")
    svc = service(factory)
    max_hits = attempts.PHONE_CHECK_ORDER.max_hits
    # From a different client address each time, as from many sender ids and machines.
    outcomes = [wrong_guesses(svc, "P1000000001", 1, client=f"10.0.1.{n}")[0] for n in range(max_hits + 2)]
    assert outcomes == ["wrong"] * (max_hits - 1) + ["locked"] * 3
    with pytest.raises(TooManyAttempts) as locked:
        svc.identify_by_phone("P1000000001", "0001", "10.9.9.9")
    assert locked.value.scope == "phone_order" and 0 < locked.value.retry_after_s <= 15 * 60
    assert service(factory, NOW + timedelta(minutes=16)).identify_by_phone("P1000000001", "0001", "10.9.9.9") == "alice"
    [row] = audit_rows(factory)
    assert (row.entity, row.entity_id, row.after["limit"]) == ("order", "P1000000001", "phone_order")


def test_guesses_across_one_customers_orders_lock_that_customer(factory):
    orders = [add_order(factory, f"P10000001{n:02d}", customer="alice") for n in range(12)]
    svc = service(factory)
    outcomes = [wrong_guesses(svc, order_no, 1, client=f"10.0.2.{n}")[0] for n, order_no in enumerate(orders)]
    assert outcomes.index("locked") == attempts.PHONE_CHECK_CUSTOMER.max_hits - 1
    with pytest.raises(TooManyAttempts) as locked:
        svc.identify_by_phone(orders[-1], "0001", "10.0.3.1")
    assert locked.value.scope == "phone_customer"


def test_a_client_address_alone_locks_after_its_limit(factory):
    orders = [add_order(factory, f"P10000002{n:02d}", customer="alice") for n in range(1)]
    svc = service(factory)
    unknown = [f"P20000003{n:02d}" for n in range(attempts.PHONE_CHECK_CLIENT.max_hits)]
    outcomes = [wrong_guesses(svc, order_no, 1, client="10.0.0.8")[0] for order_no in unknown]
    assert outcomes[-1] == "locked" and outcomes.count("locked") == 1
    with pytest.raises(TooManyAttempts):
        svc.identify_by_phone(orders[0], "0001", "10.0.0.8")
    assert svc.identify_by_phone(orders[0], "0001", "10.0.0.9") == "alice"  # another client is not affected


def test_lockouts_double_for_a_client_that_keeps_going(factory):
    add_order(factory, "P1000000001", customer="alice")
    locks = []
    now = NOW
    for _ in range(3):
        svc = service(factory, now)
        wrong_guesses(svc, "P1000000001", attempts.PHONE_CHECK_ORDER.max_hits, client=None)
        with pytest.raises(TooManyAttempts) as locked:
            svc.identify_by_phone("P1000000001", "0001")
        locks.append(locked.value.retry_after_s)
        now += timedelta(seconds=locked.value.retry_after_s + 1)
    assert locks == [15 * 60, 30 * 60, 60 * 60]


def test_a_signed_in_shopper_probing_order_numbers_is_locked(factory):
    add_order(factory, "P1000000001", customer="alice")
    add_order(factory, "P1000000002", customer="bob")
    svc = service(factory)
    failures = []
    for n in range(attempts.LOOKUP_CUSTOMER.max_hits):
        with pytest.raises((OrderNotFound, TooManyAttempts)) as refused:
            svc.lookup_order("alice", "P1000000002" if n % 2 else f"P30000000{n:02d}")
        failures.append(type(refused.value).__name__)
    assert failures[-1] == "TooManyAttempts" and failures.count("TooManyAttempts") == 1
    with pytest.raises(TooManyAttempts):
        svc.lookup_order("alice", "P1000000001")
    assert svc.lookup_order("bob", "P1000000002")["order_no"] == "P1000000002"


def test_cases_without_an_account_are_limited_per_conversation_and_client(factory):
    add_order(factory, "P1000000001")  # creates shop_g
    svc = service(factory)
    per_conversation = attempts.ANONYMOUS_CASES_CONVERSATION.max_hits
    opened = [svc.open_ticket(None, "escalation", f"转人工 {n}", shop_id="shop_g", conversation_id="chat-a",
                              client_address="10.0.0.1", idempotency_key=f"k{n}") for n in range(per_conversation)]
    assert all(result["status"] == "opened" for result in opened)
    with pytest.raises(TooManyAttempts):
        svc.open_ticket(None, "escalation", "again", shop_id="shop_g", conversation_id="chat-a", idempotency_key="kx")
    # A retry of a case already opened is its answer again, not a new case.
    assert svc.open_ticket(None, "escalation", "转人工 0", shop_id="shop_g", conversation_id="chat-a",
                           idempotency_key="k0") == opened[0]
    # The same client in new conversations: its own limit.
    results = []
    for n in range(attempts.ANONYMOUS_CASES_CLIENT.max_hits):
        try:
            results.append(svc.open_ticket(None, "escalation", "x", shop_id="shop_g", conversation_id=f"chat-{n}",
                                           client_address="10.0.0.1")["status"])
        except TooManyAttempts:
            results.append("refused")
    assert results.count("opened") == attempts.ANONYMOUS_CASES_CLIENT.max_hits - per_conversation
    # A signed-in shopper is not limited by any of it.
    assert svc.open_ticket("alice", "escalation", "x", order_no="P1000000001", conversation_id="chat-a",
                           client_address="10.0.0.1")["status"] == "opened"
    with factory() as session:
        anonymous = session.scalar(select(func.count()).select_from(t.Ticket).where(t.Ticket.customer_id.is_(None)))
    assert anonymous == attempts.ANONYMOUS_CASES_CLIENT.max_hits
    assert {row.after["limit"] for row in audit_rows(factory)} == {"cases_conversation", "cases_client"}


def test_concurrent_guesses_never_get_one_comparison_past_the_limit(factory):
    add_order(factory, "P1000000001", customer="alice")
    svc = service(factory)
    limit = attempts.PHONE_CHECK_ORDER.max_hits
    results = run_together(*[lambda n=n: svc.identify_by_phone("P1000000001", f"{8000 + n}", f"10.1.0.{n}")
                             for n in range(3 * limit)])
    assert sum(isinstance(r, OrderNotFound) for r in results) == limit - 1
    assert sum(isinstance(r, TooManyAttempts) for r in results) == 2 * limit + 1
    with pytest.raises(TooManyAttempts):
        svc.identify_by_phone("P1000000001", "0001", "10.1.1.1")


def test_a_lockout_is_in_the_audit_log_of_the_case_the_merchant_opens(factory):
    from aftersales.service.inbox import InboxService

    add_order(factory, "P1000000001", customer="alice")
    svc = service(factory)
    wrong_guesses(svc, "P1000000001", attempts.PHONE_CHECK_ORDER.max_hits)
    opened = svc.open_ticket("alice", "escalation", "转人工", order_no="P1000000001", conversation_id="chat-z")
    for n in range(attempts.ANONYMOUS_CASES_CONVERSATION.max_hits):
        anonymous = svc.open_ticket(None, "escalation", "转人工", shop_id="shop_g", conversation_id="chat-y",
                                    idempotency_key=f"y{n}")
    inbox = InboxService(factory)
    order_case = inbox.case(opened["ticket"]["ticket_no"], {"shop_g"})
    assert [a["after"]["limit"] for a in order_case["audit"] if a["action"] == "attempts_locked"] == ["phone_order"]
    shop_case = inbox.case(anonymous["ticket"]["ticket_no"], {"shop_g"})
    assert [a["after"]["limit"] for a in shop_case["audit"] if a["action"] == "attempts_locked"] == \
        ["cases_conversation"]
