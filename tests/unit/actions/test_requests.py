"""A request's actions against tracker fixtures and a fake service: what each asks, the summary
before anything changes, and a submit only after a yes — once per confirmation."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import requests
from aftersales.service.errors import OrderNotFound

from .fixtures import CUSTOMER, ORDER_NO, FakeAfterSales, decision, item, order, responses, run, slot_events, texts
from .fixtures import tracker as conversation

REQUEST = {"order_no": ORDER_NO, "order_state": "paid", "reason": "changed_mind", "outcome": "cancel_refund",
           "item": "all"}


@pytest.fixture
def service(use_services):
    fake = FakeAfterSales()
    use_services(after_sales=fake)
    return fake


def test_a_new_request_forgets_the_unfinished_one_but_an_answer_inside_the_form_does_not():
    events = run(requests.ActionStartRequest().run(CollectingDispatcher(), conversation(
        "我要退货", "return_goods", outcome="exchange", reason="does_not_fit"), {}))
    assert slot_events(events) == {"request_kind": "return_goods", "outcome": None, "item": None, "exchange_wish": None,
                                   "confirmed": None, "flow_blocked": None, "reason": None, "reason_text": None}
    tagged = conversation("质量问题要退货", "return_goods", entities=[{"entity": "reason", "value": "quality_defect"}])
    assert "reason" not in slot_events(run(requests.ActionStartRequest().run(CollectingDispatcher(), tagged, {})))
    inside = conversation("换成 43 码", "exchange_goods", loop="after_sales_form", request_kind="exchange_goods")
    assert run(requests.ActionStartRequest().run(CollectingDispatcher(), inside, {})) == []


@pytest.mark.parametrize(("state", "fulfillment", "first"), [
    ("paid", "physical", "/inform{\"reason\":\"changed_mind\"}"),
    ("in_transit", "physical", "/inform{\"reason\":\"changed_mind\"}"),
    ("delivered", "physical", "/inform{\"reason\":\"quality_defect\"}"),
    ("paid", "virtual", "/inform{\"reason\":\"ordered_by_mistake\"}"),
])
def test_the_reasons_offered_depend_on_where_the_order_is(state, fulfillment, first):
    dispatcher = CollectingDispatcher()
    run(requests.ActionAskReason().run(dispatcher, conversation(order_state=state, fulfillment=fulfillment), {}))
    [message] = dispatcher.messages
    assert message["buttons"][0]["payload"] == first and message["text"]


def test_the_outcomes_offered_are_the_policys(service):
    service.options_ = [decision("cancel_refund"), decision("refund_to_balance")]
    dispatcher = CollectingDispatcher()
    assert run(requests.ActionAskOutcome().run(dispatcher, conversation(**REQUEST), {})) == []
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        '/inform{"outcome":"cancel_refund"}', '/inform{"outcome":"refund_to_balance"}']
    assert service.named("options") == [("options", CUSTOMER, ORDER_NO, "changed_mind")]


def test_the_outcome_question_apologises_when_the_service_is_down(use_services):
    class Down(FakeAfterSales):
        def options(self, *args):
            raise ConnectionError("db down")

    use_services(after_sales=Down())
    dispatcher = CollectingDispatcher()
    events = run(requests.ActionAskOutcome().run(dispatcher, conversation(**REQUEST), {}))
    assert slot_events(events) == {"flow_blocked": "unavailable"}
    assert responses(dispatcher) == ["utter_service_unavailable"]


def test_one_item_needs_no_question_several_get_a_button_each(service):
    dispatcher = CollectingDispatcher()
    assert slot_events(run(requests.ActionAskItem().run(dispatcher, conversation(**REQUEST), {}))) == {"item": "all"}
    assert not dispatcher.messages
    service.order = order(items=[item(2, "马克杯"), item(3, "毛巾"), item(4, "香皂", cancelled=True)])
    run(requests.ActionAskItem().run(dispatcher, conversation(**REQUEST), {}))
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        '/inform{"item":"all"}', '/inform{"item":"2"}', '/inform{"item":"3"}']


def test_the_summary_names_the_order_the_money_and_offers_confirm_or_reconsider(service):
    dispatcher = CollectingDispatcher()
    assert run(requests.ActionAskConfirmed().run(dispatcher, conversation(**REQUEST), {})) == []
    [message] = dispatcher.messages
    assert ORDER_NO in message["text"] and "¥199.00" in message["text"] and "支付宝" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]
    assert service.named("preview") == [("preview", CUSTOMER, ORDER_NO, "cancel_refund", "changed_mind", [])]


def test_a_refused_summary_says_why_and_asks_for_the_outcome_again(service):
    service.preview_ = decision(allowed=False, code="already_shipped")
    dispatcher = CollectingDispatcher()
    events = run(requests.ActionAskConfirmed().run(dispatcher, conversation(**REQUEST), {}))
    assert responses(dispatcher) == ["utter_refused_already_shipped"] and slot_events(events) == {"outcome": None}


def test_without_a_yes_nothing_is_submitted(service):
    dispatcher = CollectingDispatcher()
    events = run(requests.ActionSubmitRequest().run(dispatcher, conversation("不了", "deny", **REQUEST,
                                                                             confirmed=False), {}))
    assert responses(dispatcher) == ["utter_not_confirmed"] and not service.named("submit")
    assert slot_events(events)["outcome"] is None and slot_events(events)["request_kind"] is None


def test_a_confirmed_request_is_submitted_once_with_its_confirmation_and_told_with_references(service):
    dispatcher = CollectingDispatcher()
    events = run(requests.ActionSubmitRequest().run(dispatcher, conversation("确认", "affirm", **{**REQUEST, "item": "3"},
                                                                             confirmed=True), {}))
    [call] = service.named("submit")
    assert call[1:6] == (CUSTOMER, ORDER_NO, "cancel_refund", "changed_mind", [3])
    assert call[6] == f"t-1:{ORDER_NO}:cancel_refund:[3]:m-2"  # a retried HTTP call cannot submit twice
    assert f"订单 {ORDER_NO} 已取消" in texts(dispatcher) and "RF261121ABCDEF" in texts(dispatcher)
    assert dispatcher.messages[-1]["custom"]["type"] == "result_card"
    assert slot_events(events)["order_state"] == "cancelled"  # as the submit's result reads the order
    assert not service.named("lookup_order")  # the result holds the order: no look-up after it
    assert slot_events(events)["confirmed"] is None


def test_a_blocked_flow_submits_nothing_and_says_nothing(service):
    dispatcher = CollectingDispatcher()
    run(requests.ActionSubmitRequest().run(dispatcher, conversation(**REQUEST, confirmed=True,
                                                                    flow_blocked="locked"), {}))
    assert not dispatcher.messages and not service.named("submit")


def test_a_failed_submit_apologises_and_changes_nothing(use_services):
    class Failing(FakeAfterSales):
        def submit(self, *args, **kwargs):
            raise OrderNotFound("gone")

    use_services(after_sales=Failing())
    dispatcher = CollectingDispatcher()
    events = run(requests.ActionSubmitRequest().run(dispatcher, conversation("确认", "affirm", **REQUEST,
                                                                             confirmed=True), {}))
    assert responses(dispatcher) == ["utter_service_unavailable"] and "order_state" not in slot_events(events)


def test_leaving_a_request_or_an_order_forgets_it():
    dispatcher = CollectingDispatcher()
    events = slot_events(run(requests.ActionAbandonRequest().run(dispatcher, conversation(**REQUEST), {})))
    assert responses(dispatcher) == ["utter_request_abandoned"]
    assert events["outcome"] is None and events["requested_slot"] is None and "order_no" not in events
    dispatcher = CollectingDispatcher()
    events = slot_events(run(requests.ActionSwitchOrder().run(dispatcher, conversation(**REQUEST), {})))
    assert responses(dispatcher) == ["utter_switch_order"]
    assert events["order_no"] is None and events["verified_customer"] is None and events["order_state_for"] is None
