"""Questions about one order: its status (and its exchanges), its refunds — and the questions the
order question form collected something for (a case for the merchant, a proposal to carry out)."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import customer_of, latest_intent, reset, say_service_unavailable, words
from actions.contracts import Order, RefundStatus, as_
from actions.proposals import PROPOSAL_KINDS, carry_out
from actions.return_parcels import RETURN_PARCEL, record
from actions.topic_cases import TOPIC_CASES, open_case
from actions.words.orders import exchange_status_texts, refund_status_text
from aftersales.domain import parcels
from aftersales.service.errors import ServiceError

log = logging.getLogger(__name__)
QUERY_KINDS = {"check_refund_status", RETURN_PARCEL, *TOPIC_CASES, *PROPOSAL_KINDS}


class ActionStartQuery(Action):
    def name(self) -> str:
        return "action_start_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = latest_intent(tracker)
        kind = intent if intent in QUERY_KINDS else "check_order_status"
        text = str((tracker.latest_message or {}).get("text") or "")
        named = parcels.find(text) is not None
        if intent == "inform" and named:  # "SF1234567890" alone: a courier's number, not an order's
            kind = RETURN_PARCEL
        # "退货寄出了，顺丰 SF…": the parcel is in the message that asks; otherwise the form asks for it.
        parcel_words = text if kind == RETURN_PARCEL and named else None
        return [SlotSet("query_kind", kind), SlotSet("return_parcel", parcel_words),
                *reset("flow_blocked", "proposal", "confirmed")]


class ActionAnswerQuery(Action):
    """Order status, refund status or an address change, for an order already identified."""

    def name(self) -> str:
        return "action_answer_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("flow_blocked"):
            return reset("flow_blocked", "query_kind")
        intent = latest_intent(tracker)
        kind = intent if intent in ("check_refund_status", "check_order_status") else tracker.get_slot("query_kind")
        customer, order_no = customer_of(tracker), tracker.get_slot("order_no")
        if customer is None or order_no is None:
            dispatcher.utter_message(response="utter_ask_order_no")
            return []
        if kind in TOPIC_CASES:
            return [*await open_case(kind, customer, order_no, dispatcher, tracker), *reset("query_kind")]
        if kind in PROPOSAL_KINDS:
            return [*await carry_out(kind, customer, order_no, dispatcher, tracker), *reset("query_kind")]
        if kind == RETURN_PARCEL:
            return [*await record(customer, order_no, dispatcher, tracker), *reset("query_kind")]
        w = words(tracker)
        service = runtime.services().after_sales
        try:
            order = as_(Order, await runtime.call(service.lookup_order, customer, order_no))
            if kind == "check_refund_status":
                status = as_(RefundStatus, await runtime.call(service.refund_status, customer, order_no))
                dispatcher.utter_message(text=refund_status_text(status, w))
            else:
                dispatcher.utter_message(response=f"utter_state_{order['state']}", order_no=order["order_no"],
                                         carrier=order["carrier"] or "", tracking_no=order["tracking_no"] or "")
                for text in exchange_status_texts(order, w):
                    dispatcher.utter_message(text=text)
        except ServiceError:
            dispatcher.utter_message(response="utter_order_not_found", order_no=order_no)
        except Exception:  # noqa: BLE001
            log.exception("query failed")
            say_service_unavailable(dispatcher)
        return reset("query_kind")
