"""The merchant inbox (HTML): sign-in, queues, a case with its conversation, replies, decisions,
merchant cancellations, analytics. Forms carry Flask-WTF's CSRF token; Jinja escapes everything."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any

import yaml
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from aftersales.adapters.rasa_api import RasaUnavailable
from aftersales.domain.money import parse_amount
from aftersales.entrypoints.web.app import services
from aftersales.entrypoints.web.inbox_en import EXTRA_LABELS_EN, UI_EN
from aftersales.service.after_sales import MERCHANT_CANCEL_REASONS
from aftersales.service.base import PLATFORM_TZ
from aftersales.service.errors import NotFound, ServiceError
from aftersales.service.inbox import BULK_STATUSES, LANGUAGES, OPEN_STATUSES, QUEUES, NotYours

log = logging.getLogger(__name__)
PAGE_SIZE = 50
inbox = Blueprint("inbox", __name__, url_prefix="/inbox")
WORDS_FILE = Path(__file__).resolve().parents[3] / "actions" / "texts" / "zh.yml"
# Words only the merchant's side needs.
EXTRA_LABELS = {
    "priority": {"urgent": "紧急", "high": "高", "normal": "普通", "low": "低"},
    "resolution": {"approved": "已同意", "rejected": "已拒绝", "answered": "已答复", "withdrawn": "顾客已撤回"},
    "ticket_status": {"waiting_on_customer": "等待顾客回复"},
    "refund_status": {"failed": "退款失败"},
    "events": {"paid": "已付款", "shipped": "已发货", "in_transit": "运输中", "out_for_delivery": "派送中",
               "delivered": "已签收", "completed": "已完成", "card_key_sent": "卡密已发送", "redeemed": "已核销",
               "stock_locked": "已出库锁单", "price_changed": "价格变动", "return_received": "退货已到仓",
               "replacement_shipped": "换货已寄出"},
    "audit_actions": {
        "order_imported": "订单导入", "order_updated": "订单信息更新", "order_cancelled": "订单取消",
        "order_paid": "已付款", "order_shipped": "已发货", "order_in_transit": "运输中",
        "order_out_for_delivery": "派送中", "order_delivered": "已签收", "order_redeemed": "已核销",
        "order_completed": "已完成",
        "refund_issued": "发起退款", "refund_submitted": "退款已提交支付渠道", "refund_succeeded": "退款到账",
        "refund_failed": "退款失败", "ticket_opened": "新建工单", "ticket_replied": "回复顾客",
        "ticket_assigned": "指派负责人", "ticket_status_changed": "更改状态", "ticket_approved": "同意",
        "ticket_rejected": "拒绝", "ticket_answered": "已答复", "conversation_handed_back": "交回机器人",
        "interception_requested": "申请拦截", "interception_succeeded": "拦截成功", "interception_failed": "拦截失败",
        "return_requested": "申请退货", "return_authorized": "同意退货", "return_rejected": "拒绝退货",
        "return_refunded": "退货已退款", "return_received": "收到退货",
        "attempts_locked": "核对失败次数过多，暂时锁定", "integration_added": "接入订单系统",
        "ticket_withdrawn": "顾客撤回工单", "return_withdrawn": "顾客撤回退换货申请",
        "interception_withdrawn": "顾客撤回拦截申请", "price_protection_refunded": "价保退差价",
        "replacement_shipped": "寄出换货商品", "items_cancelled": "取消部分商品",
    },
    # The shopper's words say "you" (您) for the shopper; here the reader is the merchant.
    "parties": {"customer": "顾客", "merchant": "商家", "platform": "平台"},
    "entities": {"order": "订单", "ticket": "工单", "refund": "退款", "return": "退换货", "interception": "拦截",
                 "shop": "店铺", "merchant": "商家账号", "customer": "顾客", "integration": "订单系统"},
    "interception_status": {"requested": "已申请", "succeeded": "拦截成功", "failed": "拦截失败",
                            "withdrawn": "顾客已撤回"},
    "return_methods": {"ship_back": "寄回", "refuse_delivery": "拒收退回"},
    "goods_types": {"physical": "实物", "fresh": "生鲜", "virtual_card": "卡密", "virtual_topup": "充值"},
    "return_status": {"requested": "待审核", "authorized": "待顾客寄回", "received": "已收到退回的商品，待寄出换货",
                      "refunded": "已收货并退款", "rejected": "已拒绝（审核或验货）", "withdrawn": "顾客已撤回",
                      "replacement_shipped": "换货商品已寄出"},
    "reasons": {"out_of_stock": "缺货", "bad_address": "地址有误或联系不上", "unpaid": "顾客未付款",
                "wrong_listing": "商品信息有误"},
    # The order timeline's words (timeline_sentence).
    "milestones": {"placed": "顾客下单", "delivered": "包裹已签收", "redeemed": "卡密或充值已使用",
                   "completed": "订单完成"},
    "refund_sources": {"cancellation": "顾客取消订单", "interception": "拦截成功", "return": "退货",
                       "review": "取消审核通过", "merchant": "商家取消订单", "price_protection": "价保退差价"},
    "notification_kinds": {"decision": "工单的处理结果", "refund_completed": "退款已到账",
                           "refund_failed": "退款没有成功", "reply": "客服的回复", "hand_back": "机器人接回对话",
                           "return_received": "退货已验收", "return_rejected": "退货验收后不退款",
                           "replacement_shipped": "换货商品已寄出及运单号"},
    "notification_status": {"sent": "已送达", "pending": "排队中，机器人恢复后发送", "sending": "发送中",
                            "failed": "多次发送失败"},
}


@inbox.app_template_filter("local_time")
def local_time(iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


@inbox.app_template_filter("yuan")
def yuan(minor: int | None) -> str:
    return "" if minor is None else f"¥{minor / 100:,.2f}"


@functools.cache
def _labels(language: str = "zh") -> dict[str, dict[str, str]]:
    # The same names for states, reasons, outcomes and channels as the bot uses with shoppers.
    words = yaml.safe_load((WORDS_FILE.parent / f"{language}.yml").read_text(encoding="utf-8"))
    extra = EXTRA_LABELS_EN if language == "en" else EXTRA_LABELS
    sections = {name: value for name, value in words.items() if isinstance(value, dict)}
    return {name: {**sections.get(name, {}), **extra.get(name, {})} for name in {*sections, *extra}}


def language() -> str:
    """The signed-in merchant's language (g.language); Chinese outside a request or before sign-in."""
    if has_request_context():
        value = g.get("language")
        if value in LANGUAGES:
            return str(value)
    return "zh"


def _(text: str, /, **values: Any) -> str:
    """The inbox's own words: written in Chinese, said in English for an English merchant (UI_EN).
    ``values`` fill the {named} places (as str.format does)."""
    if language() == "en":
        text = UI_EN.get(text, text)
    return text.format(**values) if values else text


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
    return _actor_words({"kind": kind if kind in ("provider", "integration") else "system", "name": who or None})


def label(section: str, key: str | None) -> str:
    """A code in plain words ("interception" → 拦截); the code itself when there are none."""
    if key is None:
        return "—"
    return str(_labels(language()).get(section, {}).get(key, key))


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


# -- the order's timeline in words ----------------------------------------------------------------

def words(section: str, key: Any) -> str | None:
    """``label`` for a sentence: None when there are no words for the code, so that no code is shown."""
    if key is None or key == "":
        return None
    value = _labels(language()).get(section, {}).get(str(key))
    return str(value) if value is not None else None


def _latin_gap(text: str, before: bool = False, after: bool = True) -> str:
    """A space between a Latin name and the Chinese around it ("顾客 Alice 申请", "分配给 K 客服");
    English sentences have their spaces already."""
    if language() == "en":
        return text
    if before and text[:1].isascii() and text[:1].isalnum():
        text = " " + text
    if after and text[-1:].isascii() and text[-1:].isalnum():
        text = text + " "
    return text


def _who(actor: dict[str, Any] | None) -> str:
    return _latin_gap(_actor_words(actor))


def _actor_words(actor: dict[str, Any] | None) -> str:
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


def _list(values: list[str]) -> str:
    return (", " if language() == "en" else "、").join(values)


def timeline_sentence(event: dict[str, Any]) -> str:
    """One line of InboxService.order_timeline as a sentence in words: no codes, no JSON."""
    action, ref, data = event["action"], event.get("ref") or "", event.get("data") or {}
    if event["type"] == "milestone":
        if action == "paid":
            return _with(_("顾客付款"), _("支付方式为{channel}", channel=words("channels", data.get("channel"))
                                           or _("其他方式")))
        if action == "shipped":
            carrier = " ".join(str(x) for x in (data.get("carrier"), data.get("tracking_no")) if x)
            return _with(_("商家发货"), _("快递 {parcel}", parcel=carrier) if carrier else None)
        return _with(words("milestones", action) or _("订单有了新进展"))
    if event["type"] == "notification":
        what = words("notification_kinds", action) or _("一条消息")
        status = words("notification_status", data.get("status")) or _("状态未知")
        return _with(_("在对话中告诉顾客{what}（{ref}）", what=what, ref=ref) if ref
                     else _("在对话中告诉顾客{what}", what=what), status)
    who = _who(event.get("actor"))
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
        items = _list(data.get("items") or [])
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
            whom = _("自己") if own else _latin_gap(name, before=True, after=False)
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
    if action == "ticket_withdrawn":
        return _with(_("{who}撤回了{kind}工单 {ref}", who=who, kind=kind, ref=ref), _("工单已关闭，无需处理"))
    if action == "return_withdrawn":
        what = words("outcomes", after.get("outcome")) or _("售后")
        return _with(_("{who}撤回了{what}申请 {ref}", who=who, what=what, ref=ref), _("不再需要寄回"))
    if action == "interception_withdrawn":
        return _with(_("{who}撤回了拦截快递的申请 {ref}", who=who, ref=ref), _("包裹照常派送"))
    if action == "price_protection_refunded":
        lines = [item for item in (after.get("items") or []) if isinstance(item, dict)]
        titles = _list([str(item.get("title")) for item in lines if item.get("title")])
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
    if action == "attempts_locked":
        until = local_time(after.get("locked_until"))
        return _with(_("核对这个订单失败的次数过多"),
                     _("查询已暂时锁定到 {until}", until=until) if until else _("查询已暂时锁定"))
    known = words("audit_actions", action)
    return _with(_("{who}：{what}", who=who, what=known) if known else _("{who}记录了一项操作", who=who), ref or None)


@inbox.app_context_processor
def labels() -> dict[str, Any]:
    return {"queues": QUEUES, "open_statuses": OPEN_STATUSES, "merchant_cancel_reasons": MERCHANT_CANCEL_REASONS,
            "label": label, "what_approval_does": what_approval_does, "audit_action": audit_action,
            "audit_actor": audit_actor, "_": _, "inbox_language": language()}


def login_required(view):
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        merchant_id = session.get("merchant_id")
        merchant = services().inbox.merchant(merchant_id) if merchant_id else None
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


@inbox.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        merchant = services().inbox.authenticate(request.form.get("email", ""), request.form.get("password", ""))
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
    services().inbox.set_language(g.merchant["id"], choice)
    g.language = choice
    flash(_("界面语言已切换为中文。") if choice == "zh" else _("界面语言已切换为英文。"), "ok")
    return redirect(back_to_page(request.form.get("back", ""), url_for("inbox.cases")))


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
    inbox_service = services().inbox
    total = inbox_service.count_cases(g.shop_ids, queue, status, search)
    teammates = inbox_service.teammates(g.shop_ids)
    rows = inbox_service.cases(g.shop_ids, queue, status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                               search=search)
    return render_template("inbox/cases.html", rows=rows, counts=inbox_service.queue_counts(g.shop_ids), queue=queue,
                           status=status, q=search or "", page=page, pages=max(-(-total // PAGE_SIZE), 1),
                           total=total, teammates=teammates, bulk_statuses=BULK_STATUSES,
                           names={m["email"]: m["display_name"] for m in teammates})


# Why a case was left out of a bulk change (said with _ when shown).
BULK_SKIPPED = {"resolved": "已处理完毕", "assignee_not_in_shop": "负责人不负责这个店铺"}


def back_to_list(target: str) -> str:
    """The queue page the bulk form came from (filters, search and page kept); nowhere else."""
    if target.startswith("/inbox/") and not target.startswith("/inbox//") and "\\" not in target:
        return target
    return url_for("inbox.cases")


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
        flash(_("没有执行，所有勾选的工单都没有改动：{refs} 没有找到，或不属于您的店铺。", refs=_list(exc.ticket_nos)),
              "error")
        return redirect(back)
    except ServiceError as exc:
        flash(_("没有执行：{why}", why=exc), "error")
        return redirect(back)
    if result["updated"]:
        flash(_("已将 {count} 个工单{done}：{refs}。", count=len(result["updated"]), done=done,
                refs=_list(result["updated"])), "ok")
    if result["unchanged"]:
        flash(_("{count} 个工单本来就是这样，没有改动：{refs}。", count=len(result["unchanged"]),
                refs=_list(result["unchanged"])), "ok")
    for ticket_no, why in result["skipped"].items():
        flash(_("跳过 {ref}：{why}。", ref=ticket_no, why=_(BULK_SKIPPED.get(why, "不能批量修改"))), "warn")
    return redirect(back)


@inbox.get("/counts")
@login_required
def counts():
    return jsonify(services().inbox.live_counts(g.shop_ids))


@inbox.get("/cases/<ticket_no>")
@login_required
def case(ticket_no: str):
    detail = services().inbox.case(ticket_no, g.shop_ids)
    transcript, live = transcript_of(detail["ticket"])
    return render_template("inbox/case.html", case=detail, transcript=transcript, live_transcript=live)


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
    return act(case_page(ticket_no), services().inbox.decide, done, ticket_no, g.shop_ids, choice == "approve",
               request.form.get("note", ""), g.actor)


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
                for event in inbox_service.order_timeline(detail["order_no"], g.shop_ids)]
    return render_template("inbox/order.html", order=detail, timeline=timeline)


@inbox.post("/orders/<order_no>/cancel")
@login_required
def cancel_order(order_no: str):
    return act(url_for("inbox.order", order_no=order_no), services().inbox.merchant_cancel,
               _("订单已取消，退款已原路发起。"), order_no, g.shop_ids, request.form.get("reason", ""), g.actor)


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

    return act(back, services().after_sales.receive_return, done, return_no, g.actor, g.shop_ids,
               deduction=deduction, note=request.form.get("note", ""), accept=outcome != "reject")


def back_to_page(target: str, fallback: str) -> str:
    """The inbox page a form came from (an order or a case page); nowhere else."""
    return target if target.startswith("/inbox/") and back_to_list(target) == target else fallback


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

    return act(back, services().inbox.ship_replacement, done, order_no, return_no, request.form.get("carrier", ""),
               request.form.get("tracking_no", ""), g.shop_ids, g.actor)


@inbox.get("/analytics")
@login_required
def analytics():
    days = request.args.get("days", "30")
    days_value = int(days) if days.isdigit() and 0 < int(days) <= 365 else 30
    return render_template("inbox/analytics.html", figures=services().inbox.analytics(g.shop_ids, days_value))
