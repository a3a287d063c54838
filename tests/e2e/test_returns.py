"""A return to the end, over HTTP: asked for in the chat, approved in the inbox, the parcel's tracking
number told in the chat and shown to the merchant, the parcel received in the inbox, the refund paid
by the worker — and the shopper told each step in the same chat."""

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


def test_a_return_is_refunded_once_the_parcel_is_back_and_the_chat_hears_it(system):
    order_no = own_order(system, state="delivered")
    sender, replies = system.chat("c_1001", f"东西坏了我要退货 {order_no}", '/inform{"reason":"quality_defect"}', "确认")
    assert "退货申请已提交" in texts(replies[-1])
    [ticket] = [t for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["kind"] == "return"]

    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket['ticket_no']}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/cases/{ticket['ticket_no']}/decision", timeout=30,
                  data={"decision": "approve", "note": "请寄回", "csrf_token": csrf(page)}).raise_for_status()
    [authorized] = system.service.lookup_order("c_1001", order_no)["returns"]
    assert authorized["status"] == "authorized"
    assert system.service.lookup_order("c_1001", order_no)["refunds"] == []  # nothing paid before the parcel

    # The shopper sends the goods back and says so in the same chat: the order is the one it is about.
    sent = texts(system.say(sender, "退货已经寄出了，顺丰 SF1234567890", customer="c_1001"))
    assert "已记下您寄回的包裹：顺丰速运 SF1234567890" in sent and "退款" in sent
    [with_parcel] = system.service.lookup_order("c_1001", order_no)["returns"]
    assert (with_parcel["return_tracking_no"], with_parcel["return_carrier"], with_parcel["status"]) == (
        "SF1234567890", "顺丰速运", "authorized")
    corrected = texts(system.say(sender, "刚才运单号发错了，应该是 SF1234567899", customer="c_1001"))
    assert "更正" in corrected and "SF1234567899" in corrected
    assert system.service.lookup_order("c_1001", order_no)["returns"][0]["return_tracking_no"] == "SF1234567899"

    page = merchant.get(f"{system.web_url}/inbox/orders/{order_no}", timeout=10).text
    assert "SF1234567899" in page
    assert "已收到退货，按验货结果处理" in page and "扣款后退款" in page
    received = merchant.post(f"{system.web_url}/inbox/orders/{order_no}/returns/{authorized['return_no']}/received",
                             timeout=30, data={"csrf_token": csrf(page)})
    assert received.ok and "已确认收到退货" in received.text
    again = merchant.post(f"{system.web_url}/inbox/orders/{order_no}/returns/{authorized['return_no']}/received",
                          timeout=30, data={"csrf_token": csrf(page)})
    assert "没有执行" in again.text  # a second click refunds nothing

    [refund] = paid_out_refunds(system, "c_1001", order_no)
    assert (refund["amount"], refund["status"]) == (3600, "succeeded")
    told = wait_for(lambda: [x for x in bot_texts(system, sender) if "请查收" in x])
    assert told and refund["refund_no"] in told[0]
    assert any("商家已收到订单" in x and "退货" in x for x in bot_texts(system, sender))
    assert system.service.lookup_order("c_1001", order_no)["state"] == "returned"
