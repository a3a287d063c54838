"""General questions (the FAQ retrieval intent), answered with the figures of the shop whose chat it
is: the answer and its figures come from the shop's policy (aftersales.domain.faq), the words from
the bot's responses (domain.yml `utter_faq/<topic>` and its variants)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from aftersales.service.errors import NotFound

log = logging.getLogger(__name__)


def faq_topic(tracker: Tracker) -> str | None:
    """The FAQ selector's pick for the latest message (e.g. ``refund_time``), or None."""
    selector = (tracker.latest_message or {}).get("response_selector") or {}
    key = ((selector.get("faq") or {}).get("response") or {}).get("intent_response_key") or ""
    return key.split("/", 1)[1] if key.startswith("faq/") else None


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        topic = faq_topic(tracker)
        if topic is None:
            dispatcher.utter_message(response="utter_please_rephrase")
            return []
        policies = runtime.services().shop_policies
        default_shop = runtime.settings().default_shop_id
        shop = str(runtime.metadata(tracker).get("shop_id") or default_shop)[:64]
        answer: dict[str, Any]
        try:
            try:
                answer = await runtime.call(policies.faq_answer, shop, topic)
            except NotFound:  # a client naming a shop we do not host: the platform's default shop
                answer = await runtime.call(policies.faq_answer, default_shop, topic)
        except Exception:  # noqa: BLE001 - no figures rather than wrong ones
            log.exception("FAQ %s for shop %s", topic, shop)
            dispatcher.utter_message(response="utter_service_unavailable")
            return []
        dispatcher.utter_message(response=answer["response"], **answer["figures"])
        return []
