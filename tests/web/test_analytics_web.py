"""The analytics page and its CSV over HTTP, on SQLite and PostgreSQL, with the seeded conversations
and cases of tests/integration/analytics_seed.py: the charts' points are the days' numbers, the
per-merchant table says the medians in words, and the CSV (UTF-8 with a BOM) has a row per day and
per merchant of the signed-in merchant's shop only."""

from __future__ import annotations

import csv
import io
import re

import pytest

from aftersales.adapters.chat_log import RasaEventLog
from aftersales.entrypoints.web.inbox.charts import duration, line_chart, nice_top, number
from aftersales.service.conversation_log import ConversationSync
from tests.integration.analytics_seed import seed_cases, seed_chats, seed_ratings
from tests.integration.chat_log import FakeTracker
from tests.integration.fixtures import NOW
from tests.web.conftest import csrf_from, sign_in


@pytest.fixture
def seeded(app, factory, tmp_path):
    tracker = FakeTracker(tmp_path / "tracker.sqlite3")
    seed_chats(tracker)
    seed_ratings(factory, seed_cases(factory))
    ConversationSync(factory, RasaEventLog(tracker.url), "shop_k", clock=lambda: NOW).run_once()
    app.extensions["aftersales"].analytics.clock = lambda: NOW
    return app


def dots(html: str, chart: str) -> dict[str, dict[str, float]]:
    """A chart's points: series → date → value."""
    figure = re.search(rf'<figure class="panel chart" data-chart="{chart}">(.*?)</figure>', html, re.S).group(1)
    found: dict[str, dict[str, float]] = {}
    for series, day, value in re.findall(r'<circle class="dot [^"]*" data-series="([^"]+)" data-date="([^"]+)" '
                                         r'data-value="([^"]+)"', figure):
        found.setdefault(series, {})[day] = float(value)
    return found


def lines(html: str, chart: str) -> dict[str, list[str]]:
    figure = re.search(rf'data-chart="{chart}">(.*?)</figure>', html, re.S).group(1)
    found: dict[str, list[str]] = {}
    for series, points in re.findall(r'<polyline class="line [^"]*" data-series="([^"]+)" points="([^"]+)"', figure):
        found.setdefault(series, []).append(points)
    return found


def test_the_charts_draw_each_days_numbers(seeded):
    client = seeded.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    html = client.get("/inbox/analytics?days=3").get_data(as_text=True)
    assert dots(html, "conversations") == {
        "bot_resolved": {"2026-11-16": 1, "2026-11-17": 0, "2026-11-18": 1},
        "handed_off": {"2026-11-16": 0, "2026-11-17": 2, "2026-11-18": 0},
        "abandoned": {"2026-11-16": 1, "2026-11-17": 1, "2026-11-18": 0},
        "in_progress": {"2026-11-16": 0, "2026-11-17": 0, "2026-11-18": 1}}  # today's chat-f
    # 3 days across 48…616 px; 0…2 conversations up 182…12 px.
    assert lines(html, "conversations")["bot_resolved"] == ["48.0,97.0 332.0,182.0 616.0,97.0"]
    assert dots(html, "automation") == {"automation_rate": {"2026-11-16": 50, "2026-11-17": 0, "2026-11-18": 100}}
    # Times: only 17 Nov had cases answered and resolved — a point each, no line to draw.
    assert dots(html, "times") == {"first_response": {"2026-11-17": 0.33}, "resolution": {"2026-11-17": 2.5}}
    assert lines(html, "times") == {}
    assert dots(html, "satisfaction") == {"satisfaction": {"2026-11-17": 4, "2026-11-18": 2}}
    assert lines(html, "satisfaction") == {"satisfaction": ["332.0,46.0 616.0,114.0"]}  # 0…5 up 182…12 px
    summary = re.sub(r"<[^>]+>|\s+", " ", re.search(r'id="analytics-summary">(.*?)</div>', html, re.S).group(1))
    assert "对话共 7 个：机器人解决 2，转人工 2，中途离开 2，进行中 1。" in summary
    assert "33.3%" in summary and "新工单 3 个；首次响应中位数 20 分钟，解决用时中位数 2.5 小时。" in summary
    assert "满意度（平均分）: 3 分（2 个评分）" in summary
    table = re.search(r'<table id="merchant-times">(.*?)</table>', html, re.S).group(1)
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr data-email[^>]*>(.*?)</tr>", table, re.S)]
    assert rows == [["K Agent", "2", "—", "2.5 小时", "3 分（2 个评分）"], ["L Agent", "0", "20 分钟", "—", "—"]]


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_a_row_per_day_and_per_merchant_of_the_merchants_shop_only(seeded):
    client = seeded.test_client()
    sign_in(client, "k@shop.example", "password-of-k")
    response = client.get("/inbox/analytics.csv?days=3")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.match(r'attachment; filename="analytics-shop_k-\d{8}\.csv"', response.headers["Content-Disposition"])
    assert read_csv(response) == [
        ["日期", "对话", "机器人解决", "转人工", "中途离开", "进行中", "自动化率（%）", "新工单", "首次响应中位数（分钟）",
         "解决用时中位数（小时）", "满意度平均分", "评分数"],
        ["2026-11-16", "2", "1", "0", "1", "0", "50.0", "0", "", "", "", "0"],
        ["2026-11-17", "3", "0", "2", "1", "0", "0.0", "2", "20.0", "2.50", "4.00", "1"],
        ["2026-11-18", "2", "1", "0", "0", "1", "100.0", "1", "", "", "2.00", "1"],
        [],
        ["客服人员", "邮箱", "解决的工单", "首次响应中位数（分钟）", "解决用时中位数（小时）", "满意度平均分", "评分数"],
        ["K Agent", "k@shop.example", "2", "", "2.50", "3.00", "2"],
        ["L Agent", "l@shop.example", "0", "20.0", "", "", "0"],
    ]
    other = seeded.test_client()
    sign_in(other, "x@shop.example", "password-of-x")
    theirs = read_csv(other.get("/inbox/analytics.csv?days=3"))
    assert [row[:2] for row in theirs[1:4]] == [["2026-11-16", "0"], ["2026-11-17", "1"], ["2026-11-18", "0"]]
    assert theirs[6:] == [["X Agent", "x@shop.example", "0", "", "", "", "0"]]
    assert seeded.test_client().get("/inbox/analytics.csv").status_code == 302  # signed in only


def test_an_english_merchant_reads_the_csv_in_english(seeded):
    client = seeded.test_client()
    sign_in(client, "l@shop.example", "password-of-l")
    token = csrf_from(client.get("/inbox/").get_data(as_text=True))
    client.post("/inbox/settings/language", data={"language": "en", "csrf_token": token, "back": "/inbox/"})
    rows = read_csv(client.get("/inbox/analytics.csv?days=3"))
    assert rows[0][:6] == ["Date", "Conversations", "resolved by the bot", "handed to a person", "left unanswered",
                           "in progress"]
    assert rows[5][0] == "Agent"
    html = client.get("/inbox/analytics?days=3").get_data(as_text=True)
    assert "Conversations: 7 — resolved by the bot 2, handed to a person 2, left unanswered 2, in progress 1." in html


def test_chart_geometry_and_durations_in_words():
    assert [nice_top(v) for v in (0, 0.4, 1, 3, 7, 12, 100, 101)] == [1, 0.5, 1, 5, 10, 20, 100, 200]
    chart = line_chart(["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"],
                       [("a", "A", [1.0, None, 3.0, 4.0])])
    [line] = chart["lines"]
    assert chart["top"] == 5 and [p["x"] for p in line["points"]] == [48.0, 426.7, 616.0]
    assert line["segments"] == ["426.7,80.0 616.0,46.0"]  # broken at the day without a value
    assert [number(v) for v in (2.0, 2.5, 0.333, 10.05, 100)] == ["2", "2.5", "0.3", "10.1", "100"]
    assert [duration(m) for m in (None, 0.4, 12.4, 150, 60 * 30, 60 * 72)] == [
        "—", "不到 1 分钟", "12 分钟", "2.5 小时", "30 小时", "3 天"]
