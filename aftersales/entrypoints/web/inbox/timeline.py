"""An order's timeline in words (InboxService.order_timeline, one sentence per event): no codes,
no JSON, in the merchant's language."""

from __future__ import annotations

from typing import Any

from aftersales.entrypoints.web.inbox.sentences import who_words
from aftersales.entrypoints.web.inbox.words import _, joined, language, latin_gap, local_time, words, yuan


def _fact_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What an order update or order event changed (views.order_facts), clause by clause."""
    changed = [key for key in after if after.get(key) != before.get(key)]
    clauses = []
    for key in changed:
        value = after.get(key)
        if key == "state":
            old = words("states", before.get("state"))
            new = words("states", value) or _("新状态")
            clauses.append(_("状态由「{old}」变为「{new}」", old=old, new=new) if old
                           else _("状态变为「{new}」", new=new))
        elif key == "payment_channel":
            clauses.append(_("支付方式为{channel}", channel=words("channels", value) or _("其他方式")))
        elif key == "carrier" and value:
            clauses.append(_("快递公司为{carrier}", carrier=value))
        elif key == "tracking_no" and value:
            clauses.append(_("运单号为 {tracking_no}", tracking_no=value))
        elif key == "ship_to":
            clauses.append(_("收货地址已更新"))
        elif key == "fulfillment_locked":
            clauses.append(_("商品已出库锁单") if value else _("出库锁单已解除"))
        elif key == "distance_to_destination_km" and value is not None:
            clauses.append(_("包裹距收货地约 {km} 公里", km=f"{value:g}"))
    return clauses


def _with(sentence: str, *parts: str | None) -> str:
    """A sentence and its clauses, each joined by a comma, closed by a full stop."""
    comma, stop = (", ", ".") if language() == "en" else ("，", "。")
    return comma.join([sentence, *(p for p in parts if p)]) + stop


def _note(text: Any) -> str | None:
    text = str(text or "").strip()
    return _("说明：{note}", note=text[:200]) if text else None


def timeline_sentence(event: dict[str, Any]) -> str:
    """One line of InboxService.order_timeline as a sentence in words: no codes, no JSON."""
    action, ref, data = event["action"], event.get("ref") or "", event.get("data") or {}
    if event["type"] == "milestone":
        if action == "paid":
            return _with(_("顾客付款"), _("支付方式为{channel}", channel=words("channels", data.get("channel"))
                                           or _("其他方式")))
        if action == "shipped":
            shipment = " ".join(str(x) for x in (data.get("carrier"), data.get("tracking_no")) if x)
            return _with(_("商家发货"), _("快递 {parcel}", parcel=shipment) if shipment else None)
        return _with(words("milestones", action) or _("订单有了新进展"))
    if event["type"] == "notification":
        what = words("notification_kinds", action) or _("一条消息")
        status = words("notification_status", data.get("status")) or _("状态未知")
        return _with(_("在对话中告诉顾客{what}（{ref}）", what=what, ref=ref) if ref
                     else _("在对话中告诉顾客{what}", what=what), status)
    who = who_words(event.get("actor"))
    before, after = data.get("before") or {}, data.get("after") or {}
    ticket = data.get("ticket") or {}
    kind = words("ticket_kinds", ticket.get("kind")) or _("售后")
    if ticket.get("kind") == "return" and ticket.get("desired_outcome") == "exchange":
        kind = words("outcomes", "exchange") or kind
    if action == "order_imported":
        return _with(_("订单同步到售后系统"), _("当时状态为「{state}」", state=words("states", after.get("state"))
                                                    or _("未知")))
    if action == "order_updated" or action.startswith("order_event_"):
        what = (_("{who}上报{what}", who=who, what=words("events", action.removeprefix("order_event_"))
                  or _("订单变化"))
                if action.startswith("order_event_") else _("{who}更新了订单信息", who=who))
        return _with(what, *_fact_changes(before, after))
    if action == "order_cancelled":
        reason = words("reasons", data.get("cancel_reason"))
        return _with(_("{who}取消了整个订单", who=who), _("原因：{reason}", reason=reason) if reason else None)
    if action == "items_cancelled":
        items = joined(data.get("items") or [])
        return _with(_("{who}取消了部分商品", who=who), items or None)
    if action.startswith("order_") and words("states", action.removeprefix("order_")):
        return _with(_("{who}把订单状态改为「{state}」", who=who, state=words("states", action.removeprefix("order_"))))
    if action.startswith("refund_"):
        amount, channel = yuan(after.get("amount")), words("channels", after.get("channel")) or _("原支付渠道")
        if action == "refund_issued":
            source = words("refund_sources", after.get("source"))
            latest = local_time(after.get("expected_latest"))
            return _with(_("发起退款 {ref}", ref=ref), _("因为{source}", source=source) if source else None,
                         _("{amount} 原路退回{channel}", amount=amount, channel=channel),
                         _("预计 {latest} 前到账", latest=latest) if latest else None)
        if action == "refund_submitted":
            return _with(_("退款 {ref} 已提交给{channel}", ref=ref, channel=channel), _("等待到账"))
        if action == "refund_succeeded":
            return _with(_("退款 {ref} 已到账", ref=ref), _("{amount} 已退回{channel}", amount=amount, channel=channel))
        if action == "refund_failed":
            return _with(_("退款 {ref} 没有成功", ref=ref),
                         _("{amount} 未能退回{channel}", amount=amount, channel=channel), _("已转为退款异常工单"))
    if action == "ticket_opened":
        reason = words("reasons", ticket.get("reason"))
        outcome = words("outcomes", ticket.get("desired_outcome"))
        return _with(_("{who}提交了{kind}工单 {ref}", who=who, kind=kind, ref=ref),
                     _("原因：{reason}", reason=reason) if reason else None,
                     _("希望：{outcome}", outcome=outcome) if outcome else None)
    bulk = _("（批量操作）") if after.get("via") == "bulk" else ""
    if action == "ticket_assigned":
        name = data.get("assignee_name")
        if name:
            own = name == (event.get("actor") or {}).get("name")
            whom = _("自己") if own else latin_gap(name, before=True, after=False)
            return _with(_("{who}把{kind}工单 {ref} 分配给{whom}{bulk}", who=who, kind=kind, ref=ref, whom=whom,
                           bulk=bulk))
        return _with(_("{who}取消了{kind}工单 {ref} 的负责人{bulk}", who=who, kind=kind, ref=ref, bulk=bulk))
    if action == "ticket_status_changed":
        status = words("ticket_status", after.get("status")) or _("新状态")
        return _with(_("{who}把{kind}工单 {ref} 的状态改为「{status}」{bulk}", who=who, kind=kind, ref=ref,
                       status=status, bulk=bulk))
    if action == "ticket_replied":
        reply = str(after.get("reply") or "").strip()
        return _with(_("{who}在对话中回复顾客", who=who), _("「{reply}」", reply=reply[:200]) if reply else None)
    if action in ("ticket_approved", "ticket_rejected", "ticket_answered"):
        verb = {"ticket_approved": _("{who}同意了{kind}工单 {ref}"),
                "ticket_rejected": _("{who}拒绝了{kind}工单 {ref}"),
                "ticket_answered": _("{who}答复了{kind}工单 {ref}")}[action]
        return _with(verb.format(who=who, kind=kind, ref=ref), _note(after.get("resolution_note")))
    if action == "conversation_handed_back":
        return _with(_("{who}把对话交还机器人", who=who), _("工单 {ref}", ref=ref))
    if action == "interception_requested":
        rate = after.get("success_rate")
        return _with(_("{who}申请拦截快递 {ref}", who=who, ref=ref), words("stages", after.get("stage")),
                     _("历史成功率约 {rate}%", rate=round(rate * 100)) if isinstance(rate, int | float) else None)
    if action in ("interception_succeeded", "interception_failed"):
        result = (_("{who}确认快递 {ref} 拦截成功") if action == "interception_succeeded"
                  else _("{who}确认快递 {ref} 没能拦截"))
        return _with(result.format(who=who, ref=ref), _note(after.get("outcome_note")))
    if action == "return_requested":
        payer = words("parties", after.get("shipping_payer"))
        exchange = after.get("outcome") == "exchange"
        wish = str(after.get("exchange_wish") or "").strip()
        replacement = words("parties", after.get("replacement_shipping_payer")) if exchange else None
        return _with(_("{who}申请{what} {ref}", who=who, what=words("outcomes", after.get("outcome")) or _("售后"),
                       ref=ref),
                     _("想换成「{wish}」", wish=wish[:200]) if exchange and wish else None,
                     words("return_methods", after.get("method")),
                     _("寄回运费由{payer}承担", payer=payer) if payer else None,
                     _("换货寄出运费由{payer}承担", payer=replacement) if replacement else None)
    if action == "replacement_shipped":
        parcel = " ".join(str(x) for x in (after.get("replacement_carrier"), after.get("replacement_tracking_no")) if x)
        wish = str(after.get("exchange_wish") or "").strip()
        return _with(_("{who}寄出换货商品（{ref}）", who=who, ref=ref),
                     _("快递 {parcel}", parcel=parcel) if parcel else None,
                     _("换成「{wish}」", wish=wish[:200]) if wish else None)
    if action == "return_parcel_sent":
        number, carrier = str(after.get("return_tracking_no") or ""), after.get("return_carrier")
        sent = (f"{carrier} {number}" if carrier
                else _("运单号 {tracking_no}（快递公司未说明）", tracking_no=number))
        return _with(_("{who}寄回了商品（{ref}）", who=who, ref=ref), _("快递 {parcel}", parcel=sent))
    if action == "case_rated":
        return _with(_("{who}为{kind}工单 {ref} 打了 {score} 分（满分 5 分）", who=who, kind=kind, ref=ref,
                       score=after.get("score")))
    if action == "ticket_withdrawn":
        return _with(_("{who}撤回了{kind}工单 {ref}", who=who, kind=kind, ref=ref), _("工单已关闭，无需处理"))
    if action == "return_withdrawn":
        what = words("outcomes", after.get("outcome")) or _("售后")
        return _with(_("{who}撤回了{what}申请 {ref}", who=who, what=what, ref=ref), _("不再需要寄回"))
    if action == "interception_withdrawn":
        return _with(_("{who}撤回了拦截快递的申请 {ref}", who=who, ref=ref), _("包裹照常派送"))
    if action == "price_protection_refunded":
        lines = [item for item in (after.get("items") or []) if isinstance(item, dict)]
        titles = joined([str(item.get("title")) for item in lines if item.get("title")])
        total = sum(int(item.get("difference") or 0) for item in lines)
        refund = after.get("refund_no")
        return _with(_("{who}申请价保", who=who), _("{titles}降价", titles=titles) if titles else None,
                     _("退差价 {amount}", amount=yuan(total)) if total else None,
                     _("退款单 {ref}", ref=refund) if refund else None)
    if action in ("return_authorized", "return_rejected", "return_refunded"):
        verb = {"return_authorized": _("{who}同意了退货 {ref}"), "return_rejected": _("{who}拒绝了退货 {ref}"),
                "return_refunded": _("{who}同意了售后并退款 {ref}")}[action]
        return _with(verb.format(who=who, ref=ref), _("等待顾客寄回") if action == "return_authorized" else None,
                     _note(after.get("decision_note")))
    if action == "return_received":
        inspected = {"refunded": _("验货通过，已发起退款"), "rejected": _("验货后不退款"),
                     "received": _("换货商品待寄出")}.get(str(after.get("status")))
        return _with(_("{who}确认收到退货 {ref}", who=who, ref=ref), inspected, _note(after.get("decision_note")))
    if action == "item_changed":
        earlier = before.get("variants") or {}
        now_as = [str(v) for k, v in (after.get("variants") or {}).items() if earlier.get(k) != v]
        return _with(_("{who}确认有货，改了商品的尺码/颜色", who=who),
                     _("改为“{variant}”", variant=joined(now_as)) if now_as else None)
    if action == "attempts_locked":
        until = local_time(after.get("locked_until"))
        return _with(_("核对这个订单失败的次数过多"),
                     _("查询已暂时锁定到 {until}", until=until) if until else _("查询已暂时锁定"))
    known = words("audit_actions", action)
    return _with(_("{who}：{what}", who=who, what=known) if known else _("{who}记录了一项操作", who=who), ref or None)

