"""申诉 against a real database (SQLite and PostgreSQL): the order's latest rejected request is
appealed once, as a case linked to it; approving the appeal carries out what the first asked for —
exactly once, to the balance when the shopper took that instead; rejecting it tells the chat the
routes outside the shop from the policy. A parcel shown delivered that never arrived is a logistics
investigation; a complaint is marked for the platform."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.appeals import AppealService
from aftersales.service.errors import Conflict, InvalidInput, OrderNotFound
from aftersales.service.inbox import InboxService
from aftersales.service.topic_cases import TopicCaseService
from aftersales.service.withdrawals import WithdrawalService

from .fixtures import NOW, add_order, merchant, service
from .test_concurrency import run_together

CARD = "8800000000001"


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def appeals(factory, now=NOW) -> AppealService:
    return AppealService(factory, clock=lambda: now)


def rejected_cancellation(factory, order_no: str = CARD, channel: str = "alipay") -> str:
    """A card order paid a day ago (past the self-cancel window): its cancellation is reviewed, and rejected."""
    add_order(factory, order_no, profile="virtual_goods", goods="virtual_card", channel=channel, prices=("50.00",))
    asked = service(factory).submit("alice", order_no, "cancel_refund", "changed_mind", conversation_id="chat-1")
    ticket = asked["ticket"]["ticket_no"]
    merchant(factory).decide_ticket(ticket, False, "卡密已锁定，不能取消", actor="merchant:m1")
    return ticket


def refunds(factory, order_no: str) -> list[tuple[int, str, str]]:
    with factory() as session:
        return [(r.amount, r.channel, r.source) for r in session.scalars(
            select(t.Refund).join(t.Order).where(t.Order.order_no == order_no).order_by(t.Refund.id))]


def notifications(factory, conversation: str) -> list[t.Notification]:
    with factory() as session:
        return list(session.scalars(select(t.Notification).where(t.Notification.conversation_id == conversation)
                                    .order_by(t.Notification.id)))


def test_a_rejected_cancellation_is_appealed_once_and_the_approval_carries_it_out_once(factory):
    first = rejected_cancellation(factory)
    [rejection] = notifications(factory, "chat-1")
    assert rejection.payload["appeal_until"] == (NOW + timedelta(days=7)).isoformat()  # the chat hears it can appeal
    checked = appeals(factory).check("alice", CARD)
    assert (checked["verdict"], checked["case"]["ticket_no"], checked["alternatives"]) == (
        "open", first, ["refund_to_balance"])
    assert (checked["amount"], checked["case"]["resolution_note"]) == (5000, "卡密已锁定，不能取消")
    assert checked["balance_eta"] == {"min": 0, "max": 0, "unit": "hours"}  # the profile's, not a promise of ours

    opened = appeals(factory).open("alice", CARD, "我是重复下单，两个订单的截图稍后发", conversation_id="chat-2",
                                   idempotency_key="m1")
    appeal = opened["ticket"]
    assert (opened["status"], appeal["kind"], appeal["appeal_of"], appeal["appeal_round"]) == (
        "opened", "appeal", first, 1)
    assert (appeal["priority"], appeal["conversation_id"], opened["alternative"]) == ("high", "chat-2", None)
    assert appeal["sla_due_at"] == (NOW + timedelta(hours=24)).isoformat()  # sla_hours.appeal
    assert appeals(factory).open("alice", CARD, "再说一次", idempotency_key="m1") == opened  # a retried call
    again = appeals(factory).open("alice", CARD, "还是要申诉")
    assert (again["status"], again["appeal"]["ticket_no"]) == ("under_review", appeal["ticket_no"])
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(first, True, "", actor="merchant:m1")  # the first stays decided

    decided = merchant(factory).decide_ticket(appeal["ticket_no"], True, "核实是重复订单", actor="merchant:m1")
    assert decided["order"]["state"] == "cancelled"
    assert refunds(factory, CARD) == [(5000, "alipay", "appeal")]
    assert merchant(factory).decide_ticket(appeal["ticket_no"], True, "", actor="merchant:m1")["status"] == (
        "already_decided")
    assert refunds(factory, CARD) == [(5000, "alipay", "appeal")]
    [told] = notifications(factory, "chat-2")
    assert (told.kind, told.payload) == ("decision", {})
    assert appeals(factory).check("alice", CARD)["verdict"] == "approved"


def test_words_naming_the_balance_do_not_take_it_only_the_choice_does(factory):
    rejected_cancellation(factory, channel="bank_card")
    opened = appeals(factory).open("alice", CARD, "我不要退到余额，要原路退回，重复下单了")
    assert (opened["alternative"], opened["ticket"]["desired_outcome"]) == (None, "cancel_refund")


def test_the_balance_instead_is_what_the_approval_pays(factory):
    rejected_cancellation(factory, channel="bank_card")
    opened = appeals(factory).open("alice", CARD, "同意改为退到账户余额", alternative="refund_to_balance")
    assert (opened["alternative"], opened["ticket"]["desired_outcome"]) == ("refund_to_balance", "refund_to_balance")
    merchant(factory).decide_ticket(opened["ticket"]["ticket_no"], True, "同意退余额", actor="merchant:m1")
    assert refunds(factory, CARD) == [(5000, "balance", "appeal")]


def test_a_rejected_return_is_reopened_and_a_second_rejection_names_the_routes_outside_the_shop(factory):
    add_order(factory, "P1000000001", state="delivered", prices=("80.00",), channel="wechat_pay")
    asked = service(factory).submit("alice", "P1000000001", "return_refund", "quality_defect", conversation_id="c1")
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], False, "照片看不出问题", actor="merchant:m1")
    return_no = asked["return"]["return_no"]
    opened = appeals(factory).open("alice", "P1000000001", "拉链坏了，补拍了视频", conversation_id="c2")
    assert opened["alternative"] is None  # a return pays after the goods are back: no balance offered
    assert service(factory).lookup_order("alice", "P1000000001")["returns"][0]["status"] == "requested"
    with factory() as session:
        context = session.scalar(select(t.Ticket.context).where(t.Ticket.ticket_no == opened["ticket"]["ticket_no"]))
        reopened = session.scalars(select(t.AuditEvent.action).where(t.AuditEvent.entity_id == return_no)).all()
    assert reopened[-1] == "return_reopened"
    assert context["details"] == {"alternative": None, "photos_follow": True}
    assert context["first"]["resolution_note"] == "照片看不出问题"

    merchant(factory).decide_ticket(opened["ticket"]["ticket_no"], False, "视频里拉链完好", actor="merchant:m1")
    order = service(factory).lookup_order("alice", "P1000000001")
    assert order["returns"][0]["status"] == "rejected" and order["refunds"] == []
    [told] = notifications(factory, "c2")
    assert told.payload == {"outside_routes": [{"route": "consumer_hotline", "contact": "12315"},
                                               {"route": "payment_dispute", "contact": None}],
                            "payment_channel": "wechat_pay"}
    assert appeals(factory).check("alice", "P1000000001")["verdict"] == "exhausted"
    assert appeals(factory).open("alice", "P1000000001", "再申诉一次")["status"] == "exhausted"
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.Ticket).where(t.Ticket.kind == "appeal")) == 1


def test_an_approved_appeal_of_a_return_authorizes_it(factory):
    add_order(factory, "P1000000001", state="delivered", prices=("80.00",))
    asked = service(factory).submit("alice", "P1000000001", "return_refund", "quality_defect")
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], False, "没有照片", actor="merchant:m1")
    opened = appeals(factory).open("alice", "P1000000001", "已补拍照片")
    merchant(factory).decide_ticket(opened["ticket"]["ticket_no"], True, "请寄回", actor="merchant:m1")
    assert service(factory).lookup_order("alice", "P1000000001")["returns"][0]["status"] == "authorized"


@pytest.mark.parametrize("why", ["nothing_rejected", "window_closed", "order_moved_on", "interception"])
def test_what_cannot_be_appealed_opens_nothing(factory, why):
    later = NOW
    if why == "nothing_rejected":
        add_order(factory, CARD, profile="virtual_goods", goods="virtual_card")
    elif why == "interception":  # a courier who could not stop the parcel is no verdict to appeal
        add_order(factory, CARD, state="shipped", profile="short_video")
        asked = service(factory).submit("alice", CARD, "intercept", "changed_mind")
        merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], False, "快递已派送", actor="merchant:m1")
    else:
        rejected_cancellation(factory)
        if why == "window_closed":
            later = NOW + timedelta(days=8)
        else:  # the card was sent since: the cancellation asked for no longer exists
            merchant(factory).advance_order(CARD, "delivered", actor="merchant:m1")
    result = appeals(factory, later).open("alice", CARD, "我还是想申诉")
    expected = "nothing_rejected" if why == "interception" else why
    assert (result["status"], result["verdict"]) == (expected, expected)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.Ticket).where(t.Ticket.kind == "appeal")) == 0


def test_the_window_counts_from_the_decision_not_from_a_reply_after_it(factory):
    first = rejected_cancellation(factory)
    InboxService(factory, clock=lambda: NOW + timedelta(days=6)).reply(first, {"shop_v"}, "还有问题吗？", "merchant:m1",
                                                                      "客服")
    assert appeals(factory, NOW + timedelta(days=6)).check("alice", CARD)["ends_at"] == (
        NOW + timedelta(days=7)).isoformat()
    assert appeals(factory, NOW + timedelta(days=8)).check("alice", CARD)["verdict"] == "window_closed"


def test_only_the_shoppers_own_order_and_a_message_with_something_in_it(factory):
    rejected_cancellation(factory)
    with pytest.raises(OrderNotFound):
        appeals(factory).check("bob", CARD)
    with pytest.raises(InvalidInput):
        appeals(factory).open("alice", CARD, "？")


def test_an_appealed_cancellation_can_be_withdrawn_like_the_first(factory):
    rejected_cancellation(factory)
    opened = appeals(factory).open("alice", CARD, "重复下单")
    withdrawals = WithdrawalService(factory, clock=lambda: NOW)
    assert [w["reference"] for w in withdrawals.withdrawable("alice", CARD)["open"]] == [opened["ticket"]["ticket_no"]]
    assert withdrawals.withdraw("alice", CARD)["status"] == "withdrawn"
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(opened["ticket"]["ticket_no"], True, "", actor="merchant:m1")
    assert refunds(factory, CARD) == []


def test_two_chats_appealing_at_once_open_one_appeal_and_parallel_approvals_pay_once(factory):
    rejected_cancellation(factory)
    results = run_together(*[(lambda n=n: appeals(factory).open("alice", CARD, f"重复下单 {n}", idempotency_key=f"k{n}"))
                             for n in range(6)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r["status"] for r in results) == ["opened"] + ["under_review"] * 5
    [appeal] = [r["ticket"]["ticket_no"] for r in results if r["status"] == "opened"]
    decided = run_together(*[(lambda: merchant(factory).decide_ticket(appeal, True, "同意", actor="merchant:m1"))
                             for _ in range(6)])
    assert sorted(r["status"] for r in decided) == ["already_decided"] * 5 + ["approved"]
    assert refunds(factory, CARD) == [(5000, "alipay", "appeal")]


def test_a_parcel_shown_delivered_but_never_received_is_investigated_and_its_refund_awaits_the_merchant(factory):
    add_order(factory, "P1000000001", state="completed", prices=("30.00", "20.00"))
    cases = TopicCaseService(factory, clock=lambda: NOW)
    assert cases.check("alice", "P1000000001", "not_received")["verdict"] == "open"
    opened = cases.open("alice", "P1000000001", "not_received", "显示签收了但我没收到", conversation_id="c")
    ticket = opened["ticket"]
    assert (ticket["kind"], ticket["priority"], opened["sla_hours"]) == ("logistics_investigation", "high", 48.0)
    assert refunds(factory, "P1000000001") == []
    merchant(factory).decide_ticket(ticket["ticket_no"], False, "快递员有签收照片，放在门口", actor="merchant:m1")
    # Appealed with the balance instead; approved, the whole order is refunded once, to the balance.
    opened = appeals(factory).open("alice", "P1000000001", "门口没有，问过邻居，退到余额也行",
                                   alternative="refund_to_balance")
    assert opened["alternative"] == "refund_to_balance"
    decided = merchant(factory).decide_ticket(opened["ticket"]["ticket_no"], True, "确认丢件", actor="merchant:m1")
    assert decided["order"]["state"] == "returned"
    assert refunds(factory, "P1000000001") == [(5000, "balance", "appeal")]


def test_an_investigation_approved_at_once_refunds_to_the_original_channel(factory):
    add_order(factory, "P1000000001", state="delivered", prices=("30.00",), channel="wechat_pay")
    cases = TopicCaseService(factory, clock=lambda: NOW)
    ticket = cases.open("alice", "P1000000001", "not_received", "it says delivered but I never got it")["ticket"]
    merchant(factory).decide_ticket(ticket["ticket_no"], True, "快递确认丢件", actor="merchant:m1")
    assert refunds(factory, "P1000000001") == [(3000, "wechat_pay", "not_received")]


def test_an_investigation_never_refunds_goods_that_are_being_returned(factory):
    add_order(factory, "P1000000001", state="delivered", prices=("30.00", "20.00"))
    svc = service(factory)
    first, second = (i["id"] for i in svc.lookup_order("alice", "P1000000001")["items"])
    svc.submit("alice", "P1000000001", "return_refund", "changed_mind", [first])
    cases = TopicCaseService(factory, clock=lambda: NOW)
    ticket = cases.open("alice", "P1000000001", "not_received", "显示签收了但我没收到")["ticket"]
    decided = merchant(factory).decide_ticket(ticket["ticket_no"], True, "快递确认丢件", actor="merchant:m1")
    assert decided["refund"]["amount"] == 2000  # the item still on its way back is the return's to refund
    assert refunds(factory, "P1000000001") == [(2000, "alipay", "not_received")]
    # Nothing left that a lost parcel would refund: no second investigation.
    assert cases.check("alice", "P1000000001", "not_received")["verdict"] == "closed"
    assert cases.open("alice", "P1000000001", "not_received", "还是没收到")["status"] == "closed"


def test_a_return_opened_while_the_courier_is_asked_is_left_to_the_return(factory):
    add_order(factory, "P1000000001", state="delivered", prices=("30.00", "20.00"))
    cases = TopicCaseService(factory, clock=lambda: NOW)
    ticket = cases.open("alice", "P1000000001", "not_received", "显示签收了但我没收到")["ticket"]
    svc = service(factory)
    first, _ = (i["id"] for i in svc.lookup_order("alice", "P1000000001")["items"])
    svc.submit("alice", "P1000000001", "return_refund", "changed_mind", [first])  # so that one did arrive
    decided = merchant(factory).decide_ticket(ticket["ticket_no"], True, "快递确认丢件", actor="merchant:m1")
    assert decided["refund"]["amount"] == 2000
    assert refunds(factory, "P1000000001") == [(2000, "alipay", "not_received")]


def test_an_order_on_its_way_is_no_investigation(factory):
    add_order(factory, "P1000000001", state="in_transit", carrier="中通", tracking_no="ZT1")
    cases = TopicCaseService(factory, clock=lambda: NOW)
    checked = cases.check("alice", "P1000000001", "not_received")
    assert (checked["verdict"], checked["state"], checked["tracking_no"]) == ("not_delivered", "in_transit", "ZT1")
    assert cases.open("alice", "P1000000001", "not_received", "还没收到")["ticket"] is None


def test_a_complaint_is_marked_for_the_platform_and_the_platform_sees_every_shops(factory):
    add_order(factory, "P1000000001", state="delivered")
    add_order(factory, "X1000000001", state="delivered", profile="other_merchant", customer="bob")
    svc = service(factory)
    complaint = svc.open_ticket("alice", "complaint", "商家一直不处理", order_no="P1000000001", conversation_id="c")
    svc.open_ticket("alice", "escalation", "转人工", order_no="P1000000001", conversation_id="c")
    theirs = svc.open_ticket("bob", "complaint", "态度很差", order_no="X1000000001", conversation_id="d")
    assert complaint["ticket"]["platform_review"] is True
    inbox = InboxService(factory, clock=lambda: NOW)
    assert [c["ticket_no"] for c in inbox.cases({"shop_g"}, platform=True)] == [complaint["ticket"]["ticket_no"]]
    assert inbox.count_cases({"shop_g"}, platform=True) == 1 and inbox.count_cases({"shop_g"}) == 2
    assert {c["ticket_no"] for c in inbox.cases(None, platform=True)} == {complaint["ticket"]["ticket_no"],
                                                                          theirs["ticket"]["ticket_no"]}


def test_the_inbox_shows_an_appeal_beside_the_case_it_appeals(factory):
    first = rejected_cancellation(factory)
    appeal = appeals(factory).open("alice", CARD, "重复下单")["ticket"]["ticket_no"]
    inbox = InboxService(factory, clock=lambda: NOW)
    shown = inbox.case(appeal, {"shop_v"})
    assert shown["appeal_of"]["ticket_no"] == first and shown["appeal_of"]["resolution_note"] == "卡密已锁定，不能取消"
    assert [a["ticket_no"] for a in inbox.case(first, {"shop_v"})["appeals"]] == [appeal]
    assert [c["ticket_no"] for c in inbox.cases({"shop_v"}, queue="appeals")] == [appeal]


def test_a_rejected_appeal_that_the_policy_lets_appeal_again_says_so_not_the_routes_outside(factory):
    shop = {"id": "shop_twice", "name": "Twice", "policy_profile": "general",
            "policy_overrides": {"appeals": {"per_case": 2}}}
    add_order(factory, "P1000000001", state="delivered", prices=("80.00",), channel="wechat_pay", shop=shop)
    asked = service(factory).submit("alice", "P1000000001", "return_refund", "quality_defect", conversation_id="c1")
    merchant(factory).decide_ticket(asked["ticket"]["ticket_no"], False, "照片看不出问题", actor="merchant:m1")
    first = appeals(factory).open("alice", "P1000000001", "拉链坏了，补拍了视频", conversation_id="c2")
    merchant(factory).decide_ticket(first["ticket"]["ticket_no"], False, "视频里拉链完好", actor="merchant:m1")
    [told] = notifications(factory, "c2")
    assert "appeal_until" in told.payload and "outside_routes" not in told.payload
    assert appeals(factory).check("alice", "P1000000001")["verdict"] == "open"
