"""申诉 in the chat, against tracker fixtures and a fake appeal service: the first decision and its
reason are said before the new evidence is asked, the balance is a button only where the policy
offers it, the appeal opens once with the shopper's words, and the routes outside the shop are the
policy's (from the service's data, never from the words). A status question that says the goods never
arrived becomes a parcel to investigate; the merchant's decisions are told with what comes next."""

from __future__ import annotations

import copy

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import appeals, queries
from actions.forms import ValidateOrderQueryForm
from actions.words import Words
from actions.words.updates import case_update_texts

from .fixtures import CUSTOMER, ORDER_NO, run, slot_events, texts, tracker

CASE = {"ticket_no": "TK261120AAAAAA", "kind": "cancellation_review", "status": "resolved", "sla_due_at": None,
        "created_at": "2026-11-20T04:00:00+00:00", "resolution": "rejected", "resolution_note": "卡密已锁定",
        "desired_outcome": "cancel_refund", "action": "cancel"}
CHECK = {"order_no": ORDER_NO, "verdict": "open", "state": "paid", "case": CASE, "appeal": None,
         "alternatives": ["refund_to_balance"], "amount": 5000, "currency": "CNY",
         "ends_at": "2026-11-27T04:00:00+00:00", "balance_eta": {"min": 0, "max": 0, "unit": "hours"},
         "per_case": 1, "sla_hours": 24.0,
         "outside_routes": [{"route": "consumer_hotline", "contact": "12315"}, {"route": "payment_dispute",
                                                                                "contact": None}],
         "payment_channel": "alipay"}


class FakeAppeals:
    def __init__(self, **changes):
        self.checked = {**copy.deepcopy(CHECK), **changes}
        self.calls: list[tuple] = []

    def check(self, customer, order_no):
        self.calls.append(("check", customer, order_no))
        return self.checked

    def open(self, customer, order_no, details, conversation_id=None, idempotency_key=None, transcript=None,
             alternative=None):
        self.calls.append(("open", details, conversation_id, idempotency_key, alternative))
        return {"status": "opened", "order_no": order_no, "alternative": alternative, "sla_hours": 24.0,
                "ticket": {"ticket_no": "TK261120BBBBBB", "kind": "appeal"}}


@pytest.fixture
def service(use_services):
    fake = FakeAppeals()
    use_services(appeals=fake)
    return fake


def test_the_appeal_is_offered_only_for_a_rejection_that_can_be_appealed(service):
    assert run(appeals.offer(CUSTOMER, ORDER_NO)) == {"proposal": "appeal"}
    offered = tracker("我要申诉", "appeal", order_no=ORDER_NO, proposal="appeal")
    assert run(ValidateOrderQueryForm().required_slots([], CollectingDispatcher(), offered, {})) == [
        "order_no", "appeal_details"]
    service.checked["verdict"] = "exhausted"
    assert run(appeals.offer(CUSTOMER, ORDER_NO)) == {"proposal": None}


@pytest.mark.parametrize(("language", "said"), [
    ("zh", ["订单 P202611210000103 的取消审核（TK261120AAAAAA）商家没有同意", "商家的理由：卡密已锁定",
            "每个申请 1 次，11月27日 12:00 前可以申诉", "改为把 ¥50.00 退到账户余额（通常即时到账）"]),
    ("en", ["The shop did not approve the cancellation review (TK261120AAAAAA)", "The shop's reason: 卡密已锁定",
            "1 per request, until Nov 27, 12:00", "take ¥50.00 to your account balance (usually arrives at once)"]),
])
def test_the_first_decision_and_its_reason_come_before_the_question(service, language, said):
    dispatcher = CollectingDispatcher()
    asked = tracker("我要申诉", "appeal", order_no=ORDER_NO, proposal="appeal", language=language)
    assert run(appeals.ActionAskOrderQueryFormAppealDetails().run(dispatcher, asked, {})) == []
    [message] = dispatcher.messages
    for words in said:
        assert words in message["text"], (words, message["text"])
    assert [b["payload"] for b in message["buttons"]] == ['/inform{"outcome":"refund_to_balance"}']


def test_the_balance_is_said_to_arrive_as_the_shops_policy_says(use_services):
    use_services(appeals=FakeAppeals(balance_eta={"min": 1, "max": 2, "unit": "business_days"}))
    dispatcher = CollectingDispatcher()
    run(appeals.ActionAskOrderQueryFormAppealDetails().run(dispatcher, tracker(order_no=ORDER_NO), {}))
    assert "退到账户余额（1–2 个工作日内到账）" in texts(dispatcher)


def test_no_balance_button_where_the_policy_offers_none(use_services):
    use_services(appeals=FakeAppeals(alternatives=[]))
    dispatcher = CollectingDispatcher()
    run(appeals.ActionAskOrderQueryFormAppealDetails().run(dispatcher, tracker(order_no=ORDER_NO), {}))
    assert not dispatcher.messages[0]["buttons"] and "余额" not in texts(dispatcher)


def test_a_decision_made_meanwhile_is_told_instead_of_the_question(use_services):
    use_services(appeals=FakeAppeals(verdict="under_review", appeal={**CASE, "ticket_no": "TK261120CCCCCC"}))
    dispatcher = CollectingDispatcher()
    events = run(appeals.ActionAskOrderQueryFormAppealDetails().run(dispatcher, tracker(order_no=ORDER_NO), {}))
    assert "TK261120CCCCCC" in texts(dispatcher) and "第二次审核" in texts(dispatcher)
    assert slot_events(events) == {"flow_blocked": "nothing_possible", "proposal": None}


@pytest.mark.parametrize(("text", "intent", "entities", "value"), [
    ('/inform{"outcome":"refund_to_balance"}', "inform", [{"entity": "outcome", "value": "refund_to_balance"}],
     "同意改为退到账户余额"),
    ('/inform{"item":"all"}', "inform", [{"entity": "item", "value": "all"}], None),
    ("我是重复下单，两个订单截图稍后发", "complain", [], "我是重复下单，两个订单截图稍后发"),
    ("我要申诉", "appeal", [], None),  # nothing new for the second review
    ("？", "nlu_fallback", [], None),
])
def test_the_new_evidence_or_the_alternative_is_what_the_slot_keeps(text, intent, entities, value):
    dispatcher = CollectingDispatcher()
    asked = tracker(text, intent, entities=entities, order_no=ORDER_NO, proposal="appeal")
    assert run(ValidateOrderQueryForm().validate_appeal_details(text, dispatcher, asked, {})) == {"appeal_details": value}
    assert bool(dispatcher.messages) is (value is None and not text.startswith("/"))


def test_the_appeal_opens_once_with_the_shoppers_words(service):
    dispatcher = CollectingDispatcher()
    events = run(appeals.answer(CUSTOMER, ORDER_NO, dispatcher, tracker(
        "同意改为退到账户余额", order_no=ORDER_NO, proposal="appeal", appeal_details="同意改为退到账户余额")))
    [opened] = [c for c in service.calls if c[0] == "open"]
    assert opened[1:3] == ("同意改为退到账户余额", "t-1") and opened[3].startswith("t-1:appeal:")
    assert opened[4] == "refund_to_balance"  # the button's words, and only they, take the balance
    assert texts(dispatcher) == ("申诉已提交（工单号 TK261120BBBBBB），您同意改为退到账户余额。商家会在 24 小时内第二次审核，"
                                 "结果会在这里通知您。")
    assert slot_events(events) == {"proposal": None, "appeal_details": None}


def test_nothing_to_appeal_is_said_honestly_with_a_person_to_turn_to(use_services):
    use_services(appeals=FakeAppeals(verdict="nothing_rejected", case=None))
    dispatcher = CollectingDispatcher()
    run(appeals.answer(CUSTOMER, ORDER_NO, dispatcher, tracker(order_no=ORDER_NO)))
    assert "没有被商家拒绝的申请" in texts(dispatcher)
    assert dispatcher.messages[-1]["buttons"] == [{"title": "转人工", "payload": "/request_human"}]


@pytest.mark.parametrize(("routes", "channel", "present", "absent"), [
    (CHECK["outside_routes"], "alipay", ["消费者投诉热线 12315", "支付宝", "交易纠纷"], ["微信"]),
    ([{"route": "consumer_hotline", "contact": "12345"}], "wechat_pay", ["热线 12345"], ["12315", "微信支付"]),
    (CHECK["outside_routes"], "balance", ["热线 12315"], ["支付宝", "银行"]),  # no provider for the balance
])
def test_after_a_second_rejection_the_routes_outside_the_shop_are_the_policys(use_services, routes, channel, present,
                                                                              absent):
    use_services(appeals=FakeAppeals(verdict="exhausted", outside_routes=routes, payment_channel=channel))
    dispatcher = CollectingDispatcher()
    run(appeals.answer(CUSTOMER, ORDER_NO, dispatcher, tracker(order_no=ORDER_NO)))
    said = texts(dispatcher)
    assert "已经申诉过，第二次审核也没有通过" in said and "保留订单截图" in said
    assert all(p in said for p in present) and not any(a in said for a in absent), said


def decision_update(kind: str, resolution: str, payload: dict, note: str = "不同意") -> dict:
    return {"kind": "decision", "payload": payload, "order_no": ORDER_NO, "refund": None,
            "ticket": {"ticket_no": "TK1", "kind": kind, "status": "resolved", "sla_due_at": None, "created_at": None,
                       "resolution": resolution, "resolution_note": note}}


def test_a_rejection_says_it_can_be_appealed_until_when_and_an_appeals_rejection_the_routes():
    w = Words("zh")
    first = case_update_texts(decision_update("return", "rejected", {"appeal_until": "2026-11-27T04:00:00+00:00"}), w)
    assert first[-1] == ("如有异议，可以在 11月27日 12:00 前说“申诉”，补充新的情况或证据，请商家再审核一次；"
                         "也可以说“转人工”。")
    second = case_update_texts(decision_update("appeal", "rejected", {
        "outside_routes": CHECK["outside_routes"], "payment_channel": "bank_card"}), w)
    assert second[0] == f"很抱歉，订单 {ORDER_NO} 的申诉（TK1）第二次审核也没有通过。" and second[1] == "商家说明：不同意"
    assert "热线 12315" in second[-1] and "发卡银行" in second[-1] and "申诉" not in second[-1]
    approved = case_update_texts(decision_update("appeal", "approved", {}, note=""), Words("en"))
    assert approved == [f"Your appeal for order {ORDER_NO} (TK1) was approved on the second review.",
                        "Anything else I can help with?"]
    lost = case_update_texts(decision_update("logistics_investigation", "rejected", {"appeal_until": None}), w)
    assert "快递显示已经送达" in lost[0] and lost[-1] == w("updates.next.rejected")


@pytest.mark.parametrize(("text", "intent", "kind"), [
    ("显示签收了但我没收到", "check_order_status", "not_received"),
    ("到现在还没收到", "check_order_status", "not_received"),  # the order's state decides what follows
    ("marked as delivered but not received", "missing_item", "not_received"),
    ("少发了一件", "missing_item", "missing_item"),
    ("退款还没收到", "check_order_status", "check_order_status"),
    ("我不服，再审核一下", "appeal", "appeal"),
])
def test_a_question_that_says_the_goods_never_arrived_is_a_parcel_to_investigate(text, intent, kind):
    events = run(queries.ActionStartQuery().run(CollectingDispatcher(), tracker(text, intent), {}))
    assert slot_events(events)["query_kind"] == kind
