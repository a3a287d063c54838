"""What the shopper is told unasked: the notifier (aftersales.service.notifications) runs
action_case_update through Rasa's API when a merchant decided, a refund arrived or the chat is
handed back."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.common import words
from actions.contracts import CaseUpdate, as_
from actions.satisfaction import ask_for_rating
from actions.words.updates import case_update_texts
from aftersales.service.errors import ServiceError

log = logging.getLogger(__name__)


class ActionCaseUpdate(Action):
    """Tells the shopper, unasked, what the merchant decided or that the refund arrived — and under a
    decision, once, asks them to rate how the case was handled. Run by the notifier through Rasa's
    API (intent EXTERNAL_case_update); the open form, if any, goes on."""

    def name(self) -> str:
        return "action_case_update"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        raw = next(tracker.get_latest_entity_values("notification_id"), None)
        try:
            update = as_(CaseUpdate, await runtime.call(runtime.services().after_sales.notification, int(str(raw)),
                                                        tracker.sender_id))
        except (TypeError, ValueError, ServiceError):
            log.info("conversation %s asked for notification %r, which is not its own", tracker.sender_id, raw)
            return []
        for text in case_update_texts(update, words(tracker)):
            dispatcher.utter_message(text=text)
        ticket = update["ticket"]
        if update["kind"] == "decision" and ticket is not None:
            return await ask_for_rating(dispatcher, tracker, ticket["ticket_no"])
        return []
