"""Signing in and out, and the merchant's inbox language (kept with the merchant, not the browser)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from aftersales.entrypoints.web.inbox.blueprint import back_to_page, inbox, login_required
from aftersales.entrypoints.web.inbox.words import _
from aftersales.entrypoints.web.services import services
from aftersales.service.merchant_accounts import LANGUAGES


@inbox.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        merchant = services().merchant_accounts.authenticate(request.form.get("email", ""),
                                                             request.form.get("password", ""))
        if merchant is None:
            return render_template("inbox/login.html",
                                   error=_("邮箱或密码不正确（连续输错 5 次会锁定 15 分钟）。")), 401
        session.clear()  # a fresh session at sign-in: no fixation
        session["merchant_id"] = merchant["id"]
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/inbox") else url_for("inbox.cases"))
    return render_template("inbox/login.html", error=None)


@inbox.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("inbox.login"))


@inbox.post("/settings/language")
@login_required
def set_language():
    """The merchant's inbox language (Chinese or English), kept with the merchant, not the browser."""
    choice = request.form.get("language", "")
    if choice not in LANGUAGES:
        abort(400)
    services().merchant_accounts.set_language(g.merchant["id"], choice)
    g.language = choice
    flash(_("界面语言已切换为中文。") if choice == "zh" else _("界面语言已切换为英文。"), "ok")
    return redirect(back_to_page(request.form.get("back", ""), url_for("inbox.cases")))
