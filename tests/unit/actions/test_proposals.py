"""Withdrawals and price protection in the chat, against tracker fixtures and fake services: the
offer is made only when there is something to carry out, the summary carries the figures, and the
service is called only after an explicit yes — once per confirmation."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import proposals
from actions.forms import ValidateOrderQueryForm

ORDER = "P202611210000105"


class FakeWithdrawals:
    def __init__(self, open_=True):
        self.calls: list[tuple] = []
        self.open = [{"kind": "return", "reference": "RT261121ABCDEF", "status": "authorized", "stage": None,
                      "refusal": None}] if open_ else []

    def withdrawable(self, customer, order_no, kinds=()):
        self.calls.append(("withdrawable", customer, order_no, tuple(kinds)))
        closed = [] if self.open else [{"kind": "interception", "reference": "IC1", "status": "requested",
                                        "stage": "courier", "refusal": "with_courier"}]
        return {"order_no": order_no, "open": self.open, "closed": closed}

    def withdraw(self, customer, order_no, kinds=(), idempotency_key=None):
        self.calls.append(("withdraw", customer, order_no, tuple(kinds), idempotency_key))
        return {"status": "withdrawn", "order_no": order_no,
                "withdrawn": [{**r, "status": "withdrawn"} for r in self.open], "closed": []}


class FakePrices:
    def __init__(self, verdict="eligible"):
        self.calls: list[tuple] = []
        self.verdict = verdict

    def quote(self, customer, order_no):
        self.calls.append(("quote", customer, order_no))
        return {"order_no": order_no, "verdict": self.verdict, "window_days": 7,
                "window_ends_at": "2026-11-28T04:00:00+00:00", "currency": "CNY", "channel": "wechat_pay",
                "eta": {"min": 0, "max": 0, "unit": "hours"}, "total": 2000,
                "items": [{"id": 1, "title": "运动鞋", "quantity": 1, "paid_unit_price": 10000,
                           "current_unit_price": 8000, "difference": 2000}] if self.verdict == "eligible" else [],
                "unchanged": []}

    def claim(self, customer, order_no, idempotency_key=None, conversation_id=None):
        self.calls.append(("claim", customer, order_no, idempotency_key, conversation_id))
        return {"status": "refunded", "quote": self.quote(customer, order_no),
                "refund": {"refund_no": "RF261121ABCDEF", "amount": 2000, "currency": "CNY",
                           "channel": "wechat_pay", "status": "requested"}}


@pytest.fixture
def withdrawals(use_services):
    fake = FakeWithdrawals()
    use_services(withdrawals=fake)
    return fake


@pytest.fixture
def prices(use_services):
    fake = FakePrices()
    use_services(price_protection=fake)
    return fake


def tracker(kind: str, text: str, intent: str, **slots) -> Tracker:
    values = {"language": "zh", "verified_customer": "c_1001", "order_no": ORDER, "order_state": "delivered",
              "query_kind": kind, **slots}
    asked = {"event": "user", "text": "不退了，取消退款申请", "timestamp": 1.0,
             "parse_data": {"intent": {"name": "withdraw_request", "confidence": 0.9}}}
    latest = {"event": "user", "text": text, "timestamp": 2.0, "message_id": "m-2",
              "parse_data": {"intent": {"name": intent, "confidence": 0.95}, "text": text, "message_id": "m-2"}}
    return Tracker("t-1", values, latest["parse_data"], [asked, latest], False, None, {}, "order_query_form")


def run(coroutine):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_the_offer_is_made_only_when_something_is_open(withdrawals):
    slots = run(proposals.offer("withdraw_request", "c_1001", ORDER, tracker("withdraw_request", "x", "inform"),
                                      CollectingDispatcher()))
    assert slots == {"proposal": "withdraw_request"}
    # "取消退款" names a return: the service is asked for that kind.
    assert withdrawals.calls[-1] == ("withdrawable", "c_1001", ORDER, ("return",))
    withdrawals.open = []
    assert run(proposals.offer("withdraw_request", "c_1001", ORDER, tracker("withdraw_request", "x", "inform"),
                                      CollectingDispatcher())) == {
        "proposal": None}


def test_the_form_asks_for_a_confirmation_only_when_something_was_offered():
    form = ValidateOrderQueryForm()
    offered = tracker("withdraw_request", "x", "inform", proposal="withdraw_request")
    assert run(form.required_slots([], CollectingDispatcher(), offered, {})) == ["order_no", "confirmed"]
    assert run(form.required_slots([], CollectingDispatcher(), tracker("withdraw_request", "x", "inform"), {})) == [
        "order_no"]


def test_the_summary_names_what_is_withdrawn_and_offers_two_buttons(withdrawals):
    dispatcher = CollectingDispatcher()
    run(proposals.ActionAskOrderQueryFormConfirmed().run(
        dispatcher, tracker("withdraw_request", "x", "inform", proposal="withdraw_request"), {}))
    assert "RT261121ABCDEF" in texts(dispatcher) and "退货退款申请" in texts(dispatcher)
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]
    assert not [c for c in withdrawals.calls if c[0] == "withdraw"]


def test_a_confirmed_withdrawal_is_carried_out_once_per_confirmation(withdrawals):
    dispatcher = CollectingDispatcher()
    confirmed = tracker("withdraw_request", "确认", "affirm", proposal="withdraw_request", confirmed=True)
    events = run(proposals.carry_out("withdraw_request", "c_1001", ORDER, dispatcher, confirmed))
    [call] = [c for c in withdrawals.calls if c[0] == "withdraw"]
    assert call[3] == ("return",) and call[4] == f"t-1:{ORDER}:withdraw_request:m-2"
    assert "已撤回退货退款申请" in texts(dispatcher) and "快递单号" in texts(dispatcher)
    assert {e["name"]: e["value"] for e in events} == {"proposal": None, "confirmed": None, "new_address": None}


def test_without_a_yes_nothing_is_carried_out(withdrawals, prices):
    for kind in ("withdraw_request", "price_protection"):
        dispatcher = CollectingDispatcher()
        run(proposals.carry_out(kind, "c_1001", ORDER, dispatcher,
                                tracker(kind, "不用了", "deny", proposal=kind, confirmed=False)))
        assert texts(dispatcher)
    assert not [c for c in withdrawals.calls + prices.calls if c[0] in ("withdraw", "claim")]


def test_nothing_open_says_why_and_what_is_possible(withdrawals):
    withdrawals.open = []
    dispatcher = CollectingDispatcher()
    run(proposals.carry_out("withdraw_request", "c_1001", ORDER, dispatcher,
                            tracker("withdraw_request", "不拦截了", "withdraw_request")))
    assert "IC1" in texts(dispatcher) and "快递公司" in texts(dispatcher)


def test_the_price_protection_summary_carries_the_figures_and_the_refund_follows_a_yes(prices):
    dispatcher = CollectingDispatcher()
    run(proposals.ActionAskOrderQueryFormConfirmed().run(
        dispatcher, tracker("price_protection", "x", "inform", proposal="price_protection"), {}))
    summary = texts(dispatcher)
    assert all(part in summary for part in ("7 天", "¥100.00", "¥80.00", "¥20.00", "微信支付"))
    dispatcher = CollectingDispatcher()
    run(proposals.carry_out("price_protection", "c_1001", ORDER, dispatcher,
                            tracker("price_protection", "确认", "affirm", proposal="price_protection",
                                    confirmed=True)))
    assert [c[0] for c in prices.calls].count("claim") == 1 and prices.calls[-2][4] == "t-1"
    assert "RF261121ABCDEF" in texts(dispatcher)


@pytest.mark.parametrize("verdict", ["not_offered", "not_paid", "nothing_left", "window_closed",
                                     "already_protected", "price_unknown"])
def test_every_verdict_has_words_in_both_languages(prices, verdict):
    prices.verdict = verdict
    for language in ("zh", "en"):
        dispatcher = CollectingDispatcher()
        run(proposals.carry_out("price_protection", "c_1001", ORDER, dispatcher,
                                tracker("price_protection", "价保", "price_protection", language=language)))
        assert texts(dispatcher) and "{" not in texts(dispatcher)


class FakeAddresses:
    def __init__(self, verdict="changeable", interception=False):
        self.calls: list[tuple] = []
        self.verdict, self.interception = verdict, interception

    def check(self, customer, order_no):
        self.calls.append(("check", customer, order_no))
        return {"order_no": order_no, "verdict": self.verdict, "state": "paid", "ship_to": "旧地址",
                "interception_offered": self.interception}

    def change(self, customer, order_no, new_address, idempotency_key=None, conversation_id=None):
        self.calls.append(("change", customer, order_no, new_address, idempotency_key))
        return {"status": "changed", "order_no": order_no, "ship_to": new_address, "masked_phone": "138****5678",
                "ticket": {"ticket_no": "TK261121ABCDEF"}}


@pytest.fixture
def addresses(use_services):
    fake = FakeAddresses()
    use_services(address_changes=fake)
    return fake


NEW = "张三 13812345678 上海市浦东新区世纪大道100号"


def test_a_new_address_is_asked_then_confirmed_then_changed(addresses):
    form = ValidateOrderQueryForm()
    offered = tracker("change_address", "x", "inform", proposal="change_address")
    assert run(form.required_slots([], CollectingDispatcher(), offered, {})) == ["order_no", "new_address", "confirmed"]
    dispatcher = CollectingDispatcher()
    assert run(form.validate_new_address("上海市浦东新区世纪大道100号", dispatcher, offered, {})) == {"new_address": None}
    assert "手机号" in texts(dispatcher)
    assert run(form.validate_new_address(f"  {NEW} ", CollectingDispatcher(), offered, {})) == {"new_address": NEW}

    dispatcher = CollectingDispatcher()
    run(proposals.ActionAskOrderQueryFormConfirmed().run(
        dispatcher, tracker("change_address", "x", "inform", proposal="change_address", new_address=NEW), {}))
    assert NEW in texts(dispatcher) and "确认修改吗" in texts(dispatcher)
    assert not [c for c in addresses.calls if c[0] == "change"]

    dispatcher = CollectingDispatcher()
    run(proposals.carry_out("change_address", "c_1001", ORDER, dispatcher,
                            tracker("change_address", "确认", "affirm", proposal="change_address", new_address=NEW,
                                    confirmed=True)))
    [change] = [c for c in addresses.calls if c[0] == "change"]
    assert change[3] == NEW and "TK261121ABCDEF" in texts(dispatcher)


@pytest.mark.parametrize(("interception", "payload"), [(True, "/intercept_delivery"), (False, "/return_goods")])
def test_once_shipped_the_way_on_is_a_button_never_a_dead_end(addresses, interception, payload):
    addresses.verdict, addresses.interception = "shipped", interception
    assert run(proposals.offer("change_address", "c_1001", ORDER, tracker("change_address", "x", "inform"),
                               CollectingDispatcher())) == {
        "proposal": None}
    dispatcher = CollectingDispatcher()
    run(proposals.carry_out("change_address", "c_1001", ORDER, dispatcher,
                            tracker("change_address", "改地址", "change_address")))
    assert "发出" in texts(dispatcher)
    assert [b["payload"] for b in dispatcher.messages[-1]["buttons"]] == [payload]
    assert not [c for c in addresses.calls if c[0] == "change"]


def test_the_phone_in_a_new_address_is_not_taken_for_another_order():
    asking = tracker("change_address", NEW, "inform", proposal="change_address", requested_slot="new_address",
                     order_state_for=ORDER)
    slots = run(ValidateOrderQueryForm().validate_order_no("13812345678", CollectingDispatcher(), asking, {}))
    assert slots == {"order_no": ORDER}


def test_the_form_reads_a_proposal_once_per_turn(withdrawals):
    """The turn the order is identified: the offer reads what is open and says the summary; the ask
    action that follows in the same turn reads nothing. A later turn (asked again): one read."""
    dispatcher = CollectingDispatcher()
    slots = run(proposals.offer("withdraw_request", "c_1001", ORDER, tracker("withdraw_request", "x", "inform"),
                                dispatcher))
    assert slots == {"proposal": "withdraw_request"} and len(withdrawals.calls) == 1
    [summary] = dispatcher.messages
    assert "RT261121ABCDEF" in summary["text"] and [b["payload"] for b in summary["buttons"]] == ["/affirm", "/deny"]

    said = tracker("withdraw_request", "x", "inform", proposal="withdraw_request")
    said.events.append({"event": "bot", "text": summary["text"], "data": {"buttons": summary["buttons"]}})
    asked = CollectingDispatcher()
    assert run(proposals.ActionAskOrderQueryFormConfirmed().run(asked, said, {})) == []
    assert not asked.messages and len(withdrawals.calls) == 1

    later = tracker("withdraw_request", "嗯？", "inform", proposal="withdraw_request")
    later.events.insert(0, {"event": "bot", "text": summary["text"], "data": {"buttons": summary["buttons"]}})
    run(proposals.ActionAskOrderQueryFormConfirmed().run(asked, later, {}))
    assert "RT261121ABCDEF" in texts(asked) and len(withdrawals.calls) == 2


def test_an_address_change_is_offered_without_a_summary_the_address_comes_first(addresses):
    dispatcher = CollectingDispatcher()
    assert run(proposals.offer("change_address", "c_1001", ORDER, tracker("change_address", "x", "inform"),
                               dispatcher)) == {"proposal": "change_address"}
    assert not dispatcher.messages


def test_every_proposal_kind_has_its_words(withdrawals, prices, addresses):
    for kind in proposals.PROPOSAL_KINDS:
        for language in ("zh", "en"):
            dispatcher = CollectingDispatcher()
            run(proposals.carry_out(kind, "c_1001", ORDER, dispatcher, tracker(kind, "?", kind, language=language,
                                                                              proposal=kind, confirmed=False)))
            assert texts(dispatcher) and "{" not in texts(dispatcher)
