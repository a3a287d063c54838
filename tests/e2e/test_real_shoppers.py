"""What real shoppers ask, over HTTP: each topic starts its own flow with the order the message
named, and nothing changes before the shopper's details or yes. Low confidence gets a question with
buttons, never a guess; out of scope a human."""

from __future__ import annotations

import pytest

from .conftest import own_order, texts

OWN_FLOWS = [
    # (message with {order}, the order's state, what the first answer says) — each on an order of its
    # own (other tests change the demo orders); nothing changes before the shopper's details or yes
    ("{order} 这单帮我开个公司抬头的发票", "paid", "开票信息"),
    ("订单{order} 周六再送可以吗，这几天家里没人", "paid", "什么时候发货或送达"),
    ("用了三天就开不了机了，能保修吗 {order}", "delivered", "描述一下故障"),
    ("少发了一件，订单 {order}", "delivered", "少了什么"),
    ("我想换个尺码，鞋子小了 {order}", "delivered", "请问遇到了什么问题"),
    ("买完第二天就降价了，能补差价吗 订单{order}", "delivered", "价"),
    ("{order} 那个取消申请我不取消了", "paid", "撤回"),
]


@pytest.mark.parametrize(("message", "state", "first_words"), OWN_FLOWS)
def test_each_flow_of_its_own_starts_and_changes_nothing_before_a_yes(system, message, state, first_words):
    order_no = own_order(system, state=state)
    before = system.service.lookup_order("c_1001", order_no)
    sender, replies = system.chat("c_1001", message.format(order=order_no))
    assert first_words in texts(replies[0]), texts(replies[0])
    assert "工单号" not in texts(replies[0])
    after = system.service.lookup_order("c_1001", order_no)
    assert (after["state"], after["refunds"], after["returns"], after["tickets"]) == (
        before["state"], before["refunds"], before["returns"], before["tickets"])


def test_a_new_topic_without_an_order_number_asks_for_it_first(system):
    _, replies = system.chat("c_1001", "发票怎么还没开出来", own_order(system, state="paid"))
    assert "订单号" in texts(replies[0])
    assert "开票信息" in texts(replies[1])


def test_an_english_exchange_asks_why_in_english(system):
    order_no = own_order(system, state="delivered")
    _, replies = system.chat("c_1001", f"can I exchange these shoes for a bigger size? order {order_no}")
    reply = texts(replies[0])
    assert order_no in reply and "what went wrong" in reply.lower(), reply
    assert any(b.get("title") == "Size or colour doesn't fit" for m in replies[0] for b in m.get("buttons") or [])


def test_out_of_scope_says_so_and_offers_a_human(system):
    _, replies = system.chat("c_1001", "这款手机支持5G吗，有没有现货")
    assert "处理不了" in texts(replies[0])
    assert any(b.get("payload") == "/request_human" for m in replies[0] for b in m.get("buttons") or [])


def test_a_wrong_item_typed_as_the_reason_keeps_the_return_going(system):
    sender, replies = system.chat("c_1001", "我要退货 P202611210000105", "发错货了，颜色不对")
    assert "工单号" not in texts(replies[1])
    order = system.service.lookup_order("c_1001", "P202611210000105")
    assert all(t["conversation_id"] != sender for t in order["tickets"])  # nothing handed over
    assert "确认提交吗" in texts(replies[1]) or any(m.get("buttons") for m in replies[1])  # the request goes on


@pytest.mark.parametrize("garbage", ["undefined", "\u0000\u0001\u0002", "a", "\u200b\u200b"])
def test_garbage_at_the_confirmation_moves_no_money_and_asks_again(system, garbage):
    order_no = own_order(system, state="paid")
    sender, replies = system.chat("c_1001", f"取消订单{order_no}", "/inform{\"reason\":\"duplicate_order\"}")
    assert "确认提交吗" in texts(replies[-1])
    after_garbage = system.say(sender, garbage, customer="c_1001")
    assert "已取消" not in texts(after_garbage)
    order = system.service.lookup_order("c_1001", order_no)
    assert order["refunds"] == [] and order["state"] == "paid"
    # The explicit confirmation still works afterwards, and moves the money once.
    assert "已取消" in texts(system.say(sender, "确认", customer="c_1001"))
    assert len(system.service.lookup_order("c_1001", order_no)["refunds"]) == 1
