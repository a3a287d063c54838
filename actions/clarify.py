"""Not understood: ask which of the two likeliest readings was meant; when the next message is not
understood either, offer a human. Out of scope: say so and offer a human."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_intent, words

NOT_UNDERSTOOD = ("nlu_fallback", "out_of_scope")
# A reading below this is a guess, not something to put in front of the shopper.
MIN_READING_CONFIDENCE = 0.05


def readings(parse_data: dict[str, Any], offered: set[str], limit: int = 2) -> list[str]:
    """The likeliest intents of a message that the bot can offer as buttons, best first."""
    ranked = parse_data.get("intent_ranking") or []
    found = [r["name"] for r in ranked
             if r.get("name") in offered and float(r.get("confidence") or 0.0) >= MIN_READING_CONFIDENCE]
    return list(dict.fromkeys(found))[:limit]


class ActionHandleFallback(Action):
    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if latest_intent(tracker) == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        user_turns = [e for e in tracker.events if e.get("event") == "user"]
        previous = user_turns[-2].get("parse_data", {}).get("intent", {}).get("name") if len(user_turns) > 1 else None
        if previous in NOT_UNDERSTOOD:
            dispatcher.utter_message(response="utter_offer_human")
            return []
        w = words(tracker)
        offered = readings(tracker.latest_message or {}, set(w.t["readings"]))
        if not offered:
            dispatcher.utter_message(response="utter_please_rephrase")
            return []
        buttons = [{"title": w.label("readings", name), "payload": f"/{name}"} for name in offered]
        buttons.append({"title": w("buttons.human"), "payload": "/request_human"})
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return []
