"""A new address over HTTP: asked, checked, confirmed and changed before shipment, with a case for
the merchant; after shipment the answer's button leads on to an interception instead of a dead end."""

from __future__ import annotations

from .conftest import FRESH_SHOP_MERCHANT, merchant_session, own_order, texts

NEW = "王小明 13912345678 浙江省杭州市西湖区文三路 88 号 3 单元 501"


def test_before_shipment_the_address_changes_after_a_yes_and_the_merchant_sees_it(system):
    order_no = own_order(system, state="paid")
    sender, replies = system.chat("c_1001", f"收货地址写错了，能改吗 {order_no}", "杭州市西湖区")
    assert "收货人、手机号和详细地址" in texts(replies[0])
    assert "手机号" in texts(replies[1])  # no phone: asked again, nothing changed
    summary = system.say(sender, NEW, customer="c_1001")
    assert NEW in texts(summary) and "确认修改吗" in texts(summary)

    done = system.say(sender, "确认", customer="c_1001")
    assert "收货信息已改为" in texts(done) and "工单号" in texts(done)
    order = system.service.lookup_order("c_1001", order_no)
    [case] = [t for t in order["tickets"] if t["kind"] == "address_change"]
    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{case['ticket_no']}", timeout=10).text
    assert "文三路 88 号" in page


def test_after_shipment_the_answer_offers_an_interception_that_then_starts(system):
    order_no = own_order(system, state="shipped")
    sender, replies = system.chat("c_1001", f"{order_no} 地址能改一下吗")
    answer = replies[0]
    assert "没法再改" in texts(answer)
    [button] = [b for m in answer for b in m.get("buttons") or []]
    assert button["payload"] == "/intercept_delivery"
    follow = system.say(sender, button["payload"], customer="c_1001")
    assert "原因" in texts(follow)  # the interception request goes on with the same order
    assert all(t["kind"] != "address_change" for t in system.service.lookup_order("c_1001", order_no)["tickets"])
