"""申诉 in the chat: the order question form identifies the order; when its latest rejected request
can be appealed (slot ``proposal`` = "appeal"), it tells the shopper what was turned down and why and
asks for the new evidence in one message (slot ``appeal_details``; the balance instead, as a button,
where the policy offers it); action_answer_query then opens the appeal. When nothing can be appealed,
the shopper hears why — and after a second rejection, the routes outside the shop."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import answered, customer_of, offer_when, recent_transcript, reset, say_service_unavailable, words
from actions.contracts import AppealCheck, AppealResult, as_
from actions.words.appeals import appeal_ask, appeal_result

log = logging.getLogger(__name__)
REFUND_TO_BALANCE = "refund_to_balance"
APPEAL = "appeal"


async def offer(customer: str, order_no: str) -> dict[str, Any]:
    return await offer_when(APPEAL, "open", runtime.services().appeals.check, customer, order_no)


class ActionAskOrderQueryFormAppealDetails(Action):
    """What was turned down and why, and what the second review needs, asked in one message."""

    def name(self) -> str:
        return "action_ask_order_query_form_appeal_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            checked = as_(AppealCheck, await runtime.call(runtime.services().appeals.check, customer_of(tracker),
                                                          tracker.get_slot("order_no")))
        except Exception:  # noqa: BLE001
            log.exception("appeal check failed")
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable"), SlotSet("proposal", None)]
        if checked["verdict"] != "open":  # decided in another chat a moment ago: say what it is now
            lines, buttons = appeal_result({**checked, "status": checked["verdict"]}, words(tracker))
            dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
            return [SlotSet("flow_blocked", "nothing_possible"), SlotSet("proposal", None)]
        text, buttons = appeal_ask(checked, words(tracker))
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


async def answer(customer: str, order_no: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Open the appeal with the shopper's details, or say why there is nothing to appeal."""
    done = reset("proposal", "appeal_details")
    service = runtime.services().appeals
    details = tracker.get_slot("appeal_details")
    asked_at = next((e.get("timestamp") for e in reversed(tracker.events) if e.get("event") == "user"), None)

    async def ask() -> AppealResult:
        if tracker.get_slot("proposal") == APPEAL and details:
            return as_(AppealResult, await runtime.call(
                service.open, customer, order_no, details, conversation_id=tracker.sender_id,
                idempotency_key=f"{tracker.sender_id}:appeal:{asked_at}", transcript=recent_transcript(tracker),
                # The alternative only from its button (validate_appeal_details words the choice so).
                alternative=REFUND_TO_BALANCE if details == words(tracker)("appeals.alternative_words") else None))
        checked = as_(AppealCheck, await runtime.call(service.check, customer, order_no))
        return as_(AppealResult, {**checked, "status": checked["verdict"]})

    result = await answered(dispatcher, order_no, "appeal", ask)
    if result is None:
        return done
    if result["status"] == "open":  # allowed, but the details were not asked (a failure a moment ago)
        dispatcher.utter_message(text=words(tracker)("appeals.ask_again"))
        return done
    lines, buttons = appeal_result(result, words(tracker))
    for n, text in enumerate(lines, start=1):
        dispatcher.utter_message(text=text, buttons=buttons if n == len(lines) else [])
    return done
