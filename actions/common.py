"""What the actions of every topic share: the shopper's words and identity, slot resets, the
transcript that goes with a case."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.contracts import Decision, Order
from actions.words import Words, number
from actions.words.orders import order_card
from aftersales.service.errors import (
    InvalidOrderNumber,
    NotFound,
    OrderNotFound,
    ServiceError,
    TooManyAttempts,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

REQUEST_SLOTS = ("reason", "reason_text", "outcome", "item", "exchange_wish", "confirmed", "flow_blocked", "proposal",
                 "new_address", "case_details", "return_parcel", "appeal_details")
ORDER_SLOTS = ("order_no", "order_state", "phone_last4", "verified_customer", "verified_session", "active_item_count",
               "fulfillment")
VERIFICATION_SLOTS = ("phone_last4", "verified_customer", "verified_session")


def words(tracker: Tracker) -> Words:
    return Words(runtime.language(tracker))


def reset(*names: str) -> list[EventType]:
    return [SlotSet(name, None) for name in names]


def customer_of(tracker: Tracker) -> str | None:
    """From the signed token, or from a phone check passed earlier in this conversation by this same
    client session: whoever replays the conversation's id without its session key is a stranger."""
    return runtime.customer_id(tracker) or phone_verified_customer(tracker)


def phone_verified_customer(tracker: Tracker) -> str | None:
    customer = tracker.get_slot("verified_customer")
    if customer and tracker.get_slot("verified_session") == runtime.session_binding(tracker):
        return str(customer)
    return None


def stale_verification(tracker: Tracker) -> bool:
    """A phone check of another client session: it must be asked again, not inherited."""
    return bool(tracker.get_slot("verified_customer")) and phone_verified_customer(tracker) is None


def say_service_unavailable(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(response="utter_service_unavailable")


def say_refused(dispatcher: CollectingDispatcher, decision: Decision) -> None:
    """Why the policy refused, with its figures for this shop (days to return, an interception's distance)."""
    figures = {name: number(value) for name, value in (decision.get("figures") or {}).items()}
    dispatcher.utter_message(response=f"utter_refused_{decision['code']}", **figures)


async def answered(dispatcher: CollectingDispatcher, order_no: str | None, what: str,
                   ask: Callable[[], Awaitable[T]]) -> T | None:
    """What ``ask`` got from the service about an order; None when it failed, once the shopper was told
    why — the order is not theirs or not known; look-ups are paused; the order changed under the
    request; the service is unavailable — and each time nothing changed (its transaction rolled back)."""
    try:
        return await ask()
    except (OrderNotFound, NotFound, InvalidOrderNumber):
        dispatcher.utter_message(response="utter_order_not_found", order_no=order_no)
    except TooManyAttempts:
        dispatcher.utter_message(response="utter_lookup_locked")
    except ServiceError:  # a conflict with the order's latest state, or a request it cannot take
        log.info("%s not done for %s", what, order_no, exc_info=True)
        dispatcher.utter_message(response="utter_request_not_done")
    except Exception:  # noqa: BLE001 - logged; the shopper hears it and can try again
        log.exception("%s failed", what)
        say_service_unavailable(dispatcher)
    return None


def say_order(dispatcher: CollectingDispatcher, order: Order, w: Words) -> None:
    text, card = order_card(order, w)
    dispatcher.utter_message(text=text, json_message=card)


def recent_transcript(tracker: Tracker, limit: int = 30) -> list[dict[str, str]]:
    lines = [{"from": "shopper" if e["event"] == "user" else "bot", "text": (e.get("text") or "")[:1000]}
             for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text")]
    return lines[-limit:]


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message or {}).get("intent", {}).get("name")


def forget_stale_verification(tracker: Tracker) -> list[EventType]:
    """Before a form runs: drop a phone check of another client session from the tracker, so the
    form asks for the digits again instead of taking them as given — and any confirmation given so
    far, which the verified shopper must give again."""
    if not stale_verification(tracker):
        return []
    dropped = reset(*VERIFICATION_SLOTS, "confirmed")
    tracker.add_slots(dropped)
    return dropped


async def offer_when(proposal: str, verdict: str, check: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """Slot ``proposal`` set when the service's ``check(*args)`` answers ``verdict`` (there is something to
    collect or carry out); nothing offered when it answers otherwise or fails — action_answer_query then
    says what it can."""
    try:
        checked = await runtime.call(check, *args)
    except Exception:  # noqa: BLE001 - nothing offered
        log.exception("%s check failed", proposal)
        return {"proposal": None}
    return {"proposal": proposal if checked["verdict"] == verdict else None}
