"""Appeals, parcels shown delivered that never arrived, and complaints for the platform, end to end
over HTTP (the chat through Rasa's REST channel, the merchant through the inbox), with the database
checked after each step; orders of the tests' own."""

from __future__ import annotations

import re

from .conftest import FRESH_SHOP_MERCHANT, bot_texts, csrf, merchant_session, own_order, texts, wait_for


def decide(system, ticket_no: str, approve: bool, note: str) -> None:
    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket_no}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/cases/{ticket_no}/decision", timeout=30,
                  data={"decision": "approve" if approve else "reject", "note": note, "csrf_token": csrf(page)}
                  ).raise_for_status()


def told(system, sender: str, words: str) -> str:
    found = wait_for(lambda: [x for x in bot_texts(system, sender) if words in x])
    assert found, (words, bot_texts(system, sender)[-5:])
    return found[-1]


def test_a_rejected_return_is_appealed_rejected_again_and_the_routes_outside_the_shop_are_told(system):
    order_no = own_order(system, state="delivered")
    sender, replies = system.chat("c_1001", f"东西坏了我要退货 {order_no}", '/inform{"reason":"quality_defect"}', "确认")
    assert "退货申请已提交" in texts(replies[-1])
    [first] = [t for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["kind"] == "return"]
    decide(system, first["ticket_no"], False, "照片里看不出质量问题")
    told(system, sender, "照片里看不出质量问题")
    assert "请商家再审核一次" in told(system, sender, "前说“申诉”")  # the rejection says it can be appealed

    asked = texts(system.say(sender, "我不服，再审核一下", customer="c_1001"))
    assert f"订单 {order_no} 的退货（{first['ticket_no']}）商家没有同意" in asked, asked
    assert "商家的理由：照片里看不出质量问题" in asked and "余额" not in asked  # a return: no balance instead
    opened = texts(system.say(sender, "拉链一拉就掉，我拍了开箱视频，可以发给你们", customer="c_1001"))
    ticket_no = re.search(r"工单号 (TK[0-9A-Z]+)", opened).group(1)
    assert "商家会在 24 小时内第二次审核" in opened, opened
    order = system.service.lookup_order("c_1001", order_no)
    [appeal] = [t for t in order["tickets"] if t["kind"] == "appeal"]
    assert (appeal["ticket_no"], appeal["appeal_of"], appeal["conversation_id"]) == (ticket_no, first["ticket_no"],
                                                                                     sender)
    assert [r["status"] for r in order["returns"]] == ["requested"]  # reopened for the second review

    decide(system, ticket_no, False, "视频里拉链完好")
    second = told(system, sender, "第二次审核也没有通过")
    routes = told(system, sender, "店铺之外反映")
    assert "消费者投诉热线 12315" in routes and "支付宝" in routes and "交易纠纷" in routes, (second, routes)
    order = system.service.lookup_order("c_1001", order_no)
    assert [r["status"] for r in order["returns"]] == ["rejected"] and order["refunds"] == []

    again = texts(system.say(sender, "我还要申诉", customer="c_1001"))
    assert "已经申诉过，第二次审核也没有通过" in again and "12315" in again, again
    assert [t["kind"] for t in system.service.lookup_order("c_1001", order_no)["tickets"]].count("appeal") == 1


def test_a_parcel_never_received_is_investigated_and_its_appeal_refunds_it_once_to_the_balance(system):
    on_its_way = own_order(system, state="shipped")
    sender, replies = system.chat("c_1001", f"显示签收了但我没收到 {on_its_way}")
    said = texts(replies[0])
    assert "韵达快递 YD0000001" in said and "还没有显示签收" in said and "退款记录" not in said, said
    assert system.service.lookup_order("c_1001", on_its_way)["tickets"] == []

    order_no = own_order(system, state="delivered")
    opened = texts(system.say(sender, f"我的货没有收到 为什么显示完成了 {order_no}", customer="c_1001"))
    assert "已请商家向快递核实包裹的去向" in opened and "48 小时内" in opened and "退款记录" not in opened, opened
    [investigation] = system.service.lookup_order("c_1001", order_no)["tickets"]
    assert (investigation["kind"], investigation["priority"]) == ("logistics_investigation", "high")
    decide(system, investigation["ticket_no"], False, "快递员拍了放在门口的照片")
    told(system, sender, "快递员拍了放在门口的照片")
    assert order_no in told(system, sender, "快递显示已经送达")

    asked = texts(system.say(sender, "我要申诉", customer="c_1001"))
    assert "改为把 ¥36.00 退到账户余额" in asked, asked
    opened = texts(system.say(sender, '/inform{"outcome":"refund_to_balance"}', customer="c_1001"))
    assert "您同意改为退到账户余额" in opened, opened
    [appeal] = [t for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["kind"] == "appeal"]
    decide(system, appeal["ticket_no"], True, "快递确认送错了楼栋")
    told(system, sender, "快递确认送错了楼栋")
    assert order_no in told(system, sender, "第二次审核通过了")
    order = system.service.lookup_order("c_1001", order_no)
    assert [(r["amount"], r["channel"], r["source"]) for r in order["refunds"]] == [(3600, "balance", "appeal")]
    assert order["state"] == "returned"
    decide(system, appeal["ticket_no"], True, "")  # a second click
    assert len(system.service.lookup_order("c_1001", order_no)["refunds"]) == 1


def test_nothing_to_appeal_is_said_and_a_complaint_is_marked_for_the_platform(system):
    order_no = own_order(system, state="delivered")
    sender, replies = system.chat("c_1001", f"I want to appeal the decision on {order_no}")
    assert "nothing to appeal" in texts(replies[0]), texts(replies[0])
    assert any(b["payload"] == "/request_human" for m in replies[0] for b in m.get("buttons", []))
    complaint = texts(system.say(sender, f"商家一直不处理，我要投诉商家 {order_no}", customer="c_1001"))
    assert "已同时标记给平台" in complaint and "12315" not in complaint, complaint
    [ticket] = system.service.lookup_order("c_1001", order_no)["tickets"]
    assert (ticket["kind"], ticket["platform_review"]) == ("complaint", True)
