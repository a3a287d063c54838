"""Which language the bot answers in (bot_extensions.language, used by the NLU pipeline)."""

import pytest

from bot_extensions.language import language_of


@pytest.mark.parametrize(("text", "metadata", "expected"), [
    ("我要取消订单", None, "zh"),
    ("I want to cancel my order", None, "en"),
    ("refund", None, "en"),
    ("我想cancel订单", None, "zh"),  # Chinese with an English word is Chinese
    ("ＣＡＮＣＥＬ order", None, "en"),  # full-width letters
    # Nothing to tell by: the conversation keeps its language.
    ("P 2026 1121 0000 103", None, None),
    ("9999", None, None),
    ("ok", None, None),
    ("Hello", None, None),
    ("👍", None, None),
    ("", None, None),
    (None, None, None),
    # The app's language wins, in any spelling of a language we speak.
    ("我要退款", {"language": "en-US"}, "en"),
    ("refund please", {"language": "zh_CN"}, "zh"),
    ("9999", {"language": "EN"}, "en"),
    # A language we do not speak is no instruction: the message decides.
    ("refund please", {"language": "ja"}, "en"),
    ("退款", {"language": 42}, "zh"),
])
def test_language_of(text, metadata, expected):
    assert language_of(text, metadata) == expected
