"""Which language to answer a message in. Pure Python (no Rasa), so both runtimes' tests can use it:
the bot's NLU pipeline calls it through bot_extensions.nlu.LanguageDetector."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

LANGUAGE = "language"
SUPPORTED_LANGUAGES = ("zh", "en")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Latin words Chinese shoppers type in Chinese chats: on their own they say nothing about the
# language, so they keep whatever language the conversation is in.
_LOANWORDS = frozenset({"ok", "okay", "hi", "hello", "yes", "no", "bye", "thx", "hmm", "emm", "ks", "vip", "app"})


def language_of(text: str, metadata: dict[str, Any] | None = None) -> str | None:
    """The language to answer in: the app's (metadata `language`, e.g. "en-US") when it names one we
    speak; else what the message is written in; None when it does not tell (a number, an emoji,
    "ok"), so the conversation keeps its language."""
    declared = str((metadata or {}).get(LANGUAGE) or "")[:2].lower()
    if declared in SUPPORTED_LANGUAGES:
        return declared
    text = unicodedata.normalize("NFKC", text or "")
    if _CJK.search(text):
        return "zh"
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if len(words) >= 2 or (words and words[0] not in _LOANWORDS):
        return "en"
    return None


