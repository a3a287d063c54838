"""The shopper's rating of a decided case: asked once, with buttons, under the decision's news
(ActionCaseUpdate), and recorded when a button is pressed (`/rate_case{"score": 4}`), through
aftersales.service.satisfaction — the first score counts, another chat's case is refused."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import customer_of, words
from actions.words import Words
from aftersales.service.errors import InvalidInput, NotFound, ServiceError
from aftersales.service.satisfaction import SCORES

# The slot that remembers which case the buttons are about (set by the bot only: no mapping from
# what the shopper sends).
RATING_SLOT = "rating_ticket"


def rating_buttons(w: Words) -> list[dict[str, str]]:
    return [{"title": w(f"satisfaction.score_{score}"), "payload": f'/rate_case{{"score": {score}}}'}
            for score in SCORES]


async def ask_for_rating(dispatcher: CollectingDispatcher, tracker: Tracker, ticket_no: str) -> list[EventType]:
    """Under a decision's news: the rating question and its buttons, once per case (the service
    remembers). Not while a form is asking its own questions: its answer would be taken for theirs."""
    if tracker.active_loop.get("name"):
        return []
    if not await runtime.call(runtime.services().satisfaction.ask, ticket_no, tracker.sender_id):
        return []
    w = words(tracker)
    dispatcher.utter_message(text=w("satisfaction.ask", ticket_no=ticket_no), buttons=rating_buttons(w))
    return [SlotSet(RATING_SLOT, ticket_no)]


class ActionRateCase(Action):
    def name(self) -> str:
        return "action_rate_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        w = words(tracker)
        ticket_no = tracker.get_slot(RATING_SLOT)
        if not ticket_no:
            dispatcher.utter_message(text=w("satisfaction.nothing"))
            return []
        score = next(tracker.get_latest_entity_values("score"), None)
        try:
            result = await runtime.call(runtime.services().satisfaction.rate, str(ticket_no), score,
                                        tracker.sender_id, customer_of(tracker))
        except InvalidInput:
            dispatcher.utter_message(text=w("satisfaction.use_buttons"), buttons=rating_buttons(w))
            return []
        except NotFound:
            dispatcher.utter_message(text=w("satisfaction.refused"))
            return []
        except ServiceError:
            dispatcher.utter_message(text=w("satisfaction.nothing"))
            return []
        key = "satisfaction.thanks" if result["status"] == "recorded" else "satisfaction.already"
        dispatcher.utter_message(text=w(key, ticket_no=result["ticket_no"], score=result["score"]))
        return []
