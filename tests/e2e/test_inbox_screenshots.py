"""The README's pictures of the English inbox, made in headless Chromium on every run (into
results/pictures; AFTERSALES_UPDATE_PICTURES=1 refreshes docs/images): a case a real
conversation opened (its context in sentences, what approving will do) and the analytics page with
the conversations of this test session. The merchant's language is set back to Chinese afterwards."""

from __future__ import annotations

from .conftest import FRESH_SHOP_MERCHANT, PICTURES, own_order, texts

IMAGES = PICTURES / "images"


def switch_language(page, web_url: str, language: str) -> None:
    page.goto(f"{web_url}/inbox/")
    page.select_option("#inbox-language", language)
    page.locator("form.language button").click()


def test_screenshots_of_the_english_case_page_and_analytics(system, browser):
    from playwright.sync_api import expect

    order_no = own_order(system)
    _, replies = system.chat("c_1001", f"快递能拦截吗 {order_no}", "地址写错了", "确认")
    assert "已提交拦截申请" in texts(replies[-1])
    ticket_no = system.service.lookup_order("c_1001", order_no)["tickets"][0]["ticket_no"]

    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{system.web_url}/inbox/")
    page.get_by_label("邮箱").fill(FRESH_SHOP_MERCHANT[0])
    page.get_by_label("密码").fill(FRESH_SHOP_MERCHANT[1])
    page.get_by_role("button", name="登录").click()
    switch_language(page, system.web_url, "en")
    try:
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.goto(f"{system.web_url}/inbox/cases/{ticket_no}")
        expect(page.get_by_role("button", name="Approve and carry out")).to_be_visible()
        expect(page.locator("main")).to_contain_text(order_no)
        page.screenshot(path=str(IMAGES / "inbox-case-en.png"))
        page.goto(f"{system.web_url}/inbox/analytics")
        expect(page.locator('figure[data-chart="conversations"] svg')).to_be_visible()
        expect(page.locator("#analytics-summary")).to_contain_text("Conversations:")
        page.screenshot(path=str(IMAGES / "inbox-analytics-en.png"))
    finally:
        switch_language(page, system.web_url, "zh")
        context.close()
    for name in ("inbox-case-en.png", "inbox-analytics-en.png"):
        assert (IMAGES / name).stat().st_size < 400_000
