"""The shop's settings a merchant keeps: the webhook that announces new urgent cases (its address,
its signing secret, its recent calls; service.webhooks)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from aftersales.entrypoints.web.inbox.blueprint import inbox, login_required
from aftersales.entrypoints.web.inbox.words import _
from aftersales.entrypoints.web.services import services
from aftersales.service.errors import NotFound, ServiceError
from aftersales.service.webhooks import SIGNATURE_HEADER


@inbox.get("/settings")
@login_required
def settings():
    return render_template("inbox/settings.html", shops=services().webhooks.shops(g.shop_ids),
                           signature_header=SIGNATURE_HEADER)


@inbox.post("/settings/webhook")
@login_required
def set_webhook():
    shop_id = request.form.get("shop_id", "")
    remove = request.form.get("remove") == "1"
    try:
        services().webhooks.set(shop_id, None if remove else request.form.get("url", ""), g.shop_ids, g.actor,
                                new_secret=request.form.get("new_secret") == "1")
    except NotFound:
        raise
    except ServiceError as exc:
        flash(_("没有保存：{why}", why=exc), "error")
        return redirect(url_for("inbox.settings"))
    flash(_("已删除紧急工单的通知地址。") if remove else _("已保存紧急工单的通知地址。"), "ok")
    return redirect(url_for("inbox.settings"))
