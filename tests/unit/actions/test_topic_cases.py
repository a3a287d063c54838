"""Invoice, repair, missing-item and delivery-time cases in the chat, against tracker fixtures and a
fake service: the details are asked only when the order allows a case, checked before the case opens,
and a refusal says why with a way on."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import topic_cases
from actions.forms import ValidateOrderQueryForm

ORDER = "P202611210000105"


class FakeCases:
    def __init__(self, verdict="open"):
        self.verdict, self.calls = verdict, []

    def check(self, customer, order_no, topic):
        self.calls.append(("check", topic))
        return {"order_no": order_no, "topic": topic, "verdict": self.verdict, "ends_at": "2027-11-20T04:00:00+00:00",
                "delay_hours": 48 if topic == "change_delivery_time" else None, "carrier": "韵达快递",
                "tracking_no": "YD1", "sla_hours": 24}

    def open(self, customer, order_no, topic, details, conversation_id=None, idempotency_key=None, transcript=None):
        self.calls.append(("open", topic, details, idempotency_key))
        return {"status": "opened", "order_no": order_no, "sla_hours": 24, "details": {"wish": "reissue"}
                if topic == "missing_item" else {}, "ticket": {"ticket_no": "TK261121ABCDEF", "kind": topic}}


@pytest.fixture
def cases(use_services):
    fake = FakeCases()
    use_services(topic_cases=fake)
    return fake


def tracker(kind: str, text: str = "x", **slots) -> Tracker:
    values = {"language": "zh", "verified_customer": "c_1001", "order_no": ORDER, "order_state": "delivered",
              "query_kind": kind, **slots}
    latest = {"event": "user", "text": text, "timestamp": 2.0,
              "parse_data": {"intent": {"name": "inform", "confidence": 0.9}, "text": text}}
    return Tracker("t-1", values, latest["parse_data"], [latest], False, None, {}, "order_query_form")


def run(coroutine):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


@pytest.mark.parametrize("kind", topic_cases.TOPIC_CASES)
def test_the_details_are_asked_in_one_message_only_when_a_case_is_allowed(cases, kind):
    assert run(topic_cases.offer(kind, "c_1001", ORDER)) == {"proposal": kind}
    offered = tracker(kind, proposal=kind)
    assert run(ValidateOrderQueryForm().required_slots([], CollectingDispatcher(), offered, {})) == [
        "order_no", "case_details"]
    dispatcher = CollectingDispatcher()
    run(topic_cases.ActionAskOrderQueryFormCaseDetails().run(dispatcher, offered, {}))
    assert texts(dispatcher) and "{" not in texts(dispatcher)
    cases.verdict = "warranty_expired"
    assert run(topic_cases.offer(kind, "c_1001", ORDER)) == {"proposal": None}


def test_a_company_invoice_without_its_tax_number_is_asked_again():
    offered = tracker("invoice", proposal="invoice")
    dispatcher = CollectingDispatcher()
    assert run(ValidateOrderQueryForm().validate_case_details("上海某某科技有限公司 电子", dispatcher, offered, {})) == {
        "case_details": None}
    assert "税号" in texts(dispatcher)


def test_the_case_opens_once_with_the_shoppers_words(cases):
    dispatcher = CollectingDispatcher()
    events = run(topic_cases.open_case("missing_item", "c_1001", ORDER, dispatcher,
                                       tracker("missing_item", proposal="missing_item", case_details="少了充电器")))
    [opened] = [c for c in cases.calls if c[0] == "open"]
    assert opened[2] == "少了充电器" and opened[3].startswith("t-1:missing_item:")
    assert "TK261121ABCDEF" in texts(dispatcher) and "补发" in texts(dispatcher)
    assert {e["name"] for e in events} == {"proposal", "case_details"}


@pytest.mark.parametrize(("verdict", "words", "human"), [
    ("warranty_expired", "保修期", True), ("in_delivery", "YD1", False), ("not_paid", "付款", False)])
def test_a_refusal_says_why_and_offers_a_person_where_one_can_help(cases, verdict, words, human):
    cases.verdict = verdict
    dispatcher = CollectingDispatcher()
    run(topic_cases.open_case("repair", "c_1001", ORDER, dispatcher, tracker("repair")))
    assert words in texts(dispatcher)
    assert bool(dispatcher.messages[-1].get("buttons")) is human
    assert not [c for c in cases.calls if c[0] == "open"]
