"""An order in words: its card, the buttons that choose among its items, outcomes and reasons, its
refunds and exchanges."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from actions.contracts import Decision, Item, Order, RefundStatus
from actions.words import Words
from aftersales.domain.cases import ITEM_CHANGE_KIND
from aftersales.domain.model import BEFORE_SHIPMENT_STATES
from aftersales.domain.policy import ITEM_CHANGE


def active_items(order: Order) -> list[Item]:
    return [i for i in order["items"] if not i["cancelled"]]


def order_card(order: Order, w: Words) -> tuple[str, dict[str, Any]]:
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


def outcome_label(decision: Decision, w: Words) -> str:
    """What the outcome is called here: an exchange before shipment changes the item on the order."""
    return w("item_change_outcome") if decision["code"] == ITEM_CHANGE else w.label("outcomes", decision["outcome"])


def outcome_buttons(options: list[Decision], w: Words) -> list[dict[str, str]]:
    return [{"title": outcome_label(o, w), "payload": f'/inform{{"outcome":"{o["outcome"]}"}}'} for o in options]


def reason_buttons(group: str, w: Words) -> list[dict[str, str]]:
    return [{"title": w.label("reasons", code), "payload": f'/inform{{"reason":"{code}"}}'}
            for code in w.t["reason_buttons"][group]]


def item_buttons(order: Order, w: Words) -> list[dict[str, str]]:
    buttons = [{"title": w("buttons.all_items"), "payload": '/inform{"item":"all"}'}]
    for item in active_items(order):
        buttons.append({"title": w("buttons.only_item", title=item["title"]),
                        "payload": f'/inform{{"item":"{item["id"]}"}}'})
    return buttons


def item_named(items: list[Item], text: str) -> Item | None:
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


def chosen_items_text(order: Order, item_ids: list[int], w: Words) -> str:
    chosen = [i for i in order["items"] if i["id"] in item_ids] if item_ids else active_items(order)
    return w.t["list_separator"].join(f'{i["title"]}×{i["quantity"]}' for i in chosen)


def refund_status_text(status: RefundStatus, w: Words) -> str:
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


def exchange_status_texts(order: Order, w: Words) -> list[str]:
    """Where each exchange on the order is (asked with the order's status: 换货到哪了), with the
    parcel the shopper sent back once they told it; a size or colour change before shipment, where
    the shop's stock check is, and what the items are now."""
    texts = []
    changes = [tk for tk in order["tickets"] if tk["kind"] == ITEM_CHANGE_KIND]
    newest = max(changes, key=lambda tk: tk["created_at"] or "", default=None)
    # Only while it can still matter: once the order has left, the items are what they are.
    if newest and order["state"] in BEFORE_SHIPMENT_STATES and newest["resolution"] in (None, "rejected"):
        texts.append(w(f"item_change_status.{'open' if newest['resolution'] is None else 'rejected'}",
                       ref=newest["ticket_no"]))
    texts += [w("item_change_status.changed", title=i["title"], variant=i["variant"])
              for i in active_items(order) if i["variant"]]
    for r in order["returns"]:
        if r["outcome"] != "exchange" or r["status"] not in w.t["exchange_status"]:
            continue
        key = "authorized_sent" if r["status"] == "authorized" and r["return_tracking_no"] else r["status"]
        parcel = " ".join(x for x in (r["return_carrier"], r["return_tracking_no"]) if x)
        texts.append(w(f"exchange_status.{key}", ref=r["return_no"], wish=r["exchange_wish"] or "", parcel=parcel,
                       carrier=r["replacement_carrier"] or "", tracking_no=r["replacement_tracking_no"] or ""))
    return texts
