"""Withdrawing a request and price protection over HTTP, with the real bot, action server, inbox
and refund worker: nothing changes before the shopper's explicit yes, and after it the database,
the merchant's inbox and the chat agree."""

from __future__ import annotations

from .conftest import FRESH_SHOP_MERCHANT, csrf, merchant_session, own_order, paid_out_refunds, texts


def test_a_return_is_withdrawn_after_a_yes_and_the_merchant_can_no_longer_approve_it(system):
    order_no = own_order(system, state="delivered")
    sender, replies = system.chat("c_1001", f"东西坏了我要退货 {order_no}", '/inform{"reason":"quality_defect"}', "确认")
    assert "退货申请已提交" in texts(replies[-1])
    [ret] = system.service.lookup_order("c_1001", order_no)["returns"]

    summary = system.say(sender, "不想退了，帮我撤回退货申请", customer="c_1001")
    assert ret["return_no"] in texts(summary) and "确认撤回吗" in texts(summary)
    assert system.service.lookup_order("c_1001", order_no)["returns"][0]["status"] == ret["status"]

    done = system.say(sender, "/affirm", customer="c_1001")
    assert f"已撤回退货退款申请（编号 {ret['return_no']}）" in texts(done)
    order = system.service.lookup_order("c_1001", order_no)
    assert order["returns"][0]["status"] == "withdrawn" and order["refunds"] == []
    [ticket] = [t for t in order["tickets"] if t["kind"] == "return"]
    assert (ticket["status"], ticket["resolution"]) == ("resolved", "withdrawn")

    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket['ticket_no']}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/cases/{ticket['ticket_no']}/decision", timeout=30,
                  data={"decision": "approve", "note": "请寄回", "csrf_token": csrf(page)})
    assert system.service.lookup_order("c_1001", order_no)["returns"][0]["status"] == "withdrawn"

    again = system.say(sender, "撤回退货申请", customer="c_1001")
    assert "没有可以撤回的申请" in texts(again)


def test_a_price_drop_is_refunded_once_after_a_yes_and_the_chat_hears_it_arrive(system):
    order_no = own_order(system, state="shipped", current_price="30.00")
    sender, replies = system.chat("c_1001", f"刚买就降价了，能价保退差价吗 {order_no}")
    summary = texts(replies[-1])
    assert all(part in summary for part in ("¥36.00", "¥30.00", "¥6.00", "支付宝", "确认申请退差价吗"))
    assert system.service.lookup_order("c_1001", order_no)["refunds"] == []

    done = system.say(sender, "确认", customer="c_1001")
    assert "差价 ¥6.00 已申请退回支付宝" in texts(done)
    [refund] = paid_out_refunds(system, "c_1001", order_no)
    assert (refund["amount"], refund["source"], refund["status"]) == (600, "price_protection", "succeeded")

    again = system.say(sender, f"价保 {order_no}", customer="c_1001")
    assert "已经退过了" in texts(again)
    assert len(system.service.lookup_order("c_1001", order_no)["refunds"]) == 1


def test_price_protection_declined_moves_no_money(system):
    order_no = own_order(system, state="shipped", current_price="20.00")
    sender, replies = system.chat("c_1001", f"降价了退差价 {order_no}", "/deny")
    assert "¥16.00" in texts(replies[0])
    assert system.service.lookup_order("c_1001", order_no)["refunds"] == []
