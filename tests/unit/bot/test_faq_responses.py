"""Every answer the FAQ action can pick exists in the bot's domain in both languages, and fills every
placeholder it names with a figure the policy gives (a placeholder left unfilled would reach the
shopper as "{free_interceptions}")."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from aftersales.adapters.policy_files import load_profile, profile_names
from aftersales.domain import faq

from ..domain.test_faq import TOPICS

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[3] / "domain.yml").read_text(encoding="utf-8"))
RESPONSES = DOMAIN["responses"]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", profile_names())
@pytest.mark.parametrize("topic", TOPICS)
def test_the_chosen_answer_exists_in_both_languages_with_its_figures(name, topic):
    found = faq.answer(topic, load_profile(name))
    variants = RESPONSES[found.response]
    languages = {(v.get("condition") or [{}])[0].get("value", "zh") for v in variants}
    assert languages == {"zh", "en"}
    for variant in variants:
        assert placeholders(variant["text"]) == set(found.figures), (found.response, variant["text"])


def test_every_faq_topic_the_selector_knows_is_covered():
    trained = {key.split("/", 1)[1] for key in RESPONSES if key.startswith("utter_faq/")}
    assert trained == set(TOPICS)


def test_no_faq_answer_hard_codes_a_policy_figure():
    # Figures of the policy files (days, minutes, hours, counts, km) must come in as placeholders.
    for key, variants in RESPONSES.items():
        if key.startswith("utter_faq"):
            for variant in variants:
                text = re.sub(r"\{\w+\}", "", variant["text"])
                assert not re.search(r"\d", text), (key, variant["text"])
