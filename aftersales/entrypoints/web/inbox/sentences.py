"""The inbox's sentences about people and decisions: who did something (an audit line's actor, a
timeline event's actor) and what approving a case will do, in words instead of codes and JSON."""

from __future__ import annotations

from typing import Any

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


def what_approval_does(ticket: dict[str, Any]) -> str:
    """The case's pending action in a sentence for the merchant (instead of policy codes and JSON)."""
    pending = ticket.get("pending_action") or {}
    decision = (ticket.get("context") or {}).get("decision") or {}
    refund = decision.get("refund") or {}
    money = (_("退款 {amount} 原路退回{channel}", amount=yuan(refund["amount"]),
               channel=label("channels", refund.get("channel")))
             if refund.get("amount") else _("不涉及退款"))
    action = pending.get("action")
    if action == "cancel":
        what = _("所选商品") if pending.get("item_ids") else _("整个订单")
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

