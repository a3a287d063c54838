"""The merchant's side of whole conversations, over real HTTP: a case a conversation opened is
decided in the inbox (by a person in a real browser, and over plain HTTP), and the shopper's chat
then holds the news — told by the bot through Rasa's API, without the shopper asking."""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import update

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import make_engine, session_factory
from aftersales.service.importing import import_orders

from .conftest import texts

REQUIRE_E2E = os.environ.get("AFTERSALES_REQUIRE_E2E") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes advise for a sandboxed root user on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
FRESH_SHOP_MERCHANT = ("fresh@demo.shop", "demo-password-2")
LIFESTYLE_MERCHANT = ("lifestyle@demo.shop", "demo-password-1")


def own_order(system, state: str = "shipped", channel: str = "alipay") -> str:
    """An order of its own for each test, so tests sharing a system never meet."""
    order_no = f"KS{datetime.now(UTC):%Y%m%d}{uuid.uuid4().int % 10**8:08d}"
    now = datetime.now(UTC)
    shipped = {"shipped_at": (now - timedelta(hours=1)).isoformat(), "carrier": "韵达快递",
               "tracking_no": "YD0000001"} if state == "shipped" else {}
    import_orders(session_factory(system.database_url), [(1, {
        "order_no": order_no, "shop": {"id": "shop_fresh", "name": "快手鲜选小店", "policy_profile": "short_video"},
        "customer": {"id": "c_1001", "name": "Demo", "phone": "13800001001"}, "state": state,
        "payment_channel": channel, "currency": "CNY", "created_at": (now - timedelta(hours=8)).isoformat(),
        "paid_at": (now - timedelta(hours=7)).isoformat(), **shipped,
        "items": [{"sku": "KS-E2E", "title": "手工红糖", "goods_type": "physical", "quantity": 1,
                   "unit_price": "36.00"}]})])
    return order_no


def tracker(system, sender: str) -> dict:
    token = system.env.get("RASA_API_TOKEN") or "dev-only-rasa_api_token-not-for-production"
    response = requests.get(f"{system.rasa_url}/conversations/{sender}/tracker", params={"token": token}, timeout=10)
    response.raise_for_status()
    return response.json()


def bot_texts(system, sender: str) -> list[str]:
    return [e["text"] for e in tracker(system, sender)["events"] if e["event"] == "bot" and e.get("text")]


def merchant_session(system, email: str, password: str) -> requests.Session:
    session = requests.Session()
    login = session.get(f"{system.web_url}/inbox/login", timeout=10).text
    session.post(f"{system.web_url}/inbox/login", timeout=10,
                 data={"email": email, "password": password, "csrf_token": csrf(login)}).raise_for_status()
    return session


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    return condition()


def test_merchant_approves_an_interception_in_the_browser_and_the_shopper_is_told(system):
    if not os.path.exists(CHROMIUM):
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_E2E:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    order_no = own_order(system)
    sender, replies = system.chat("c_1001", f"快递能拦截吗 {order_no}", "地址写错了", "确认")
    assert "已提交拦截申请" in texts(replies[-1])
    ticket_no = system.service.lookup_order("c_1001", order_no)["tickets"][0]["ticket_no"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
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
        browser.close()

    told = "\n".join(bot_texts(system, sender))
    assert f"订单 {order_no} 的包裹已拦截成功" in told and "已联系快递，包裹拦截成功" in told
    assert "退款 ¥36.00 已退回支付宝" in told
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
    assert refund["status"] == "processing"
    # The bank pays out: days pass in one UPDATE; the worker settles the refund and tells the shopper.
    engine = make_engine(system.database_url)
    with engine.begin() as connection:
        connection.execute(update(t.Refund).where(t.Refund.refund_no == refund["refund_no"])
                           .values(expected_earliest=datetime.now(UTC) - timedelta(minutes=1)))
    engine.dispose()
    told = wait_for(lambda: [x for x in bot_texts(system, sender) if "请查收" in x])
    assert told and refund["refund_no"] in told[0] and "¥36.00" in told[0]
