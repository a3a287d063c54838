"""People: 转人工 and complaints. Each opens a case in the merchant's inbox with everything the
conversation collected, through the helpdesk API."""

from __future__ import annotations

import logging
from datetime import datetime
from http import HTTPStatus
from typing import TypedDict

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import REQUEST_SLOTS, customer_of, recent_transcript, reset
from actions.contracts import Ticket, as_
from aftersales.adapters.helpdesk_client import HelpdeskError
from aftersales.domain import order_numbers

log = logging.getLogger(__name__)


class OpenedCase(TypedDict):
    """The case the shopper is told about: its number, and in how many hours the shop answers."""
    ticket_no: str
    sla_hours: int


async def hand_over(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[EventType]:
    ticket = await open_case(tracker, "escalation", dispatcher)
    if ticket is None:
        return reset("query_kind")
    dispatcher.utter_message(response="utter_handoff", ticket_no=ticket["ticket_no"], hours=ticket["sla_hours"])
    return [*reset(*REQUEST_SLOTS, "request_kind", "query_kind"), ConversationPaused()]


class ActionHandoff(Action):
    """转人工: a ticket with everything collected so far, then the bot steps back until the
    merchant hands the conversation back."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await hand_over(tracker, dispatcher)


class ActionOpenComplaint(Action):
    def name(self) -> str:
        return "action_open_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        ticket = await open_case(tracker, "complaint", dispatcher)
        if ticket is not None:
            dispatcher.utter_message(response="utter_complaint_opened", ticket_no=ticket["ticket_no"],
                                     hours=ticket["sla_hours"])
        return []


async def open_case(tracker: Tracker, kind: str, dispatcher: CollectingDispatcher) -> OpenedCase | None:
    customer = customer_of(tracker)
    # The order the conversation is about, or the one the handoff message itself names
    # ("转人工 P2026… 快递太慢了"); only a known shopper can name one.
    named = order_numbers.parse_answer(str((tracker.latest_message or {}).get("text") or ""))
    order_no = (tracker.get_slot("order_no") or named) if customer else None
    shop = runtime.metadata(tracker).get("shop_id") or runtime.settings().default_shop_id
    slots = {name: tracker.get_slot(name) for name in ("request_kind", "order_no", "order_state", "reason",
                                                       "reason_text", "outcome", "item", "query_kind")}
    summary = "\n".join(f'{line["from"]}: {line["text"]}' for line in recent_transcript(tracker, 12))
    case = {"kind": kind, "customer_id": customer, "order_no": order_no,
            "shop_id": None if order_no else str(shop)[:64], "summary": summary or kind,
            "reason": slots["reason"], "desired_outcome": slots["outcome"], "conversation_id": tracker.sender_id,
            "client_address": runtime.client_address(tracker),
            "context": {"slots": slots, "transcript": recent_transcript(tracker)}}
    # One case per request of the shopper's, however often the call is retried.
    asked_at = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)
    key = f"{tracker.sender_id}:{kind}:{asked_at}"
    try:
        try:
            result = await runtime.call(runtime.services().helpdesk.open_case, case, key)
        except HelpdeskError as refused:
            if refused.status != HTTPStatus.NOT_FOUND or not order_no:
                raise
            # Not this shopper's order (or no such order): the case still lands, without it.
            case = {**case, "order_no": None, "shop_id": str(shop)[:64]}
            result = await runtime.call(runtime.services().helpdesk.open_case, case, f"{key}:without-order")
    except Exception as failure:  # noqa: BLE001 - the shopper hears that it failed and what to do instead
        limited = isinstance(failure, HelpdeskError) and failure.status == HTTPStatus.TOO_MANY_REQUESTS
        if not limited:
            log.exception("opening a %s case failed", kind)
        dispatcher.utter_message(response="utter_too_many_cases" if limited else "utter_handoff_failed")
        return None
    ticket = as_(Ticket, result["ticket"])
    due, created = ticket["sla_due_at"] or "", ticket["created_at"] or ""
    hours = round((datetime.fromisoformat(due) - datetime.fromisoformat(created)).total_seconds() / 3600)
    return {"ticket_no": ticket["ticket_no"], "sla_hours": hours}


