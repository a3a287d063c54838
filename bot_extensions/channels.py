"""The REST channel, made to never leave a shopper in silence.

Rasa logs and swallows a failed custom action (action server down, a timeout) and answers with
whatever was said before — often nothing. This channel notices a turn that produced no message
for a conversation that is not paused (a paused one is with a human, and silence is right there)
and answers with an apology and a next step instead."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

log = logging.getLogger(__name__)
APOLOGY_RESPONSE = "utter_service_unavailable"
FALLBACK_APOLOGY = "抱歉，系统暂时出了点问题，这一步没有执行。请稍后再试，或说“转人工”。"


class ResilientRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        agent_ref: dict[str, Any] = {}

        async def handle(message: UserMessage) -> None:
            failed = False
            try:
                await on_new_message(message)
            except Exception:  # noqa: BLE001 - the base channel would log and answer nothing
                log.exception("handling a message failed")
                failed = True
            collector = message.output_channel
            silent = isinstance(collector, CollectingOutputChannel) and not collector.messages
            if silent and (failed or not await self._paused(agent_ref.get("agent"), message.sender_id)):
                await collector.send_text_message(message.sender_id, self._apology(agent_ref.get("agent")))

        blueprint = super().blueprint(handle)

        @blueprint.on_request
        async def remember_agent(request: Any) -> None:
            agent_ref["agent"] = getattr(request.app.ctx, "agent", None)

        return blueprint

    @staticmethod
    async def _paused(agent: Any, sender_id: str) -> bool:
        if agent is None:
            return False
        try:
            tracker = await agent.tracker_store.retrieve(sender_id)
        except Exception:  # noqa: BLE001
            return False
        return tracker is not None and tracker.is_paused()

    @staticmethod
    def _apology(agent: Any) -> str:
        try:
            return agent.domain.responses[APOLOGY_RESPONSE][0]["text"]
        except Exception:  # noqa: BLE001
            return FALLBACK_APOLOGY
