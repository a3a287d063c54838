from datetime import UTC, datetime

import pytest

from aftersales.adapters.policy_files import load_profile, profile_names
from aftersales.domain.money import Money, parse_amount
from aftersales.domain.profile import Eta, PolicyError


@pytest.mark.parametrize(("text", "minor"), [("0", 0), ("12", 1200), ("12.5", 1250), ("12.05", 1205),
                                             ("1299.99", 129999)])
def test_parse_amount(text, minor):
    assert parse_amount(text) == minor


@pytest.mark.parametrize("text", ["", "-1", "+1", "1.234", "1,000", "abc", "1e3", ".5"])
def test_parse_amount_rejects_what_would_round_or_mislead(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_money_display_and_currency_mixing():
    assert Money(129999).display() == "¥1,299.99"
    assert (Money(100) + Money(250)).minor == 350
    with pytest.raises(ValueError):
        Money(1, "CNY") + Money(1, "USD")
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]


def test_business_days_skip_weekends():
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    earliest, latest = Eta(1, 3, "business_days").window(friday)
    assert (earliest.day, latest.day) == (23, 25)  # Monday, Wednesday


def test_every_profile_loads():
    assert set(profile_names()) == {"general", "short_video", "virtual_goods"}
    for name in profile_names():
        assert load_profile(name).reasons


@pytest.mark.parametrize(("overrides", "message"), [
    ({"returns": {"window_dayz": 7}}, "unknown keys"),
    ({"returns": {"window_days": "seven"}}, "wrong type"),
    ({"refund_eta": {"alipay": {"min": 3, "max": 1, "unit": "hours"}}}, "bad eta"),
    ({"interception": {"stages": {"shipped": {"stage": "merchant", "eta": {"min": 1, "max": 2, "unit": "hours"},
                                              "success_rate": 9.25}}}}, "success_rate"),
    ({"reasons": {"oops": {"fault": "nobody"}}}, "nobody"),
    ({"returns": {"refund_only_reasons": ["no_such_reason"]}}, "unknown"),
    ({"appeals": {"outside_routes": [{"route": "carrier_pigeon"}]}}, "routes among"),
    ({"appeals": {"alternatives": ["free_gift"]}}, "alternatives among"),
    ({"appeals": {"kinds": ["return", "appeal"]}}, "not appealed"),
    ({"appeals": {"per_case": -1}}, "at least 0"),
])
def test_bad_policy_values_fail_loudly(overrides, message):
    with pytest.raises(PolicyError, match=message):
        load_profile("general", overrides)


def test_unknown_profile_and_loops(tmp_path):
    with pytest.raises(PolicyError, match="no policy profile"):
        load_profile("nonexistent")
    (tmp_path / "a.yaml").write_text("extends: b\n")
    (tmp_path / "b.yaml").write_text("extends: a\n")
    with pytest.raises(PolicyError, match="loop"):
        load_profile("a", directory=tmp_path)


def test_shop_override_changes_only_what_it_names():
    douyin_like = load_profile("short_video", {"interception": {"free_per_month": 5}})
    assert douyin_like.interception_free_per_month == 5
    assert douyin_like.interception_stages == load_profile("short_video").interception_stages


def test_amounts_for_providers_are_the_inverse_of_parsing():
    from aftersales.domain.money import format_amount, parse_amount

    for minor in (0, 5, 50, 3650, 129900):
        assert parse_amount(format_amount(minor)) == minor
    assert format_amount(3650) == "36.50"
    with pytest.raises(ValueError):
        format_amount(-1)
