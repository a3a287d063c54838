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
        self.verdict, self.calls, self.state = verdict, [], "delivered"

    def check(self, customer, order_no, topic):
        self.calls.append(("check", topic))
        return {"order_no": order_no, "topic": topic, "verdict": self.verdict, "ends_at": "2027-11-20T04:00:00+00:00",
                "delay_hours": 48 if topic == "change_delivery_time" else None, "carrier": "韵达快递",
                "tracking_no": "YD1", "sla_hours": 24, "state": self.state}

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


@pytest.mark.parametrize("kind", [k for k in topic_cases.TOPIC_CASES if k != topic_cases.NOT_RECEIVED])
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


def test_a_parcel_never_received_asks_nothing_more_and_opens_with_the_shoppers_report(cases):
    assert run(topic_cases.offer("not_received", "c_1001", ORDER)) == {"proposal": "not_received"}
    report = {"event": "user", "text": "显示签收了但我没收到", "timestamp": 1.0,
              "parse_data": {"intent": {"name": "check_order_status", "confidence": 0.9}}}
    offered = tracker("not_received", f"{ORDER}", proposal="not_received")
    offered.events.insert(0, report)
    assert run(ValidateOrderQueryForm().required_slots([], CollectingDispatcher(), offered, {})) == ["order_no"]
    dispatcher = CollectingDispatcher()
    run(topic_cases.open_case("not_received", "c_1001", ORDER, dispatcher, offered))
    [opened] = [c for c in cases.calls if c[0] == "open"]
    assert opened[1:3] == ("not_received", "显示签收了但我没收到")
    assert "已请商家向快递核实包裹的去向（工单号 TK261121ABCDEF），24 小时内" in texts(dispatcher)
    assert "商家同意后会为您退款" in texts(dispatcher)


def test_a_parcel_not_yet_delivered_is_told_where_it_is_not_investigated(cases):
    cases.verdict, cases.state = "not_delivered", "in_transit"
    dispatcher = CollectingDispatcher()
    run(topic_cases.open_case("not_received", "c_1001", ORDER, dispatcher, tracker("not_received", "还没收到")))
    assert dispatcher.messages[0]["response"] == "utter_state_in_transit"
    assert (dispatcher.messages[0]["carrier"], dispatcher.messages[0]["tracking_no"]) == ("韵达快递", "YD1")
    assert "还没有显示签收" in texts(dispatcher) and "退款记录" not in texts(dispatcher)
    assert not [c for c in cases.calls if c[0] == "open"]


@pytest.mark.parametrize(("verdict", "words", "human"), [
    ("not_shipped_goods", "虚拟商品", True), ("window_closed", "售后期", True), ("closed", "取消或退货", False)])
def test_a_parcel_that_cannot_be_investigated_says_why(cases, verdict, words, human):
    cases.verdict = verdict
    dispatcher = CollectingDispatcher()
    run(topic_cases.open_case("not_received", "c_1001", ORDER, dispatcher, tracker("not_received")))
    assert words in texts(dispatcher) and bool(dispatcher.messages[-1].get("buttons")) is human
