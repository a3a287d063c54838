"""The merchant's side of whole conversations, over real HTTP: a case a conversation opened is
decided in the inbox (by a person in a real browser, and over plain HTTP), and the shopper's chat
then holds the news — told by the bot through Rasa's API, without the shopper asking."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import make_engine

from .conftest import (
    FRESH_SHOP_MERCHANT,
    LIFESTYLE_MERCHANT,
    bot_texts,
    csrf,
    merchant_session,
    own_order,
    texts,
    tracker,
    wait_for,
)


def test_merchant_approves_an_interception_in_the_browser_and_the_shopper_is_told(system, browser):
    from playwright.sync_api import expect

    order_no = own_order(system)
    sender, replies = system.chat("c_1001", f"快递能拦截吗 {order_no}", "地址写错了", "确认")
    assert "已提交拦截申请" in texts(replies[-1])
    ticket_no = system.service.lookup_order("c_1001", order_no)["tickets"][0]["ticket_no"]

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{system.web_url}/inbox/")
    page.get_by_label("邮箱").fill(FRESH_SHOP_MERCHANT[0])
    page.get_by_label("密码").fill(FRESH_SHOP_MERCHANT[1])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name=re.compile("拦截申请")).click()
    page.get_by_role("link", name=ticket_no).click()
    expect(page.get_by_text(f"快递能拦截吗 {order_no}")).to_be_visible()  # the live transcript
    page.get_by_label(re.compile("说明")).fill("已联系快递，包裹拦截成功")
    page.get_by_role("button", name="同意并执行").click()
    expect(page.get_by_text("已在对话中通知顾客")).to_be_visible()
    context.close()

    told = "\n".join(bot_texts(system, sender))
    assert f"订单 {order_no} 的包裹已拦截成功" in told and "已联系快递，包裹拦截成功" in told
    # The refund goes out through the worker: the shopper is told again once it has arrived.
    arrived = wait_for(lambda: [x for x in bot_texts(system, sender) if "已退回支付宝" in x])
    assert arrived and "¥36.00" in arrived[0]
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "cancelled" and [i["status"] for i in order["interceptions"]] == ["succeeded"]
    assert [r["amount"] for r in order["refunds"]] == [3600]


def test_handoff_reply_and_hand_back_reach_the_same_chat(system):
    sender, replies = system.chat("c_1001", "转人工")
    assert "工单号" in texts(replies[-1])
    ticket_no = re.search(r"TK[0-9A-Z]+", texts(replies[-1])).group(0)
    assert tracker(system, sender)["paused"] is True

    merchant = merchant_session(system, *LIFESTYLE_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket_no}", timeout=10)
    assert page.status_code == 200 and "转人工" in page.text
    merchant.post(f"{system.web_url}/inbox/cases/{ticket_no}/reply", timeout=30,
                  data={"text": "您好，我是客服小王，请问遇到什么问题？", "csrf_token": csrf(page.text)})
    assert "您好，我是客服小王，请问遇到什么问题？" in bot_texts(system, sender)
    assert tracker(system, sender)["paused"] is True  # still with the human
    assert system.say(sender, "我的快递一直不动", customer="c_1001") == []

    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket_no}", timeout=10)
    assert "我的快递一直不动" in page.text  # the shopper's answer reaches the inbox
    merchant.post(f"{system.web_url}/inbox/cases/{ticket_no}/hand-back", timeout=30,
                  data={"csrf_token": csrf(page.text)})
    assert tracker(system, sender)["paused"] is False
    assert any("接下来由我继续为您服务" in text for text in bot_texts(system, sender))
    assert system.say(sender, "你好", customer="c_1001") != []  # the bot answers again


def test_a_refund_that_arrives_days_later_is_announced_in_the_chat(system):
    order_no = own_order(system, state="paid", channel="bank_card")
    sender, replies = system.chat("c_1001", f"我要取消订单 {order_no}", "拍错了", "确认")
    assert "1–3 个工作日" in texts(replies[-1]) or "工作日" in texts(replies[-1])
    [refund] = system.service.lookup_order("c_1001", order_no)["refunds"]
    assert refund["status"] in ("requested", "submitted")
    # The bank pays out: days pass in one UPDATE; the worker asks the provider, which has paid by
    # now, and tells the shopper.
    wait_for(lambda: system.service.lookup_order("c_1001", order_no)["refunds"][0]["status"] == "submitted")
    engine = make_engine(system.database_url)
    with engine.begin() as connection:
        connection.execute(update(t.Refund).where(t.Refund.refund_no == refund["refund_no"])
                           .values(expected_earliest=datetime.now(UTC) - timedelta(minutes=1),
                                   next_attempt_at=datetime.now(UTC)))
    engine.dispose()
    told = wait_for(lambda: [x for x in bot_texts(system, sender) if "请查收" in x])
    assert told and refund["refund_no"] in told[0] and "¥36.00" in told[0]


def test_merchant_assigns_two_cases_at_once_from_the_keyboard_in_the_browser(system, browser):
    from playwright.sync_api import expect

    from aftersales.adapters.db.engine import session_factory
    from aftersales.service.inbox import InboxService

    shopper = ("c_bulk", "13800009999")  # a shopper of this test's own: the phone tail finds only its cases
    opened = [system.service.open_ticket(shopper[0], "escalation", "转人工", order_no=own_order(system, customer=shopper),
                                         conversation_id=f"bulk-{n}")["ticket"]["ticket_no"] for n in range(2)]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{system.web_url}/inbox/")
    page.get_by_label("邮箱").fill(FRESH_SHOP_MERCHANT[0])
    page.get_by_label("密码").fill(FRESH_SHOP_MERCHANT[1])
    page.get_by_role("button", name="登录").click()
    page.get_by_label("找工单").fill("9999")
    page.get_by_role("button", name="搜索").click()
    rows = page.locator("#case-list tbody tr[data-case]")
    expect(rows).to_have_count(2)
    # One by the mouse, the other from the keyboard: j moves to its row, x ticks it.
    first, second = (rows.nth(i).get_attribute("data-case") for i in range(2))
    page.get_by_label(f"选择 {first}").check()
    page.locator("body").press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.get_by_label(f"选择 {second}")).to_be_checked()
    expect(page.locator("#bulk-count")).to_have_text("已选 2 个工单")
    page.get_by_role("button", name="分配给我").click()
    expect(page.get_by_text("已将 2 个工单分配给")).to_be_visible()
    expect(page.locator("#case-list tbody tr[data-case]").first).to_contain_text("鲜选客服")  # her name
    # The list came back with the flash: its keys work once its script has run (the page has loaded).
    page.wait_for_load_state("load")
    page.keyboard.press("j")
    expect(page.locator("#case-list tbody tr[data-case]").first).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("Enter")  # opens the case of the current row
    expect(page).to_have_url(re.compile(f"/inbox/cases/{first}$"))
    context.close()

    inbox = InboxService(session_factory(system.database_url))
    assert {inbox.case(n, {"shop_fresh"})["ticket"]["assignee"] for n in opened} == {FRESH_SHOP_MERCHANT[0]}
