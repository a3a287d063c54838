"""The case list: queues, filters, search and paging, the live counts, and bulk actions."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request

from aftersales.entrypoints.web.inbox.blueprint import back_to_list, inbox, login_required
from aftersales.entrypoints.web.inbox.words import _, joined, label
from aftersales.entrypoints.web.services import services
from aftersales.service.errors import ServiceError
from aftersales.service.inbox import BULK_STATUSES, OPEN_STATUSES, QUEUES, NotYours

PAGE_SIZE = 50


@inbox.get("/")
@login_required
def cases():
    queue = request.args.get("queue") or None
    status = request.args.get("status") or "open"
    if queue is not None and queue not in QUEUES:
        abort(404)
    if status not in ("open", "all", "resolved", *OPEN_STATUSES):
        abort(404)
    search = (request.args.get("q") or "").strip()[:64] or None
    page = max(int(request.args["page"]) if (request.args.get("page") or "").isdigit() else 1, 1)
    # 平台介入: the cases marked for the platform too (complaints about the shop), across the queues.
    platform = request.args.get("platform") == "1"
    inbox_service = services().inbox
    total = inbox_service.count_cases(g.shop_ids, queue, status, search, platform)
    teammates = services().merchant_accounts.teammates(g.shop_ids)
    rows = inbox_service.cases(g.shop_ids, queue, status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                               search=search, platform=platform)
    return render_template("inbox/cases.html", rows=rows, counts=inbox_service.queue_counts(g.shop_ids), queue=queue,
                           platform=platform, platform_count=inbox_service.count_cases(g.shop_ids, None, status,
                                                                                       platform=True),
                           status=status, q=search or "", page=page, pages=max(-(-total // PAGE_SIZE), 1),
                           total=total, teammates=teammates, bulk_statuses=BULK_STATUSES,
                           names={m["email"]: m["display_name"] for m in teammates})


# Why a case was left out of a bulk change (said with _ when shown).
BULK_SKIPPED = {"resolved": "已处理完毕", "assignee_not_in_shop": "负责人不负责这个店铺"}


@inbox.post("/cases/bulk")
@login_required
def bulk():
    """Several cases at once: assign them (to me, to a colleague of their shop, to nobody) or set
    their status, in one transaction. Without JavaScript too: "select all on this page" is a field
    of its own, sent with the page's case numbers. Nothing is decided, resolved or refunded here."""
    back = back_to_list(request.form.get("back", ""))
    chosen = request.form.getlist("ticket_no")
    if request.form.get("all_on_page"):
        chosen += request.form.getlist("page_ticket_no")
    if not any(n.strip() for n in chosen):
        flash(_("没有执行：请先勾选要处理的工单。"), "error")
        return redirect(back)
    action = request.form.get("action", "")
    inbox_service = services().inbox
    try:
        if action in ("assign_me", "assign"):
            value = "me" if action == "assign_me" else request.form.get("assignee", "")
            if value != "me" and value != "none" and not value.isdigit():
                abort(400)
            assignee_id = g.merchant["id"] if value == "me" else None if value == "none" else int(value)
            result = inbox_service.bulk_assign(chosen, g.shop_ids, assignee_id, g.actor)
            assignee = result["assignee"]
            done = _("分配给{name}", name=assignee["display_name"]) if assignee else _("取消负责人")
        elif action == "status":
            status = request.form.get("status", "")
            if status not in BULK_STATUSES:
                abort(400)
            result = inbox_service.bulk_set_status(chosen, g.shop_ids, status, g.actor)
            done = _("状态改为「{status}」", status=label("ticket_status", status))
        else:
            abort(400)
    except NotYours as exc:
        flash(_("没有执行，所有勾选的工单都没有改动：{refs} 没有找到，或不属于您的店铺。", refs=joined(exc.ticket_nos)),
              "error")
        return redirect(back)
    except ServiceError as exc:
        flash(_("没有执行：{why}", why=exc), "error")
        return redirect(back)
    if result["updated"]:
        flash(_("已将 {count} 个工单{done}：{refs}。", count=len(result["updated"]), done=done,
                refs=joined(result["updated"])), "ok")
    if result["unchanged"]:
        flash(_("{count} 个工单本来就是这样，没有改动：{refs}。", count=len(result["unchanged"]),
                refs=joined(result["unchanged"])), "ok")
    for ticket_no, why in result["skipped"].items():
        flash(_("跳过 {ref}：{why}。", ref=ticket_no, why=_(BULK_SKIPPED.get(why, "不能批量修改"))), "warn")
    return redirect(back)


@inbox.get("/counts")
@login_required
def counts():
    return jsonify(services().inbox.live_counts(g.shop_ids))
