"""Questions about one order: its status (and its exchanges), its refunds — and the questions the
order question form collected something for (a case for the merchant, a proposal to carry out, an
appeal). A status question that says the goods never arrived ("显示签收了但我没收到") is a parcel to
investigate, not a status to read out (the status intents cover such lines: docs/labelling-guide.md)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appeals, runtime
from actions.common import answered, customer_of, latest_intent, reset, words
from actions.contracts import Order, RefundStatus, as_
from actions.proposals import PROPOSAL_KINDS, carry_out
from actions.return_parcels import RETURN_PARCEL, record
from actions.topic_cases import NOT_RECEIVED, TOPIC_CASES, open_case
from actions.words.orders import exchange_status_texts, refund_status_text
from aftersales.domain import parcels
from aftersales.domain.topic_cases import reports_not_received

# The slot the order question form asks for each kind's answer.
ANSWER_SLOTS = {RETURN_PARCEL: "return_parcel", appeals.APPEAL: "appeal_details"}
QUERY_KINDS = {"check_refund_status", RETURN_PARCEL, *TOPIC_CASES, *PROPOSAL_KINDS, appeals.APPEAL}


def query_kind(tracker: Tracker, kind: str) -> str:
    """The question ``kind`` is, read with the shopper's words: a status question (or a missing item
    shown delivered) that says the goods never reached them asks for a logistics investigation."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if kind == "check_order_status" and reports_not_received(text):
        return NOT_RECEIVED
    if kind == "missing_item" and reports_not_received(text, shown_delivered=True):
        return NOT_RECEIVED
    return kind


class ActionStartQuery(Action):
    def name(self) -> str:
        return "action_start_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = latest_intent(tracker)
        kind = query_kind(tracker, intent if intent in QUERY_KINDS else "check_order_status")
        text = str((tracker.latest_message or {}).get("text") or "")
        named = parcels.find(text) is not None
        if intent == "inform" and named:  # "SF1234567890" alone: a courier's number, not an order's
            kind = RETURN_PARCEL
        if kind == tracker.get_slot("query_kind") and tracker.get_slot("requested_slot") == ANSWER_SLOTS.get(kind):
            # The answer to the form's own question in the question's words ("顺丰 SF…" when asked for the
            # parcel, "申诉，因为…" when asked for the evidence): the form takes it; nothing starts over.
            return []
        # "退货寄出了，顺丰 SF…": the parcel is in the message that asks; otherwise the form asks for it.
        parcel_words = text if kind == RETURN_PARCEL and named else None
        return [SlotSet("query_kind", kind), SlotSet("return_parcel", parcel_words),
                *reset("flow_blocked", "proposal", "confirmed", "appeal_details")]


class ActionAnswerQuery(Action):
    """Order status, refund status or an address change, for an order already identified."""

    def name(self) -> str:
        return "action_answer_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("flow_blocked"):
            return reset("flow_blocked", "query_kind")
        intent = latest_intent(tracker)
        asked = intent if intent in ("check_refund_status", "check_order_status") else None
        # A status question in the last message decides, read with its words.
        kind = query_kind(tracker, asked) if asked else tracker.get_slot("query_kind")
        customer, order_no = customer_of(tracker), tracker.get_slot("order_no")
        if customer is None or order_no is None:
            dispatcher.utter_message(response="utter_ask_order_no")
            return []
        if kind == appeals.APPEAL:
            return [*await appeals.answer(customer, order_no, dispatcher, tracker), *reset("query_kind")]
        if kind in TOPIC_CASES:
            return [*await open_case(kind, customer, order_no, dispatcher, tracker), *reset("query_kind")]
        if kind in PROPOSAL_KINDS:
            return [*await carry_out(kind, customer, order_no, dispatcher, tracker), *reset("query_kind")]
        if kind == RETURN_PARCEL:
            return [*await record(customer, order_no, dispatcher, tracker), *reset("query_kind")]
        w = words(tracker)
        service = runtime.services().after_sales

        async def ask() -> tuple[Order, RefundStatus | None]:
            order = as_(Order, await runtime.call(service.lookup_order, customer, order_no))
            if kind != "check_refund_status":
                return order, None
            return order, as_(RefundStatus, await runtime.call(service.refund_status, customer, order_no))

        answer = await answered(dispatcher, order_no, "query", ask)
        if answer is None:
            return reset("query_kind")
        order, refunds = answer
        if refunds is not None:
            dispatcher.utter_message(text=refund_status_text(refunds, w))
        else:
            dispatcher.utter_message(response=f"utter_state_{order['state']}", order_no=order["order_no"],
                                     carrier=order["carrier"] or "", tracking_no=order["tracking_no"] or "")
            for text in exchange_status_texts(order, w):
                dispatcher.utter_message(text=text)
        return reset("query_kind")
