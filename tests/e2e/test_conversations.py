"""Whole after-sales conversations over HTTP, then the database: what the shopper was told is
what happened (refund rows, returns, interceptions, tickets)."""

from __future__ import annotations

import requests

from .conftest import own_order, paid_out_refunds, texts


def test_partial_then_full_cancellation_refunds_each_item_once(system):
    _, replies = system.chat("c_1001", "我要取消订单", "P202611210000102", "拍错了", "只取消毛巾", "确认")
    assert "只取消" in str(replies[2])  # the item buttons
    assert "¥45.50" in texts(replies[3]) and "确认提交吗" in texts(replies[3])
    assert "已为您取消：纯棉毛巾" in texts(replies[4])
    order = system.service.lookup_order("c_1001", "P202611210000102")
    assert order["state"] == "paid" and [r["amount"] for r in order["refunds"]] == [4550]

    _, replies = system.chat("c_1001", "剩下的也不要了，取消订单P202611210000102", "/inform{\"reason\":\"changed_mind\"}",
                             "整单", "确认")
    assert "已取消" in texts(replies[-1]) and "¥123.00" in texts(replies[-1])
    order = system.service.lookup_order("c_1001", "P202611210000102")
    assert order["state"] == "cancelled"
    assert [(r["amount"], r["channel"], r["status"]) for r in paid_out_refunds(system, "c_1001", "P202611210000102")] == [
        (4550, "wechat_pay", "succeeded"), (5900 + 5600 + 800, "wechat_pay", "succeeded")]


def test_a_confirmation_delivered_twice_moves_money_once(system):
    sender, _ = system.chat("c_1001", "取消订单P202611210000108", "/inform{\"reason\":\"duplicate_order\"}")
    first = system.say(sender, "确认", customer="c_1001")
    second = system.say(sender, "确认", customer="c_1001")
    assert "已取消" in texts(first) and "退回账户余额" in texts(first)
    assert "已取消" not in texts(second)
    assert len(system.service.lookup_order("c_1001", "P202611210000108")["refunds"]) == 1


def test_interception_request_reaches_the_merchant_with_the_conversation(system):
    sender, replies = system.chat("c_1001", "快递能拦截吗 KS2026112100000101", "地址写错了", "确认")
    summary = texts(replies[1])
    assert "商家拦截" in summary and "1–2 小时" in summary and "92.5%" in summary and "免费拦截" in summary
    assert "已提交拦截申请" in texts(replies[2])
    order = system.service.lookup_order("c_1001", "KS2026112100000101")
    assert [i["status"] for i in order["interceptions"]] == ["requested"]
    ticket = order["tickets"][0]
    assert (ticket["kind"], ticket["conversation_id"], ticket["reason"]) == ("interception", sender, "wrong_address")
    assert order["refunds"] == [] and order["state"] == "shipped"


def test_fresh_goods_in_transit_are_not_intercepted_and_a_human_is_offered(system):
    _, replies = system.chat("c_1001", "KS2026112100000104 能拦截吗", "不想要了")
    reply = texts(replies[1])
    assert "生鲜" in reply and "转人工" in str(replies[1])
    assert system.service.lookup_order("c_1001", "KS2026112100000104")["interceptions"] == []


def test_return_within_the_window_opens_a_return_for_review(system):
    _, replies = system.chat("c_1001", "鞋子开胶了我要退货 P202611210000105", "/inform{\"reason\":\"quality_defect\"}",
                             "确认")
    summary = texts(replies[1]) if "确认提交吗" in texts(replies[1]) else texts(replies[0])
    assert "退回运费由商家承担" in summary and "照片" in summary
    assert "退货申请已提交" in texts(replies[-1])
    order = system.service.lookup_order("c_1001", "P202611210000105")
    assert [(r["status"], r["shipping_payer"], r["evidence_required"]) for r in order["returns"]] == [
        ("requested", "merchant", True)]
    assert order["tickets"][0]["kind"] == "return" and order["refunds"] == []


def test_virtual_goods_past_the_window_go_to_merchant_review(system):
    _, replies = system.chat("c_1001", "我要退款", "880020261121000102", "买错了",
                             "/inform{\"outcome\":\"refund_to_balance\"}", "确认")
    summary = texts(replies[-2])
    # The review takes the shop's hours; once approved, the balance refund is at once (seed 002).
    assert "商家审核" in summary and "24 小时" in summary and "即时到账" in summary, summary
    assert "已提交商家审核" in texts(replies[-1])
    order = system.service.lookup_order("c_1001", "880020261121000102")
    assert order["state"] == "paid" and order["refunds"] == []
    assert [(t["kind"], t["desired_outcome"]) for t in order["tickets"]] == [("cancellation_review",
                                                                             "refund_to_balance")]


def test_phone_check_instead_of_a_token(system):
    sender = "e2e-phone"
    for text in ("我要取消订单", "P202611210000103"):
        system.say(sender, text)
    assert "不符" in texts(system.say(sender, "9999"))
    system.say(sender, "P202611210000103")
    assert "北欧风台灯" in texts(system.say(sender, "1001"))
    system.say(sender, "/inform{\"reason\":\"changed_mind\"}")
    done = texts(system.say(sender, "确认"))
    assert "已取消" in done and "银行卡" in done and "工作日" in done
    refund = system.service.lookup_order("c_1001", "P202611210000103")["refunds"][0]
    assert refund["channel"] == "bank_card" and refund["status"] in ("requested", "submitted")


def test_faq_in_the_middle_keeps_the_request(system):
    sender, replies = system.chat("c_1001", "我要取消订单", "P202611210000101", "退货运费谁出", "重复下单", "确认")
    assert "运费" in texts(replies[2]) and "原因" in texts(replies[2])
    assert "已取消" in texts(replies[-1]) and "不涉及退款" in texts(replies[-1])
    assert system.service.lookup_order("c_1001", "P202611210000101")["state"] == "cancelled"


def test_change_of_mind_changes_nothing(system):
    _, replies = system.chat("c_1001", "取消订单P202611210000901", "算了")
    assert "没有任何变化" in texts(replies[-1])
    _, replies = system.chat("c_2001", "取消订单P202611210000901", "/inform{\"reason\":\"changed_mind\"}", "再想想")
    assert "没有提交" in texts(replies[-1])
    assert system.service.lookup_order("c_2001", "P202611210000901")["state"] == "paid"


def test_handoff_carries_the_context_and_pauses_the_bot(system):
    sender, replies = system.chat("c_1001", "快递能拦截吗", "KS2026112100000102", "转人工")
    assert "工单号" in texts(replies[-1])
    order = system.service.lookup_order("c_1001", "KS2026112100000102")
    ticket = next(t for t in order["tickets"] if t["kind"] == "escalation")
    assert ticket["conversation_id"] == sender
    assert system.say(sender, "还在吗？", customer="c_1001") == []  # a human has the conversation now
    tracker = requests.get(f"{system.rasa_url}/conversations/{sender}/tracker",
                           params={"token": system.env.get("RASA_API_TOKEN") or
                                   "dev-only-rasa_api_token-not-for-production"}, timeout=10).json()
    assert tracker["paused"] is True


def test_someone_elses_order_three_times_locks_the_lookup(system):
    sender, replies = system.chat("c_1001", "取消订单", "P202611210000201", "P202611210000298", "P202611210000297")
    assert "没有在您的账户下找到" in texts(replies[1])
    assert "暂停查询" in texts(replies[-1])
    assert system.service.lookup_order("c_1002", "P202611210000201")["state"] == "paid"


def test_a_handoff_naming_its_order_in_the_same_message_carries_that_order(system):
    order_no = own_order(system, state="shipped")
    sender, replies = system.chat("c_1001", f"转人工 {order_no} 快递太慢了")
    assert "工单号" in texts(replies[-1])
    [ticket] = [t for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["conversation_id"] == sender]
    assert ticket["kind"] == "escalation"


def test_a_general_question_is_answered_with_the_chat_shops_own_rules(system):
    _, kuaishou = system.chat(None, "拦截快递要收费吗", shop_id="shop_fresh")
    assert "3 次免费拦截" in texts(kuaishou[0]) and "中通" in texts(kuaishou[0])
    _, lifestyle = system.chat(None, "拦截快递要收费吗", shop_id="shop_lifestyle")
    assert "本店暂不支持拦截快递" in texts(lifestyle[0]) and "{" not in texts(lifestyle[0])
    _, english = system.chat(None, "how many days do I have to return something?", shop_id="shop_lifestyle")
    assert "within 7 days of delivery" in texts(english[0])
