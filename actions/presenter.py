"""Service results → the bot's words. Pure functions over dicts; the sentences themselves are in
actions/texts/<language>.yml, so a language is a file, not code."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from aftersales.domain.money import Money
from aftersales.service.base import PLATFORM_TZ

TEXTS_DIR = Path(__file__).resolve().parent / "texts"
DEFAULT_LANGUAGE = "zh"
LANGUAGES = tuple(sorted(path.stem for path in TEXTS_DIR.glob("*.yml")))


@functools.lru_cache(maxsize=8)
def texts(language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    path = TEXTS_DIR / f"{language}.yml"
    if not path.exists():
        path = TEXTS_DIR / f"{DEFAULT_LANGUAGE}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def _keywords(section: str) -> dict[str, list[re.Pattern[str]]]:
    """The keywords of every language for one section, as patterns: Latin words match whole words
    ("all" is not in "small"), Chinese ones anywhere in the text."""
    merged: dict[str, list[re.Pattern[str]]] = {}
    for language in LANGUAGES:
        for code, words in texts(language)["keywords"][section].items():
            merged.setdefault(code, []).extend(
                re.compile(rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word)) for word in words)
    return merged


def keyword_code(section: str, text: str) -> str | None:
    """The first code (reasons, outcomes, items) one of whose keywords the shopper's free text mentions."""
    lowered = text.lower()
    return next((code for code, patterns in _keywords(section).items() if any(p.search(lowered) for p in patterns)),
                None)


class Words:
    """Looks up ``section.key`` in one language's texts and fills in the values."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.t = texts(language)

    def __call__(self, dotted: str, **values: Any) -> str:
        node: Any = self.t
        for part in dotted.split("."):
            node = node[part]
        return str(node).format(**values) if values else str(node)

    def label(self, section: str, key: str | None) -> str:
        return str(self.t.get(section, {}).get(key, key or ""))

    def money(self, minor: int, currency: str = "CNY") -> str:
        return Money(minor, currency).display()

    def when(self, iso: str | None) -> str:
        if not iso:
            return ""
        return datetime.fromisoformat(iso).astimezone(PLATFORM_TZ).strftime(self.t["datetime"])

    def eta(self, eta: dict[str, Any] | None) -> str:
        if not eta or eta["max"] == 0:
            return self("eta.immediate")
        return self(f"eta.{eta['unit']}", min=_num(eta["min"]), max=_num(eta["max"]))

    def duration(self, eta: dict[str, Any]) -> str:
        return self(f"duration.{eta['unit']}", min=_num(eta["min"]), max=_num(eta["max"]))

    def state(self, order: dict[str, Any]) -> str:
        virtual = all(i["goods_type"].startswith("virtual") for i in order["items"])
        if virtual and order["state"] in self.t.get("virtual_states", {}):
            return self.t["virtual_states"][order["state"]]
        return self.label("states", order["state"])


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def active_items(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in order["items"] if not i["cancelled"]]


def order_card(order: dict[str, Any], w: Words) -> tuple[str, dict[str, Any]]:
    """The order in plain words, and the same as a structured card for widgets that draw one."""
    lines = [w("card.order_title", order_no=order["order_no"])]
    for item in active_items(order) or order["items"]:
        lines.append(w("card.item_line", title=item["title"], quantity=item["quantity"],
                       amount=w.money(item["total"], order["currency"])))
    if order["payment_channel"]:
        lines.append(w("card.total_line", amount=w.money(order["total"], order["currency"]),
                       channel=w.label("channels", order["payment_channel"])))
    else:
        lines.append(w("card.unpaid_total_line", amount=w.money(order["total"], order["currency"])))
    lines.append(w("card.state_line", state=w.state(order)))
    card = {
        "type": "order_card",
        "order_no": order["order_no"],
        "shop": order["shop"]["name"],
        "state": order["state"],
        "state_label": w.state(order),
        "items": [{"title": i["title"], "quantity": i["quantity"], "amount": w.money(i["total"], order["currency"]),
                   "cancelled": i["cancelled"]} for i in order["items"]],
        "total": w.money(order["total"], order["currency"]),
        "payment_channel": w.label("channels", order["payment_channel"]) if order["payment_channel"] else None,
        "tracking": " ".join(x for x in (order["carrier"], order["tracking_no"]) if x) or None,
    }
    return "\n".join(lines), card


def outcome_buttons(options: list[dict[str, Any]], w: Words) -> list[dict[str, str]]:
    return [{"title": w.label("outcomes", o["outcome"]), "payload": f'/inform{{"outcome":"{o["outcome"]}"}}'}
            for o in options]


def reason_buttons(group: str, w: Words) -> list[dict[str, str]]:
    return [{"title": w.label("reasons", code), "payload": f'/inform{{"reason":"{code}"}}'}
            for code in w.t["reason_buttons"][group]]


def item_buttons(order: dict[str, Any], w: Words) -> list[dict[str, str]]:
    buttons = [{"title": w("buttons.all_items"), "payload": '/inform{"item":"all"}'}]
    for item in active_items(order):
        buttons.append({"title": w("buttons.only_item", title=item["title"]),
                        "payload": f'/inform{{"item":"{item["id"]}"}}'})
    return buttons


def item_named(items: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The item a shopper means by "只取消毛巾": its id, or the one whose title shares the longest
    run of characters (at least two) with what they typed; None when that is not one clear item."""
    for item in items:
        if text == str(item["id"]):
            return item
    scored = []
    for item in items:
        match = SequenceMatcher(None, text, item["title"]).find_longest_match(0, len(text), 0, len(item["title"]))
        scored.append((match.size, item))
    scored.sort(key=lambda pair: pair[0], reverse=True)
    if not scored or scored[0][0] < 2 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def chosen_items_text(order: dict[str, Any], item_ids: list[int], w: Words) -> str:
    chosen = [i for i in order["items"] if i["id"] in item_ids] if item_ids else active_items(order)
    return w.t["list_separator"].join(f'{i["title"]}×{i["quantity"]}' for i in chosen)


def summary(order: dict[str, Any], decision: dict[str, Any], reason: str, w: Words,
            exchange_wish: str | None = None) -> str:
    lines = [w("summary.intro"), w("summary.order", order_no=order["order_no"]),
             w("summary.items", items=chosen_items_text(order, decision["item_ids"], w)),
             w("summary.request", outcome=w.label("outcomes", decision["outcome"]), reason=w.label("reasons", reason))]
    if exchange_wish:
        lines.append(w("summary.exchange_wish", wish=exchange_wish))
    refund = decision["refund"]
    if refund and refund["timing"] == "none_due":
        lines.append(w("summary.refund_none"))
    elif refund:
        lines.append(w("summary.refund", amount=w.money(refund["amount"], refund["currency"]),
                       channel=w.label("channels", refund["channel"]), timing=w.label("timing", refund["timing"]),
                       eta=w.eta(refund["eta"])))
    plan = decision["interception"]
    if plan:
        lines.append(w("summary.interception", stage=w.label("stages", plan["stage"]), eta=w.duration(plan["eta"]),
                       rate=round(plan["success_rate"] * 100, 1)))
        left = plan["free_left_this_month"]
        if left is None:
            lines.append(w("summary.interception_fee_unlimited"))
        elif plan["fee_payer"] == "customer":
            lines.append(w("summary.interception_fee_customer"))
        else:
            lines.append(w("summary.interception_fee_free", left=left))
        lines.append(w("summary.interception_failed", payer=w.label("parties", plan["failed_return_shipping"])))
    if decision["code"] == "refuse_on_delivery":
        lines.append(w("summary.refuse_delivery"))
    if decision["return_shipping_payer"]:
        lines.append(w("summary.shipping_payer", payer=w.label("parties", decision["return_shipping_payer"])))
    if decision.get("replacement_shipping_payer"):
        lines.append(w("summary.replacement_shipping_payer",
                       payer=w.label("parties", decision["replacement_shipping_payer"])))
    if decision["outcome"] in ("return_refund", "exchange") and decision["code"] != "refuse_on_delivery":
        lines.append(w("summary.keep_intact"))
    if decision["evidence_required"]:
        lines.append(w("summary.evidence"))
    if decision["execution"] == "review":
        lines.append(w("summary.review", hours=_num(decision["sla_hours"])))
    if decision["window_ends_at"]:
        lines.append(w("summary.window", deadline=w.when(decision["window_ends_at"])))
    lines.append(w("summary.question"))
    return "\n".join(lines)


def result_card(result: dict[str, Any], w: Words) -> dict[str, Any]:
    """The result as a structured card (references, money, when) for widgets that draw one."""
    refund = result.get("refund")
    decision_refund = (result.get("decision") or {}).get("refund") or {}
    reference = next((result[key][f"{key}_no"] for key in ("refund", "interception", "return", "ticket")
                      if result.get(key)), None)
    return {
        "type": "result_card",
        "status": result["status"],
        "title": w.t["card"]["result_titles"].get(result["status"], ""),
        "order_no": result["order"]["order_no"],
        "reference": reference,
        "refund": None if refund is None else {
            "refund_no": refund["refund_no"],
            "amount": w.money(refund["amount"], refund["currency"]),
            "channel": w.label("channels", refund["channel"]),
            "status": refund["status"],
            "status_label": w.t["card"]["refund_states"].get(refund["status"], refund["status"]),
            "eta": w.eta(decision_refund.get("eta")) if refund["status"] != "succeeded" else None,
            "latest": w.when(refund["expected_latest"]) if refund["status"] != "succeeded" else None,
        },
    }


def result_texts(result: dict[str, Any], order: dict[str, Any], w: Words) -> list[str]:
    """What happened, with references, amounts, ETAs and what happens next."""
    status, decision = result["status"], result["decision"]
    order_no = result["order"]["order_no"]
    if status == "already_requested":
        ref = next((result[k].get(f"{k}_no") for k in ("interception", "return", "ticket") if result.get(k)), "")
        return [w("result.already_requested", ref=ref)]
    if status == "done":
        texts_ = [w("result.cancelled", order_no=order_no) if result["order"]["state"] == "cancelled"
                  else w("result.items_cancelled", items=chosen_items_text(order, decision["item_ids"], w))]
        refund = result.get("refund")
        if refund is None:
            texts_.append(w("result.no_refund"))
        elif refund["status"] == "succeeded":
            texts_.append(w("result.refund", amount=w.money(refund["amount"], refund["currency"]),
                            channel=w.label("channels", refund["channel"]), eta=w.eta(decision["refund"]["eta"]),
                            refund_no=refund["refund_no"]))
        elif decision["refund"]["eta"]["max"] == 0:  # an immediate channel: sent by the worker in seconds
            texts_.append(w("result.refund_sending", amount=w.money(refund["amount"], refund["currency"]),
                            channel=w.label("channels", refund["channel"]), refund_no=refund["refund_no"]))
        else:
            texts_.append(w("result.refund_processing", amount=w.money(refund["amount"], refund["currency"]),
                            channel=w.label("channels", refund["channel"]), eta=w.eta(decision["refund"]["eta"]),
                            latest=w.when(refund["expected_latest"]), refund_no=refund["refund_no"]))
            texts_.append(w("result.progress_hint"))
        return texts_
    refund_amount = w.money(decision["refund"]["amount"], decision["refund"]["currency"]) if decision["refund"] else ""
    if "interception" in result:
        i = result["interception"]
        return [w("result.interception", ref=i["interception_no"], stage=w.label("stages", i["stage"]),
                  eta=w.duration({"min": i["eta_hours"][0], "max": i["eta_hours"][1], "unit": "hours"}),
                  rate=round(i["success_rate"] * 100, 1), amount=refund_amount), w("result.progress_hint")]
    if "return" in result:
        r = result["return"]
        if r["outcome"] == "exchange" and status in ("requested", "under_review"):
            key = "result.exchange_authorized" if status == "requested" else "result.exchange_requested"
            return [w(key, ref=r["return_no"], wish=r["exchange_wish"] or "", hours=_num(decision["sla_hours"]))]
        if status == "requested":
            return [w("result.return_authorized", ref=r["return_no"],
                      next=w("result.refuse_delivery_next", amount=refund_amount))]
        return [w("result.return_requested", ref=r["return_no"], hours=_num(decision["sla_hours"]))]
    ticket = result["ticket"]
    return [w("result.review", ref=ticket["ticket_no"], hours=_num(decision["sla_hours"]),
              timing=w.eta(decision["refund"]["eta"]) if decision["refund"] else "")]


def refund_status_text(status: dict[str, Any], w: Words) -> str:
    lines = []
    for r in status["refunds"]:
        when = "" if r["status"] == "succeeded" else w("refund_status.expected", latest=w.when(r["expected_latest"]))
        lines.append(w("refund_status.line", refund_no=r["refund_no"], amount=w.money(r["amount"], r["currency"]),
                       channel=w.label("channels", r["channel"]), status=w.label("refund_status", r["status"]),
                       when=when))
    for t in status["open_tickets"]:
        lines.append(w("refund_status.open_request", ref=t["ticket_no"], kind=w.label("ticket_kinds", t["kind"]),
                       status=w.label("ticket_status", t["status"])))
    if not lines:
        return w("refund_status.none", order_no=status["order_no"])
    return "\n".join(lines)


def case_update_texts(update: dict[str, Any], w: Words) -> list[str]:
    """A merchant's decision, a refund that arrived or the chat handed back, told to the shopper
    without their asking (see aftersales.service.notifications)."""
    ticket, refund, order_no = update["ticket"], update["refund"], update["order_no"] or ""
    if update["kind"] == "hand_back":
        return [w("updates.hand_back")]
    if update["kind"] == "replacement_shipped":
        payload = update["payload"]
        return [w("updates.replacement_shipped", order_no=payload.get("order_no") or order_no,
                  wish=payload.get("exchange_wish") or "", carrier=payload.get("carrier") or "",
                  tracking_no=payload.get("tracking_no") or "")]
    if update["kind"] in ("return_received", "return_rejected"):
        payload = update["payload"]
        order_no = payload.get("order_no") or order_no
        if update["kind"] == "return_rejected":
            return [w("updates.return_rejected", order_no=order_no, note=payload.get("note") or "")]
        if refund is None:
            return [w("updates.return_received_exchange", order_no=order_no)]
        immediate = refund["expected_latest"] <= refund["created_at"]
        when = w("eta.immediate") if immediate else w("updates.by_latest", latest=w.when(refund["expected_latest"]))
        lines = [w("updates.return_received", order_no=order_no, amount=w.money(refund["amount"], refund["currency"]),
                   channel=w.label("channels", refund["channel"]), refund_no=refund["refund_no"], when=when)]
        if payload.get("deduction"):
            lines.append(w("updates.return_deduction", deduction=w.money(payload["deduction"], refund["currency"]),
                           note=payload.get("note") or ""))
        return lines
    if update["kind"] in ("refund_completed", "refund_failed"):
        return [w(f"updates.{update['kind']}", order_no=order_no, amount=w.money(refund["amount"], refund["currency"]),
                  channel=w.label("channels", refund["channel"]), refund_no=refund["refund_no"],
                  ticket_no=ticket["ticket_no"] if ticket else "")]
    kind = ticket["kind"] if ticket["kind"] in w.t["updates"]["approved"] else "escalation"
    lines = [w(f"updates.{ticket['resolution']}.{kind}", order_no=order_no, ticket_no=ticket["ticket_no"])]
    if ticket.get("resolution_note"):
        lines.append(w("updates.merchant_note", note=ticket["resolution_note"]))
    if refund is not None:
        lines.append(w("updates.refund_done" if refund.get("status") == "succeeded" else "updates.refund",
                       amount=w.money(refund["amount"], refund["currency"]),
                       channel=w.label("channels", refund["channel"]), latest=w.when(refund["expected_latest"]),
                       refund_no=refund["refund_no"]))
    lines.append(w(f"updates.next.{ticket['resolution']}"))
    return lines


def withdrawal_summary(found: dict[str, Any], w: Words) -> str:
    lines = [w("withdraw_request.intro", order_no=found["order_no"])]
    lines += [w("withdraw_request.line", kind=w.label("request_kinds", r["kind"]), ref=r["reference"])
              for r in found["open"]]
    lines.append(w("withdraw_request.question"))
    return "\n".join(lines)


def withdrawal_result_texts(result: dict[str, Any], w: Words) -> list[str]:
    """What was withdrawn and what happens now; or why nothing could be, and what is possible."""
    withdrawn = result.get("withdrawn") or []
    if withdrawn:
        texts_ = [w("withdraw_request.done", kind=w.label("request_kinds", r["kind"]), ref=r["reference"])
                  for r in withdrawn]
        texts_ += [w(f"withdraw_request.after.{kind}") for kind in dict.fromkeys(r["kind"] for r in withdrawn)]
        return texts_
    if result.get("open"):  # open, but the offer was not made (a failure a moment ago): ask again
        return [w("withdraw_request.ask_again")]
    closed = result.get("closed") or []
    if not closed:
        return [w("withdraw_request.nothing", order_no=result["order_no"])]
    newest = closed[0]
    texts_ = [w(f"withdraw_request.refused.{newest['refusal']}", kind=w.label("request_kinds", newest["kind"]),
                ref=newest["reference"])]
    if newest["refusal"] == "carried_out":
        texts_.append(w(f"withdraw_request.possible.{newest['kind']}"))
    return texts_


def _price_lines(quote: dict[str, Any], w: Words) -> list[str]:
    return [w("price_protection.line", title=i["title"], paid=w.money(i["paid_unit_price"], quote["currency"]),
              now=w.money(i["current_unit_price"], quote["currency"]), quantity=i["quantity"],
              difference=w.money(i["difference"], quote["currency"])) for i in quote["items"]]


def price_protection_summary(quote: dict[str, Any], w: Words) -> str:
    return "\n".join([
        w("price_protection.intro", order_no=quote["order_no"], days=quote["window_days"],
          deadline=w.when(quote["window_ends_at"])),
        *_price_lines(quote, w),
        w("price_protection.total", total=w.money(quote["total"], quote["currency"]),
          channel=w.label("channels", quote["channel"]), eta=w.eta(quote["eta"])),
        w("price_protection.question")])


def price_protection_result_texts(result: dict[str, Any], w: Words) -> list[str]:
    """The refund of the difference, or why there is none — with the figures."""
    quote, refund = result["quote"], result.get("refund")
    if refund is not None:
        return [w("price_protection.done", amount=w.money(refund["amount"], refund["currency"]),
                  channel=w.label("channels", refund["channel"]), eta=w.eta(quote["eta"]),
                  refund_no=refund["refund_no"]), w("result.progress_hint")]
    verdict = quote["verdict"]
    if verdict == "eligible":  # eligible, but the offer was not made (a failure a moment ago): ask again
        return [w("price_protection.ask_again")]
    if verdict == "no_drop":
        return [w("price_protection.verdicts.no_drop"),
                *[w("price_protection.unchanged_line", title=i["title"],
                    paid=w.money(i["paid_unit_price"], quote["currency"]),
                    now=w.money(i["current_unit_price"], quote["currency"])) for i in quote["unchanged"]]]
    return [w(f"price_protection.verdicts.{verdict}", days=quote["window_days"] or "",
              deadline=w.when(quote["window_ends_at"]), order_no=quote["order_no"])]


def exchange_status_texts(order: dict[str, Any], w: Words) -> list[str]:
    """Where each exchange on the order is (asked with the order's status: 换货到哪了)."""
    return [w(f"exchange_status.{r['status']}", ref=r["return_no"], wish=r["exchange_wish"] or "",
              carrier=r["replacement_carrier"] or "", tracking_no=r["replacement_tracking_no"] or "")
            for r in order["returns"] if r["outcome"] == "exchange" and r["status"] in w.t["exchange_status"]]


def address_change_summary(order_no: str, new_address: str, w: Words) -> str:
    return "\n".join([w("change_address.intro", order_no=order_no), w("change_address.line", address=new_address),
                      w("change_address.question")])


def address_change_result_texts(result: dict[str, Any], w: Words) -> list[str]:
    """The address changed (and the shop told), or why it cannot change and what can be done."""
    if result.get("status") == "changed":
        return [w("change_address.done", address=result["ship_to"], ticket_no=result["ticket"]["ticket_no"])]
    if result["verdict"] == "changeable":  # changeable, but the offer was not made (a failure a moment ago)
        return [w("change_address.ask_again")]
    if result["verdict"] == "shipped":
        return [w("change_address.shipped"),
                w("change_address.intercept" if result["interception_offered"] else "change_address.refuse")]
    return [w("change_address.no_address" if result["verdict"] == "no_address" else "change_address.closed")]


def address_change_buttons(result: dict[str, Any], w: Words) -> list[dict[str, str]]:
    """Once shipped, the way on as a button — never a yes/no question the dialogue cannot answer."""
    if result.get("status") == "changed" or result.get("verdict") != "shipped":
        return []
    if result["interception_offered"]:
        return [{"title": w("change_address.intercept_button"), "payload": "/intercept_delivery"}]
    return [{"title": w("change_address.refuse_button"), "payload": "/return_goods"}]
