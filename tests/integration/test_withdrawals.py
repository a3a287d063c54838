"""Withdrawing a request against a real database: the request and its case close as withdrawn, the
merchant can no longer carry it out, and what was carried out stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import Conflict, InvalidInput, OrderNotFound
from aftersales.service.withdrawals import WithdrawalService

from .fixtures import NOW, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def withdrawals(factory) -> WithdrawalService:
    return WithdrawalService(factory, clock=lambda: NOW)


def audit_actions(factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(t.AuditEvent.action).order_by(t.AuditEvent.id)))


def test_a_cancellation_under_review_is_withdrawn_and_the_merchant_can_no_longer_approve_it(factory):
    add_order(factory, "8800000000001", profile="virtual_goods", goods="virtual_card", paid_ago=timedelta(hours=2))
    svc = service(factory)
    ticket = svc.submit("alice", "8800000000001", "cancel_refund", "changed_mind")["ticket"]["ticket_no"]
    preview = withdrawals(factory).withdrawable("alice", "8800000000001")
    assert [(r["kind"], r["reference"]) for r in preview["open"]] == [("cancellation", ticket)]

    done = withdrawals(factory).withdraw("alice", "8800000000001", idempotency_key="conv:1")
    assert done["status"] == "withdrawn" and done["withdrawn"][0]["reference"] == ticket
    assert withdrawals(factory).withdraw("alice", "8800000000001", idempotency_key="conv:1") == done
    again = withdrawals(factory).withdraw("alice", "8800000000001")
    assert again["status"] == "nothing_open" and again["withdrawn"] == []

    case = svc.ticket(ticket)
    assert (case["status"], case["resolution"]) == ("resolved", "withdrawn")
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(ticket, True, "ok", actor="merchant:m1")
    order = svc.lookup_order("alice", "8800000000001")
    assert order["state"] == "paid" and order["refunds"] == []
    assert audit_actions(factory).count("ticket_withdrawn") == 1
    # Withdrawn, it is asked for anew like the first time.
    assert svc.submit("alice", "8800000000001", "cancel_refund", "changed_mind")["status"] == "under_review"


def test_an_authorized_return_is_withdrawn_with_its_case_and_cannot_be_received(factory):
    add_order(factory, "P1000000001", state="delivered")
    svc = service(factory)
    result = svc.submit("alice", "P1000000001", "return_refund", "changed_mind")
    merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "请寄回", actor="merchant:m1")
    done = withdrawals(factory).withdraw("alice", "P1000000001", kinds=["return"])
    assert [(r["kind"], r["status"]) for r in done["withdrawn"]] == [("return", "withdrawn")]
    with pytest.raises(Conflict):
        merchant(factory).receive_return(result["return"]["return_no"], actor="merchant:m1")
    order = svc.lookup_order("alice", "P1000000001")
    assert order["returns"][0]["status"] == "withdrawn" and order["refunds"] == []
    assert "return_withdrawn" in audit_actions(factory)


def test_a_merchant_stage_interception_is_withdrawn_and_does_not_use_up_the_free_quota(factory):
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    svc = service(factory)
    before = svc.preview("alice", "KS1000000001", "intercept", "changed_mind")["interception"]["free_left_this_month"]
    result = svc.submit("alice", "KS1000000001", "intercept", "changed_mind")
    done = withdrawals(factory).withdraw("alice", "KS1000000001")
    assert [r["kind"] for r in done["withdrawn"]] == ["interception"]
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "已拦截", actor="merchant:m1")
    assert svc.lookup_order("alice", "KS1000000001")["state"] == "shipped"
    after = svc.preview("alice", "KS1000000001", "intercept", "changed_mind")["interception"]["free_left_this_month"]
    assert after == before


def test_what_was_carried_out_or_is_with_the_courier_stays_and_says_why(factory):
    add_order(factory, "P1000000001")
    add_order(factory, "KS1000000002", state="in_transit", profile="short_video", distance_to_destination_km=300)
    svc = service(factory)
    svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    svc.submit("alice", "KS1000000002", "intercept", "changed_mind")
    cancelled = withdrawals(factory).withdraw("alice", "P1000000001")
    assert cancelled["status"] == "nothing_open"
    assert [(r["kind"], r["refusal"]) for r in cancelled["closed"]] == [("cancellation", "carried_out")]
    courier = withdrawals(factory).withdraw("alice", "KS1000000002")
    assert [(r["kind"], r["refusal"]) for r in courier["closed"]] == [("interception", "with_courier")]
    assert svc.lookup_order("alice", "KS1000000002")["interceptions"][0]["status"] == "requested"
    assert svc.lookup_order("alice", "P1000000001")["state"] == "cancelled"


def test_words_that_name_no_open_request_withdraw_the_open_one(factory):
    add_order(factory, "P1000000001", state="delivered")
    svc = service(factory)
    svc.submit("alice", "P1000000001", "exchange", "does_not_fit", exchange_wish="换成 42 码")
    # "不拦截了" on an order whose only open request is an exchange: that is what they mean.
    assert withdrawals(factory).withdrawable("alice", "P1000000001", kinds=["interception"])["open"][0][
        "kind"] == "exchange"
    done = withdrawals(factory).withdraw("alice", "P1000000001", kinds=["interception"])
    assert [r["kind"] for r in done["withdrawn"]] == ["exchange"]
    assert svc.lookup_order("alice", "P1000000001")["returns"][0]["status"] == "withdrawn"


def test_someone_elses_order_and_unknown_kinds_are_refused(factory):
    add_order(factory, "P1000000001", customer="bob", state="delivered")
    service(factory).submit("bob", "P1000000001", "return_refund", "changed_mind")
    with pytest.raises(OrderNotFound):
        withdrawals(factory).withdraw("alice", "P1000000001")
    with pytest.raises(InvalidInput):
        withdrawals(factory).withdraw("bob", "P1000000001", kinds=["everything"])
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.ReturnRequest)
                              .where(t.ReturnRequest.status == "withdrawn")) == 0
