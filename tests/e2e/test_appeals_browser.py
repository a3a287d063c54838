"""Issue 15's browser test, in headless Chromium against the whole system: a shopper in the chat
widget asks for an exchange, which a merchant approves in the inbox; then for a return, which the
merchant rejects; the shopper appeals in the widget, and the merchant accepts the appeal — reading it
in the inbox as the second review of the first. The open widget shows each decision as it is made."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import FRESH_SHOP_MERCHANT, own_order
from .test_widget import WAIT_MS, open_widget, say


def sign_in(browser, system):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{system.web_url}/inbox/")
    page.get_by_label("邮箱").fill(FRESH_SHOP_MERCHANT[0])
    page.get_by_label("密码").fill(FRESH_SHOP_MERCHANT[1])
    page.get_by_role("button", name="登录").click()
    return context, page


def decide(inbox, system, ticket_no: str, choice: str, note: str) -> None:
    inbox.goto(f"{system.web_url}/inbox/cases/{ticket_no}")
    inbox.get_by_label(re.compile("说明")).fill(note)
    inbox.get_by_role("button", name=choice).click()
    expect(inbox.get_by_text("已在对话中通知顾客")).to_be_visible()


def live_button(chat, name: str):
    """A button of the bot's latest question (earlier ones are disabled once answered)."""
    return chat.locator("button.asc-button:not([disabled])", has_text=name)


def case_of(system, order_no: str, kind: str) -> str:
    return next(t["ticket_no"] for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["kind"] == kind)


def test_an_exchange_approved_and_an_appeal_accepted_after_a_rejection_reach_the_open_widget(system, browser):
    exchange_order, return_order = own_order(system, state="delivered"), own_order(system, state="delivered")
    shopper, chat = open_widget(browser, system)
    merchant, inbox = sign_in(browser, system)
    log = chat.get_by_role("log")

    # An exchange, asked for with the widget's buttons and approved in the inbox.
    say(chat, f"鞋子小了，想换大一码 {exchange_order}")
    live_button(chat, "尺码或颜色不合适").click(timeout=WAIT_MS)
    expect(log).to_contain_text("想换成什么", timeout=WAIT_MS)
    say(chat, "换成 43 码")
    live_button(chat, "确认提交").click(timeout=WAIT_MS)
    expect(log).to_contain_text("换货申请已提交", timeout=WAIT_MS)
    decide(inbox, system, case_of(system, exchange_order, "return"), "同意并执行", "同意换货，请把鞋子寄回")
    expect(log).to_contain_text(f"商家已同意订单 {exchange_order} 的售后申请", timeout=WAIT_MS)
    expect(log).to_contain_text("同意换货，请把鞋子寄回")

    # A return, rejected in the inbox; the widget says it can be appealed.
    say(chat, f"我要退货 {return_order}")
    live_button(chat, "质量问题").click(timeout=WAIT_MS)
    live_button(chat, "确认提交").click(timeout=WAIT_MS)
    expect(log).to_contain_text("退货申请已提交", timeout=WAIT_MS)
    first = case_of(system, return_order, "return")
    decide(inbox, system, first, "拒绝", "照片看不出质量问题")
    expect(log).to_contain_text(f"商家没有同意订单 {return_order} 的售后申请", timeout=WAIT_MS)
    expect(log).to_contain_text("前说“申诉”", timeout=WAIT_MS)

    # The appeal, from the widget: the first decision and its reason, then the new evidence.
    say(chat, "我不服，再审核一下")
    expect(log).to_contain_text("商家的理由：照片看不出质量问题", timeout=WAIT_MS)
    say(chat, "鞋底开胶了，拍了视频，可以发给客服")
    expect(log).to_contain_text("商家会在 24 小时内第二次审核", timeout=WAIT_MS)
    appeal = case_of(system, return_order, "appeal")

    # The merchant finds it in the appeals queue, reads it as the second review, and accepts it.
    inbox.goto(f"{system.web_url}/inbox/")
    inbox.get_by_role("link", name=re.compile("申诉（")).click()
    inbox.get_by_role("link", name=appeal).click()
    expect(inbox.get_by_role("heading", name="申诉 · 第二次审核", exact=True)).to_be_visible()
    expect(inbox.get_by_text(f"顾客不接受工单 {first}（退货）的处理结果")).to_be_visible()
    expect(inbox.locator("#first-review")).to_contain_text("照片看不出质量问题")
    expect(inbox.locator("#first-review")).to_contain_text("鞋底开胶了，拍了视频")
    decide(inbox, system, appeal, "同意并执行", "看了视频，同意退货")
    expect(log).to_contain_text(f"您对订单 {return_order} 的申诉（{appeal}）第二次审核通过了", timeout=WAIT_MS)
    expect(log).to_contain_text("看了视频，同意退货")
    merchant.close()
    shopper.close()

    exchange = system.service.lookup_order("c_1001", exchange_order)["returns"]
    returned = system.service.lookup_order("c_1001", return_order)
    assert [(r["outcome"], r["status"]) for r in exchange] == [("exchange", "authorized")]
    assert [(r["outcome"], r["status"]) for r in returned["returns"]] == [("return_refund", "authorized")]
    assert [(t["kind"], t["resolution"]) for t in returned["tickets"]] == [("return", "rejected"),
                                                                         ("appeal", "approved")]
    assert returned["refunds"] == []  # the money follows once the goods are back
