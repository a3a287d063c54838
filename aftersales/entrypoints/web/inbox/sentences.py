"""The inbox's sentences about people and decisions: who did something (an audit line's actor, a
timeline event's actor) and what approving a case will do, in words instead of codes and JSON."""

from __future__ import annotations

from typing import Any

from aftersales.domain.item_changes import variant_from_wish
from aftersales.entrypoints.web.inbox.words import _, label, latin_gap, words, yuan


def audit_action(action: str) -> str:
    """An audit line's action in words; an order event by the state or fact it reports."""
    if action.startswith("order_event_"):
        return _("订单系统上报：{what}", what=label("events", action.removeprefix("order_event_")))
    return label("audit_actions", action)


def audit_actor(value: str) -> str:
    """Who wrote an audit line, in words: a merchant's e-mail, the shopper, the payment channel, the system."""
    kind, _sep, who = (value or "").partition(":")
    if kind == "merchant":
        return who or _("客服")
    if kind == "customer":
        return _("匿名顾客") if who == "anonymous" else _("顾客 {name}", name=who) if who else _("顾客")
    return actor_words({"kind": kind if kind in ("provider", "integration") else "system", "name": who or None})


def what_approval_does(ticket: dict[str, Any], order: dict[str, Any] | None = None) -> str:
    """The case's pending action in a sentence for the merchant (instead of policy codes and JSON); an
    appeal's is the first case's, reviewed a second time."""
    what = _what_it_carries_out(ticket, order)
    if ticket.get("kind") == "appeal":
        return _("第二次审核，处理的是第一次的申请：{what} 申诉再被拒绝时，顾客还会收到店铺之外的投诉途径。",
                 what=what)
    return what


def _what_it_carries_out(ticket: dict[str, Any], order: dict[str, Any] | None) -> str:
    pending = ticket.get("pending_action") or {}
    decision = (ticket.get("context") or {}).get("decision") or {}
    refund = decision.get("refund") or {}
    money = (_("退款 {amount} 原路退回{channel}", amount=yuan(refund["amount"]),
               channel=label("channels", refund.get("channel")))
             if refund.get("amount") else _("不涉及退款"))
    if refund.get("amount") and refund.get("channel") == "balance":
        money = _("退款 {amount} 退到账户余额", amount=yuan(refund["amount"]))
    action = pending.get("action")
    if action == "refund_items":
        ids = set(pending.get("item_ids") or [])
        amount = sum(i["total"] - (i.get("price_protection_amount") or 0) for i in (order or {}).get("items", [])
                     if i["id"] in ids)
        channel = label("channels", pending.get("refund_channel") or (order or {}).get("payment_channel"))
        money = _("退款 {amount} 退回{channel}", amount=yuan(amount), channel=channel)
        if ticket.get("kind") == "logistics_investigation" or (
                ticket.get("kind") == "appeal" and ((ticket.get("context") or {}).get("first") or {}).get(
                    "kind") == "logistics_investigation"):
            return _("同意＝核实包裹确实没有送到顾客手里（丢件、错投）：{money}。"
                     "拒绝＝快递证实已妥投：请在说明里写明签收凭证或放在哪里，会转告顾客。", money=money)
        return _("同意：{money}。拒绝：不退款，顾客会收到您的说明。", money=money)
    if action == "cancel":
        ids = set(pending.get("item_ids") or [])
        active = {i["id"] for i in (order or {}).get("items", []) if not i.get("cancelled")}
        what = _("所选商品") if ids and not (order and active <= ids) else _("整个订单")
        return _("同意：取消{what}，{money}。拒绝：订单照常处理，顾客会收到您的说明。", what=what, money=money)
    if action == "intercept":
        return _("同意＝拦截成功、包裹退回：订单取消，{money}。"
                 "拒绝＝没能拦截：顾客会收到您的说明，可以拒收或签收后退货。", money=money)
    if action == "return" and ticket.get("desired_outcome") == "exchange":
        return _("同意：授权换货（{ref}），顾客寄回后在订单页确认收货，再寄出换货商品并填写运单号。"
                 "拒绝：关闭换货申请，顾客会收到您的说明。", ref=pending.get("return_no"))
    if action == "return":
        return _("同意：授权退货（{ref}），顾客寄回后在订单页验货并退款。拒绝：关闭退货申请，顾客会收到您的说明。",
                 ref=pending.get("return_no"))
    if action == "change_item":
        ids = set(pending.get("item_ids") or [])
        titles = [i["title"] for i in (order or {}).get("items", []) if i["id"] in ids] or [_("所选商品")]
        return _("同意＝有货（同款同价）：订单上的“{items}”改为“{variant}”，请按新规格发货（已发出的订单不能再改）。"
                 "拒绝＝没货或不能改：订单照常按原商品发货，顾客会收到您的说明。",
                 items="、".join(titles), variant=variant_from_wish(pending.get("wish") or ""))
    if ticket.get("kind") in ("refund_failed", "refund_unanswered"):
        return _("退款没有到账：请核对支付渠道后联系顾客；处理完毕后点“同意”关闭工单。")
    return _("同意或拒绝都不改变订单：关闭工单，并把您的说明发给顾客。")


def who_words(actor: dict[str, Any] | None) -> str:
    """Who did it, to open a Chinese sentence ("顾客 Alice 申请…")."""
    return latin_gap(actor_words(actor))


def actor_words(actor: dict[str, Any] | None) -> str:
    """A timeline event's actor (views.actor_of) in words: the shopper, a merchant, a channel, the system."""
    if not actor:
        return _("系统")
    kind, name = actor.get("kind"), actor.get("name")
    if kind == "customer":
        return _("顾客 {name}", name=name) if name else _("顾客")
    if kind == "anonymous":
        return _("匿名顾客")
    if kind == "someone":
        return _("他人")
    if kind == "merchant":
        return str(name) if name else _("客服")
    if kind == "provider":
        channel = words("channels", name)
        return _("支付渠道{channel}", channel=channel) if channel else _("支付渠道")
    if kind == "integration":
        return _("店铺的订单系统")
    return _("退款系统") if name == "payments" else _("系统")

