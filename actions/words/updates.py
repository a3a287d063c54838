"""What the shopper is told unasked: a merchant's decision, a refund that arrived, the chat handed back.
A rejection says whether it can be appealed (申诉) and until when; a rejected appeal, the routes
outside the shop the policy names."""

from __future__ import annotations

from actions.contracts import CaseUpdate, Refund
from actions.words import Words
from actions.words.appeals import outside_routes


def case_update_texts(update: CaseUpdate, w: Words) -> list[str]:
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
        when = _arrival(refund, w)
        lines = [w("updates.return_received", order_no=order_no, amount=w.money(refund["amount"], refund["currency"]),
                   channel=w.label("channels", refund["channel"]), refund_no=refund["refund_no"], when=when)]
        if payload.get("deduction"):
            lines.append(w("updates.return_deduction", deduction=w.money(payload["deduction"], refund["currency"]),
                           note=payload.get("note") or ""))
        return lines
    if update["kind"] == "merchant_cancelled":
        payload = update["payload"]
        order_no = payload.get("order_no") or order_no
        reason = w.label("merchant_cancel_reasons", payload.get("reason") or "")
        if refund is None:
            return [w("updates.merchant_cancelled_unpaid", order_no=order_no, reason=reason)]
        when = _arrival(refund, w)
        return [w("updates.merchant_cancelled", order_no=order_no, reason=reason,
                  amount=w.money(refund["amount"], refund["currency"]), channel=w.label("channels", refund["channel"]),
                  refund_no=refund["refund_no"], when=when)]
    if update["kind"] in ("refund_completed", "refund_failed"):
        assert refund is not None  # the notifier writes these for a refund
        return [w(f"updates.{update['kind']}", order_no=order_no, amount=w.money(refund["amount"], refund["currency"]),
                  channel=w.label("channels", refund["channel"]), refund_no=refund["refund_no"],
                  ticket_no=ticket["ticket_no"] if ticket else "")]
    if update["kind"] == "item_change_lapsed":
        assert ticket is not None
        state = "cancelled" if update["payload"].get("state") == "cancelled" else "shipped"
        return [w(f"updates.item_change_lapsed.{state}", order_no=order_no, ticket_no=ticket["ticket_no"])]
    assert ticket is not None  # every other notification is about a case
    kind = ticket["kind"] if ticket["kind"] in w.t["updates"]["approved"] else "escalation"
    lines = [w(f"updates.{ticket['resolution']}.{kind}", order_no=order_no, ticket_no=ticket["ticket_no"],
               wish=update["payload"].get("exchange_wish") or "", variant=update["payload"].get("variant") or "")]
    if ticket.get("resolution_note"):
        lines.append(w("updates.merchant_note", note=ticket["resolution_note"]))
    if refund is not None:
        lines.append(w("updates.refund_done" if refund.get("status") == "succeeded" else "updates.refund",
                       amount=w.money(refund["amount"], refund["currency"]),
                       channel=w.label("channels", refund["channel"]), latest=w.when(refund["expected_latest"]),
                       refund_no=refund["refund_no"]))
    if "return_address" in update["payload"]:  # an approved return: where the goods go
        address = update["payload"]["return_address"]
        lines.append(w("updates.return_address", address=address) if address else w("updates.return_address_later"))
    payload = update["payload"]
    if "outside_routes" in payload:  # a second review rejected it too
        lines.append(outside_routes(payload["outside_routes"], payload.get("payment_channel"), w))
    elif payload.get("appeal_until"):
        lines.append(w("updates.can_appeal", until=w.when(payload["appeal_until"])))
    else:
        lines.append(w(f"updates.next.{ticket['resolution']}"))
    return lines


def _arrival(refund: Refund, w: Words) -> str:
    """When a refund just started reaches the shopper: at once, or by its latest expected time."""
    if refund["expected_latest"] <= refund["created_at"]:
        return w("eta.immediate")
    return w("updates.by_latest", latest=w.when(refund["expected_latest"]))
