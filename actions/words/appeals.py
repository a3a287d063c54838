"""An appeal in words: what was turned down and why, what to send for the second review (and the
alternative the policy offers, as a button), what came of it — and, when a second review rejects it
too, the routes outside the shop the policy names."""

from __future__ import annotations

from actions.contracts import AppealCheck, AppealResult, OutsideRoute
from actions.words import Words

ALTERNATIVE_PAYLOAD = '/inform{"outcome":"refund_to_balance"}'
HUMAN_BUTTON = "/request_human"
# Verdicts after which a person may still help: the answer offers one as a button.
HUMAN_CAN_HELP = {"nothing_rejected", "window_closed", "order_moved_on"}


def appeal_ask(checked: AppealCheck, w: Words) -> tuple[str, list[dict[str, str]]]:
    """The first decision, its reason and what a second review needs; the balance as a button when offered."""
    case = checked["case"]
    assert case is not None  # asked only for a case that can be appealed
    lines = [w("appeals.ask", order_no=checked["order_no"], kind=w.label("ticket_kinds", case["kind"]),
               ticket_no=case["ticket_no"])]
    if case.get("resolution_note"):
        lines.append(w("appeals.ask_reason", note=case["resolution_note"]))
    lines.append(w("appeals.ask_how", per_case=checked["per_case"], ends=w.when(checked["ends_at"])))
    buttons = []
    if "refund_to_balance" in checked["alternatives"]:
        lines.append(w("appeals.alternative", amount=w.money(checked["amount"], checked["currency"]),
                       eta=w.eta(checked["balance_eta"])))
        buttons.append({"title": w("appeals.alternative_button"), "payload": ALTERNATIVE_PAYLOAD})
    return "\n".join(lines), buttons


def appeal_result(result: AppealResult, w: Words) -> tuple[list[str], list[dict[str, str]]]:
    """An appeal opened, or why none was: under review already, approved, appealed as often as allowed
    (then the routes outside the shop), too late, or the order moved on."""
    status = result["status"]
    if status == "opened":
        key = "appeals.opened_alternative" if result.get("alternative") else "appeals.opened"
        return [w(key, ticket_no=result["ticket"]["ticket_no"], hours=round(result["sla_hours"]))], []
    case = result.get("case")
    # The appeal under review or approved is named by its own number; the rest by the appealed case's.
    named = result.get("appeal") if status in ("under_review", "approved") else case
    kind = w.label("ticket_kinds", case["kind"]) if case else ""
    lines = [w(f"appeals.verdicts.{status}", order_no=result["order_no"], ticket_no=named["ticket_no"] if named else "",
               kind=kind, ends=w.when(result.get("ends_at")), state=w.label("states", result.get("state")))]
    if status == "exhausted":
        lines.append(outside_routes(result["outside_routes"], result.get("payment_channel"), w))
    buttons = [{"title": w("appeals.human_button"), "payload": HUMAN_BUTTON}] if status in HUMAN_CAN_HELP else []
    return lines, buttons


def outside_routes(routes: list[OutsideRoute], channel: str | None, w: Words) -> str:
    """The routes outside the shop, in the policy's order: a consumer hotline with its number; the
    payment provider's dispute for the channel the order was paid with (none for the account balance)."""
    lines = [w("appeals.routes.intro")]
    for route in routes:
        if route["route"] == "consumer_hotline" and route.get("contact"):
            lines.append(w("appeals.routes.consumer_hotline", contact=route["contact"]))
        elif route["route"] == "payment_dispute" and channel in w.t["appeals"]["routes"]["payment_dispute"]:
            lines.append(w(f"appeals.routes.payment_dispute.{channel}"))
    lines.append(w("appeals.routes.keep"))
    return "\n".join(lines)
