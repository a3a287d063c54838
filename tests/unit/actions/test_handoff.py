"""Handing the conversation to the shop's people, against tracker fixtures and a fake helpdesk: a
case with the order, the bot paused — or, when the helpdesk fails, an apology and nothing paused."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import handoff


class FakeHelpdesk:
    def __init__(self, fail: bool = False) -> None:
        self.cases: list[tuple[dict, str]] = []
        self.fail = fail

    def open_case(self, case: dict, idempotency_key: str) -> dict:
        if self.fail:
            raise ConnectionError("helpdesk down")
        self.cases.append((case, idempotency_key))
        return {"ticket": {"ticket_no": "TK1", "created_at": "2026-12-01T10:00:00+00:00",
                           "sla_due_at": "2026-12-01T14:00:00+00:00"}}


@pytest.fixture
def helpdesk(use_services):
    fake = FakeHelpdesk()
    use_services(helpdesk=fake)
    return fake


def tracker() -> Tracker:
    slots = {"language": "zh", "verified_customer": "c_1001", "order_no": "P202611210000105",
             "order_state": "delivered", "query_kind": "invoice"}
    user = {"event": "user", "text": "这单帮我开个电子发票", "timestamp": 1.0,
            "parse_data": {"intent": {"name": "invoice", "confidence": 0.9}}}
    return Tracker("t-1", slots, user["parse_data"], [user], False, None, {}, "order_query_form")


def run(coroutine):
    with ThreadPoolExecutor(1) as pool:  # the browser tests' Playwright may hold this thread's loop
        return pool.submit(asyncio.run, coroutine).result()


def test_a_handoff_goes_to_the_inbox_with_the_conversations_order_and_pauses_the_bot(helpdesk):
    dispatcher = CollectingDispatcher()
    events = run(handoff.hand_over(tracker(), dispatcher))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_handoff"]
    assert dispatcher.messages[0]["ticket_no"] == "TK1" and dispatcher.messages[0]["hours"] == 4
    [(case, key)] = helpdesk.cases
    assert (case["kind"], case["order_no"], case["customer_id"]) == ("escalation", "P202611210000105", "c_1001")
    assert case["context"]["slots"]["query_kind"] == "invoice" and key.startswith("t-1:escalation:")
    assert events[-1]["event"] == "pause"


def test_a_failed_case_apologises_and_does_not_pause(use_services):
    use_services(helpdesk=FakeHelpdesk(fail=True))
    dispatcher = CollectingDispatcher()
    events = run(handoff.hand_over(tracker(), dispatcher))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_handoff_failed"]
    assert all(e["event"] != "pause" for e in events)


def handoff_tracker(text: str, token_customer: bool = True) -> Tracker:
    user = {"event": "user", "text": text, "timestamp": 2.0,
            "parse_data": {"intent": {"name": "request_human", "confidence": 0.99}}}
    slots = {"language": "zh", "verified_customer": "c_1001" if token_customer else None}
    return Tracker("t-2", slots, {"text": text, **user["parse_data"]}, [user], False, None, {}, "action_listen")


def test_the_order_the_handoff_message_names_goes_with_the_case(helpdesk):
    run(handoff.hand_over(handoff_tracker("转人工 P202611210000104 快递太慢了"), CollectingDispatcher()))
    [(case, _)] = helpdesk.cases
    assert (case["order_no"], case["shop_id"]) == ("P202611210000104", None)


def test_an_order_that_is_not_the_shoppers_is_dropped_and_the_case_still_lands(use_services):
    from aftersales.adapters.helpdesk_client import HelpdeskError

    class RefusesForeignOrders(FakeHelpdesk):
        def open_case(self, case, idempotency_key):
            if case["order_no"]:
                raise HelpdeskError("no such order", status=404, code="order_not_found")
            return super().open_case(case, idempotency_key)

    fake = RefusesForeignOrders()
    use_services(helpdesk=fake)
    dispatcher = CollectingDispatcher()
    events = run(handoff.hand_over(handoff_tracker("转人工 P202611210000999"), dispatcher))
    [(case, key)] = fake.cases
    assert case["order_no"] is None and case["shop_id"] and key.endswith(":without-order")
    assert dispatcher.messages[-1]["response"] == "utter_handoff" and events[-1]["event"] == "pause"


def test_an_anonymous_shopper_names_no_order(helpdesk):
    run(handoff.hand_over(handoff_tracker("转人工 P202611210000104", token_customer=False), CollectingDispatcher()))
    [(case, _)] = helpdesk.cases
    assert case["order_no"] is None and case["customer_id"] is None
