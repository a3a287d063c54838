"""The chat widget on the demo shop page, in headless Chromium against the whole system: a
shopper cancels by clicking the widget's buttons and sees the refund card; a merchant's decision
arrives in the open widget without the shopper doing anything; the conversation survives a reload."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import FRESH_SHOP_MERCHANT, PICTURES, csrf, merchant_session, own_order, paid_out_refunds

SCREENSHOT = PICTURES / "screenshots" / "widget.png"
WAIT_MS = 30_000


def open_widget(browser, system, customer="c_1001", lang="zh"):
    context = browser.new_context(viewport={"width": 412, "height": 860})  # a phone
    page = context.new_page()
    page.goto(f"{system.web_url}/shop/?customer={customer}&lang={lang}")
    page.get_by_role("button", name="联系售后客服" if lang == "zh" else "Chat with customer service").click()
    expect(page.get_by_role("status")).to_be_hidden(timeout=WAIT_MS)  # connected
    return context, page


def say(page, text):
    box = page.get_by_label("输入消息")
    box.fill(text)
    box.press("Enter")


def test_shopper_cancels_a_paid_order_with_the_widgets_buttons_and_sees_the_refund_card(system, browser):
    order_no = own_order(system, state="paid", channel="alipay")
    context, page = open_widget(browser, system)
    say(page, f"我要取消订单 {order_no}")
    log = page.get_by_role("log")
    expect(log.locator(".asc-order-card").last).to_contain_text(order_no, timeout=WAIT_MS)
    page.get_by_role("button", name="拍错了/买错了").click()
    confirm = page.get_by_role("button", name=re.compile("确认"))
    expect(confirm).to_be_visible(timeout=WAIT_MS)
    confirm.click()
    card = log.locator(".asc-result-card")
    expect(card).to_contain_text("¥36.00", timeout=WAIT_MS)
    expect(card).to_contain_text("支付宝")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "cancelled"
    [refund] = paid_out_refunds(system, "c_1001", order_no)
    assert (refund["amount"], refund["channel"], refund["status"]) == (3600, "alipay", "succeeded")
    expect(card).to_contain_text(refund["refund_no"])

    page.reload()  # history is kept for the browser session
    expect(page.get_by_role("log").locator(".asc-result-card")).to_contain_text(refund["refund_no"])
    expect(page.get_by_role("log").get_by_role("button", name="拍错了/买错了")).to_be_disabled()
    context.close()


def test_a_merchants_decision_appears_in_the_open_widget(system, browser):
    order_no = own_order(system, state="shipped", channel="wechat_pay")
    context, page = open_widget(browser, system)
    say(page, f"快递能拦截吗 {order_no}")
    page.get_by_role("button", name=re.compile("地址")).first.click(timeout=WAIT_MS)
    confirm = page.get_by_role("button", name=re.compile("确认"))
    expect(confirm).to_be_visible(timeout=WAIT_MS)
    confirm.click()
    expect(page.get_by_role("log")).to_contain_text("已提交拦截申请", timeout=WAIT_MS)
    ticket_no = system.service.lookup_order("c_1001", order_no)["tickets"][0]["ticket_no"]

    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    case = merchant.get(f"{system.web_url}/inbox/cases/{ticket_no}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/cases/{ticket_no}/decision", timeout=30,
                  data={"decision": "approve", "note": "快递员已取回包裹", "csrf_token": csrf(case)})

    log = page.get_by_role("log")
    expect(log).to_contain_text(f"订单 {order_no} 的包裹已拦截成功", timeout=WAIT_MS)
    expect(log).to_contain_text("快递员已取回包裹")
    context.close()


def test_english_ui_strings_and_markup_shown_as_text(system, browser):
    context, page = open_widget(browser, system, lang="en")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    page.get_by_label("Message").fill('<img src=x onerror="window.pwned=1">')
    page.get_by_label("Message").press("Enter")
    expect(page.get_by_role("log")).to_contain_text('<img src=x onerror="window.pwned=1">')
    assert page.evaluate("() => window.pwned") is None
    assert page.get_by_role("log").locator("img").count() == 0
    # The page says English, so the bot answers in English even to Chinese typing.
    page.get_by_label("Message").fill("我要取消订单")
    page.get_by_label("Message").press("Enter")
    expect(page.get_by_role("log")).to_contain_text("Please send the order number", timeout=WAIT_MS)
    context.close()
