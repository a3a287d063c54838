"""The inbox's words (aftersales/entrypoints/web/words/*.yml): Chinese and English name the same
codes, in the same sections; every code the domain knows has words; and the codes a shopper also
reads are said as the bot says them (actions/texts), without the web app reading the bot's files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from aftersales.domain.model import OrderState, Outcome, Party, PaymentChannel
from aftersales.domain.refunds import RefundStatus
from aftersales.entrypoints.web.inbox.words import labels, sentences_en, word_file, yuan

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
BOT_SECTIONS = ("states", "channels", "reasons", "stages", "outcomes", "ticket_kinds", "ticket_status",
                "refund_status")
SAID_AS_THE_BOT_SAYS = ("states", "channels", "reasons", "stages")  # the others are said for the merchant


def bot_words(language: str) -> dict:
    return yaml.safe_load((ROOT / "actions" / "texts" / f"{language}.yml").read_text(encoding="utf-8"))


def test_both_languages_have_the_same_sections_and_codes():
    zh, en = labels("zh"), labels("en")
    assert set(zh) == set(en)
    for section in zh:
        assert set(zh[section]) == set(en[section]), (section, set(zh[section]) ^ set(en[section]))
    assert set(word_file("zh")) == set(zh), "only en.yml has sentences (the Chinese ones are the keys)"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_label_is_words(language):
    for section, names in labels(language).items():
        for code, text in names.items():
            assert isinstance(code, str) and isinstance(text, str) and text.strip(), (section, code)
            if language == "en":
                assert not CJK.search(text), (section, code, text)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in sentences_en().items())


@pytest.mark.parametrize("section, codes", [("states", OrderState), ("channels", PaymentChannel),
                                            ("outcomes", Outcome), ("parties", Party),
                                            ("refund_status", RefundStatus)])
def test_every_code_of_the_domain_has_words(section, codes):
    for language in ("zh", "en"):
        assert {c.value for c in codes} <= set(labels(language)[section]), (language, section)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_codes_shoppers_read_too_are_named_as_the_bot_names_them(language):
    bot, inbox = bot_words(language), labels(language)
    for section in BOT_SECTIONS:
        assert set(bot[section]) <= set(inbox[section]), (section, set(bot[section]) - set(inbox[section]))
    for section in SAID_AS_THE_BOT_SAYS:
        assert {code: inbox[section][code] for code in bot[section]} == bot[section], section


def test_the_web_app_reads_no_file_of_the_action_server():
    web = ROOT / "aftersales" / "entrypoints" / "web"
    for module in web.rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert '"actions"' not in text and "texts/" not in text, module


def test_money_is_formatted_by_the_domain_in_integer_minor_units():
    assert [yuan(v) for v in (129950, 5, 0, None)] == ["¥1,299.50", "¥0.05", "¥0.00", ""]
    assert yuan(10**11 + 1) == "¥1,000,000,000.01"  # no float rounding
    with pytest.raises(TypeError):
        yuan(12.5)  # type: ignore[arg-type]
