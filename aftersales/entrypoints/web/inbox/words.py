"""The inbox's words: codes in plain words (words/zh.yml and words/en.yml, read once), the inbox's own
sentences said in the merchant's language, times in the platform's time zone and money as shoppers
read it (domain.money)."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from flask import g, has_request_context

from aftersales.domain.money import Money
from aftersales.service.base import PLATFORM_TZ
from aftersales.service.merchant_accounts import LANGUAGES

WORDS_DIR = Path(__file__).resolve().parents[1] / "words"


@functools.cache
def word_file(language: str) -> dict[str, Any]:
    """words/<language>.yml as it is: label sections (section → code → words), and for English the
    ``sentences`` (the inbox's Chinese sentences → English)."""
    loaded = yaml.safe_load((WORDS_DIR / f"{language}.yml").read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{language}.yml: not a mapping of sections")
    return loaded


@functools.cache
def labels(language: str) -> dict[str, dict[str, str]]:
    """The label sections of a language (everything but the sentences)."""
    return {name: section for name, section in word_file(language).items() if name != "sentences"}


@functools.cache
def sentences_en() -> dict[str, str]:
    """The inbox's own Chinese sentences → English."""
    return dict(word_file("en").get("sentences") or {})


def language() -> str:
    """The signed-in merchant's language (g.language); Chinese outside a request or before sign-in."""
    if has_request_context():
        value = g.get("language")
        if value in LANGUAGES:
            return str(value)
    return "zh"


def _(text: str, /, **values: Any) -> str:
    """The inbox's own words: written in Chinese, said in English for an English merchant (words/en.yml's
    sentences). ``values`` fill the {named} places (as str.format does)."""
    if language() == "en":
        text = sentences_en().get(text, text)
    return text.format(**values) if values else text


def label(section: str, key: str | None) -> str:
    """A code in plain words ("interception" → 拦截); the code itself when there are none."""
    if key is None:
        return "—"
    return str(labels(language()).get(section, {}).get(key, key))


def words(section: str, key: Any) -> str | None:
    """``label`` for a sentence: None when there are no words for the code, so that no code is shown."""
    if key is None or key == "":
        return None
    value = labels(language()).get(section, {}).get(str(key))
    return str(value) if value is not None else None


def joined(values: list[str]) -> str:
    """A list in a sentence: "A、B" in Chinese, "A, B" in English."""
    return (", " if language() == "en" else "、").join(values)


def latin_gap(text: str, before: bool = False, after: bool = True) -> str:
    """A space between a Latin name and the Chinese around it ("顾客 Alice 申请", "分配给 K 客服");
    English sentences have their spaces already."""
    if language() == "en":
        return text
    if before and text[:1].isascii() and text[:1].isalnum():
        text = " " + text
    if after and text[-1:].isascii() and text[-1:].isalnum():
        text = text + " "
    return text


def local_time(iso: str | None) -> str:
    """An ISO time in the platform's time zone, to the minute (template filter ``local_time``)."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


def yuan(minor: int | None) -> str:
    """An amount in 分 as shoppers read it, ``¥1,299.00`` (template filter ``yuan``); nothing for None."""
    return "" if minor is None else Money(minor).display()
