"""Service results → the bot's words, by topic (orders, requests, updates, proposals). Pure
functions over the service's results (actions.contracts); the sentences themselves are in
actions/texts/<language>.yml, so a language is a file, not code. Here: the texts, the keywords,
and ``Words``, which looks a sentence up and fills in the figures."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from actions.contracts import Eta, Order
from aftersales.domain.money import Money
from aftersales.service.base import PLATFORM_TZ

TEXTS_DIR = Path(__file__).resolve().parent.parent / "texts"
DEFAULT_LANGUAGE = "zh"
LANGUAGES = tuple(sorted(path.stem for path in TEXTS_DIR.glob("*.yml")))


@functools.lru_cache(maxsize=8)
def texts(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    path = TEXTS_DIR / f"{language}.yml"
    if not path.exists():
        path = TEXTS_DIR / f"{DEFAULT_LANGUAGE}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def _keywords(section: str) -> dict[str, list[re.Pattern[str]]]:
    """The keywords of every language for one section, as patterns: Latin words match whole words
    ("all" is not in "small"), Chinese ones anywhere in the text."""
    merged: dict[str, list[re.Pattern[str]]] = {}
    for language in LANGUAGES:
        for code, words in texts(language)["keywords"][section].items():
            merged.setdefault(code, []).extend(
                re.compile(rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word)) for word in words)
    return merged


def keyword_code(section: str, text: str) -> str | None:
    """The first code (reasons, outcomes, items) one of whose keywords the shopper's free text mentions."""
    lowered = text.lower()
    return next((code for code, patterns in _keywords(section).items() if any(p.search(lowered) for p in patterns)),
                None)


class Words:
    """Looks up ``section.key`` in one language's texts and fills in the values."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.t = texts(language)

    def __call__(self, dotted: str, **values: Any) -> str:
        node: Any = self.t
        for part in dotted.split("."):
            node = node[part]
        return str(node).format(**values) if values else str(node)

    def label(self, section: str, key: str | None) -> str:
        return str(self.t.get(section, {}).get(key, key or ""))

    def money(self, minor: int, currency: str = "CNY") -> str:
        return Money(minor, currency).display()

    def when(self, iso: str | None) -> str:
        if not iso:
            return ""
        return datetime.fromisoformat(iso).astimezone(PLATFORM_TZ).strftime(self.t["datetime"])

    def eta(self, eta: Eta | None) -> str:
        if not eta or eta["max"] == 0:
            return self("eta.immediate")
        return self(f"eta.{eta['unit']}", min=number(eta["min"]), max=number(eta["max"]))

    def duration(self, eta: Eta) -> str:
        return self(f"duration.{eta['unit']}", min=number(eta["min"]), max=number(eta["max"]))

    def state(self, order: Order) -> str:
        virtual = all(i["goods_type"].startswith("virtual") for i in order["items"])
        if virtual and order["state"] in self.t.get("virtual_states", {}):
            return self.t["virtual_states"][order["state"]]
        return self.label("states", order["state"])


def number(value: float) -> str:
    """2.0 → "2", 1.5 → "1.5"."""
    return str(int(value)) if float(value).is_integer() else str(value)
