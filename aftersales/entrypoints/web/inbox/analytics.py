"""Analytics: a shop's figures over the last days — per day as line charts, per merchant as a table,
the breakdowns below — and the same per day and per merchant as a CSV file (UTF-8 with a BOM, so
Excel reads the Chinese right), for the signed-in merchant's shops only."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, g, render_template, request

from aftersales.entrypoints.web.inbox.blueprint import inbox, login_required
from aftersales.entrypoints.web.inbox.charts import duration, line_chart, number
from aftersales.entrypoints.web.inbox.words import _, label
from aftersales.entrypoints.web.services import services
from aftersales.service.base import utcnow

OUTCOMES = ("bot_resolved", "handed_off", "abandoned")


def _days() -> int:
    days = request.args.get("days", "30")
    return int(days) if days.isdigit() and 0 < int(days) <= 365 else 30


def charts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    dates, daily = report["dates"], report["daily"]

    def column(name: str, scale: float = 1.0) -> list[float | None]:
        return [None if d[name] is None else d[name] * scale for d in daily]

    return {
        "conversations": line_chart(dates, [(o, label("conversation_outcomes", o), column(o))
                                            for o in (*OUTCOMES, "in_progress")]),
        "automation": line_chart(dates, [("automation_rate", _("自动化率"), column("automation_rate", 100))],
                                 top=100),
        "times": line_chart(dates, [
            ("first_response", _("首次响应（中位数）"), column("first_response_minutes", 1 / 60)),
            ("resolution", _("解决用时（中位数）"), column("resolution_hours"))]),
        "satisfaction": line_chart(dates, [("satisfaction", _("满意度"), column("satisfaction"))], top=5),
    }


@inbox.get("/analytics")
@login_required
def analytics():
    days = _days()
    report = services().analytics.report(g.shop_ids, days)
    return render_template("inbox/analytics.html", report=report, charts=charts(report), duration=duration,
                           number=number, figures=services().inbox_reports.analytics(g.shop_ids, days))


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _cell(text: str) -> str:
    """A name as a spreadsheet shows it, never as a formula it runs."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(report: dict[str, Any]) -> list[list[str]]:
    """Per day, then (after an empty line) per merchant, each with its header."""
    rows = [[_("日期"), _("对话"), label("conversation_outcomes", "bot_resolved"),
             label("conversation_outcomes", "handed_off"), label("conversation_outcomes", "abandoned"),
             label("conversation_outcomes", "in_progress"), _("自动化率（%）"), _("新工单"),
             _("首次响应中位数（分钟）"), _("解决用时中位数（小时）"), _("满意度平均分"), _("评分数")]]
    for d in report["daily"]:
        rate = None if d["automation_rate"] is None else d["automation_rate"] * 100
        rows.append([d["date"], str(d["conversations"]), *(str(d[o]) for o in (*OUTCOMES, "in_progress")),
                     _number(rate), str(d["cases"]), _number(d["first_response_minutes"]),
                     _number(d["resolution_hours"], 2), _number(d["satisfaction"], 2), str(d["ratings"])])
    rows += [[], [_("客服人员"), _("邮箱"), _("解决的工单"), _("首次响应中位数（分钟）"), _("解决用时中位数（小时）"),
                  _("满意度平均分"), _("评分数")]]
    for m in report["merchants"]:
        rows.append([_cell(m["name"]), _cell(m["email"]), str(m["handled"]), _number(m["first_response_minutes"]),
                     _number(m["resolution_hours"], 2), _number(m["satisfaction"], 2), str(m["ratings"])])
    return rows


@inbox.get("/analytics.csv")
@login_required
def analytics_csv():
    report = services().analytics.report(g.shop_ids, _days())
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\r\n").writerows(csv_rows(report))
    name = f"analytics-{'-'.join(sorted(g.shop_ids))}-{utcnow():%Y%m%d}.csv"
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
