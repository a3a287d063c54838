"""Invoices, repairs, missing items, delivery times and parcels never received in the chat: the
order question form identifies the order; when the policy allows a case (slot ``proposal``), it asks
for the details in one message (slot ``case_details``; a parcel never received: the shopper's report
says it), and action_answer_query opens the case with the fields the merchant needs. When it does
not, the shopper hears why and what they can do instead — a parcel not yet delivered, where it is."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import answered, customer_of, offer_when, recent_transcript, reset, say_service_unavailable, words
from actions.contracts import TopicCaseResult, TopicCheck, as_
from actions.words import Words
from aftersales.domain import topic_cases

log = logging.getLogger(__name__)
TOPIC_CASES = ("invoice", "repair", "missing_item", "change_delivery_time", "not_received")
NOT_RECEIVED = "not_received"
# Refusals after which the shop's people may still help: the answer offers them as a button.
HUMAN_CAN_HELP = {"no_warranty", "warranty_expired", "window_closed"}
NOT_RECEIVED_HUMAN_CAN_HELP = {"window_closed", "not_shipped_goods"}


def not_received_report(tracker: Tracker) -> str | None:
    """The shopper's latest message saying the goods never reached them (显示签收但没收到)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and topic_cases.reports_not_received(str(event.get("text") or "")):
            return str(event.get("text"))[:500]
    return None


async def offer(kind: str, customer: str, order_no: str) -> dict[str, Any]:
    return await offer_when(kind, "open", runtime.services().topic_cases.check, customer, order_no, kind)


class ActionAskOrderQueryFormCaseDetails(Action):
    """What the merchant needs for this kind of case, asked in one message."""

    def name(self) -> str:
        return "action_ask_order_query_form_case_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        kind = tracker.get_slot("proposal")
        try:
            checked = as_(TopicCheck, await runtime.call(runtime.services().topic_cases.check, customer_of(tracker),
                                         tracker.get_slot("order_no"), kind))
        except Exception:  # noqa: BLE001
            log.exception("%s check failed", kind)
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable"), SlotSet("proposal", None)]
        lines = [w(f"topic_cases.ask.{kind}", ends=w.when(checked["ends_at"]))]
        if kind == "change_delivery_time" and checked["delay_hours"]:
            lines.append(w("topic_cases.delay_hours", hours=checked["delay_hours"]))
        dispatcher.utter_message(text="\n".join(lines))
        return []


async def open_case(kind: str, customer: str, order_no: str, dispatcher: CollectingDispatcher,
                    tracker: Tracker) -> list[EventType]:
    w = words(tracker)
    done = reset("proposal", "case_details")
    service = runtime.services().topic_cases
    details = tracker.get_slot("case_details") or (not_received_report(tracker) if kind == NOT_RECEIVED else None)
    asked_at = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)

    async def ask() -> TopicCaseResult:
        if tracker.get_slot("proposal") == kind and details:
            return as_(TopicCaseResult, await runtime.call(
                service.open, customer, order_no, kind, details, conversation_id=tracker.sender_id,
                idempotency_key=f"{tracker.sender_id}:{kind}:{asked_at}", transcript=recent_transcript(tracker)))
        # Not offered (or the details not asked): the check, read as what came of it.
        checked = as_(TopicCheck, await runtime.call(service.check, customer, order_no, kind))
        return {"status": checked["verdict"], "ticket": None, "ends_at": checked["ends_at"],
                "carrier": checked["carrier"], "tracking_no": checked["tracking_no"], "state": checked["state"]}

    result = await answered(dispatcher, order_no, f"{kind} case", ask)
    if result is None:
        return done
    status, ticket = result["status"], result.get("ticket")
    if status == "opened":
        assert ticket is not None
        wish = (result.get("details") or {}).get("wish")
        dispatcher.utter_message(text=w(f"topic_cases.opened.{kind}", ticket_no=ticket["ticket_no"],
                                        hours=round(result["sla_hours"]),
                                        wish=w(f"topic_cases.wishes.{wish}") if wish else ""))
    elif status == "already_open":
        assert ticket is not None
        dispatcher.utter_message(text=w("topic_cases.already_open", ticket_no=ticket["ticket_no"],
                                        kind=w.label("ticket_kinds", ticket["kind"])))
    elif status == "open":  # allowed, but the details were not asked (a failure a moment ago)
        dispatcher.utter_message(text=w("topic_cases.ask_again"))
    elif kind == NOT_RECEIVED:
        say_not_received(result, order_no, dispatcher, w)
    else:
        buttons = ([{"title": w("topic_cases.human_button"), "payload": "/request_human"}]
                   if status in HUMAN_CAN_HELP else [])
        key = "in_delivery_no_tracking" if status == "in_delivery" and not result.get("tracking_no") else status
        dispatcher.utter_message(text=w(f"topic_cases.verdicts.{key}", ends=w.when(result.get("ends_at")),
                                        carrier=result.get("carrier") or "", tracking_no=result.get("tracking_no")
                                        or ""), buttons=buttons)
    return done


def say_not_received(result: TopicCaseResult, order_no: str, dispatcher: CollectingDispatcher, w: Words) -> None:
    """No investigation: an order not yet delivered is told where it is; otherwise why not, and who can help."""
    status = result["status"]
    if status == "not_delivered":
        dispatcher.utter_message(response=f"utter_state_{result.get('state')}", order_no=order_no,
                                 carrier=result.get("carrier") or "", tracking_no=result.get("tracking_no") or "")
        dispatcher.utter_message(text=w("not_received.not_delivered"))
        return
    human = status in NOT_RECEIVED_HUMAN_CAN_HELP
    buttons = [{"title": w("topic_cases.human_button"), "payload": "/request_human"}] if human else []
    key = status if status in w.t["not_received"] else "closed"
    dispatcher.utter_message(text=w(f"not_received.{key}", ends=w.when(result.get("ends_at"))), buttons=buttons)
