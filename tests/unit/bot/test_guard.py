"""What the chat channels check at the door (bot_extensions.guard): request shape, length, words,
rate, and the session binding that a replayed sender id cannot forge."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions import runtime
from bot_extensions import guard


@pytest.mark.parametrize(("body", "reason"), [
    ([1, 2], "JSON object"), ("hello", "JSON object"), (None, "JSON object"),
    ({"message": 5}, "'message' must be a string"), ({"message": ["a"]}, "'message' must be a string"),
    ({"message": "hi", "metadata": "x"}, "'metadata' must be a JSON object"),
    ({"message": "hi", "metadata": [1]}, "'metadata' must be a JSON object"),
    ({"message": "hi", "sender": 7}, "'sender'"), ({"message": "hi", "sender": "  "}, "'sender'"),
    ({"message": "hi", "sender": "x" * 129}, "'sender'"),
])
def test_malformed_bodies_are_refused_with_the_reason(body, reason):
    with pytest.raises(guard.MalformedRequest, match=reason):
        guard.parse_rest_body(body)


def test_a_well_formed_body_is_taken_as_it_is():
    parsed = guard.parse_rest_body({"sender": "s1", "message": "取消订单", "metadata": {"language": "zh"}})
    assert parsed == guard.ChatRequest("s1", "取消订单", {"language": "zh"})
    assert guard.parse_rest_body({"message": "hi"}) == guard.ChatRequest(None, "hi", {})


@pytest.mark.parametrize(("text", "answer"), [
    ("", guard.WITHOUT_WORDS), ("   ", guard.WITHOUT_WORDS), ("\u0000\u0001\u0002", guard.WITHOUT_WORDS),
    ("\u200b\u200d\ufeff", guard.WITHOUT_WORDS), ("\t\n\u3000", guard.WITHOUT_WORDS),
    ("取" * 1001, guard.TOO_LONG), ("a" * 10_000, guard.TOO_LONG),
    ("取" * 1000, None), ("我要退款", None), ("?", None), ("👍", None), ("/affirm", None),
])
def test_the_channel_answers_messages_the_nlu_should_not_see(text, answer):
    assert guard.refusal(text) == answer


@given(st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=50))
def test_nothing_but_control_format_and_space_characters_is_never_words(text):
    assert guard.refusal(text) == guard.WITHOUT_WORDS


def test_a_conversation_sending_too_fast_is_slowed_and_others_are_not():
    now = [0.0]
    rate = guard.MessageRate(limit=3, window_s=10, clock=lambda: now[0])
    assert [rate.allow("a") for _ in range(4)] == [True, True, True, False]
    assert rate.allow("b")
    now[0] = 10.5
    assert rate.allow("a")


def test_the_rate_keeps_a_bounded_number_of_conversations():
    rate = guard.MessageRate(limit=1, window_s=60, max_conversations=2)
    for sender in ("a", "b", "c"):
        assert rate.allow(sender)
    assert rate.allow("a")  # forgotten as the oldest, so counted afresh
    assert not rate.allow("c")


def test_the_binding_differs_per_session_key_and_per_sender_and_the_clients_own_fields_are_overwritten():
    forged = {"chat_session": "copied-from-the-victim", "client_address": "1.2.3.4", "language": "en"}
    stamped = guard.stamped(forged, "s1", "k" * 20, "10.0.0.5")
    assert stamped["language"] == "en" and stamped["client_address"] == "10.0.0.5"
    assert stamped["chat_session"] == guard.session_binding("s1", "k" * 20) != "copied-from-the-victim"
    assert guard.session_binding("s1", "k" * 20) != guard.session_binding("s1", "j" * 20)
    assert guard.session_binding("s1", "k" * 20) != guard.session_binding("s2", "k" * 20)


def test_short_or_odd_session_keys_are_not_used():
    assert guard.usable_session_key("short") is None
    assert guard.usable_session_key(None) is None and guard.usable_session_key(12345678901234567890) is None
    assert guard.usable_session_key("x" * 16) == "x" * 16
    assert guard.usable_session_key(guard.new_session_key()) is not None


def test_the_action_server_reads_the_fields_the_channel_writes():
    assert (runtime.SESSION_BINDING, runtime.CLIENT_ADDRESS) == (guard.SESSION_BINDING, guard.CLIENT_ADDRESS)


def test_the_message_rate_is_configurable_and_a_bad_setting_is_named():
    assert (guard.message_rate(None).limit, guard.message_rate(None).window_s) == (20, 30.0)
    assert (guard.message_rate("5/10").limit, guard.message_rate("5/10").window_s) == (5, 10.0)
    with pytest.raises(ValueError, match="CHAT_MESSAGE_RATE"):
        guard.message_rate("fast")
