"""The chat channels (REST and socket.io), made to never leave a shopper in silence.

Rasa logs and swallows a failed custom action (action server down, a timeout) and answers with
whatever was said before — often nothing. These channels notice a turn that produced no message
for a conversation that is not paused (a paused one is with a human, and silence is right there)
and answer with an apology and a next step instead.

The socket.io channel also delivers custom payloads (order and result cards) as `{"custom": …}`
messages: Rasa's own passes them to `emit` as keyword arguments, which breaks on any card."""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic

from bot_extensions.language import language_of

log = logging.getLogger(__name__)
APOLOGY_RESPONSE = "utter_service_unavailable"
# When even the conversation cannot be read (tracker store down), in the message's language.
FALLBACK_APOLOGY = {
    "zh": "抱歉，系统暂时出了点问题，这一步没有执行。请稍后再试，或说“转人工”。",
    "en": "Sorry, something went wrong on our side and nothing was done. Please try again shortly, "
          "or say \"human agent\".",
}
MAX_MESSAGE_CHARS = 2000  # longer messages are cut here, as the REST channel's callers do


class ResilientRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle(message: UserMessage) -> None:
            collector = message.output_channel
            # Only a collecting channel can tell whether the turn said something.
            await never_silent(on_new_message, message,
                               lambda: not isinstance(collector, CollectingOutputChannel) or bool(collector.messages))

        return super().blueprint(handle)


class CardSocketIOOutput(SocketIOOutput):
    """Counts what it sends (to notice silence) and sends cards as ordinary messages."""

    def __init__(self, sio: Any, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        # A card with its plain-text version (for text-only channels) goes as one message: the
        # widget draws the card and keeps the text for screen readers, instead of showing both.
        if message.get("custom") and message.get("text") and not (message.get("buttons")
                                                                  or message.get("quick_replies")):
            await self._send_message(recipient_id, {"text": message["text"], "custom": message["custom"]})
            return
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # A merchant's reply (a bot event the inbox appended with metadata from=merchant) says so,
        # so the widget can show who is speaking.
        if kwargs.get("from") != "merchant":
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        await self._send_message(recipient_id, {"text": text, "metadata": {"from": "merchant",
                                                                           "name": kwargs.get("name")}})


class ChatSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same name, so `output_channel=latest` reaches it), with cards that
    arrive and turns that never end in silence. Session ids are the client's, as in Rasa: the widget
    makes a 128-bit random one, so a room cannot be guessed."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> CardSocketIOOutput | None:  # type: ignore[override]
        return None if self.sio is None else CardSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio

        # Registered again under the same events: these replace the base channel's handlers.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            # Rasa 3.6 calls enter_room without awaiting it; python-socketio 5.10+ made it a
            # coroutine, so the socket never joined its room and no answer ever reached the widget.
            session_id = (data or {}).get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: dict[str, Any]) -> None:
            sender_id = data.get("session_id") if self.session_persistence else sid
            if not sender_id:
                log.warning("socket.io message without a session_id ignored")
                return
            metadata = data.get(self.metadata_key) or {}
            output = CardSocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(str(data.get("message") or "")[:MAX_MESSAGE_CHARS], output, sender_id,
                                  input_channel=self.name(), metadata=metadata if isinstance(metadata, dict) else {})
            await never_silent(on_new_message, message, lambda: output.sent > 0)

        return blueprint


async def never_silent(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage,
                       answered: Callable[[], bool]) -> None:
    """Handle the message; if the turn said nothing and the chat is not with a human (or handling
    failed), say the apology with a next step."""
    failed = False
    try:
        await on_new_message(message)
    except Exception:  # noqa: BLE001 - the base channels would log and answer nothing
        log.exception("handling a message failed")
        failed = True
    if answered():
        return
    agent = _agent()
    tracker = await _tracker(agent, message.sender_id)
    if failed or tracker is None or not tracker.is_paused():
        await message.output_channel.send_text_message(message.sender_id, await _apology(agent, tracker, message))


def _agent() -> Any:
    try:
        return Sanic.get_app().ctx.agent
    except Exception:  # noqa: BLE001 - no single app registered: no agent to ask
        return None


async def _tracker(agent: Any, sender_id: str) -> Any:
    if agent is None:
        return None
    try:
        return await agent.tracker_store.retrieve(sender_id)
    except Exception:  # noqa: BLE001
        return None


async def _apology(agent: Any, tracker: Any, message: UserMessage) -> str:
    """The domain's apology in the conversation's language (its slot), as any reply is chosen."""
    if tracker is not None:
        try:
            response = await agent.nlg.generate(APOLOGY_RESPONSE, tracker, message.output_channel.name())
            if response and response.get("text"):
                return response["text"]
        except Exception:  # noqa: BLE001
            log.exception("could not word the apology")
    return FALLBACK_APOLOGY[language_of(message.text, message.metadata) or "zh"]
