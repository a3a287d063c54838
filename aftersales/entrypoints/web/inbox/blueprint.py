"""The inbox blueprint and what its pages share: the template filters and names, sign-in required,
the not-found page, and running an operation from a form (act) with the shopper told at once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from aftersales.entrypoints.web.inbox.sentences import audit_action, audit_actor, what_approval_does
from aftersales.entrypoints.web.inbox.words import _, label, language, local_time, yuan
from aftersales.entrypoints.web.services import services
from aftersales.service.errors import NotFound, ServiceError
from aftersales.service.inbox import OPEN_STATUSES, QUEUES
from aftersales.service.merchant_operations import MERCHANT_CANCEL_REASONS

log = logging.getLogger(__name__)
inbox = Blueprint("inbox", __name__, url_prefix="/inbox")
inbox.add_app_template_filter(local_time, "local_time")
inbox.add_app_template_filter(yuan, "yuan")


@inbox.app_context_processor
def template_names() -> dict[str, Any]:
    return {"queues": QUEUES, "open_statuses": OPEN_STATUSES, "merchant_cancel_reasons": MERCHANT_CANCEL_REASONS,
            "label": label, "what_approval_does": what_approval_does, "audit_action": audit_action,
            "audit_actor": audit_actor, "_": _, "inbox_language": language()}


def login_required(view):
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        merchant_id = session.get("merchant_id")
        merchant = services().merchant_accounts.merchant(merchant_id) if merchant_id else None
        if merchant is None:
            session.clear()
            return redirect(url_for("inbox.login", next=request.path))
        g.merchant = merchant
        g.shop_ids = set(merchant["shop_ids"])
        g.actor = f"merchant:{merchant['email']}"
        g.language = merchant.get("language") or "zh"
        return view(*args, **kwargs)

    return wrapped


@inbox.errorhandler(NotFound)
def not_found(exc: NotFound):
    return render_template("inbox/error.html", message=_("没有找到，或不属于您的店铺。")), 404


def back_to_list(target: str) -> str:
    """The queue page the bulk form came from (filters, search and page kept); nowhere else."""
    if target.startswith("/inbox/") and not target.startswith("/inbox//") and "\\" not in target:
        return target
    return url_for("inbox.cases")


def back_to_page(target: str, fallback: str) -> str:
    """The inbox page a form came from (an order or a case page); nowhere else."""
    return target if target.startswith("/inbox/") and back_to_list(target) == target else fallback


def act(back_to: str, operation, success: str | Callable[[dict[str, Any]], str], *args: Any, **kwargs: Any):
    """Run an inbox operation, tell the merchant how it went, deliver the shopper's notification,
    and go back to the page it came from. NotFound (another shop's id included) stays a 404.
    ``success``: the message, or what makes it from the operation's result."""
    try:
        result = operation(*args, **kwargs)
    except NotFound:
        raise
    except ServiceError as exc:
        flash(_("没有执行：{why}", why=exc), "error")
        return redirect(back_to)
    flash(success if isinstance(success, str) else success(result), "ok")
    if result.get("notification_id"):
        deliver(result["notification_id"])
    return redirect(back_to)


def deliver(notification_id: int) -> None:
    """Send the shopper's message now; if the bot is unreachable the worker retries it."""
    try:
        report = services().dispatcher.dispatch(only=[notification_id])
    except Exception:  # noqa: BLE001 - the decision stands; delivery is retried by the worker
        log.exception("delivering notification %s failed", notification_id)
        report = None
    if report is not None and notification_id in report.sent:
        flash(_("已在对话中通知顾客。"), "ok")
    else:
        flash(_("顾客通知已排队，机器人恢复后自动发送。"), "warn")
