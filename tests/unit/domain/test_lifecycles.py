"""The lifecycles' tables: what may follow what, and that nothing else can."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.adapters.policy_files import load_profile
from aftersales.domain import cases
from aftersales.domain.lifecycles import (
    RETURN_OPEN,
    TICKET_OPEN,
    IllegalTransition,
    InterceptionStatus,
    Lifecycle,
    NotificationStatus,
    ReturnStatus,
    TicketStatus,
    register,
)
from aftersales.domain.model import Fault
from aftersales.domain.refunds import ProviderStatus, RefundStatus, next_status

LIFECYCLES: list[type[Lifecycle]] = [TicketStatus, ReturnStatus, InterceptionStatus, NotificationStatus,
                                     RefundStatus]
R, T, IC, N = ReturnStatus, TicketStatus, InterceptionStatus, NotificationStatus


@settings(max_examples=300)
@given(kind=st.sampled_from(LIFECYCLES), data=st.data())
def test_random_moves_stay_in_the_table_and_terminal_states_have_no_way_out(kind, data):
    status = data.draw(st.sampled_from(list(kind)))
    for target in data.draw(st.lists(st.sampled_from(list(kind)), max_size=20)):
        if target in status.next:
            status = status.to(target)
        else:
            with pytest.raises(IllegalTransition):
                status.to(target)
        assert status in set(kind)
        if status.terminal:
            for anything in kind:
                with pytest.raises(IllegalTransition):
                    status.to(anything)


@pytest.mark.parametrize(("kind", "terminal"), [
    (TicketStatus, {T.RESOLVED}),
    (ReturnStatus, {R.REFUNDED, R.WITHDRAWN, R.REPLACEMENT_SHIPPED}),
    (InterceptionStatus, {IC.SUCCEEDED, IC.FAILED, IC.WITHDRAWN}),
    (NotificationStatus, {N.SENT, N.FAILED}),
    (RefundStatus, {RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
])
def test_the_terminal_states(kind, terminal):
    assert {status for status in kind if status.terminal} == terminal


def test_the_stored_values_are_those_in_the_database():
    assert [s.value for s in TicketStatus] == ["new", "in_progress", "waiting_on_customer", "resolved"]
    assert {s.value for s in ReturnStatus} == {"requested", "authorized", "received", "refunded", "rejected",
                                               "withdrawn", "replacement_shipped"}
    assert {s.value for s in InterceptionStatus} == {"requested", "succeeded", "failed", "withdrawn"}
    assert {s.value for s in NotificationStatus} == {"pending", "sending", "sent", "failed"}


def test_a_return_goes_through_review_the_goods_and_the_replacement():
    assert R.REQUESTED.to(R.AUTHORIZED).to(R.RECEIVED).to(R.REPLACEMENT_SHIPPED) is R.REPLACEMENT_SHIPPED
    assert R.REQUESTED.to(R.REFUNDED) is R.REFUNDED  # refund only, or the refused parcel back
    assert {R.REQUESTED, R.AUTHORIZED} == RETURN_OPEN
    for closed in (R.RECEIVED, R.REFUNDED, R.REJECTED, R.REPLACEMENT_SHIPPED):
        with pytest.raises(IllegalTransition):
            closed.to(R.WITHDRAWN)  # what was carried out or decided cannot be taken back
    with pytest.raises(IllegalTransition, match="cannot become replacement_shipped"):
        R.AUTHORIZED.to(R.REPLACEMENT_SHIPPED)  # not before the goods are back


def test_an_appeal_reopens_a_rejection_for_review_and_nothing_else():
    assert R.REJECTED.next == {R.REQUESTED}
    assert R.REQUESTED.to(R.REJECTED).to(R.REQUESTED).to(R.AUTHORIZED) is R.AUTHORIZED
    for carried_out in (R.REFUNDED, R.AUTHORIZED, R.RECEIVED, R.WITHDRAWN):
        with pytest.raises(IllegalTransition):
            R.REJECTED.to(carried_out)  # never straight to what the second review decides


def test_open_cases_move_freely_and_a_resolved_one_never_reopens():
    for status in TICKET_OPEN:
        assert status.next == TICKET_OPEN | {T.RESOLVED}
    with pytest.raises(IllegalTransition):
        T.RESOLVED.to(T.NEW)


def test_an_interception_is_decided_once():
    assert IC.REQUESTED.to(IC.FAILED) is IC.FAILED
    with pytest.raises(IllegalTransition):
        IC.FAILED.to(IC.SUCCEEDED)


def test_an_outbox_row_is_claimed_before_it_is_sent_and_claimed_again_after_its_lease():
    with pytest.raises(IllegalTransition):
        N.PENDING.to(N.SENT)
    assert N.PENDING.to(N.SENDING).to(N.SENDING).to(N.PENDING).to(N.SENDING).to(N.SENT) is N.SENT


def test_refunds_follow_their_table():
    assert next_status(RefundStatus.REQUESTED, ProviderStatus.ACCEPTED) is RefundStatus.SUBMITTED
    assert next_status(RefundStatus.SUBMITTED, ProviderStatus.ACCEPTED) is None
    assert next_status(RefundStatus.SUCCEEDED, ProviderStatus.FAILED) is None


def test_a_table_must_name_every_status_and_only_them():
    class Half(Lifecycle):
        A = "a"
        B = "b"

    with pytest.raises(AssertionError):
        register(Half, {Half.A: frozenset({Half.B})})
    with pytest.raises(AssertionError):
        register(Half, {Half.A: frozenset({"c"}), Half.B: frozenset()})


@pytest.mark.parametrize(("kind", "fault", "amount", "expected"), [
    ("refund_failed", None, 0, "urgent"),
    ("complaint", None, 0, "high"),
    ("escalation", None, 0, "normal"),
    ("address_change", None, 0, "high"),
    ("invoice", None, 0, "normal"),
    ("return", Fault.CUSTOMER, 99_999, "normal"),
    ("return", Fault.CUSTOMER, 100_000, "high"),
    ("cancellation_review", Fault.MERCHANT, 100, "high"),
    ("interception", Fault.PLATFORM, 0, "high"),
])
def test_a_case_s_priority(kind, fault, amount, expected):
    assert cases.priority(kind, fault, amount) == expected


def test_a_case_s_sla_the_decision_s_then_the_profile_s_then_four_hours():
    base = load_profile("general")
    assert cases.sla_hours("return", base, decided=48) == 48
    assert cases.sla_hours("address_change", base) == 2
    assert cases.sla_hours("refund_failed", base) == cases.DEFAULT_SLA_HOURS == 4
    assert cases.sla_hours("complaint", None) == 4
