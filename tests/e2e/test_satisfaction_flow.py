"""The shopper rates a decided case in the same chat, over the whole system: the merchant's decision
reaches the chat with the rating question and its five buttons, once; a button records the score on
the case (its page says so), the first score counts, and another conversation cannot rate it."""

from __future__ import annotations

import re

from .conftest import FRESH_SHOP_MERCHANT, csrf, merchant_session, own_order, texts, tracker, wait_for


def rating_questions(system, sender: str) -> list[dict]:
    return [e for e in tracker(system, sender)["events"] if e["event"] == "bot"
            and any(b.get("payload", "").startswith("/rate_case") for b in (e.get("data") or {}).get("buttons") or [])]


def test_a_decided_case_is_rated_once_in_the_same_chat(system):
    order_no = own_order(system)
    sender, replies = system.chat("c_1001", f"快递能拦截吗 {order_no}", "地址写错了", "确认")
    assert "已提交拦截申请" in texts(replies[-1])
    ticket_no = system.service.lookup_order("c_1001", order_no)["tickets"][0]["ticket_no"]

    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket_no}", timeout=10)
    merchant.post(f"{system.web_url}/inbox/cases/{ticket_no}/decision", timeout=30,
                  data={"decision": "approve", "note": "已联系快递", "csrf_token": csrf(page.text)})
    [question] = wait_for(lambda: rating_questions(system, sender))
    assert ticket_no in question["text"] and "只问这一次" in question["text"]
    buttons = question["data"]["buttons"]
    assert [b["payload"] for b in buttons] == [f'/rate_case{{"score": {n}}}' for n in range(1, 6)]

    # Another conversation pressing the same button rates nothing (it was never asked there).
    stranger, answers = system.chat("c_1001", buttons[0]["payload"])
    assert "没有需要您评价的工单" in texts(answers[-1])

    thanked = system.say(sender, buttons[3]["payload"], customer="c_1001")
    assert f"工单 {ticket_no} 4 分" in texts(thanked)
    again = system.say(sender, buttons[0]["payload"], customer="c_1001")
    assert "已经评过 4 分" in texts(again)
    typed = system.say(sender, "打5分", customer="c_1001")
    assert "已经评过 4 分" in texts(typed)  # typed, it is a rating too — and still the first counts
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket_no}", timeout=10).text
    assert re.search(r'id="case-satisfaction">顾客评分：4 分（满分 5 分）', page)
    # The refund's news arrives later in the same chat: no second question.
    wait_for(lambda: [x for x in texts_of(system, sender) if "已退回支付宝" in x])
    assert len(rating_questions(system, sender)) == 1


def texts_of(system, sender: str) -> list[str]:
    return [e["text"] for e in tracker(system, sender)["events"] if e["event"] == "bot" and e.get("text")]
