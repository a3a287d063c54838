"""An order: its page and timeline in words, the merchant's cancellation, a return's inspection and
an exchange's replacement."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from aftersales.domain.money import parse_amount
from aftersales.entrypoints.web.inbox.blueprint import act, back_to_page, inbox, login_required
from aftersales.entrypoints.web.inbox.timeline import timeline_sentence
from aftersales.entrypoints.web.inbox.words import _
from aftersales.entrypoints.web.services import services


@inbox.get("/orders")
@login_required
def find_order():
    order_no = (request.args.get("order_no") or "").strip()
    if not order_no:
        return redirect(url_for("inbox.cases"))
    return redirect(url_for("inbox.order", order_no=order_no))


@inbox.get("/orders/<order_no>")
@login_required
def order(order_no: str):
    inbox_service = services().inbox
    detail = inbox_service.order(order_no, g.shop_ids)
    timeline = [{**event, "text": timeline_sentence(event)}
                for event in services().inbox_reports.order_timeline(detail["order_no"], g.shop_ids)]
    return render_template("inbox/order.html", order=detail, timeline=timeline)


@inbox.post("/orders/<order_no>/cancel")
@login_required
def cancel_order(order_no: str):
    return act(url_for("inbox.order", order_no=order_no), services().merchant_operations.merchant_cancel,
               _("订单已取消，退款已原路发起。"), order_no, request.form.get("reason", ""), g.actor, g.shop_ids)


@inbox.post("/orders/<order_no>/returns/<return_no>/received")
@login_required
def receive_return(order_no: str, return_no: str):
    """The inspection: refund in full, refund less a deduction, or refuse — with the reason."""
    back = url_for("inbox.order", order_no=order_no)
    outcome = request.form.get("outcome", "full")
    try:
        deduction = parse_amount(request.form.get("deduction") or "0") if outcome == "partial" else 0
    except ValueError:
        flash(_("没有执行：扣款金额应写成 12.50 这样的数字"), "error")
        return redirect(back)

    def done(result: dict[str, Any]) -> str:
        if result["return"]["outcome"] == "exchange":
            return (_("已拒绝换货，并已在对话中告知顾客原因。") if outcome == "reject"
                    else _("已确认收到退回的商品，请寄出换货商品。"))
        return (_("已拒绝退款，并已在对话中告知顾客原因。") if outcome == "reject"
                else _("已确认收到退货，退款已发起，并已在对话中通知顾客。"))

    return act(back, services().merchant_operations.receive_return, done, return_no, g.actor, g.shop_ids,
               deduction=deduction, note=request.form.get("note", ""), accept=outcome != "reject")


@inbox.post("/orders/<order_no>/returns/<return_no>/replacement")
@login_required
def ship_replacement(order_no: str, return_no: str):
    """An exchange whose goods are back: the replacement goes out with its carrier and tracking
    number, and the shopper's chat is told. Sent twice with the same parcel: nothing changes."""
    back = back_to_page(request.form.get("back", ""), url_for("inbox.order", order_no=order_no))

    def done(result: dict[str, Any]) -> str:
        if result["status"] == "already_shipped":
            return _("这件换货商品已经寄出过（同一运单），没有改动，也没有再通知顾客。")
        return _("已记录换货商品寄出（快递公司和运单号）。")

    return act(back, services().merchant_operations.ship_replacement, done, return_no, request.form.get("carrier", ""),
               request.form.get("tracking_no", ""), g.actor, g.shop_ids, order_no=order_no)

