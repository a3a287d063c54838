"""申诉: which rejected request of an order can be reviewed a second time, when, with which
alternative — and what the shopper's one message gives the second review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.adapters.policy_files import load_profile
from aftersales.domain.appeals import (
    REFUND_TO_BALANCE,
    CaseView,
    Details,
    Missing,
    Verdict,
    assess,
    parse_details,
    routes_after,
)
from aftersales.domain.model import PaymentChannel

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
GENERAL = load_profile("general", {})


def rejected(ticket_no: str = "TK1", kind: str = "cancellation_review", days_ago: float = 1, action: str = "cancel",
             order_state: str | None = "paid") -> CaseView:
    return CaseView(ticket_no, kind, "resolved", "rejected", NOW - timedelta(days=days_ago), action, order_state)


def appeal(of: str = "TK1", status: str = "resolved", resolution: str | None = "rejected") -> CaseView:
    return CaseView(f"AP-{of}", "appeal", status, resolution, NOW, "cancel", "paid", appeal_of=of)


def verdict(*cases: CaseView, state: str = "paid", channel: PaymentChannel | None = PaymentChannel.ALIPAY,
            profile=GENERAL):
    return assess(cases, state, channel, NOW, profile)


def test_the_latest_rejected_request_is_the_one_appealed_with_the_balance_offered():
    older, newer = rejected("TK1", days_ago=3), rejected("TK2", kind="return", days_ago=1, action="return",
                                                         order_state=None)
    found = verdict(older, newer, CaseView("TK3", "escalation", "resolved", "rejected", NOW, None))
    assert (found.verdict, found.case.ticket_no) == (Verdict.OPEN, "TK2")
    assert found.alternatives == ()  # a return's money comes after the goods: no balance instead
    assert found.ends_at == newer.decided_at + timedelta(days=GENERAL.appeals.within_days)
    cancel = verdict(older)
    assert (cancel.verdict, cancel.alternatives) == (Verdict.OPEN, (REFUND_TO_BALANCE,))


@pytest.mark.parametrize(("cases", "expected"), [
    ((), Verdict.NOTHING_REJECTED),
    ((CaseView("TK1", "cancellation_review", "new", None, None, "cancel", "paid"),), Verdict.NOTHING_REJECTED),
    ((rejected(kind="interception", action="intercept"),), Verdict.NOTHING_REJECTED),  # a fact, not a verdict
    ((rejected(), appeal(status="new", resolution=None)), Verdict.UNDER_REVIEW),
    ((rejected(), appeal(resolution="approved")), Verdict.APPROVED),
    ((rejected(), appeal()), Verdict.EXHAUSTED),
    ((rejected(), appeal(resolution="withdrawn")), Verdict.OPEN),  # withdrawn: no round used up
    ((rejected(days_ago=8),), Verdict.WINDOW_CLOSED),
    ((rejected(order_state="paid"),), Verdict.OPEN),
])
def test_why_an_appeal_can_or_cannot_be_opened(cases, expected):
    assert verdict(*cases).verdict is expected


def test_a_cancellation_of_an_order_that_has_shipped_since_cannot_be_carried_out_as_asked():
    assert verdict(rejected(order_state="paid"), state="shipped").verdict is Verdict.ORDER_MOVED_ON
    assert verdict(rejected(kind="return", action="return", order_state=None), state="completed").verdict is Verdict.OPEN


def test_the_policy_decides_how_often_which_kinds_and_whether_the_balance_is_offered():
    twice = load_profile("general", {"appeals": {"per_case": 2}})
    assert verdict(rejected(), appeal(), profile=twice).verdict is Verdict.OPEN
    no_repairs = load_profile("general", {"appeals": {"kinds": ["cancellation_review"]}})
    assert verdict(rejected(kind="repair", action=None), profile=no_repairs).verdict is Verdict.NOTHING_REJECTED
    no_balance = load_profile("general", {"cancellation": {"refund_to_balance": False}})
    assert verdict(rejected(), profile=no_balance).alternatives == ()
    assert verdict(rejected(), channel=PaymentChannel.BALANCE).alternatives == ()  # it is the balance already
    missing_refund = rejected(kind="missing_item", action="refund_items", order_state=None)
    assert verdict(missing_refund, state="delivered").alternatives == (REFUND_TO_BALANCE,)


def test_the_routes_outside_the_shop_come_from_the_policy():
    assert routes_after(GENERAL.appeals) == [{"route": "consumer_hotline", "contact": "12315"},
                                             {"route": "payment_dispute", "contact": None}]
    elsewhere = load_profile("general", {"appeals": {"outside_routes": [{"route": "consumer_hotline",
                                                                         "contact": "12345"}]}})
    assert routes_after(elsewhere.appeals) == [{"route": "consumer_hotline", "contact": "12345"}]


@pytest.mark.parametrize(("text", "expected"), [
    ("我是重复下单，截图稍后发给你们", Details("我是重复下单，截图稍后发给你们", True)),
    # Words naming the balance never take it: only its button does (negated, they mean the opposite).
    ("我不要退到余额，要原路退回", Details("我不要退到余额，要原路退回", False)),
    ("not to my balance please, back to my card", Details("not to my balance please, back to my card", False)),
    ("  卡密  没有用过 ", Details("卡密 没有用过", False)),
    ("?", Missing.DESCRIPTION),
    ("好" * 501, Missing.TOO_LONG),
])
def test_what_the_shoppers_message_gives_the_second_review(text, expected):
    assert parse_details(text) == expected


@given(st.text(max_size=600))
def test_any_message_is_read_or_refused_never_fails(text):
    parsed = parse_details(text)
    assert isinstance(parsed, Missing) or len(parsed.text) <= 500
