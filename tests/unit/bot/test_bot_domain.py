"""The bot's files agree with the domain code that drives them."""

import re
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

    codes: dict[str, set[str]] = {}  # code → the figures its decision carries
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
                            codes.setdefault(d.code, set(d.figures)).intersection_update(d.figures)
    missing = sorted(c for c in codes if f"utter_refused_{c}" not in DOMAIN["responses"])
    assert not missing, missing
    assert len(codes) > 15
    # Each reply names only figures its decision gives (the shop's own days and distances, never ours).
    for code, figures in codes.items():
        for variant in DOMAIN["responses"][f"utter_refused_{code}"]:
            assert set(re.findall(r"{(\w+)}", variant["text"])) <= figures, (code, variant["text"])
            assert not re.search(r"\d+ ?(天|days|公里|km)", variant["text"]), (code, variant["text"])


def test_every_reason_and_outcome_has_a_label():
    for name in profile_names():
        assert set(load_profile(name).reasons) <= set(TEXTS["reasons"])
    assert {o.value for o in Outcome} == set(TEXTS["outcomes"])
    for group in TEXTS["reason_buttons"].values():
        assert set(group) <= set(TEXTS["reasons"])


def test_every_custom_action_is_implemented():
    # As the action server finds them: every module of the package `actions`.
    import importlib
    import inspect
    import pkgutil

    from rasa_sdk import Action

    import actions

    implemented = set()
    for info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{info.name}")
        implemented |= {cls().name() for cls in vars(module).values()
                        if isinstance(cls, type) and issubclass(cls, Action) and cls.__module__ == module.__name__
                        and not inspect.isabstract(cls)}
    assert set(DOMAIN["actions"]) == implemented


def _keys(node, prefix=""):
    keys = set()
    for key, value in node.items():
        keys.add(prefix + str(key))
        if isinstance(value, dict):
            keys |= _keys(value, f"{prefix}{key}.")
    return keys


def test_every_language_has_every_composed_text():
    english = yaml.safe_load((ROOT / "actions" / "texts" / "en.yml").read_text(encoding="utf-8"))
    assert _keys(english) == _keys(TEXTS)
    for section in ("reasons", "outcomes", "states", "channels"):
        assert all(english[section].values()), section


def test_every_response_has_an_english_variant_and_a_default():
    """Rasa sends nothing when no variant's condition matches and there is no unconditional one."""
    english_only = {"type": "slot", "name": "language", "value": "en"}
    for name, variants in DOMAIN["responses"].items():
        conditioned = [v for v in variants if v.get("condition")]
        defaults = [v for v in variants if not v.get("condition")]
        assert [v["condition"] for v in conditioned] == [[english_only]], name
        assert len(defaults) == 1, name
        english, chinese = conditioned[0], defaults[0]
        assert not re.search(r"[\u4e00-\u9fff]", english["text"]), name
        assert re.search(r"[\u4e00-\u9fff]", chinese["text"]), name
        # The same placeholders and the same buttons (payloads), in both languages.
        assert set(re.findall(r"{(\w+)}", english["text"])) == set(re.findall(r"{(\w+)}", chinese["text"])), name
        assert [b["payload"] for b in english.get("buttons", [])] == [b["payload"] for b in chinese.get("buttons", [])]


def test_the_language_slot_follows_the_detector_and_never_steers_the_dialogue():
    slot = DOMAIN["slots"]["language"]
    assert slot["influence_conversation"] is False
    assert slot["mappings"] == [{"type": "from_entity", "entity": "language"}]
    assert {"language": {"influence_conversation": False}} in DOMAIN["entities"]
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    assert "bot_extensions.nlu.LanguageDetector" in [c["name"] for c in config["pipeline"]]
