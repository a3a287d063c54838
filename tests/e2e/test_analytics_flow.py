"""Analytics over the whole system: real conversations with the bot reach the figures through the
worker (which reads Rasa's own tracker store), and a merchant in Chromium reads the charts and
downloads the CSV, whose rows are the figures the service computes from the same database."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.analytics import ShopAnalytics
from aftersales.service.base import PLATFORM_TZ

from .conftest import FRESH_SHOP_MERCHANT, wait_for


def conversation(system, sender: str) -> t.Conversation | None:
    with session_factory(system.database_url)() as session:
        return session.scalars(select(t.Conversation).where(t.Conversation.conversation_id == sender)).first()


def test_real_conversations_reach_the_charts_and_the_csv(system, browser):
    from playwright.sync_api import expect

    asked, _ = system.chat(None, "退货运费谁出", shop_id="shop_fresh")
    handed, _ = system.chat("c_1001", "转人工", shop_id="shop_fresh")
    # The worker reads Rasa's tracker store every round (2 s under scripts/run.py).
    assert wait_for(lambda: conversation(system, asked) and conversation(system, handed), timeout=30)
    faq, human = conversation(system, asked), conversation(system, handed)
    assert (faq.shop_id, faq.shopper_messages, faq.handed_off, faq.ended_unanswered) == ("shop_fresh", 1, False, False)
    assert (human.shop_id, human.handed_off) == ("shop_fresh", True)

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{system.web_url}/inbox/")
    page.get_by_label("邮箱").fill(FRESH_SHOP_MERCHANT[0])
    page.get_by_label("密码").fill(FRESH_SHOP_MERCHANT[1])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="数据").click()
    figures = ShopAnalytics(session_factory(system.database_url)).report({"shop_fresh"})
    today = figures["daily"][-1]
    assert today["date"] == datetime.now(PLATFORM_TZ).date().isoformat() and today["handed_off"] >= 1
    for chart in ("conversations", "automation"):
        expect(page.locator(f'figure[data-chart="{chart}"] svg')).to_be_visible()
    dot = page.locator(f'figure[data-chart="conversations"] circle[data-series="handed_off"][data-date="{today["date"]}"]')
    expect(dot).to_have_attribute("data-value", str(today["handed_off"]))
    expect(page.locator('figure[data-chart="conversations"] .legend')).to_contain_text("机器人解决")
    expect(page.locator("#analytics-summary")).to_contain_text(f"对话共 {figures['totals']['conversations']} 个")

    with page.expect_download() as download:
        page.locator("#analytics-csv").click()
    body = Path(download.value.path()).read_bytes()
    context.close()
    assert body.startswith("\ufeff".encode()) and download.value.suggested_filename.startswith("analytics-shop_fresh")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["日期", "对话"] and len(rows) == 1 + 30 + 1 + 1 + len(figures["merchants"])
    last_day = rows[30]
    assert last_day[:5] == [today["date"], str(today["conversations"]), str(today["bot_resolved"]),
                            str(today["handed_off"]), str(today["abandoned"])]
    assert [row[1] for row in rows[33:]] == [m["email"] for m in figures["merchants"]]
