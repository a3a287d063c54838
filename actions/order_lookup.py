"""Who is asking about which order — validation both forms share: the order number, then who is
asking (the signed token, else the phone check), then the order; and the explicit confirmation
before anything changes."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import REQUEST_SLOTS, customer_of, say_order, say_service_unavailable, words
from actions.contracts import Order, as_
from actions.words.orders import active_items
from aftersales.domain import order_numbers, parcels
from aftersales.service.errors import InvalidOrderNumber, OrderNotFound, TooManyAttempts

log = logging.getLogger(__name__)

MAX_FAILED_LOOKUPS = 3
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
        latest = str((tracker.latest_message or {}).get("text") or "")
        if parcels.find(latest) is not None:
            # The message names a parcel too ("退货寄出了 SF…，订单 P…"): the order number is the other one,
            # and without one the order already known stays.
            named = order_numbers.parse_answer(latest) or tracker.get_slot("order_state_for")
            if named is None:
                return {"order_no": None}
            text = named
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
            order = as_(Order, await runtime.call(runtime.services().after_sales.lookup_order, customer, order_no))
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
                "active_item_count": len(active_items(order)),
                "fulfillment": "virtual" if virtual else "physical"}
