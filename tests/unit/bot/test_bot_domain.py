"""The bot's files agree with the domain code that drives them."""

from pathlib import Path

import yaml

from aftersales.adapters.policy_files import load_profile, profile_names
from aftersales.domain.model import Fulfillment, GoodsType, OrderState, Outcome
from aftersales.domain.policy import decide
from tests.unit.domain.builders import order

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TEXTS = yaml.safe_load((ROOT / "actions" / "texts" / "zh.yml").read_text(encoding="utf-8"))


def test_every_order_state_has_words():
    for state in OrderState:
        assert f"utter_state_{state.value}" in DOMAIN["responses"], state
        assert state.value in TEXTS["states"]


def test_every_refusal_the_policy_can_give_has_a_reply():
    from aftersales.domain.model import CustomerHistory, Request
    from tests.unit.domain.builders import NOW

    codes = set()
    for name in profile_names():
        profile = load_profile(name)
        for goods in GoodsType:
            for state in OrderState:
                if goods.fulfillment is Fulfillment.VIRTUAL and state in (OrderState.SHIPPED, OrderState.IN_TRANSIT,
                                                                          OrderState.OUT_FOR_DELIVERY):
                    continue
                for outcome in Outcome:
                    for reason in profile.reasons:
                        d = decide(order(state, goods, distance_km=10), Request(outcome, reason), NOW,
                                   CustomerHistory(), profile)
                        if not d.allowed:
                            codes.add(d.code)
    missing = sorted(c for c in codes if f"utter_refused_{c}" not in DOMAIN["responses"])
    assert not missing, missing
    assert len(codes) > 15


def test_every_reason_and_outcome_has_a_label():
    for name in profile_names():
        assert set(load_profile(name).reasons) <= set(TEXTS["reasons"])
    assert {o.value for o in Outcome} == set(TEXTS["outcomes"])
    for group in TEXTS["reason_buttons"].values():
        assert set(group) <= set(TEXTS["reasons"])


def test_every_custom_action_is_implemented():
    from rasa_sdk import Action

    import actions.actions as module

    implemented = {cls().name() for cls in vars(module).values()
                   if isinstance(cls, type) and issubclass(cls, Action) and cls.__module__ == module.__name__}
    assert set(DOMAIN["actions"]) == implemented
