"""The clarifying question, against tracker fixtures: the two likeliest readings as buttons, a human
the second time, and "not something I can do here" for out of scope."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionHandleFallback, readings


def parse(intent: str, *ranking: tuple[str, float]) -> dict:
    return {"intent": {"name": intent, "confidence": 0.3},
            "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking]}


def tracker(*turns: dict, language: str = "zh") -> Tracker:
    events = [{"event": "user", "text": "…", "parse_data": turn} for turn in turns]
    return Tracker("t-1", {"language": language}, turns[-1], events, False, None, {}, "action_listen")


def run(t: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    # A thread of its own: the browser tests' Playwright may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, ActionHandleFallback().run(dispatcher, t, {})).result() == []
    return dispatcher.messages


def test_readings_keep_offerable_intents_best_first_above_the_floor():
    data = parse("nlu_fallback", ("nlu_fallback", 0.3), ("invoice", 0.28), ("affirm", 0.2),
                 ("cancel_order", 0.12), ("repair", 0.01))
    assert readings(data, {"invoice", "cancel_order", "repair"}) == ["invoice", "cancel_order"]


def test_two_likeliest_readings_are_offered_as_buttons_with_a_human():
    [message] = run(tracker(parse("nlu_fallback", ("nlu_fallback", 0.3), ("invoice", 0.25),
                                  ("price_protection", 0.2), ("greet", 0.1))))
    assert message["response"] == "utter_clarify"
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("发票", "/invoice"), ("价保（退差价）", "/price_protection"), ("转人工", "/request_human")]


def test_english_titles_follow_the_conversation():
    [message] = run(tracker(parse("nlu_fallback", ("exchange_goods", 0.4), ("return_goods", 0.3)), language="en"))
    assert [b["title"] for b in message["buttons"]][:2] == ["Exchange an item", "Return for a refund"]


def test_nothing_likely_enough_asks_to_rephrase():
    [message] = run(tracker(parse("nlu_fallback", ("greet", 0.5), ("invoice", 0.01))))
    assert message["response"] == "utter_please_rephrase"


def test_not_understood_twice_offers_a_human():
    first = parse("nlu_fallback", ("invoice", 0.4))
    [message] = run(tracker(first, parse("nlu_fallback", ("invoice", 0.4))))
    assert message["response"] == "utter_offer_human"


def test_out_of_scope_says_so():
    [message] = run(tracker(parse("out_of_scope", ("out_of_scope", 0.9))))
    assert message["response"] == "utter_out_of_scope"
