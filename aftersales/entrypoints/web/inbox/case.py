"""A case: its page with the whole conversation, and what a merchant does with it — assign, status,
reply, hand back to the bot, approve or reject."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import abort, g, render_template, request, url_for

from aftersales.adapters.rasa_api import RasaUnavailable
from aftersales.entrypoints.web.inbox.blueprint import act, inbox, login_required
from aftersales.entrypoints.web.inbox.words import _
from aftersales.entrypoints.web.services import services

log = logging.getLogger(__name__)


@inbox.get("/cases/<ticket_no>")
@login_required
def case(ticket_no: str):
    detail = services().inbox.case(ticket_no, g.shop_ids)
    transcript, live = transcript_of(detail["ticket"])
    names = {m["email"]: m["display_name"] for m in services().merchant_accounts.teammates(g.shop_ids)}
    assignee = detail["ticket"]["assignee"]
    return render_template("inbox/case.html", case=detail, transcript=transcript, live_transcript=live,
                           assignee_name=names.get(assignee, assignee) if assignee else None)


def transcript_of(ticket: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The whole conversation from Rasa's tracker; the copy saved with the case when Rasa is away."""
    conversation = ticket.get("conversation_id")
    if conversation:
        try:
            events = services().conversations.tracker(conversation).get("events", [])
            lines = []
            for event in events:
                if event.get("event") in ("user", "bot") and event.get("text"):
                    sender = (event.get("metadata") or {}).get("from") if event["event"] == "bot" else "shopper"
                    lines.append({"from": sender or "bot", "text": event["text"],
                                  "at": datetime.fromtimestamp(event["timestamp"], UTC).isoformat()})
            return lines, True
        except RasaUnavailable as exc:
            log.warning("transcript of %s from Rasa failed: %s", conversation, exc)
    return list((ticket.get("context") or {}).get("transcript") or []), False


def case_page(ticket_no: str) -> str:
    return url_for("inbox.case", ticket_no=ticket_no)


@inbox.post("/cases/<ticket_no>/assign")
@login_required
def assign(ticket_no: str):
    assignee = g.merchant["email"] if request.form.get("assignee") == "me" else None
    return act(case_page(ticket_no), services().inbox.assign, _("已更新负责人。"), ticket_no, g.shop_ids, assignee,
               g.actor)


@inbox.post("/cases/<ticket_no>/status")
@login_required
def set_status(ticket_no: str):
    return act(case_page(ticket_no), services().inbox.set_status, _("已更新状态。"), ticket_no, g.shop_ids,
               request.form.get("status", ""), g.actor)


@inbox.post("/cases/<ticket_no>/reply")
@login_required
def reply(ticket_no: str):
    return act(case_page(ticket_no), services().inbox.reply, _("回复已保存。"), ticket_no, g.shop_ids,
               request.form.get("text", ""), g.actor, g.merchant["display_name"])


@inbox.post("/cases/<ticket_no>/hand-back")
@login_required
def hand_back(ticket_no: str):
    return act(case_page(ticket_no), services().inbox.hand_back, _("对话已交还机器人。"), ticket_no, g.shop_ids,
               g.actor)


@inbox.post("/cases/<ticket_no>/decision")
@login_required
def decide(ticket_no: str):
    choice = request.form.get("decision")
    if choice not in ("approve", "reject"):
        abort(400)
    done = _("已同意并执行。") if choice == "approve" else _("已拒绝。")
    return act(case_page(ticket_no), services().merchant_operations.decide_ticket, done, ticket_no, choice == "approve",
               request.form.get("note", ""), g.actor, g.shop_ids)
