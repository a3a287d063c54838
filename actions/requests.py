"""A request about an order (cancel, refund, return, intercept, exchange): starting it, asking for
the reason, the outcome and the items, the summary before anything changes, submitting it — and
leaving it (abandoned, or another order)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import (
    ORDER_SLOTS,
    REQUEST_SLOTS,
    customer_of,
    latest_intent,
    recent_transcript,
    reset,
    say_refused,
    say_service_unavailable,
    words,
)
from actions.contracts import Confirmation, Decision, Order, SubmitResult, as_
from actions.order_lookup import CONFIRM_BUTTON
from actions.words.orders import active_items, item_buttons, outcome_buttons, reason_buttons
from actions.words.requests import result_card, result_texts, summary

log = logging.getLogger(__name__)


class ActionStartRequest(Action):
    """The shopper asked for something: remember what, forget any earlier unfinished request."""

    def name(self) -> str:
        return "action_start_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = latest_intent(tracker)
        if intent == tracker.get_slot("request_kind") and tracker.active_loop.get("name") == "after_sales_form":
            # "换成 43 码" in an exchange already under way: an answer to the form, not a new request.
            return []
        events = [SlotSet("request_kind", intent), *reset("outcome", "item", "exchange_wish", "confirmed",
                                                          "flow_blocked")]
        if not list(tracker.get_latest_entity_values("reason")):
            events += reset("reason", "reason_text")
        return events


class ActionAskReason(Action):
    def name(self) -> str:
        return "action_ask_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # The common reasons differ by where the order is (seeds 000, 001 §3, 002 §3).
        state = tracker.get_slot("order_state")
        group = ("virtual" if tracker.get_slot("fulfillment") == "virtual" else
                 "before_shipment" if state in ("pending_payment", "paid") else
                 "in_delivery" if state in ("shipped", "in_transit", "out_for_delivery") else "after_delivery")
        w = words(tracker)
        dispatcher.utter_message(text=w(f"ask.reason.{group}"), buttons=reason_buttons(group, w))
        return []


class ActionAskOutcome(Action):
    def name(self) -> str:
        return "action_ask_outcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        try:
            options = as_(list[Decision], await runtime.call(
                runtime.services().after_sales.options, customer_of(tracker), tracker.get_slot("order_no"),
                tracker.get_slot("reason")))
        except Exception:  # noqa: BLE001
            log.exception("options failed")
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable")]
        dispatcher.utter_message(text=w("ask.outcome"), buttons=outcome_buttons(options, w))
        return []


class ActionAskItem(Action):
    def name(self) -> str:
        return "action_ask_item"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        order = as_(Order, await runtime.call(runtime.services().after_sales.lookup_order,
            customer_of(tracker), tracker.get_slot("order_no")))
        if len(active_items(order)) <= 1:
            return [SlotSet("item", "all")]
        dispatcher.utter_message(text=w("ask.item"), buttons=item_buttons(order, w))
        return []


def chosen_item_ids(tracker: Tracker) -> list[int]:
    item = tracker.get_slot("item")
    return [int(item)] if item and item != "all" and item.isdigit() else []


class ActionAskConfirmed(Action):
    """The summary before anything changes: what, how much, to where, when, what happens next."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        customer, order_no = customer_of(tracker), tracker.get_slot("order_no")
        try:
            read = as_(Confirmation, await runtime.call(runtime.services().after_sales.confirmation,
                customer, order_no, tracker.get_slot("outcome"), tracker.get_slot("reason"), chosen_item_ids(tracker)))
        except Exception:  # noqa: BLE001
            log.exception("preview failed")
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable")]
        order, decision = read["order"], read["decision"]
        if not decision["allowed"]:
            say_refused(dispatcher, decision)
            return [SlotSet("outcome", None)]
        dispatcher.utter_message(
            text=summary(order, decision, tracker.get_slot("reason"), w, tracker.get_slot("exchange_wish")),
            buttons=[{"title": w("buttons.confirm"), "payload": CONFIRM_BUTTON},
                     {"title": w("buttons.reconsider"), "payload": "/deny"}])
        return []


class ActionSubmitRequest(Action):
    def name(self) -> str:
        return "action_submit_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        done = [*reset(*REQUEST_SLOTS, "request_kind")]
        if tracker.get_slot("flow_blocked"):
            return done
        if tracker.get_slot("confirmed") is not True:
            dispatcher.utter_message(response="utter_not_confirmed")
            return done
        w = words(tracker)
        customer, order_no = customer_of(tracker), tracker.get_slot("order_no")
        outcome, reason = tracker.get_slot("outcome"), tracker.get_slot("reason")
        items = chosen_item_ids(tracker)
        # The same confirmation delivered twice (a retried HTTP call) must not act twice.
        confirmation = (tracker.latest_message or {}).get("message_id") or str(len(tracker.events))
        key = f"{tracker.sender_id}:{order_no}:{outcome}:{items}:{confirmation}"
        context = {"reason_text": tracker.get_slot("reason_text"), "transcript": recent_transcript(tracker)}
        try:
            result = as_(SubmitResult, await runtime.call(runtime.services().after_sales.submit,
                customer, order_no, outcome, reason, items,
                                        idempotency_key=key, conversation_id=tracker.sender_id, context=context,
                                        exchange_wish=tracker.get_slot("exchange_wish")))
        except Exception:  # noqa: BLE001 - e.g. storage down: the transaction rolled back, nothing changed
            log.exception("submit failed")
            say_service_unavailable(dispatcher)
            return done
        if result["status"] == "refused":
            say_refused(dispatcher, result["decision"])
            return done
        for text in result_texts(result, w):
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message=result_card(result, w))
        return [*done, SlotSet("order_state", result["order"]["state"])]


class ActionSwitchOrder(Action):
    def name(self) -> str:
        return "action_switch_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_switch_order")
        return reset(*ORDER_SLOTS, "order_state_for", *REQUEST_SLOTS)


class ActionAbandonRequest(Action):
    def name(self) -> str:
        return "action_abandon_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_request_abandoned")
        return reset(*REQUEST_SLOTS, "request_kind", "query_kind", "requested_slot")
