"""The forms' validation: the after-sales request form (reason, outcome, items, the exchange wish)
and the order question form (what there is to carry out or collect for the question). Both start
from the order lookup (actions.order_lookup)."""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.appeals import APPEAL
from actions.appeals import offer as offer_appeal
from actions.common import (
    customer_of,
    forget_stale_verification,
    latest_intent,
    say_refused,
    say_service_unavailable,
    words,
)
from actions.contracts import Decision, Order, RefundStatus, as_
from actions.order_lookup import OrderLookup
from actions.proposals import PROPOSAL_KINDS, offer
from actions.return_parcels import RETURN_PARCEL
from actions.return_parcels import offer as offer_parcel_record
from actions.topic_cases import TOPIC_CASES
from actions.topic_cases import offer as offer_case
from actions.words import Words, keyword_code
from actions.words.orders import active_items, item_named, refund_status_text
from aftersales.domain import addresses, appeals, order_numbers, parcels, topic_cases
from aftersales.service.errors import ServiceError

log = logging.getLogger(__name__)
# What the shopper's opening words ask for, when the policy allows it for this order.
IMPLIED_OUTCOME = {"cancel_order": "cancel_refund", "return_goods": "return_refund",
                   "intercept_delivery": "intercept", "exchange_goods": "exchange"}
CANCEL_OUTCOMES = {"cancel_refund", "refund_to_balance"}


class ShopperForm(FormValidationAction, OrderLookup):
    """What both forms share: each turn, forget a phone check another client session made; first the
    order and the shopper's identity, then the form's own slots — none while the flow is blocked."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def slots_after_identity(self, tracker: Tracker) -> list[str]: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        forgotten = forget_stale_verification(tracker)
        return [*forgotten, *await super().run(dispatcher, tracker, domain)]

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("flow_blocked"):
            return []
        identity = ["order_no"] if customer_of(tracker) is not None else ["order_no", "phone_last4"]
        return [*identity, *self.slots_after_identity(tracker)]


class ValidateAfterSalesForm(ShopperForm):
    def name(self) -> str:
        return "validate_after_sales_form"

    def slots_after_identity(self, tracker: Tracker) -> list[str]:
        # An exchange also says what instead (size, colour, model), before the summary.
        wish = ["exchange_wish"] if tracker.get_slot("outcome") == "exchange" else []
        return ["reason", "outcome", "item", *wish, "confirmed"]

    async def validate_order_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"order_no": None}
        slots = await self.check_order_no(value, dispatcher, tracker)
        if slots.get("order_state") == "cancelled":
            await self.say_refund_status(slots["order_no"], dispatcher, tracker)
        return slots

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"phone_last4": None}
        slots = await self.check_phone(value, dispatcher, tracker)
        if slots.get("order_state") == "cancelled":
            await self.say_refund_status(tracker.get_slot("order_no"), dispatcher, tracker,
                                         customer=slots["verified_customer"])
        return slots

    async def say_refund_status(self, order_no: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                                customer: str | None = None) -> None:
        dispatcher.utter_message(response="utter_refused_already_cancelled")
        status = as_(RefundStatus, await runtime.call(runtime.services().after_sales.refund_status,
            customer or customer_of(tracker), order_no))
        dispatcher.utter_message(text=refund_status_text(status, words(tracker)))

    async def validate_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"reason": None}
        w = words(tracker)
        text = str(value or "")
        if tracker.get_slot("order_state") is None or order_numbers.find_in_text(text):
            return {"reason": None}
        reason, free_text = self.reason_code(text, tracker, w)
        try:
            options = as_(list[Decision], await runtime.call(
                runtime.services().after_sales.options, customer_of(tracker), tracker.get_slot("order_no"), reason))
        except ServiceError:
            return {"reason": None}
        except Exception:  # noqa: BLE001
            log.exception("options failed")
            say_service_unavailable(dispatcher)
            return {"reason": None, "flow_blocked": "unavailable"}
        slots: dict[str, Any] = {"reason": reason, "reason_text": free_text}
        allowed = [o["outcome"] for o in options]
        implied = IMPLIED_OUTCOME.get(tracker.get_slot("request_kind") or "")
        if implied and not allowed:
            await self.explain_refusal(implied, reason, dispatcher, tracker)
        if not allowed:
            dispatcher.utter_message(response="utter_nothing_possible")
            return {**slots, "flow_blocked": "nothing_possible"}
        chosen = tracker.get_slot("outcome")
        if implied and implied in allowed and not chosen:
            return {**slots, **self.outcome_slots(implied, tracker)}
        if implied and implied not in allowed:
            await self.explain_refusal(implied, reason, dispatcher, tracker)
        return slots

    def reason_code(self, text: str, tracker: Tracker, w: Words) -> tuple[str, str | None]:
        known = set(w.t["reasons"])
        if text in known:
            return text, None
        tagged = next((v for v in tracker.get_latest_entity_values("reason") if v in known), None)
        if tagged:
            return tagged, text[:500]
        return keyword_code("reasons", text) or "other", text[:500]

    async def explain_refusal(self, outcome: str, reason: str, dispatcher: CollectingDispatcher,
                              tracker: Tracker) -> None:
        try:
            decision = as_(Decision, await runtime.call(runtime.services().after_sales.preview, customer_of(tracker),
                                          tracker.get_slot("order_no"), outcome, reason))
        except ServiceError:
            return
        if not decision["allowed"]:
            say_refused(dispatcher, decision)

    async def validate_outcome(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"outcome": None}
        w = words(tracker)
        text = str(value or "")
        outcome = text if text in w.t["outcomes"] else keyword_code("outcomes", text)
        if outcome is None or not tracker.get_slot("reason"):
            return {"outcome": None}
        decision = as_(Decision, await runtime.call(runtime.services().after_sales.preview, customer_of(tracker),
                                      tracker.get_slot("order_no"), outcome, tracker.get_slot("reason")))
        if not decision["allowed"]:
            say_refused(dispatcher, decision)
            return {"outcome": None}
        return self.outcome_slots(outcome, tracker)

    @staticmethod
    def outcome_slots(outcome: str, tracker: Tracker) -> dict[str, Any]:
        # Choosing items makes sense when cancelling several items before shipment, and when
        # exchanging one of several.
        before_shipment = tracker.get_slot("order_state") in ("pending_payment", "paid")
        several = (tracker.get_slot("active_item_count") or 0) > 1
        choose = several and ((outcome in CANCEL_OUTCOMES and before_shipment) or outcome == "exchange")
        return {"outcome": outcome, "item": None if choose else "all"}

    async def validate_exchange_wish(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"exchange_wish": None}
        wish = " ".join(str(value).split())[:200]
        if not wish or wish.startswith("/") or order_numbers.find_in_text(wish):
            return {"exchange_wish": None}
        return {"exchange_wish": wish}

    async def validate_item(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"item": None}
        text = str(value or "").strip()
        if text == "all":
            return {"item": "all"}
        order = as_(Order, await runtime.call(runtime.services().after_sales.lookup_order,
            customer_of(tracker), tracker.get_slot("order_no")))
        active = active_items(order)
        if len(active) <= 1:
            return {"item": "all"}
        if keyword_code("items", text) == "all":
            return {"item": "all"}
        named = item_named(active, text)
        if named is not None:
            return {"item": str(named["id"])}
        dispatcher.utter_message(text=words(tracker)("ask.item_unknown"))
        return {"item": None}


class ValidateOrderQueryForm(ShopperForm):
    def name(self) -> str:
        return "validate_order_query_form"

    def slots_after_identity(self, tracker: Tracker) -> list[str]:
        proposal = tracker.get_slot("proposal")
        if proposal == APPEAL:  # the new evidence (or the alternative), in one message
            return ["appeal_details"]
        if proposal in TOPIC_CASES:  # a case for the merchant: its details, in one message (a parcel never
            return [] if proposal == "not_received" else ["case_details"]  # received: its report says it)
        if proposal == RETURN_PARCEL:  # the return's tracking number, unless the question named it
            return ["return_parcel"]
        address = ["new_address"] if proposal == "change_address" else []
        # Something to carry out (a withdrawal, a price-drop refund, a new address): only on an explicit yes.
        return [*address, "confirmed"] if proposal else []

    async def validate_order_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"order_no": None}
        known = tracker.get_slot("order_state_for")
        if tracker.get_slot("requested_slot") in ("new_address", "return_parcel") and known:
            # The recipient's mobile number in a new address, a tracking number: they read like order
            # numbers, but the order stays.
            return {"order_no": known}
        return await self.with_offer(await self.check_order_no(value, dispatcher, tracker), tracker, dispatcher)

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"phone_last4": None}
        return await self.with_offer(await self.check_phone(value, dispatcher, tracker), tracker, dispatcher)

    async def validate_new_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"new_address": None}
        parsed = addresses.parse(str(value))
        if isinstance(parsed, addresses.Problem):
            dispatcher.utter_message(text=words(tracker)(f"change_address.problems.{parsed}"))
            return {"new_address": None}
        return {"new_address": parsed.text}

    async def validate_case_details(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"case_details": None}
        parsed = topic_cases.parse_details(topic_cases.Topic(tracker.get_slot("proposal")), str(value))
        if isinstance(parsed, topic_cases.Missing):
            dispatcher.utter_message(text=words(tracker)(f"topic_cases.missing.{parsed}"))
            return {"case_details": None}
        return {"case_details": parsed.text}

    async def validate_return_parcel(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"return_parcel": None}
        if parcels.parse_answer(str(value)) is None:
            dispatcher.utter_message(text=words(tracker)("return_parcels.not_understood"))
            return {"return_parcel": None}
        return {"return_parcel": str(value)}

    async def validate_appeal_details(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"appeal_details": None}
        w, text = words(tracker), str(value)
        if text.startswith("/"):  # a button: the alternative offered, or nothing the appeal reads
            chosen = next(tracker.get_latest_entity_values("outcome"), None)
            return {"appeal_details": w("appeals.alternative_words") if chosen == "refund_to_balance" else None}
        parsed: appeals.Details | appeals.Missing = appeals.parse_details(text)
        if isinstance(parsed, appeals.Details) and latest_intent(tracker) == APPEAL and len(parsed.text) < 10:
            parsed = appeals.Missing.DESCRIPTION  # "我要申诉" once more tells the second review nothing new
        if isinstance(parsed, appeals.Missing):
            dispatcher.utter_message(text=w(f"appeals.missing.{parsed}"))
            return {"appeal_details": None}
        return {"appeal_details": parsed.text}

    @staticmethod
    async def with_offer(slots: dict[str, Any], tracker: Tracker,
                         dispatcher: CollectingDispatcher) -> dict[str, Any]:
        """Once the order is known: what there is to carry out or to collect for the question, if anything."""
        kind = tracker.get_slot("query_kind")
        customer = slots.get("verified_customer") or customer_of(tracker)
        order_no = slots["order_no"] or tracker.get_slot("order_no")
        if not slots.get("order_state") or customer is None:
            return {**slots, "proposal": None}
        if kind == APPEAL:
            return {**slots, **await offer_appeal(customer, order_no)}
        if kind in TOPIC_CASES:
            return {**slots, **await offer_case(kind, customer, order_no)}
        if kind in PROPOSAL_KINDS:
            return {**slots, **await offer(kind, customer, order_no, tracker, dispatcher)}
        if kind == RETURN_PARCEL:
            return {**slots, **await offer_parcel_record(customer, order_no)}
        return {**slots, "proposal": None}
