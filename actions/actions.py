"""Custom actions. Each one reads the dialogue, calls the service, and says what came back; the
rules are in the policy engine and the words in actions/texts/ and domain.yml."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import presenter, runtime
from actions.common import (
    ORDER_SLOTS,
    REQUEST_SLOTS,
    customer_of,
    forget_stale_verification,
    latest_intent,
    recent_transcript,
    reset,
    say_order,
    say_service_unavailable,
    words,
)
from actions.proposals import PROPOSAL_KINDS, carry_out, offer
from actions.topic_cases import TOPIC_CASES, open_case
from actions.topic_cases import offer as offer_case
from aftersales.domain import addresses, order_numbers, topic_cases
from aftersales.service.errors import InvalidOrderNumber, OrderNotFound, ServiceError, TooManyAttempts

log = logging.getLogger(__name__)
# Fail at start-up, not at the first chat, when the configuration is unusable (e.g. production
# without real secrets).
runtime.settings()

MAX_FAILED_LOOKUPS = 3
# What the shopper's opening words ask for, when the policy allows it for this order.
IMPLIED_OUTCOME = {"cancel_order": "cancel_refund", "return_goods": "return_refund",
                   "intercept_delivery": "intercept", "exchange_goods": "exchange"}
CANCEL_OUTCOMES = {"cancel_refund", "refund_to_balance"}
QUERY_KINDS = {"check_refund_status", *TOPIC_CASES, *PROPOSAL_KINDS}
# Money moves only on the confirm button, or on a message read as `affirm` with high confidence that
# also says yes in words: garbage ("undefined", control characters) can read as affirm at 0.5–0.7.
CONFIRM_BUTTON = "/affirm"
MIN_CONFIRM_CONFIDENCE = 0.8
_AFFIRMING = re.compile(r"确认|确定|是的|是|好|可以|对|嗯|行|提交|同意|没问题|办吧|"
                        r"\b(yes|yeah|yep|yup|ok|okay|sure|confirm\w*|go ahead|do it|correct|right|fine|please)\b",
                        re.IGNORECASE)


def is_explicit_confirmation(message: dict[str, Any]) -> bool:
    text = str(message.get("text") or "").strip()
    if text.startswith(CONFIRM_BUTTON):
        return True
    intent = message.get("intent") or {}
    return (intent.get("name") == "affirm" and float(intent.get("confidence") or 0.0) >= MIN_CONFIRM_CONFIDENCE
            and bool(_AFFIRMING.search(text)))


class OrderLookup:
    """Validation shared by both forms: the order number, then who is asking, then the order — and
    the confirmation before anything changes."""

    async def check_order_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        if (tracker.get_slot("failed_lookups") or 0) >= MAX_FAILED_LOOKUPS:
            dispatcher.utter_message(response="utter_lookup_locked")
            return {"order_no": None, "flow_blocked": "locked"}
        text = str(value or "")
        order_no = order_numbers.parse_answer(text)
        if order_no is None:
            # Nothing usable: the form asks again; a wrong-length number gets told the format first.
            if order_numbers.looks_like_attempt(text):
                dispatcher.utter_message(response="utter_order_no_malformed", raw=text.strip()[:30])
            return {"order_no": None}
        changed = order_no != tracker.get_slot("order_state_for")
        slots: dict[str, Any] = {"order_no": order_no}
        if changed and tracker.get_slot("order_state"):
            # A different order mid-request: what was said about the old one no longer applies.
            slots.update({name: None for name in (*REQUEST_SLOTS, "order_state")})
        customer = runtime.customer_id(tracker)
        if customer is None:
            # No signed token: the phone check (next slot) decides whose order this is.
            return {**slots, "verified_customer": None}
        return {**slots, **await self.load(order_no, customer, dispatcher, tracker)}

    async def check_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        digits = re.sub(r"\D", "", str(value or ""))[-4:]
        order_no = tracker.get_slot("order_no")
        try:
            customer = await runtime.call(runtime.services().after_sales.identify_by_phone, order_no, digits,
                                          runtime.client_address(tracker))
        except TooManyAttempts as refused:
            dispatcher.utter_message(response="utter_attempts_locked", minutes=max(1, refused.retry_after_s // 60))
            return {"phone_last4": None, "order_no": None, "flow_blocked": "locked"}
        except (OrderNotFound, InvalidOrderNumber):
            failed = (tracker.get_slot("failed_lookups") or 0) + 1
            locked = failed >= MAX_FAILED_LOOKUPS
            dispatcher.utter_message(response="utter_lookup_locked" if locked else "utter_phone_mismatch")
            return {"phone_last4": None, "order_no": None, "failed_lookups": failed,
                    "flow_blocked": "locked" if locked else None}
        except Exception:  # noqa: BLE001 - any storage failure: apologise, change nothing
            log.exception("phone check failed")
            say_service_unavailable(dispatcher)
            return {"phone_last4": None, "flow_blocked": "unavailable"}
        return {"phone_last4": digits, "verified_customer": customer,
                "verified_session": runtime.session_binding(tracker),
                **await self.load(order_no, customer, dispatcher, tracker)}

    async def validate_confirmed(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        if value is not True:  # "no", or reset by an action
            return {"confirmed": value}
        if customer_of(tracker) is None:  # only the verified shopper's own session confirms
            return {"confirmed": None}
        if is_explicit_confirmation(tracker.latest_message or {}):
            return {"confirmed": True}
        dispatcher.utter_message(response="utter_confirm_explicitly")
        return {"confirmed": None}

    async def load(self, order_no: str, customer: str, dispatcher: CollectingDispatcher,
                   tracker: Tracker) -> dict[str, Any]:
        try:
            order = await runtime.call(runtime.services().after_sales.lookup_order, customer, order_no)
        except TooManyAttempts:
            dispatcher.utter_message(response="utter_lookup_locked")
            return {"order_no": None, "flow_blocked": "locked"}
        except (OrderNotFound, InvalidOrderNumber):
            failed = (tracker.get_slot("failed_lookups") or 0) + 1
            if failed >= MAX_FAILED_LOOKUPS:
                dispatcher.utter_message(response="utter_lookup_locked")
                return {"order_no": None, "failed_lookups": failed, "flow_blocked": "locked"}
            dispatcher.utter_message(response="utter_order_not_found", order_no=order_no)
            return {"order_no": None, "failed_lookups": failed}
        except Exception:  # noqa: BLE001
            log.exception("order lookup failed")
            say_service_unavailable(dispatcher)
            return {"order_no": None, "flow_blocked": "unavailable"}
        say_order(dispatcher, order, words(tracker))
        virtual = all(i["goods_type"].startswith("virtual") for i in order["items"])
        return {"order_state": order["state"], "order_state_for": order["order_no"],
                "active_item_count": len(presenter.active_items(order)),
                "fulfillment": "virtual" if virtual else "physical"}


class ValidateAfterSalesForm(FormValidationAction, OrderLookup):
    def name(self) -> str:
        return "validate_after_sales_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        forgotten = forget_stale_verification(tracker)
        return [*forgotten, *await super().run(dispatcher, tracker, domain)]

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("flow_blocked"):
            return []
        slots = ["order_no"]
        if customer_of(tracker) is None:
            slots.append("phone_last4")
        # An exchange also says what instead (size, colour, model), before the summary.
        wish = ["exchange_wish"] if tracker.get_slot("outcome") == "exchange" else []
        return [*slots, "reason", "outcome", "item", *wish, "confirmed"]

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
        status = await runtime.call(runtime.services().after_sales.refund_status,
            customer or customer_of(tracker), order_no)
        dispatcher.utter_message(text=presenter.refund_status_text(status, words(tracker)))

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
            options = await runtime.call(runtime.services().after_sales.options, customer_of(tracker),
                                         tracker.get_slot("order_no"), reason)
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

    def reason_code(self, text: str, tracker: Tracker, w: presenter.Words) -> tuple[str, str | None]:
        known = set(w.t["reasons"])
        if text in known:
            return text, None
        tagged = next((v for v in tracker.get_latest_entity_values("reason") if v in known), None)
        if tagged:
            return tagged, text[:500]
        return presenter.keyword_code("reasons", text) or "other", text[:500]

    async def explain_refusal(self, outcome: str, reason: str, dispatcher: CollectingDispatcher,
                              tracker: Tracker) -> None:
        try:
            decision = await runtime.call(runtime.services().after_sales.preview, customer_of(tracker),
                                          tracker.get_slot("order_no"), outcome, reason)
        except ServiceError:
            return
        if not decision["allowed"]:
            dispatcher.utter_message(response=f"utter_refused_{decision['code']}")

    async def validate_outcome(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"outcome": None}
        w = words(tracker)
        text = str(value or "")
        outcome = text if text in w.t["outcomes"] else presenter.keyword_code("outcomes", text)
        if outcome is None or not tracker.get_slot("reason"):
            return {"outcome": None}
        decision = await runtime.call(runtime.services().after_sales.preview, customer_of(tracker),
                                      tracker.get_slot("order_no"), outcome, tracker.get_slot("reason"))
        if not decision["allowed"]:
            dispatcher.utter_message(response=f"utter_refused_{decision['code']}")
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
        order = await runtime.call(runtime.services().after_sales.lookup_order,
            customer_of(tracker), tracker.get_slot("order_no"))
        active = presenter.active_items(order)
        if len(active) <= 1:
            return {"item": "all"}
        if presenter.keyword_code("items", text) == "all":
            return {"item": "all"}
        named = presenter.item_named(active, text)
        if named is not None:
            return {"item": str(named["id"])}
        dispatcher.utter_message(text=words(tracker)("ask.item_unknown"))
        return {"item": None}


class ValidateOrderQueryForm(FormValidationAction, OrderLookup):
    def name(self) -> str:
        return "validate_order_query_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        forgotten = forget_stale_verification(tracker)
        return [*forgotten, *await super().run(dispatcher, tracker, domain)]

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        if tracker.get_slot("flow_blocked"):
            return []
        slots = ["order_no"] if customer_of(tracker) is not None else ["order_no", "phone_last4"]
        proposal = tracker.get_slot("proposal")
        if proposal in TOPIC_CASES:  # a case for the merchant: its details, in one message
            return [*slots, "case_details"]
        if proposal == "change_address":
            slots.append("new_address")
        # Something to carry out (a withdrawal, a price-drop refund, a new address): only on an explicit yes.
        return [*slots, "confirmed"] if proposal else slots

    async def validate_order_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"order_no": None}
        known = tracker.get_slot("order_state_for")
        if tracker.get_slot("requested_slot") == "new_address" and known:
            # The recipient's mobile number in the new address reads like an order number: the order stays.
            return {"order_no": known}
        return await self.with_offer(await self.check_order_no(value, dispatcher, tracker), tracker)

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        if value is None:  # reset by an action, not said by the shopper
            return {"phone_last4": None}
        return await self.with_offer(await self.check_phone(value, dispatcher, tracker), tracker)

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

    @staticmethod
    async def with_offer(slots: dict[str, Any], tracker: Tracker) -> dict[str, Any]:
        """Once the order is known: what there is to carry out or to collect for the question, if anything."""
        kind = tracker.get_slot("query_kind")
        customer = slots.get("verified_customer") or customer_of(tracker)
        order_no = slots["order_no"] or tracker.get_slot("order_no")
        if not slots.get("order_state") or customer is None:
            return {**slots, "proposal": None}
        if kind in TOPIC_CASES:
            return {**slots, **await offer_case(kind, customer, order_no)}
        if kind in PROPOSAL_KINDS:
            return {**slots, **await offer(kind, customer, order_no, tracker)}
        return {**slots, "proposal": None}


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


class ActionStartQuery(Action):
    def name(self) -> str:
        return "action_start_query"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = latest_intent(tracker)
        kind = intent if intent in QUERY_KINDS else "check_order_status"
        return [SlotSet("query_kind", kind), *reset("flow_blocked", "proposal", "confirmed")]


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
        dispatcher.utter_message(text=w(f"ask.reason.{group}"), buttons=presenter.reason_buttons(group, w))
        return []


class ActionAskOutcome(Action):
    def name(self) -> str:
        return "action_ask_outcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        try:
            options = await runtime.call(runtime.services().after_sales.options, customer_of(tracker),
                                         tracker.get_slot("order_no"), tracker.get_slot("reason"))
        except Exception:  # noqa: BLE001
            log.exception("options failed")
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable")]
        dispatcher.utter_message(text=w("ask.outcome"), buttons=presenter.outcome_buttons(options, w))
        return []


class ActionAskItem(Action):
    def name(self) -> str:
        return "action_ask_item"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        order = await runtime.call(runtime.services().after_sales.lookup_order,
            customer_of(tracker), tracker.get_slot("order_no"))
        if len(presenter.active_items(order)) <= 1:
            return [SlotSet("item", "all")]
        dispatcher.utter_message(text=w("ask.item"), buttons=presenter.item_buttons(order, w))
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
            order = await runtime.call(runtime.services().after_sales.lookup_order, customer, order_no)
            decision = await runtime.call(runtime.services().after_sales.preview,
                customer, order_no, tracker.get_slot("outcome"),
                                          tracker.get_slot("reason"), chosen_item_ids(tracker))
        except Exception:  # noqa: BLE001
            log.exception("preview failed")
            say_service_unavailable(dispatcher)
            return [SlotSet("flow_blocked", "unavailable")]
        if not decision["allowed"]:
            dispatcher.utter_message(response=f"utter_refused_{decision['code']}")
            return [SlotSet("outcome", None)]
        dispatcher.utter_message(
            text=presenter.summary(order, decision, tracker.get_slot("reason"), w, tracker.get_slot("exchange_wish")),
            buttons=[{"title": w("buttons.confirm"), "payload": "/affirm"},
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
            result = await runtime.call(runtime.services().after_sales.submit,
                customer, order_no, outcome, reason, items,
                                        idempotency_key=key, conversation_id=tracker.sender_id, context=context,
                                        exchange_wish=tracker.get_slot("exchange_wish"))
            order = await runtime.call(runtime.services().after_sales.lookup_order, customer, order_no)
        except Exception:  # noqa: BLE001 - e.g. storage down: the transaction rolled back, nothing changed
            log.exception("submit failed")
            say_service_unavailable(dispatcher)
            return done
        if result["status"] == "refused":
            dispatcher.utter_message(response=f"utter_refused_{result['decision']['code']}")
            return done
        for text in presenter.result_texts(result, order, w):
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message=presenter.result_card(result, w))
        return [*done, SlotSet("order_state", order["state"])]


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
        w = words(tracker)
        service = runtime.services().after_sales
        try:
            order = await runtime.call(service.lookup_order, customer, order_no)
            if kind == "check_refund_status":
                status = await runtime.call(service.refund_status, customer, order_no)
                dispatcher.utter_message(text=presenter.refund_status_text(status, w))
            else:
                dispatcher.utter_message(response=f"utter_state_{order['state']}", order_no=order["order_no"],
                                         carrier=order["carrier"] or "", tracking_no=order["tracking_no"] or "")
                for text in presenter.exchange_status_texts(order, w):
                    dispatcher.utter_message(text=text)
        except ServiceError:
            dispatcher.utter_message(response="utter_order_not_found", order_no=order_no)
        except Exception:  # noqa: BLE001
            log.exception("query failed")
            say_service_unavailable(dispatcher)
        return reset("query_kind")


class ActionCaseUpdate(Action):
    """Tells the shopper, unasked, what the merchant decided or that the refund arrived. Run by
    the notifier through Rasa's API (intent EXTERNAL_case_update); the open form, if any, goes on."""

    def name(self) -> str:
        return "action_case_update"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        raw = next(tracker.get_latest_entity_values("notification_id"), None)
        try:
            update = await runtime.call(runtime.services().after_sales.notification, int(str(raw)), tracker.sender_id)
        except (TypeError, ValueError, ServiceError):
            log.info("conversation %s asked for notification %r, which is not its own", tracker.sender_id, raw)
            return []
        for text in presenter.case_update_texts(update, words(tracker)):
            dispatcher.utter_message(text=text)
        return []


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
