"""Money moves only on an explicit confirmation: the button, or a confident `affirm` that says yes."""

import pytest

from actions.order_lookup import is_explicit_confirmation


def message(text: str, intent: str = "affirm", confidence: float = 0.95) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": confidence}}


@pytest.mark.parametrize("text", ["/affirm", "确认", "好的", "可以的", "yes", "OK", "confirm please", "是的，提交吧"])
def test_explicit(text):
    assert is_explicit_confirmation(message(text))


@pytest.mark.parametrize(("text", "confidence"), [
    ("undefined", 0.95),        # confident, but no word says yes
    ("\u0000\u0001\u0002", 0.66),
    ("好的", 0.6),              # says yes, but the reading is a guess
    ("a", 0.58),
])
def test_not_explicit(text, confidence):
    assert not is_explicit_confirmation(message(text, confidence=confidence))


def test_another_intent_is_never_a_confirmation():
    assert not is_explicit_confirmation(message("好的谢谢", intent="thank"))
