"""The policy engine over every state × goods type × outcome, per profile, with the seeds' edges."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta

import pytest

from aftersales.adapters.policy_files import load_profile, profile_names
from aftersales.domain.model import (
    FINAL_STATES,
    CustomerHistory,
    Fulfillment,
    GoodsType,
    OrderState,
    Outcome,
    Party,
    PaymentChannel,
    Request,
)
from aftersales.domain.policy import Execution, InvalidRequest, RefundTiming, available_outcomes, decide

from .builders import NOW, order

GENERAL, SHORT_VIDEO, VIRTUAL = (load_profile(n) for n in ("general", "short_video", "virtual_goods"))
CLEAN = CustomerHistory(orders_in_window=5, cancellations_in_window=0, interceptions_this_month=0)
PHYSICAL_STATES = [s for s in OrderState if s is not OrderState.REDEEMED]
VIRTUAL_STATES = [s for s in OrderState if s not in (OrderState.SHIPPED, OrderState.IN_TRANSIT,
                                                     OrderState.OUT_FOR_DELIVERY, OrderState.RETURNED)]


def ask(view, outcome, reason="changed_mind", profile=GENERAL, history=CLEAN, items=(), now=NOW):
    return decide(view, Request(Outcome(outcome), reason, tuple(items)), now, history, profile)


def combos():
    for profile_name in profile_names():
        for goods in GoodsType:
            states = VIRTUAL_STATES if goods.fulfillment is Fulfillment.VIRTUAL else PHYSICAL_STATES
            for state, outcome in itertools.product(states, Outcome):
                yield profile_name, goods, state, outcome


@pytest.mark.parametrize(("profile_name", "goods", "state", "outcome"), list(combos()))
def test_every_state_goods_and_outcome_gets_a_coherent_decision(profile_name, goods, state, outcome):
    profile = load_profile(profile_name)
    view = order(state, goods, shipping_fee=800, distance_km=200)
    decision = ask(view, outcome, profile=profile)

    assert decision.outcome is outcome
    assert decision.code
    if state in FINAL_STATES:
        assert decision.execution is Execution.REFUSED
    if decision.execution is Execution.REFUSED:
        assert decision.refund is None and decision.interception is None
        assert outcome not in decision.alternatives
    if decision.execution is Execution.IMMEDIATE:
        # Only a cancel before shipment (or inside the virtual window) happens without a human.
        assert outcome in (Outcome.CANCEL_REFUND, Outcome.REFUND_TO_BALANCE)
        assert state in (OrderState.PENDING_PAYMENT, OrderState.PAID)
    if decision.refund is not None:
        assert 0 <= decision.refund.amount <= 10_000 + 800
        if state is OrderState.PENDING_PAYMENT:
            assert decision.refund.timing is RefundTiming.NONE_DUE and decision.refund.amount == 0
    if decision.allowed and decision.execution is not Execution.IMMEDIATE:
        assert decision.sla_hours and decision.sla_hours > 0
    if goods.fulfillment is Fulfillment.VIRTUAL:
        assert outcome is not Outcome.INTERCEPT or not decision.allowed
        assert outcome not in (Outcome.RETURN_REFUND, Outcome.EXCHANGE, Outcome.REFUND_ONLY) or not decision.allowed
    if goods is GoodsType.FRESH and outcome is Outcome.INTERCEPT:
        assert not decision.allowed


# (profile, state, goods, outcome, reason, expected execution, expected code)
EXPECTED = [
    # pending payment: cancel now, nothing to refund
    ("general", "pending_payment", "physical", "cancel_refund", "changed_mind", "immediate", "unpaid_cancel"),
    ("virtual_goods", "pending_payment", "virtual_card", "cancel_refund", "changed_mind", "immediate", "unpaid_cancel"),
    # paid, not shipped: cancel + full refund at once
    ("general", "paid", "physical", "cancel_refund", "ordered_by_mistake", "immediate", "cancel_before_shipment"),
    ("general", "paid", "fresh", "cancel_refund", "changed_mind", "immediate", "cancel_before_shipment"),
    ("short_video", "paid", "physical", "refund_to_balance", "changed_mind", "immediate", "cancel_before_shipment"),
    ("general", "paid", "physical", "intercept", "changed_mind", "refused", "not_shipped_yet"),
    ("general", "paid", "physical", "return_refund", "changed_mind", "refused", "not_shipped_yet"),
    # paid or unpaid, not shipped: an exchange is a size or colour change the shop checks its stock for
    ("general", "paid", "physical", "exchange", "ordered_by_mistake", "review", "item_change_before_shipment"),
    ("short_video", "pending_payment", "fresh", "exchange", "changed_mind", "review", "item_change_before_shipment"),
    ("virtual_goods", "paid", "virtual_card", "exchange", "changed_mind", "refused", "virtual_goods_not_returnable"),
    # shipped / in transit: no cancel; interception where the profile offers it
    ("general", "shipped", "physical", "cancel_refund", "changed_mind", "refused", "already_shipped"),
    ("general", "shipped", "physical", "intercept", "changed_mind", "refused", "interception_not_offered"),
    ("short_video", "shipped", "physical", "intercept", "changed_mind", "request", "interception_merchant_stage"),
    ("short_video", "in_transit", "physical", "intercept", "wrong_address", "request", "interception_courier_stage"),
    ("short_video", "in_transit", "fresh", "intercept", "changed_mind", "refused", "fresh_goods_no_interception"),
    ("short_video", "out_for_delivery", "physical", "intercept", "changed_mind", "refused", "too_late_to_intercept"),
    ("short_video", "out_for_delivery", "physical", "return_refund", "changed_mind", "request", "refuse_on_delivery"),
    ("general", "in_transit", "physical", "return_refund", "changed_mind", "request", "refuse_on_delivery"),
    ("general", "in_transit", "physical", "exchange", "changed_mind", "refused", "exchange_after_delivery"),
    ("general", "in_transit", "physical", "refund_only", "not_received", "refused", "not_delivered_yet"),
    # delivered: return / exchange within the window, reviewed by the merchant
    ("general", "delivered", "physical", "return_refund", "changed_mind", "review", "return_within_window"),
    ("general", "delivered", "physical", "exchange", "quality_defect", "review", "return_within_window"),
    ("general", "delivered", "physical", "cancel_refund", "changed_mind", "refused", "already_delivered"),
    ("general", "delivered", "physical", "refund_only", "changed_mind", "refused", "refund_only_needs_fault"),
    ("general", "delivered", "physical", "refund_only", "not_received", "review", "refund_only_review"),
    ("general", "delivered", "fresh", "return_refund", "changed_mind", "refused", "fresh_goods_no_personal_return"),
    ("general", "delivered", "fresh", "return_refund", "quality_defect", "review", "return_within_window"),
    ("general", "completed", "physical", "intercept", "changed_mind", "refused", "already_delivered"),
    ("virtual_goods", "delivered", "virtual_card", "exchange", "changed_mind", "refused", "virtual_goods_not_returnable"),
    # virtual goods
    ("virtual_goods", "paid", "virtual_card", "cancel_refund", "changed_mind", "review", "virtual_window_passed"),
    ("virtual_goods", "delivered", "virtual_card", "cancel_refund", "changed_mind", "refused", "virtual_delivered"),
    ("virtual_goods", "redeemed", "virtual_topup", "cancel_refund", "changed_mind", "refused", "virtual_redeemed"),
    ("virtual_goods", "redeemed", "virtual_topup", "cancel_refund", "platform_error", "review",
     "virtual_platform_fault_appeal"),
    ("virtual_goods", "delivered", "virtual_card", "cancel_refund", "platform_error", "review",
     "virtual_platform_fault_appeal"),
    ("virtual_goods", "paid", "virtual_card", "intercept", "changed_mind", "refused", "virtual_goods_not_shipped"),
    # final states
    ("general", "cancelled", "physical", "cancel_refund", "changed_mind", "refused", "already_cancelled"),
    ("short_video", "returned", "physical", "return_refund", "changed_mind", "refused", "already_returned"),
]


@pytest.mark.parametrize(("profile", "state", "goods", "outcome", "reason", "execution", "code"), EXPECTED)
def test_seed_rules_by_state(profile, state, goods, outcome, reason, execution, code):
    decision = ask(order(state, goods), outcome, reason=reason, profile=load_profile(profile))
    assert (decision.execution.value, decision.code) == (execution, code)


def test_paid_cancel_refunds_everything_to_the_original_channel_at_once():
    decision = ask(order("paid", channel="wechat_pay", items=2, price=4_550, shipping_fee=800), "cancel_refund")
    assert decision.refund.amount == 2 * 4_550 + 800
    assert decision.refund.channel is PaymentChannel.WECHAT_PAY
    assert decision.refund.timing is RefundTiming.NOW
    assert decision.refund.eta.immediate


def test_bank_card_refund_eta_differs_by_profile():
    view = order("paid", channel="bank_card")
    assert (ask(view, "cancel_refund", profile=GENERAL).refund.eta.max,
            ask(view, "cancel_refund", profile=SHORT_VIDEO).refund.eta.max) == (5, 3)
    assert ask(view, "cancel_refund").refund.eta.unit == "business_days"


def test_refund_to_balance_goes_to_the_balance_immediately():
    decision = ask(order("paid", channel="bank_card"), "refund_to_balance")
    assert decision.refund.channel is PaymentChannel.BALANCE and decision.refund.eta.immediate


def test_partial_cancellation_keeps_shipping_unless_it_takes_the_last_items():
    view = order("paid", items=3, price=1_000, shipping_fee=500)
    assert ask(view, "cancel_refund", items=[1, 2]).refund.amount == 2_000
    assert ask(view, "cancel_refund", items=[1, 2, 3]).refund.amount == 3_500
    after_one = order("paid", items=3, price=1_000, shipping_fee=500, cancelled_items=(1,))
    assert ask(after_one, "cancel_refund", items=[2, 3]).refund.amount == 2_500
    assert ask(after_one, "cancel_refund", items=[1]).code == "items_already_cancelled"


def test_partial_cancellation_is_refused_where_the_profile_does_not_offer_it():
    profile = load_profile("general", {"cancellation": {"partial": False}})
    decision = ask(order("paid", items=2), "cancel_refund", items=[1], profile=profile)
    assert (decision.execution, decision.code) == (Execution.REFUSED, "partial_cancellation_not_offered")
    assert decision.alternatives == (Outcome.CANCEL_REFUND,)


def test_unknown_items_and_reasons_are_invalid_requests():
    with pytest.raises(InvalidRequest):
        ask(order("paid"), "cancel_refund", items=[99])
    with pytest.raises(InvalidRequest):
        ask(order("paid"), "cancel_refund", reason="because")


# -- return window boundaries (7 days from delivery) ---------------------------------------------

@pytest.mark.parametrize(("delivered_ago", "allowed"), [
    (timedelta(days=7) - timedelta(seconds=1), True),
    (timedelta(days=7), True),
    (timedelta(days=7, seconds=1), False),
])
def test_return_window_boundary(delivered_ago, allowed):
    decision = ask(order("delivered", delivered_ago=delivered_ago), "return_refund")
    assert decision.allowed is allowed
    if not allowed:
        assert decision.code == "return_window_closed" and decision.human_can_help


def test_return_shipping_is_paid_by_whoever_is_at_fault():
    view = order("delivered")
    assert ask(view, "return_refund", reason="changed_mind").return_shipping_payer is Party.CUSTOMER
    assert ask(view, "return_refund", reason="wrong_item_sent").return_shipping_payer is Party.MERCHANT
    assert ask(view, "return_refund", reason="quality_defect").evidence_required
    assert not ask(view, "return_refund", reason="changed_mind").evidence_required


def test_completed_order_out_of_window_offers_a_human():
    decision = ask(order("completed", delivered_ago=timedelta(days=30)), "cancel_refund")
    assert (decision.code, decision.human_can_help) == ("after_sales_window_closed", True)


# -- interception ---------------------------------------------------------------------------------

def test_interception_estimates_are_the_seeds_figures():
    merchant = ask(order("shipped"), "intercept", profile=SHORT_VIDEO).interception
    courier = ask(order("in_transit", distance_km=300), "intercept", profile=SHORT_VIDEO).interception
    assert (merchant.stage, merchant.eta.min, merchant.eta.max, merchant.success_rate) == ("merchant", 1, 2, 0.925)
    assert (courier.stage, courier.eta.min, courier.eta.max, courier.success_rate) == ("courier", 24, 48, 0.673)
    assert merchant.failed_return_shipping is Party.CUSTOMER


@pytest.mark.parametrize(("distance", "allowed"), [(49.9, False), (50, True), (None, True)])
def test_courier_cannot_intercept_within_50_km(distance, allowed):
    decision = ask(order("in_transit", distance_km=distance), "intercept", profile=SHORT_VIDEO)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.code == "too_close_to_destination"
        assert Outcome.RETURN_REFUND in decision.alternatives


@pytest.mark.parametrize(("used", "free_left", "fee_payer"), [
    (0, 3, Party.PLATFORM), (2, 1, Party.PLATFORM), (3, 0, Party.CUSTOMER), (7, 0, Party.CUSTOMER),
])
def test_monthly_free_interception_quota(used, free_left, fee_payer):
    history = CustomerHistory(orders_in_window=10, interceptions_this_month=used)
    decision = ask(order("shipped"), "intercept", profile=SHORT_VIDEO, history=history)
    assert decision.allowed  # beyond the quota it is still possible, at the shopper's cost
    assert (decision.interception.free_left_this_month, decision.interception.fee_payer) == (free_left, fee_payer)
    assert (decision.code == "interception_free_quota_used") is (free_left == 0)


def test_unlimited_quota_profile_override():
    profile = load_profile("short_video", {"interception": {"free_per_month": None}})
    history = CustomerHistory(orders_in_window=40, interceptions_this_month=30)
    plan = ask(order("shipped"), "intercept", profile=profile, history=history).interception
    assert (plan.free_left_this_month, plan.fee_payer) == (None, Party.PLATFORM)


def test_interception_is_for_the_whole_parcel_and_refunds_once_it_succeeds():
    view = order("shipped", items=2)
    assert ask(view, "intercept", profile=SHORT_VIDEO, items=[1]).code == "interception_is_whole_parcel"
    decision = ask(view, "intercept", profile=SHORT_VIDEO)
    # Paid when the merchant records the interception succeeded: the words say that moment, no later one.
    assert decision.refund.timing is RefundTiming.AFTER_INTERCEPTION and decision.refund.amount == 20_000


def test_shipped_cancel_points_to_interception_where_offered():
    assert ask(order("shipped"), "cancel_refund", profile=SHORT_VIDEO).alternatives == (
        Outcome.INTERCEPT, Outcome.RETURN_REFUND)
    assert ask(order("shipped"), "cancel_refund", profile=GENERAL).alternatives == (Outcome.RETURN_REFUND,)


# -- virtual goods window ---------------------------------------------------------------------------

@pytest.mark.parametrize(("paid_ago", "locked", "execution", "code"), [
    (timedelta(minutes=3), False, Execution.IMMEDIATE, "virtual_cancel_in_window"),
    (timedelta(minutes=10), False, Execution.IMMEDIATE, "virtual_cancel_in_window"),
    (timedelta(minutes=10, seconds=1), False, Execution.REVIEW, "virtual_window_passed"),
    (timedelta(minutes=2), True, Execution.REVIEW, "virtual_stock_locked"),
])
def test_virtual_self_cancel_window(paid_ago, locked, execution, code):
    decision = ask(order("paid", "virtual_card", paid_ago=paid_ago, locked=locked), "cancel_refund", profile=VIRTUAL)
    assert (decision.execution, decision.code) == (execution, code)
    if execution is Execution.REVIEW:
        assert decision.refund.timing is RefundTiming.AFTER_APPROVAL
        # The review takes its hours; once approved, the money takes the channel's time (Alipay: at once).
        assert decision.sla_hours == VIRTUAL.sla_hours["cancellation_review"]
        assert decision.refund.eta == VIRTUAL.refund_eta[PaymentChannel.ALIPAY]


def test_redeemed_appeal_needs_evidence():
    decision = ask(order("redeemed", "virtual_topup"), "cancel_refund", reason="platform_error", profile=VIRTUAL)
    assert decision.evidence_required and decision.refund.amount == 10_000


# -- customer history -----------------------------------------------------------------------------

@pytest.mark.parametrize(("orders", "cancellations", "execution"), [
    (10, 2, Execution.IMMEDIATE),  # under the minimum count
    (10, 4, Execution.IMMEDIATE),  # 40 %: under the rate
    (6, 3, Execution.REVIEW),  # 50 %: at the rate
    (4, 3, Execution.REVIEW),
])
def test_high_cancellation_rate_routes_to_merchant_review(orders, cancellations, execution):
    history = CustomerHistory(orders_in_window=orders, cancellations_in_window=cancellations)
    decision = ask(order("paid"), "cancel_refund", history=history)
    assert decision.execution is execution
    if execution is Execution.REVIEW:
        assert decision.code == "high_cancellation_rate"
        assert decision.refund.timing is RefundTiming.AFTER_APPROVAL


def test_high_cancellation_rate_closes_the_virtual_window_too():
    history = CustomerHistory(orders_in_window=4, cancellations_in_window=3)
    decision = ask(order("paid", "virtual_card", paid_ago=timedelta(minutes=1)), "cancel_refund",
                   profile=VIRTUAL, history=history)
    assert (decision.execution, decision.code) == (Execution.REVIEW, "high_cancellation_rate")


def test_available_outcomes_are_what_the_buttons_offer():
    outcomes = [d.outcome for d in available_outcomes(order("paid"), "changed_mind", NOW, CLEAN, GENERAL)]
    # Before shipment an exchange is a size or colour change (the item on the order changes).
    assert outcomes == [Outcome.CANCEL_REFUND, Outcome.REFUND_TO_BALANCE, Outcome.EXCHANGE]
    shipped = [d.outcome for d in available_outcomes(order("shipped"), "changed_mind", NOW, CLEAN, SHORT_VIDEO)]
    assert shipped == [Outcome.INTERCEPT, Outcome.RETURN_REFUND]
    assert available_outcomes(order("cancelled"), "changed_mind", NOW, CLEAN, GENERAL) == []


def test_a_courier_interception_case_waits_the_couriers_hours_not_the_merchants():
    merchant_stage = ask(order("shipped"), "intercept", profile=SHORT_VIDEO)
    courier_stage = ask(order("in_transit", distance_km=300), "intercept", profile=SHORT_VIDEO)
    assert merchant_stage.interception.stage == "merchant" and merchant_stage.sla_hours == 2
    assert courier_stage.interception.stage == "courier"
    assert courier_stage.sla_hours == courier_stage.interception.eta.max == 48


def test_approved_virtual_goods_refunds_take_their_channels_time():
    view = order("paid", goods="virtual_card", channel="bank_card", paid_ago=timedelta(hours=2))
    decision = ask(view, "cancel_refund", profile=load_profile("virtual_goods"))
    assert decision.execution is Execution.REVIEW and decision.refund.timing is RefundTiming.AFTER_APPROVAL
    assert (decision.refund.eta.min, decision.refund.eta.max, decision.refund.eta.unit) == (1, 3, "business_days")


def test_a_change_before_shipment_moves_no_money_and_names_the_chosen_item():
    view = order("paid", items=2)
    decision = ask(view, "exchange", items=[view.items[1].id])
    assert decision.execution is Execution.REVIEW
    assert decision.item_ids == (view.items[1].id,)
    assert decision.refund is None and decision.return_shipping_payer is None
    assert decision.replacement_shipping_payer is None
    assert decision.sla_hours == GENERAL.sla_hours["item_change"]


def test_a_shop_that_changes_no_items_offers_the_cancellation_instead():
    no_changes = dataclasses.replace(GENERAL, item_change_before_shipment=False)
    decision = ask(order("paid"), "exchange", profile=no_changes)
    assert (decision.execution, decision.code) == (Execution.REFUSED, "item_change_not_offered")
    assert decision.alternatives == (Outcome.CANCEL_REFUND,)
    # Once delivered, the same shop's exchange is the return and replacement it always was.
    assert ask(order("delivered"), "exchange", profile=no_changes).code == "return_within_window"


def test_a_refusal_carries_the_figures_its_words_name():
    late = ask(order("delivered", delivered_ago=timedelta(days=30)), "return_refund")
    assert (late.code, late.figures["return_days"]) == ("return_window_closed", GENERAL.return_window_days)
    close = ask(order("in_transit", distance_km=10), "intercept", profile=SHORT_VIDEO)
    assert (close.code, close.figures["min_distance_km"]) == ("too_close_to_destination", 50)
