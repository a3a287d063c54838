"""General answers quote the shop's own policy: figures from its profile, an answer that fits it."""

from __future__ import annotations

import dataclasses

import pytest

from aftersales.adapters.policy_files import load_profile, profile_names
from aftersales.domain import faq

TOPICS = ["refund_time", "return_shipping", "notification", "apply_myself", "return_window", "virtual_goods",
          "partial_cancel", "interception_cost", "account_impact", "refund_late", "cancel_after_shipping",
          "fresh_goods"]


def test_a_shop_that_does_not_intercept_is_never_quoted_free_interceptions():
    general = load_profile("general")
    assert not general.interception_enabled
    assert faq.answer("interception_cost", general).response == "utter_faq_interception_not_offered"
    assert faq.answer("cancel_after_shipping", general).response == "utter_faq_cancel_after_shipping_no_interception"


def test_interception_figures_are_the_short_video_profiles():
    found = faq.answer("interception_cost", load_profile("short_video"))
    assert found == faq.FaqAnswer("utter_faq/interception_cost", {
        "free_interceptions": "3", "merchant_hours": "1–2", "courier_hours": "24–48", "min_distance_km": "50"})


def test_a_shop_override_changes_the_figures_quoted():
    shop = load_profile("short_video", {"interception": {"free_per_month": 5}, "returns": {"window_days": 15}})
    assert faq.answer("interception_cost", shop).figures["free_interceptions"] == "5"
    assert faq.answer("return_window", shop).figures == {"return_window_days": "15"}
    unlimited = load_profile("short_video", {"interception": {"free_per_month": None}})
    assert faq.answer("interception_cost", unlimited).response == "utter_faq_interception_unlimited"


def test_an_interception_policy_of_another_shape_gets_no_figures_rather_than_wrong_ones():
    profile = load_profile("short_video")
    merchant_only = dataclasses.replace(profile, interception_stages={
        state: stage for state, stage in profile.interception_stages.items() if stage.stage == "merchant"})
    assert faq.answer("interception_cost", merchant_only) == faq.FaqAnswer("utter_faq_interception_depends", {})


def test_card_refund_days_differ_by_profile():
    assert faq.answer("refund_time", load_profile("general")).figures["card_days"] == "1–5"
    assert faq.answer("refund_time", load_profile("short_video")).figures["card_days"] == "1–3"


def test_virtual_goods_self_cancel_minutes_only_where_the_profile_has_them():
    assert faq.answer("virtual_goods", load_profile("virtual_goods")).figures["self_cancel_minutes"] == "10"
    assert faq.answer("virtual_goods", load_profile("general")).response == "utter_faq_virtual_goods_reviewed"


@pytest.mark.parametrize("name", profile_names())
def test_every_profile_uses_the_units_the_answers_name(name):
    assert faq.units_the_answers_assume(load_profile(name)) == []


def test_a_profile_in_other_units_is_caught():
    shop = load_profile("general", {"refund_eta": {"bank_card": {"min": 24, "max": 72, "unit": "hours"}}})
    assert faq.units_the_answers_assume(shop) == ["refund_eta.bank_card"]


@pytest.mark.parametrize("name", profile_names())
@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_an_answer_in_every_profile(name, topic):
    found = faq.answer(topic, load_profile(name))
    assert found.response.startswith("utter_faq")
    assert all(value and value != "—" for value in found.figures.values())


def test_a_shop_that_takes_fresh_goods_back_is_told_so():
    shop = load_profile("general", {"returns": {"fresh_personal_returns": True}})
    assert faq.answer("fresh_goods", shop) == faq.FaqAnswer("utter_faq_fresh_goods_returnable",
                                                           {"return_window_days": "7"})
