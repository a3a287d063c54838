"""Analytics: a shop's figures over the last days."""

from __future__ import annotations

from flask import g, render_template, request

from aftersales.entrypoints.web.inbox.blueprint import inbox, login_required
from aftersales.entrypoints.web.services import services


@inbox.get("/analytics")
@login_required
def analytics():
    days = request.args.get("days", "30")
    days_value = int(days) if days.isdigit() and 0 < int(days) <= 365 else 30
    return render_template("inbox/analytics.html", figures=services().inbox_reports.analytics(g.shop_ids, days_value))
