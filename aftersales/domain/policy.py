"""The policy engine: (order, request, now, history, profile) → decision. Pure: no I/O, no clock.

Every decision says what is allowed, how it is carried out (at once, as a request the merchant or
courier acts on, as a case the merchant reviews, or not at all), the money (amount, channel, ETA),
who pays return shipping, the interception stage with its honest estimate, and a machine-readable
``code`` that the dialogue and the merchant inbox turn into words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from aftersales.domain.model import (
    BEFORE_SHIPMENT_STATES,
    SHIPPING_STATES,
    CustomerHistory,
    Fault,
    Fulfillment,
    OrderState,
    OrderView,
    Outcome,
    Party,
    PaymentChannel,
    Request,
)
from aftersales.domain.profile import Eta, PolicyProfile


class Execution(StrEnum):
    IMMEDIATE = "immediate"  # done now, by the system
    REQUEST = "request"  # submitted; the merchant or courier acts and reports the result
    REVIEW = "review"  # the merchant decides whether to allow it
    REFUSED = "refused"


class RefundTiming(StrEnum):
    NOW = "now"
    AFTER_APPROVAL = "after_approval"
    AFTER_PARCEL_RETURNS = "after_parcel_returns"
    # An interception refunds when the merchant records it succeeded (the parcel is then on its way back).
    AFTER_INTERCEPTION = "after_interception"
    AFTER_RETURN_RECEIVED = "after_return_received"
    NONE_DUE = "none_due"  # unpaid order


@dataclass(frozen=True)
class RefundPlan:
    amount: int
    currency: str
    channel: PaymentChannel | None
    timing: RefundTiming
    eta: Eta | None  # from when the refund is issued


@dataclass(frozen=True)
class InterceptionPlan:
    stage: str
    eta: Eta
    success_rate: float
    fee_payer: Party
    free_left_this_month: int | None  # None: unlimited
    failed_return_shipping: Party


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    execution: Execution
    code: str
    item_ids: tuple[int, ...] = ()
    refund: RefundPlan | None = None
    return_shipping_payer: Party | None = None
    replacement_shipping_payer: Party | None = None  # an exchange's parcel back to the shopper
    interception: InterceptionPlan | None = None
    evidence_required: bool = False
    window_ends_at: datetime | None = None
    sla_hours: float | None = None
    # For a refusal: what the shopper can do instead (the dialogue offers these).
    alternatives: tuple[Outcome, ...] = field(default_factory=tuple)
    # A refusal after which a human may still help (appeal, out of window): the bot offers 转人工.
    human_can_help: bool = False
    # The policy's figures a refusal's words name: the return window's days, an interception's distance.
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.execution is not Execution.REFUSED


# The code of an exchange before shipment: the item on the order changes, nothing is sent back.
ITEM_CHANGE = "item_change_before_shipment"


class InvalidRequest(ValueError):
    """The request itself is malformed (unknown reason, items not on the order)."""


def decide(
    order: OrderView,
    request: Request,
    now: datetime,
    history: CustomerHistory,
    profile: PolicyProfile,
) -> Decision:
    if request.reason not in profile.reason_faults:
        raise InvalidRequest(f"unknown reason {request.reason!r}")
    known = {item.id for item in order.items}
    if not set(request.item_ids) <= known:
        raise InvalidRequest("some items are not on this order")
    rules = _Rules(order, request, now, history, profile)
    return {
        Outcome.CANCEL_REFUND: rules.cancel,
        Outcome.REFUND_TO_BALANCE: rules.cancel,
        Outcome.INTERCEPT: rules.intercept,
        Outcome.RETURN_REFUND: rules.return_goods,
        Outcome.EXCHANGE: rules.return_goods,
        Outcome.REFUND_ONLY: rules.refund_only,
    }[request.outcome]()


def available_outcomes(
    order: OrderView, reason: str, now: datetime, history: CustomerHistory, profile: PolicyProfile
) -> list[Decision]:
    """Every outcome the shopper may ask for on this order now, with its decision (for buttons)."""
    decisions = [decide(order, Request(outcome, reason), now, history, profile) for outcome in Outcome]
    return [d for d in decisions if d.allowed]


class _Rules:
    def __init__(
        self,
        order: OrderView,
        request: Request,
        now: datetime,
        history: CustomerHistory,
        profile: PolicyProfile,
    ):
        self.order, self.request, self.now, self.history, self.profile = order, request, now, history, profile
        self.fault = profile.fault_of(request.reason)

    # -- helpers ---------------------------------------------------------------------------------

    def refuse(self, code: str, *alternatives: Outcome, human: bool = False, **figures: float) -> Decision:
        return Decision(
            self.request.outcome,
            Execution.REFUSED,
            code,
            item_ids=self.request.item_ids,
            # The same outcome is an alternative only to a partial request (the whole order instead).
            alternatives=tuple(a for a in alternatives if a is not self.request.outcome or self.request.item_ids),
            human_can_help=human, figures={"return_days": self.profile.return_window_days, **figures},
        )

    def selected_items(self) -> tuple[int, ...]:
        return self.request.item_ids or tuple(item.id for item in self.order.active_items)

    def refund_channel(self) -> PaymentChannel | None:
        if self.request.outcome is Outcome.REFUND_TO_BALANCE:
            return PaymentChannel.BALANCE
        return self.order.payment_channel

    def plan(self, item_ids: tuple[int, ...], timing: RefundTiming, eta: Eta | None = None) -> RefundPlan:
        channel = self.refund_channel()
        if channel is None or self.order.state is OrderState.PENDING_PAYMENT:
            return RefundPlan(0, self.order.currency, None, RefundTiming.NONE_DUE, None)
        return RefundPlan(
            refund_amount(self.order, item_ids),
            self.order.currency,
            channel,
            timing,
            eta if eta is not None else self.profile.refund_eta[channel],
        )

    def high_cancellation_rate(self) -> bool:
        h, p = self.history, self.profile
        if h.cancellations_in_window < p.high_cancellation_min_count or h.orders_in_window == 0:
            return False
        return h.cancellations_in_window / h.orders_in_window >= p.high_cancellation_min_rate

    def return_window_end(self) -> datetime | None:
        if self.order.delivered_at is None:
            return None
        return self.order.delivered_at + timedelta(days=self.profile.return_window_days)

    def common_refusals(self) -> Decision | None:
        state = self.order.state
        if state is OrderState.CANCELLED:
            return self.refuse("already_cancelled")
        if state is OrderState.RETURNED:
            return self.refuse("already_returned")
        if not self.order.active_items:
            return self.refuse("nothing_left_to_cancel")
        if self.request.item_ids:
            cancelled = {item.id for item in self.order.items if item.cancelled}
            if cancelled & set(self.request.item_ids):
                return self.refuse("items_already_cancelled")
        return None

    # -- cancel (to the original channel or to the balance) --------------------------------------

    def cancel(self) -> Decision:
        refusal = self.common_refusals()
        if refusal:
            return refusal
        profile, order, state = self.profile, self.order, self.order.state
        if self.request.outcome is Outcome.REFUND_TO_BALANCE and not profile.refund_to_balance:
            return self.refuse("refund_to_balance_not_offered", Outcome.CANCEL_REFUND)
        if self.request.item_ids and not profile.partial_cancellation:
            return self.refuse("partial_cancellation_not_offered", Outcome.CANCEL_REFUND)
        items = self.selected_items()
        if state is OrderState.PENDING_PAYMENT:
            return Decision(self.request.outcome, Execution.IMMEDIATE, "unpaid_cancel", items,
                            refund=self.plan(items, RefundTiming.NONE_DUE))
        if order.fulfillment is Fulfillment.VIRTUAL:
            return self.cancel_virtual(items)
        if state is OrderState.PAID:
            if state not in profile.self_cancel_states:
                return self.review_cancel(items, "merchant_review_required")
            if self.high_cancellation_rate():
                return self.review_cancel(items, "high_cancellation_rate")
            return Decision(self.request.outcome, Execution.IMMEDIATE, "cancel_before_shipment", items,
                            refund=self.plan(items, RefundTiming.NOW))
        if state in SHIPPING_STATES:
            alternatives = [Outcome.RETURN_REFUND]
            if self.intercept().allowed:
                alternatives.insert(0, Outcome.INTERCEPT)
            return self.refuse("already_shipped", *alternatives)
        window_end = self.return_window_end()
        if window_end is not None and self.now <= window_end:
            return self.refuse("already_delivered", Outcome.RETURN_REFUND, Outcome.EXCHANGE)
        return self.refuse("after_sales_window_closed", human=True)

    def review_cancel(self, items: tuple[int, ...], code: str) -> Decision:
        return Decision(self.request.outcome, Execution.REVIEW, code, items,
                        refund=self.plan(items, RefundTiming.AFTER_APPROVAL),
                        sla_hours=self.profile.sla_hours["cancellation_review"])

    def cancel_virtual(self, items: tuple[int, ...]) -> Decision:
        profile, order, state = self.profile, self.order, self.order.state
        if state is OrderState.PAID:
            window = profile.virtual_self_cancel_minutes
            in_window = (
                window is not None
                and order.paid_at is not None
                and self.now <= order.paid_at + timedelta(minutes=window)
                and not order.fulfillment_locked
            )
            if in_window and not self.high_cancellation_rate():
                return Decision(self.request.outcome, Execution.IMMEDIATE, "virtual_cancel_in_window", items,
                                refund=self.plan(items, RefundTiming.NOW))
            code = ("high_cancellation_rate" if in_window else
                    "virtual_stock_locked" if order.fulfillment_locked else "virtual_window_passed")
            return Decision(self.request.outcome, Execution.REVIEW, code, items,
                            refund=self.plan(items, RefundTiming.AFTER_APPROVAL),
                            sla_hours=profile.sla_hours["cancellation_review"])
        # Delivered or redeemed: the value has changed hands. Only a fault the profile accepts
        # (the platform's: wrong or duplicate delivery) opens an appeal, reviewed with evidence.
        if self.fault in profile.virtual_appeal_faults:
            return Decision(self.request.outcome, Execution.REVIEW, "virtual_platform_fault_appeal", items,
                            refund=self.plan(items, RefundTiming.AFTER_APPROVAL),
                            evidence_required=True,
                            sla_hours=profile.sla_hours["complaint"])
        code = "virtual_redeemed" if state in (OrderState.REDEEMED, OrderState.COMPLETED) else "virtual_delivered"
        return self.refuse(code, human=True)

    # -- interception --------------------------------------------------------------------------

    def intercept(self) -> Decision:
        refusal = self.common_refusals()
        if refusal:
            return refusal
        profile, order, state = self.profile, self.order, self.order.state
        if order.fulfillment is Fulfillment.VIRTUAL:
            return self.refuse("virtual_goods_not_shipped", Outcome.CANCEL_REFUND)
        if state in (OrderState.PENDING_PAYMENT, OrderState.PAID):
            return self.refuse("not_shipped_yet", Outcome.CANCEL_REFUND)
        if state not in SHIPPING_STATES:
            return self.refuse("already_delivered", Outcome.RETURN_REFUND, Outcome.EXCHANGE)
        if not profile.interception_enabled:
            return self.refuse("interception_not_offered", Outcome.RETURN_REFUND)
        if self.request.item_ids:
            return self.refuse("interception_is_whole_parcel", Outcome.INTERCEPT)
        if any(item.goods_type in profile.interception_excluded_goods for item in order.active_items):
            return self.refuse("fresh_goods_no_interception", Outcome.RETURN_REFUND)
        stage = profile.interception_stages.get(state)
        if stage is None:
            return self.refuse("too_late_to_intercept", Outcome.RETURN_REFUND)
        distance = order.distance_to_destination_km
        if stage.min_distance_km is not None and distance is not None and distance < stage.min_distance_km:
            return self.refuse("too_close_to_destination", Outcome.RETURN_REFUND, min_distance_km=stage.min_distance_km)
        free = profile.interception_free_per_month
        free_left = None if free is None else max(free - self.history.interceptions_this_month, 0)
        within_quota = free_left is None or free_left > 0
        fee_payer = Party.PLATFORM if within_quota else profile.interception_fee_payer_beyond_quota
        items = self.selected_items()
        return Decision(
            Outcome.INTERCEPT,
            Execution.REQUEST,
            "interception_free_quota_used" if free_left == 0 else f"interception_{stage.stage}_stage",
            items,
            refund=self.plan(items, RefundTiming.AFTER_INTERCEPTION),
            interception=InterceptionPlan(stage.stage, stage.eta, stage.success_rate, fee_payer, free_left,
                                          profile.failed_interception_return_shipping),
            # The case stays open until the outcome is known: the courier takes its stage's hours.
            sla_hours=profile.sla_hours["interception_courier" if stage.stage == "courier" else "interception"],
        )

    # -- return and refund / exchange ------------------------------------------------------------

    def return_goods(self) -> Decision:
        refusal = self.common_refusals()
        if refusal:
            return refusal
        profile, order, state = self.profile, self.order, self.order.state
        outcome = self.request.outcome
        if order.fulfillment is Fulfillment.VIRTUAL:
            return self.refuse("virtual_goods_not_returnable", Outcome.CANCEL_REFUND)
        if state in BEFORE_SHIPMENT_STATES:
            return self.change_item() if outcome is Outcome.EXCHANGE else self.refuse("not_shipped_yet",
                                                                                      Outcome.CANCEL_REFUND)
        if outcome is Outcome.EXCHANGE and not profile.exchange_enabled:
            return self.refuse("exchange_not_offered", Outcome.RETURN_REFUND)
        if order.has_fresh_goods and self.fault is Fault.CUSTOMER and not profile.fresh_personal_returns:
            return self.refuse("fresh_goods_no_personal_return", Outcome.REFUND_ONLY)
        payer = profile.return_shipping_payer[self.fault]
        items = self.selected_items()
        evidence = self.fault in profile.return_evidence_faults
        if state in SHIPPING_STATES:
            if outcome is Outcome.EXCHANGE:
                return self.refuse("exchange_after_delivery", Outcome.RETURN_REFUND)
            # Not yet at the door: the shopper refuses the parcel (拒收); it goes back and is refunded.
            return Decision(outcome, Execution.REQUEST, "refuse_on_delivery", items,
                            refund=self.plan(items, RefundTiming.AFTER_PARCEL_RETURNS),
                            return_shipping_payer=payer,
                            sla_hours=profile.sla_hours["return_review"])
        window_end = self.return_window_end()
        if window_end is None or self.now > window_end:
            return self.refuse("return_window_closed", human=True)
        execution = Execution.REQUEST if profile.return_auto_authorize else Execution.REVIEW
        timing = RefundTiming.AFTER_RETURN_RECEIVED
        exchange = outcome is Outcome.EXCHANGE
        return Decision(outcome, execution, "return_within_window", items,
                        refund=None if exchange else self.plan(items, timing),
                        return_shipping_payer=payer, evidence_required=evidence,
                        replacement_shipping_payer=profile.exchange_replacement_shipping_payer[self.fault]
                        if exchange else None,
                        window_ends_at=window_end, sla_hours=profile.sla_hours["return_review"])

    def change_item(self) -> Decision:
        """改尺码 / 改颜色: nothing goes back, no money moves; the shop checks its stock and changes the item."""
        if not self.profile.item_change_before_shipment:
            return self.refuse("item_change_not_offered", Outcome.CANCEL_REFUND)
        return Decision(Outcome.EXCHANGE, Execution.REVIEW, ITEM_CHANGE, self.selected_items(),
                        sla_hours=self.profile.sla_hours["item_change"])

    # -- refund only (no goods go back) ----------------------------------------------------------

    def refund_only(self) -> Decision:
        refusal = self.common_refusals()
        if refusal:
            return refusal
        profile, order, state = self.profile, self.order, self.order.state
        if order.fulfillment is Fulfillment.VIRTUAL:
            return self.refuse("virtual_goods_not_returnable", Outcome.CANCEL_REFUND)
        if state in (OrderState.PENDING_PAYMENT, OrderState.PAID):
            return self.refuse("not_shipped_yet", Outcome.CANCEL_REFUND)
        if state in SHIPPING_STATES:
            return self.refuse("not_delivered_yet", Outcome.INTERCEPT, Outcome.RETURN_REFUND)
        if self.request.reason not in profile.refund_only_reasons:
            return self.refuse("refund_only_needs_fault", Outcome.RETURN_REFUND, Outcome.EXCHANGE)
        window_end = self.return_window_end()
        if window_end is None or self.now > window_end:
            return self.refuse("return_window_closed", human=True)
        items = self.selected_items()
        return Decision(Outcome.REFUND_ONLY, Execution.REVIEW, "refund_only_review", items,
                        refund=self.plan(items, RefundTiming.AFTER_APPROVAL),
                        evidence_required=True, window_ends_at=window_end,
                        sla_hours=profile.sla_hours["return_review"])


def refund_amount(order: OrderView, item_ids: tuple[int, ...]) -> int:
    """What cancelling ``item_ids`` pays back: their totals, plus shipping when they are the last
    items still on the order (a partial cancel keeps the shipping fee)."""
    amount = sum(item.refundable for item in order.items if item.id in item_ids and not item.cancelled)
    if {item.id for item in order.active_items} <= set(item_ids):
        amount += order.shipping_fee
    return amount


__all__ = ["Decision", "Execution", "ITEM_CHANGE", "InterceptionPlan", "InvalidRequest", "RefundPlan", "RefundTiming",
           "available_outcomes", "decide", "refund_amount"]
