"""A request in words: the summary before it is submitted, and what it became."""

from __future__ import annotations

from typing import Any

from actions.contracts import Decision, Eta, Order, SubmitResult
from actions.words import Words, number
from actions.words.orders import chosen_items_text, outcome_label
from aftersales.domain.policy import ITEM_CHANGE


def summary(order: Order, decision: Decision, reason: str, w: Words,
            exchange_wish: str | None = None) -> str:
    lines = [w("summary.intro"), w("summary.order", order_no=order["order_no"]),
             w("summary.items", items=chosen_items_text(order, decision["item_ids"], w)),
             w("summary.request", outcome=outcome_label(decision, w), reason=w.label("reasons", reason))]
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
    if decision["code"] == ITEM_CHANGE:
        lines.append(w("summary.item_change"))
    elif decision["outcome"] in ("return_refund", "exchange") and decision["code"] != "refuse_on_delivery":
        lines.append(w("summary.keep_intact"))
    if decision["evidence_required"]:
        lines.append(w("summary.evidence"))
    if decision["execution"] == "review":
        lines.append(w("summary.review", hours=number(decision["sla_hours"])))
    if decision["window_ends_at"]:
        lines.append(w("summary.window", deadline=w.when(decision["window_ends_at"])))
    lines.append(w("summary.question"))
    return "\n".join(lines)


def refund_eta(decision: Decision) -> Eta | None:
    plan = decision["refund"]
    return plan["eta"] if plan else None


def _references(result: SubmitResult) -> dict[str, str]:
    """The numbers of the records a result carries, by kind."""
    found: dict[str, str] = {}
    if refund := result.get("refund"):
        found["refund"] = refund["refund_no"]
    if interception := result.get("interception"):
        found["interception"] = interception["interception_no"]
    if record := result.get("return"):
        found["return"] = record["return_no"]
    if ticket := result.get("ticket"):
        found["ticket"] = ticket["ticket_no"]
    return found


def result_card(result: SubmitResult, w: Words) -> dict[str, Any]:
    """The result as a structured card (references, money, when) for widgets that draw one."""
    refund = result.get("refund")
    eta = refund_eta(result["decision"]) if "decision" in result else None
    references = _references(result)
    reference = next((references[k] for k in ("refund", "interception", "return", "ticket") if k in references), None)
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
            "eta": w.eta(eta) if refund["status"] != "succeeded" else None,
            "latest": w.when(refund["expected_latest"]) if refund["status"] != "succeeded" else None,
        },
    }


def result_texts(result: SubmitResult, w: Words) -> list[str]:
    """What happened, with references, amounts, ETAs and what happens next."""
    status, decision, order = result["status"], result["decision"], result["order"]
    order_no = order["order_no"]
    if status == "already_requested":
        references = _references(result)
        ref = next((references[k] for k in ("interception", "return", "ticket") if k in references), "")
        return [w("result.already_requested", ref=ref)]
    if status == "done":
        texts_ = [w("result.cancelled", order_no=order_no) if order["state"] == "cancelled"
                  else w("result.items_cancelled", items=chosen_items_text(order, decision["item_ids"], w))]
        refund, eta = result.get("refund"), refund_eta(decision)
        if refund is None:
            texts_.append(w("result.no_refund"))
        elif refund["status"] == "succeeded":
            texts_.append(w("result.refund", amount=w.money(refund["amount"], refund["currency"]),
                            channel=w.label("channels", refund["channel"]), eta=w.eta(eta),
                            refund_no=refund["refund_no"]))
        elif eta is not None and eta["max"] == 0:  # an immediate channel: sent by the worker in seconds
            texts_.append(w("result.refund_sending", amount=w.money(refund["amount"], refund["currency"]),
                            channel=w.label("channels", refund["channel"]), refund_no=refund["refund_no"]))
        else:
            texts_.append(w("result.refund_processing", amount=w.money(refund["amount"], refund["currency"]),
                            channel=w.label("channels", refund["channel"]), eta=w.eta(eta),
                            latest=w.when(refund["expected_latest"]), refund_no=refund["refund_no"]))
            texts_.append(w("result.progress_hint"))
        return texts_
    plan = decision["refund"]
    refund_amount = w.money(plan["amount"], plan["currency"]) if plan else ""
    if "interception" in result:
        i = result["interception"]
        return [w("result.interception", ref=i["interception_no"], stage=w.label("stages", i["stage"]),
                  eta=w.duration({"min": i["eta_hours"][0], "max": i["eta_hours"][1], "unit": "hours"}),
                  rate=round(i["success_rate"] * 100, 1), amount=refund_amount), w("result.progress_hint")]
    if "return" in result:
        r = result["return"]
        if r["outcome"] == "exchange" and status in ("requested", "under_review"):
            key = "result.exchange_authorized" if status == "requested" else "result.exchange_requested"
            return [w(key, ref=r["return_no"], wish=r["exchange_wish"] or "", hours=number(decision["sla_hours"]))]
        if status == "requested" and "return_address" in result:  # authorized at once, to come back by post
            address = result["return_address"]
            return [w("result.return_authorized", ref=r["return_no"],
                      next=w("updates.return_address", address=address) if address
                      else w("updates.return_address_later"))]
        if status == "requested":
            return [w("result.return_authorized", ref=r["return_no"],
                      next=w("result.refuse_delivery_next", amount=refund_amount))]
        return [w("result.return_requested", ref=r["return_no"], hours=number(decision["sla_hours"]))]
    ticket = result["ticket"]
    if decision["code"] == ITEM_CHANGE:
        return [w("result.item_change_requested", order_no=order_no, wish=result.get("exchange_wish") or "",
                  ref=ticket["ticket_no"], hours=number(decision["sla_hours"]))]
    return [w("result.review", ref=ticket["ticket_no"], hours=number(decision["sla_hours"]),
              timing=w.eta(plan["eta"]) if plan else "")]
