"""The after-sales form's validation against tracker fixtures and a fake service: the order is
loaded and shown once identified, lookups are limited, the reason and outcome are the policy's, an
item is found by its name, and only an explicit yes confirms."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import forms, order_lookup

from .fixtures import CUSTOMER, ORDER_NO, FakeAfterSales, decision, item, order, responses, run, texts
from .fixtures import tracker as conversation

FORM = forms.ValidateAfterSalesForm()


@pytest.fixture
def service(use_services):
    fake = FakeAfterSales()
    use_services(after_sales=fake)
    return fake


def test_an_identified_order_is_shown_and_remembered(service):
    service.order = order(items=[item(2, "马克杯"), item(3, "毛巾"), item(4, "香皂", cancelled=True)])
    dispatcher = CollectingDispatcher()
    slots = run(FORM.validate_order_no(f"订单号 {ORDER_NO}", dispatcher, conversation(signed=True), {}))
    assert slots == {"order_no": ORDER_NO, "order_state": "paid", "order_state_for": ORDER_NO,
                     "active_item_count": 2, "fulfillment": "physical"}
    assert ORDER_NO in texts(dispatcher) and dispatcher.messages[0]["custom"]["type"] == "order_card"
    assert service.named("lookup_order") == [("lookup_order", CUSTOMER, ORDER_NO)]


def test_another_order_mid_request_forgets_what_was_said_about_the_old_one(service):
    other = "P202611210000104"
    service.known.add(other)
    slots = run(FORM.validate_order_no(other, CollectingDispatcher(), conversation(
        signed=True, order_no=ORDER_NO, order_state_for=ORDER_NO, order_state="paid", reason="changed_mind"), {}))
    assert slots["reason"] is None and slots["outcome"] is None and slots["order_state"] == "paid"


def test_a_cancelled_order_says_so_and_where_its_refund_is(service):
    service.order = order("cancelled")
    dispatcher = CollectingDispatcher()
    run(FORM.validate_order_no(ORDER_NO, dispatcher, conversation(signed=True), {}))
    assert responses(dispatcher) == ["utter_refused_already_cancelled"] and "RF261121ABCDEF" in texts(dispatcher)


def test_unknown_orders_count_towards_a_lock(service):
    service.known = set()
    dispatcher = CollectingDispatcher()
    assert run(FORM.validate_order_no(ORDER_NO, dispatcher, conversation(signed=True, failed_lookups=1), {})) == {
        "order_no": None, "failed_lookups": 2}
    assert responses(dispatcher) == ["utter_order_not_found"]
    dispatcher = CollectingDispatcher()
    slots = run(FORM.validate_order_no(ORDER_NO, dispatcher, conversation(signed=True, failed_lookups=2), {}))
    assert slots["flow_blocked"] == "locked" and responses(dispatcher) == ["utter_lookup_locked"]
    dispatcher = CollectingDispatcher()
    slots = run(FORM.validate_order_no(ORDER_NO, dispatcher, conversation(signed=True, failed_lookups=3), {}))
    assert slots == {"order_no": None, "flow_blocked": "locked"} and len(service.named("lookup_order")) == 2


def test_a_number_of_the_wrong_length_is_told_the_format(service):
    dispatcher = CollectingDispatcher()
    assert run(FORM.validate_order_no("12345", dispatcher, conversation(signed=True), {})) == {"order_no": None}
    assert responses(dispatcher) == ["utter_order_no_malformed"] and not service.calls


def test_the_reason_implies_the_outcome_the_opening_words_asked_for(service):
    slots = run(FORM.validate_reason("changed_mind", CollectingDispatcher(), conversation(
        order_no=ORDER_NO, order_state="paid", request_kind="cancel_order", active_item_count=1), {}))
    assert slots == {"reason": "changed_mind", "reason_text": None, "outcome": "cancel_refund", "item": "all"}


def test_free_text_reasons_keep_the_words_and_nothing_possible_ends_the_form(service):
    service.options_ = []
    dispatcher = CollectingDispatcher()
    slots = run(FORM.validate_reason("鞋子质量太差了开胶", dispatcher, conversation(
        order_no=ORDER_NO, order_state="delivered"), {}))
    assert slots["reason_text"] == "鞋子质量太差了开胶" and slots["flow_blocked"] == "nothing_possible"
    assert responses(dispatcher) == ["utter_nothing_possible"]


def test_a_refused_outcome_says_why_and_is_asked_again(service):
    service.preview_ = decision(allowed=False, code="already_shipped")
    dispatcher = CollectingDispatcher()
    assert run(FORM.validate_outcome("cancel_refund", dispatcher, conversation(
        order_no=ORDER_NO, reason="changed_mind"), {})) == {"outcome": None}
    assert responses(dispatcher) == ["utter_refused_already_shipped"]


def test_an_allowed_outcome_asks_for_items_only_when_there_is_a_choice(service):
    several = conversation(order_no=ORDER_NO, reason="changed_mind", order_state="paid", active_item_count=3)
    assert run(FORM.validate_outcome("cancel_refund", CollectingDispatcher(), several, {})) == {
        "outcome": "cancel_refund", "item": None}
    assert run(FORM.validate_outcome("退货退款", CollectingDispatcher(), several, {})) == {
        "outcome": "return_refund", "item": "all"}


def test_an_item_is_found_by_its_name(service):
    service.order = order(items=[item(2, "陶瓷马克杯"), item(3, "纯棉毛巾")])
    asking = conversation(order_no=ORDER_NO)
    assert run(FORM.validate_item("只要毛巾", CollectingDispatcher(), asking, {})) == {"item": "3"}
    dispatcher = CollectingDispatcher()
    assert run(FORM.validate_item("随便", dispatcher, asking, {})) == {"item": None} and texts(dispatcher)


def test_an_exchange_asks_what_instead_and_takes_no_order_number_for_it():
    wish = conversation(order_no=ORDER_NO, outcome="exchange")
    assert run(FORM.required_slots([], CollectingDispatcher(), wish, {})) == [
        "order_no", "reason", "outcome", "item", "exchange_wish", "confirmed"]
    assert run(FORM.validate_exchange_wish("  换成  43 码 ", CollectingDispatcher(), wish, {})) == {
        "exchange_wish": "换成 43 码"}
    assert run(FORM.validate_exchange_wish(ORDER_NO, CollectingDispatcher(), wish, {})) == {"exchange_wish": None}


def test_only_an_explicit_yes_of_the_verified_shopper_confirms():
    dispatcher = CollectingDispatcher()
    assert run(FORM.validate_confirmed(True, dispatcher, conversation("/affirm", "affirm"), {})) == {"confirmed": True}
    assert run(FORM.validate_confirmed(True, dispatcher, conversation("undefined", "affirm"), {})) == {
        "confirmed": None}
    assert responses(dispatcher) == ["utter_confirm_explicitly"]
    stranger = conversation("/affirm", "affirm", verified_customer=None)
    assert run(FORM.validate_confirmed(True, CollectingDispatcher(), stranger, {})) == {"confirmed": None}
    assert run(FORM.validate_confirmed(False, CollectingDispatcher(), stranger, {})) == {"confirmed": False}


def test_the_lookup_limit_is_the_order_lookups():
    assert order_lookup.MAX_FAILED_LOOKUPS == 3
