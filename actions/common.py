"""What the actions of every topic share: the shopper's words and identity, slot resets, the
transcript that goes with a case."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import presenter, runtime

REQUEST_SLOTS = ("reason", "reason_text", "outcome", "item", "confirmed", "flow_blocked")
ORDER_SLOTS = ("order_no", "order_state", "phone_last4", "verified_customer", "active_item_count", "fulfillment")


def words(tracker: Tracker) -> presenter.Words:
    return presenter.Words(runtime.language(tracker))


def reset(*names: str) -> list[EventType]:
    return [SlotSet(name, None) for name in names]


def customer_of(tracker: Tracker) -> str | None:
    """From the signed token, or from a phone check done earlier in this conversation."""
    return runtime.customer_id(tracker) or tracker.get_slot("verified_customer")


def say_service_unavailable(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(response="utter_service_unavailable")


def say_order(dispatcher: CollectingDispatcher, order: dict[str, Any], w: presenter.Words) -> None:
    text, card = presenter.order_card(order, w)
    dispatcher.utter_message(text=text, json_message=card)


def recent_transcript(tracker: Tracker, limit: int = 30) -> list[dict[str, str]]:
    lines = [{"from": "shopper" if e["event"] == "user" else "bot", "text": (e.get("text") or "")[:1000]}
             for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text")]
    return lines[-limit:]


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message or {}).get("intent", {}).get("name")
