"""General questions are answered with the figures of the shop whose chat it is."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import faq, runtime
from aftersales.service.errors import NotFound


class FakePolicies:
    def __init__(self, shops=("shop_fresh", "shop_lifestyle"), fail=False):
        self.shops, self.fail, self.asked = shops, fail, []

    def faq_answer(self, shop_id, topic):
        self.asked.append((shop_id, topic))
        if self.fail:
            raise RuntimeError("database down")
        if shop_id not in self.shops:
            raise NotFound(shop_id)
        return {"response": f"utter_faq/{topic}", "figures": {"free_interceptions": "3"} if shop_id == "shop_fresh"
                else {}}


def tracker(intent_response_key: str | None, metadata: dict | None = None) -> Tracker:
    selector = {"faq": {"response": {"intent_response_key": intent_response_key}}} if intent_response_key else {}
    parse = {"intent": {"name": "faq", "confidence": 0.9}, "text": "q", "response_selector": selector,
             "metadata": metadata or {}}
    latest = {"event": "user", "text": "q", "timestamp": 2.0, "parse_data": parse, "metadata": metadata or {}}
    return Tracker("t-1", {"language": "zh"}, parse, [latest], False, None, {}, "")


def answer(policies, tracker_) -> list[dict]:
    dispatcher = CollectingDispatcher()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, faq.ActionAnswerFaq().run(dispatcher, tracker_, {})).result()
    return dispatcher.messages


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setattr(runtime, "settings", lambda: type("S", (), {"default_shop_id": "shop_lifestyle"})())


def test_the_answer_carries_the_chat_shops_figures(use_services, settings):
    policies = FakePolicies()
    use_services(shop_policies=policies)
    [message] = answer(policies, tracker("faq/interception_cost", {"shop_id": "shop_fresh"}))
    assert message["response"] == "utter_faq/interception_cost" and message["free_interceptions"] == "3"
    assert policies.asked == [("shop_fresh", "interception_cost")]


def test_no_shop_or_an_unknown_one_is_answered_for_the_default_shop(use_services, settings):
    policies = FakePolicies()
    use_services(shop_policies=policies)
    answer(policies, tracker("faq/return_window"))
    answer(policies, tracker("faq/return_window", {"shop_id": "shop_nobody"}))
    assert policies.asked == [("shop_lifestyle", "return_window"), ("shop_nobody", "return_window"),
                              ("shop_lifestyle", "return_window")]


def test_a_failed_read_says_so_instead_of_unfilled_figures(use_services, settings):
    policies = FakePolicies(fail=True)
    use_services(shop_policies=policies)
    [message] = answer(policies, tracker("faq/interception_cost", {"shop_id": "shop_fresh"}))
    assert message["response"] == "utter_service_unavailable"


def test_no_selected_answer_asks_to_rephrase(use_services, settings):
    policies = FakePolicies()
    use_services(shop_policies=policies)
    [message] = answer(policies, tracker(None))
    assert message["response"] == "utter_please_rephrase" and policies.asked == []
