"""The chat channels (REST and socket.io): every message checked at the door, and no shopper left
in silence.

At the door (bot_extensions.guard): a malformed REST request gets 400 with the reason; a message
that is too long, has no words, or comes too fast for its conversation gets the channel's own
answer without reaching the NLU; a REST request without `sender` gets a conversation of its own;
every message's metadata carries the channel's session binding and the client's address.

Rasa logs and swallows a failed custom action (action server down, a timeout) and answers with
whatever was said before — often nothing. These channels notice a turn that produced no message
for a conversation that is not paused (a paused one is with a human, and silence is right there)
and answer with an apology and a next step instead.

The socket.io channel also delivers custom payloads (order and result cards) as `{"custom": …}`
messages: Rasa's own passes them to `emit` as keyword arguments, which breaks on any card."""

from __future__ import annotations

import inspect
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request

from bot_extensions import guard
from bot_extensions.language import LANGUAGE, language_of

log = logging.getLogger(__name__)
APOLOGY_RESPONSE = "utter_service_unavailable"
# When even the conversation cannot be read (tracker store down), in the message's language.
FALLBACK_APOLOGY = {
    "zh": "抱歉，系统暂时出了点问题，这一步没有执行。请稍后再试，或说“转人工”。",
    "en": "Sorry, something went wrong on our side and nothing was done. Please try again shortly, "
          "or say \"human agent\".",
}
# One per rasa process, shared by both channels: a conversation is one conversation on either.
MESSAGE_RATE = guard.message_rate(os.environ.get("CHAT_MESSAGE_RATE"))


class ResilientRestInput(InputChannel):
    """Rasa's REST webhook (same URL and reply format: a JSON list of messages), strict about its
    input. The reply's `X-Chat-Session` header carries the session key to send with the next message
    of the conversation; without it, a phone check done earlier does not carry over."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", inspect.getmodule(self).__name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> response.HTTPResponse:
            try:
                chat = guard.parse_rest_body(_json_body(request))
            except guard.MalformedRequest as exc:
                return response.json({"error": str(exc)}, status=400)
            sender = chat.sender or guard.new_conversation_id()
            key = guard.usable_session_key(request.headers.get(guard.SESSION_HEADER)) or guard.new_session_key()
            collector = CollectingOutputChannel()
            message = UserMessage(chat.text, collector, sender, input_channel=self.name(),
                                  metadata=guard.stamped(chat.metadata, sender, key, _address(request)))
            await handle_at_the_door(on_new_message, message, lambda: bool(collector.messages))
            return response.json(collector.messages, headers={guard.SESSION_HEADER: key})

        return webhook


def _json_body(request: Request) -> Any:
    try:
        return request.json
    except Exception as exc:  # noqa: BLE001 - Sanic's parse error: the client's mistake, said as such
        raise guard.MalformedRequest("the body is not valid JSON") from exc


def _address(request: Request | None) -> str | None:
    if request is None:
        return None
    return request.remote_addr or request.ip or None


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
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                log.warning("socket.io message that is not an object ignored")
                return
            sender_id = data.get("session_id") if self.session_persistence else sid
            if not isinstance(sender_id, str) or not sender_id or len(sender_id) > guard.MAX_ID_CHARS:
                log.warning("socket.io message without a usable session_id ignored")
                return
            metadata = data.get(self.metadata_key)
            text = data.get("message")
            # The widget's own session key, else this connection's id: a reload or a second client
            # with the same session_id starts unverified.
            key = guard.usable_session_key(data.get("session_key")) or f"sid:{sid}"
            environ = sio.get_environ(sid, namespace=self.namespace) or {}
            output = CardSocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(text if isinstance(text, str) else "", output, sender_id, input_channel=self.name(),
                                  metadata=guard.stamped(metadata if isinstance(metadata, dict) else {}, sender_id,
                                                         key, _address(environ.get("sanic.request"))))
            await handle_at_the_door(on_new_message, message, lambda: output.sent > 0)

        return blueprint


async def handle_at_the_door(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage,
                             answered: Callable[[], bool]) -> None:
    """The channel's own answer for a message the NLU should not see; otherwise the turn, never silent."""
    own_answer = guard.refusal(message.text or "")
    if own_answer is None and not MESSAGE_RATE.allow(message.sender_id):
        own_answer = guard.TOO_FAST
    if own_answer is not None:
        agent = _agent()
        await message.output_channel.send_text_message(message.sender_id,
                                                       await _say(agent, own_answer, message, None))
        return
    await never_silent(on_new_message, message, answered)


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
        await message.output_channel.send_text_message(message.sender_id,
                                                       await _say(agent, APOLOGY_RESPONSE, message, tracker))


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


async def _say(agent: Any, response_name: str, message: UserMessage, tracker: Any) -> str:
    """One of the domain's responses in the conversation's language: the message's own, else the
    conversation's (its slot), as any reply is chosen."""
    language = language_of(message.text[:guard.MAX_MESSAGE_CHARS], message.metadata)
    if agent is not None:
        if tracker is None and language is None:
            tracker = await _tracker(agent, message.sender_id)
        language = language or (tracker.get_slot(LANGUAGE) if tracker is not None else None)
        wording = DialogueStateTracker(message.sender_id, agent.domain.slots)
        wording.update(SlotSet(LANGUAGE, language or "zh"))
        try:
            generated = await agent.nlg.generate(response_name, wording, message.output_channel.name())
            if generated and generated.get("text"):
                return str(generated["text"])
        except Exception:  # noqa: BLE001
            log.exception("could not word %s", response_name)
    return FALLBACK_APOLOGY[language if language in FALLBACK_APOLOGY else "zh"]
