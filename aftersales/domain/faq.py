"""The figures a general question is answered with, read from the shop's policy profile, and which
answer fits the shop: a shop that does not intercept parcels is never told "3 free interceptions a
month", and a shop with a 15-day return window is never told 7.

The words live in the bot's responses (domain.yml, `utter_faq/<topic>` and its variants); this module
says which response and with which figures. The units those words use are fixed (business days for
cards, hours for interceptions and virtual-goods review): `units_the_answers_assume` lets a test refuse
a profile whose units would make the words wrong."""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.domain.model import OrderState, PaymentChannel
from aftersales.domain.profile import Eta, PolicyProfile


@dataclass(frozen=True)
class FaqAnswer:
    response: str  # a response name of the bot's domain
    figures: dict[str, str]


def _span(eta: Eta) -> str:
    low, high = (f"{value:g}" for value in (eta.min, eta.max))
    return low if low == high else f"{low}–{high}"


# The answers that name no figure of the policy, or whose figures every profile shares.
_FIXED = {"notification", "apply_myself", "account_impact", "refund_late", "return_shipping"}


def answer(topic: str, profile: PolicyProfile) -> FaqAnswer:
    """The response and figures for a general question of this topic (the FAQ selector's key, e.g.
    ``interception_cost``), for a shop of this profile. An unknown topic is answered as it is named."""
    name = f"utter_faq/{topic}"
    if topic in _FIXED:
        return FaqAnswer(name, {})
    common = {"return_window_days": str(profile.return_window_days),
              "card_days": _span(profile.refund_eta[PaymentChannel.BANK_CARD]),
              "credit_card_days": _span(profile.refund_eta[PaymentChannel.CREDIT_CARD]),
              "virtual_review_hours": _span(profile.virtual_review_refund_eta)}
    if topic == "refund_time":
        return FaqAnswer(name, {key: common[key] for key in ("card_days", "credit_card_days", "virtual_review_hours")})
    if topic == "return_window":
        return FaqAnswer(name, {"return_window_days": common["return_window_days"]})
    if topic == "partial_cancel":
        return FaqAnswer(name if profile.partial_cancellation else "utter_faq_partial_cancel_not_offered", {})
    if topic == "virtual_goods":
        minutes = profile.virtual_self_cancel_minutes
        if minutes is None:
            return FaqAnswer("utter_faq_virtual_goods_reviewed",
                             {"virtual_review_hours": common["virtual_review_hours"]})
        return FaqAnswer(name, {"self_cancel_minutes": str(minutes),
                                "virtual_review_hours": common["virtual_review_hours"]})
    if topic in ("interception_cost", "cancel_after_shipping"):
        return _interception_answer(topic, profile, common["return_window_days"])
    if topic == "fresh_goods":
        if profile.fresh_personal_returns:
            return FaqAnswer("utter_faq_fresh_goods_returnable", {"return_window_days": common["return_window_days"]})
        return FaqAnswer(name, {})
    return FaqAnswer(name, {})


def _interception_answer(topic: str, profile: PolicyProfile, return_window_days: str) -> FaqAnswer:
    if not profile.interception_enabled or not profile.interception_stages:
        response = ("utter_faq_interception_not_offered" if topic == "interception_cost"
                    else "utter_faq_cancel_after_shipping_no_interception")
        return FaqAnswer(response, {"return_window_days": return_window_days})
    if topic == "cancel_after_shipping":
        return FaqAnswer("utter_faq/cancel_after_shipping", {"return_window_days": return_window_days})
    merchant = next((s for s in profile.interception_stages.values() if s.stage == "merchant"), None)
    courier = next((s for s in profile.interception_stages.values() if s.stage == "courier"), None)
    if merchant is None or courier is None or courier.min_distance_km is None:
        # Not the two-stage shape the full answer describes: no figures rather than wrong ones.
        return FaqAnswer("utter_faq_interception_depends", {})
    figures = {"merchant_hours": _span(merchant.eta), "courier_hours": _span(courier.eta),
               "min_distance_km": f"{courier.min_distance_km:g}"}
    if profile.interception_free_per_month is None:
        return FaqAnswer("utter_faq_interception_unlimited", figures)
    return FaqAnswer("utter_faq/interception_cost",
                     {**figures, "free_interceptions": str(profile.interception_free_per_month)})


def units_the_answers_assume(profile: PolicyProfile) -> list[str]:
    """Where the profile's units differ from the units the FAQ's words name (empty: none)."""
    wrong = []
    for channel in (PaymentChannel.BANK_CARD, PaymentChannel.CREDIT_CARD):
        if profile.refund_eta[channel].unit != "business_days":
            wrong.append(f"refund_eta.{channel.value}")
    for channel in (PaymentChannel.ALIPAY, PaymentChannel.WECHAT_PAY, PaymentChannel.BALANCE):
        if not profile.refund_eta[channel].immediate:
            wrong.append(f"refund_eta.{channel.value}")  # the words say "usually at once"
    if profile.virtual_review_refund_eta.unit != "hours":
        wrong.append("virtual.review_refund_eta")
    for state, stage in profile.interception_stages.items():
        if stage.eta.unit != "hours":
            wrong.append(f"interception.stages.{OrderState(state).value}")
    return wrong
