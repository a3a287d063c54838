"""Questions about one order against tracker fixtures and a fake service: the kind the shopper asked,
the order's status in the bot's words with where it is, the refunds with their numbers."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import queries

from .fixtures import CUSTOMER, ORDER_NO, FakeAfterSales, order, responses, run, slot_events, texts
from .fixtures import tracker as conversation


@pytest.fixture
def service(use_services):
    fake = FakeAfterSales()
    use_services(after_sales=fake)
    return fake


@pytest.mark.parametrize(("intent", "kind"), [("check_refund_status", "check_refund_status"),
                                              ("invoice", "invoice"), ("price_protection", "price_protection"),
                                              ("where_is_my_order", "check_order_status"),
                                              ("inform", "check_order_status")])
def test_a_query_starts_with_its_kind_and_nothing_left_of_the_last_one(intent, kind):
    events = run(queries.ActionStartQuery().run(CollectingDispatcher(), conversation("?", intent, proposal="invoice",
                                                                                     confirmed=True), {}))
    assert slot_events(events) == {"query_kind": kind, "flow_blocked": None, "proposal": None, "confirmed": None,
                                   "return_parcel": None, "appeal_details": None}


@pytest.mark.parametrize(("text", "intent", "parcel"), [
    ("退货寄出了，顺丰 SF1234567890", "return_shipped", "退货寄出了，顺丰 SF1234567890"),
    ("退货已经寄回了", "return_shipped", None), ("SF1234567890", "inform", "SF1234567890")])
def test_a_return_parcel_question_keeps_the_parcel_it_names(text, intent, parcel):
    events = run(queries.ActionStartQuery().run(CollectingDispatcher(), conversation(text, intent), {}))
    slots = slot_events(events)
    assert (slots["query_kind"], slots["return_parcel"]) == ("return_shipped", parcel)


def test_the_order_status_names_the_state_and_the_parcel(service):
    service.order = order("shipped", carrier="顺丰", tracking_no="SF123")
    dispatcher = CollectingDispatcher()
    events = run(queries.ActionAnswerQuery().run(dispatcher, conversation(
        "到哪了", "check_order_status", order_no=ORDER_NO, query_kind="check_order_status"), {}))
    [message] = dispatcher.messages
    assert message["response"] == "utter_state_shipped"
    assert (message["order_no"], message["carrier"], message["tracking_no"]) == (ORDER_NO, "顺丰", "SF123")
    assert slot_events(events) == {"query_kind": None}
    assert not service.named("refund_status")


def test_the_refund_status_lists_each_refund(service):
    dispatcher = CollectingDispatcher()
    run(queries.ActionAnswerQuery().run(dispatcher, conversation(
        "退款到哪了", "check_refund_status", order_no=ORDER_NO, query_kind="check_order_status"), {}))
    assert "RF261121ABCDEF" in texts(dispatcher) and "¥199.00" in texts(dispatcher)
    assert service.named("refund_status") == [("refund_status", CUSTOMER, ORDER_NO)]


def test_an_order_that_is_not_the_shoppers_is_not_found(service):
    service.known = set()
    dispatcher = CollectingDispatcher()
    run(queries.ActionAnswerQuery().run(dispatcher, conversation(
        "到哪了", "check_order_status", order_no=ORDER_NO), {}))
    assert responses(dispatcher) == ["utter_order_not_found"]


def test_without_an_identified_order_the_order_number_is_asked(service):
    dispatcher = CollectingDispatcher()
    assert run(queries.ActionAnswerQuery().run(dispatcher, conversation("到哪了", "check_order_status"), {})) == []
    assert responses(dispatcher) == ["utter_ask_order_no"] and not service.calls


def test_a_blocked_query_says_nothing_more(service):
    dispatcher = CollectingDispatcher()
    events = run(queries.ActionAnswerQuery().run(dispatcher, conversation(
        order_no=ORDER_NO, flow_blocked="locked", query_kind="check_order_status"), {}))
    assert not dispatcher.messages and slot_events(events) == {"flow_blocked": None, "query_kind": None}
    assert not service.calls


@pytest.mark.parametrize(("kind", "asked", "text", "intent"), [
    ("return_shipped", "return_parcel", "顺丰 SF1234567890", "return_shipped"),
    ("appeal", "appeal_details", "我要申诉，卡密根本没用过，重复下单了", "appeal"),
])
def test_the_answer_to_the_forms_question_in_its_own_words_starts_nothing_over(kind, asked, text, intent):
    events = run(queries.ActionStartQuery().run(CollectingDispatcher(), conversation(
        text, intent, query_kind=kind, requested_slot=asked, proposal=kind), {}))
    assert events == []
    fresh = run(queries.ActionStartQuery().run(CollectingDispatcher(), conversation(text, intent), {}))
    assert slot_events(fresh)["query_kind"] == kind and slot_events(fresh)["proposal"] is None
