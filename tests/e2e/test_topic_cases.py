"""Cases the merchant settles, over HTTP: the bot asks what the merchant needs, the case lands in the
inbox with it, and the merchant's decision — a missing item's refund included — reaches the chat."""

from __future__ import annotations

from .conftest import (
    FRESH_SHOP_MERCHANT,
    bot_texts,
    csrf,
    merchant_session,
    own_order,
    paid_out_refunds,
    texts,
    wait_for,
)


def test_an_invoice_case_lands_with_its_fields_and_the_answer_reaches_the_chat(system):
    order_no = own_order(system, state="shipped")
    sender, replies = system.chat("c_1001", f"{order_no} 帮我开个发票", "杭州某某贸易有限公司 电子发票",
                                  "杭州某某贸易有限公司 91330106MA2B3C4D5E 电子发票")
    assert "税号" in texts(replies[1])
    assert "开票申请已交给商家" in texts(replies[2])
    [case] = [t for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["kind"] == "invoice"]
    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{case['ticket_no']}", timeout=10).text
    assert "91330106MA2B3C4D5E" in page
    merchant.post(f"{system.web_url}/inbox/cases/{case['ticket_no']}/decision", timeout=30,
                  data={"decision": "approve", "note": "电子发票已发到您的邮箱", "csrf_token": csrf(page)}
                  ).raise_for_status()
    told = wait_for(lambda: [x for x in bot_texts(system, sender) if "开票申请" in x and "已处理" in x])
    assert told and any("电子发票已发到您的邮箱" in x for x in bot_texts(system, sender))


def test_a_damaged_item_is_refunded_once_the_merchant_approves(system):
    order_no = own_order(system, state="delivered")
    sender, replies = system.chat("c_1001", f"收到的东西压坏了 {order_no}", "红糖罐子碎了，直接退款吧")
    assert "退这件商品的钱" in texts(replies[1])
    assert system.service.lookup_order("c_1001", order_no)["refunds"] == []
    [case] = [t for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["kind"] == "missing_item"]
    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{case['ticket_no']}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/cases/{case['ticket_no']}/decision", timeout=30,
                  data={"decision": "approve", "note": "已核实破损", "csrf_token": csrf(page)}).raise_for_status()
    [refund] = paid_out_refunds(system, "c_1001", order_no)
    assert (refund["amount"], refund["source"], refund["status"]) == (3600, "missing_item", "succeeded")
    assert wait_for(lambda: [x for x in bot_texts(system, sender) if refund["refund_no"] in x])


def test_a_delivery_time_once_shipped_is_the_couriers_with_the_tracking_number(system):
    order_no = own_order(system, state="shipped")
    _, replies = system.chat("c_1001", f"{order_no} 能不能周六再送")
    assert "YD0000001" in texts(replies[0]) and "工单号" not in texts(replies[0])
    assert system.service.lookup_order("c_1001", order_no)["tickets"] == []
