"""A return's parcel in the chat, against tracker fixtures and a fake service: asked for only when the
return awaits it, taken from the question when it names one, recorded with its carrier, and a
refusal that says why; a tracking number never replaces the order the conversation is about."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import return_parcels
from actions.forms import ValidateOrderQueryForm

ORDER = "P202611210000105"


class FakeParcels:
    def __init__(self, verdict="awaited", outcome="return_refund"):
        self.verdict, self.outcome, self.calls = verdict, outcome, []

    def described(self, order_no, **extra):
        return {"verdict": self.verdict, "order_no": order_no, "return_no": "RT261121ABCDEF", "outcome": self.outcome,
                "carrier": None, "tracking_no": None, "shipped_at": None, "return_address": None, **extra}

    def check(self, customer, order_no):
        self.calls.append(("check",))
        return self.described(order_no)

    def record(self, customer, order_no, tracking_no, carrier=None, conversation_id=None):
        self.calls.append(("record", tracking_no, carrier, conversation_id))
        status = "recorded" if self.verdict == "awaited" else self.verdict
        return self.described(order_no, status=status, tracking_no=tracking_no, carrier=carrier)


@pytest.fixture
def service(use_services):
    fake = FakeParcels()
    use_services(return_parcels=fake)
    return fake


def tracker(text: str = "x", language: str = "zh", **slots) -> Tracker:
    values = {"language": language, "verified_customer": "c_1001", "order_no": ORDER, "order_state": "delivered",
              "order_state_for": ORDER, "query_kind": "return_shipped", **slots}
    latest = {"event": "user", "text": text, "timestamp": 2.0,
              "parse_data": {"intent": {"name": "return_shipped", "confidence": 0.9}, "text": text}}
    return Tracker("chat-1", values, latest["parse_data"], [latest], False, None, {}, "order_query_form")


def run(coroutine):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)


def test_the_parcel_is_asked_only_when_the_return_awaits_it(service):
    assert run(return_parcels.offer("c_1001", ORDER)) == {"proposal": "return_shipped"}
    offered = tracker(proposal="return_shipped")
    assert run(ValidateOrderQueryForm().required_slots([], CollectingDispatcher(), offered, {})) == [
        "order_no", "return_parcel"]
    service.verdict = "under_review"
    assert run(return_parcels.offer("c_1001", ORDER)) == {"proposal": None}


@pytest.mark.parametrize(("language", "outcome", "next_words"), [
    ("zh", "return_refund", "退款"), ("zh", "exchange", "换货商品"), ("en", "return_refund", "refund"),
    ("en", "exchange", "replacement"),
])
def test_the_parcel_named_is_recorded_with_its_carrier(service, language, outcome, next_words):
    service.outcome = outcome
    dispatcher = CollectingDispatcher()
    events = run(return_parcels.record("c_1001", ORDER, dispatcher, tracker(
        language=language, proposal="return_shipped", return_parcel="退货寄出了，顺丰 sf1234567890")))
    assert service.calls == [("record", "SF1234567890", "顺丰速运", "chat-1")]
    told = texts(dispatcher)
    assert "SF1234567890" in told and "顺丰速运" in told and next_words in told and "{" not in told
    assert {e["name"]: e["value"] for e in events} == {"proposal": None, "return_parcel": None}


@pytest.mark.parametrize(("verdict", "words"), [("under_review", "不要寄出"), ("not_needed", "不需要寄回"),
                                                ("received", "已经收到"), ("no_return", ORDER)])
def test_a_return_that_awaits_no_parcel_says_why_and_records_nothing(service, verdict, words):
    service.verdict = verdict
    dispatcher = CollectingDispatcher()
    run(return_parcels.record("c_1001", ORDER, dispatcher, tracker(return_parcel="SF1234567890")))
    assert service.calls == [("check",)] and words in texts(dispatcher)


def test_an_answer_without_a_tracking_number_is_asked_again():
    dispatcher = CollectingDispatcher()
    form = ValidateOrderQueryForm()
    assert run(form.validate_return_parcel("已经寄了", dispatcher, tracker(), {})) == {"return_parcel": None}
    assert "运单号" in texts(dispatcher)
    assert run(form.validate_return_parcel("7512 3456 7890 12", CollectingDispatcher(), tracker(), {})) == {
        "return_parcel": "7512 3456 7890 12"}


def test_a_tracking_number_never_becomes_the_order_number():
    form = ValidateOrderQueryForm()
    asked = tracker("SF1234567890", requested_slot="return_parcel")
    assert run(form.validate_order_no("SF1234567890", CollectingDispatcher(), asked, {})) == {"order_no": ORDER}
