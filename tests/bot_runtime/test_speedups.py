"""The patches in bot_extensions/speedups.py keep Rasa's behaviour: the compiled validator accepts
and rejects what jsonschema does, with jsonschema's error; kept sessions reuse connections."""

from __future__ import annotations

import asyncio
import copy

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import bot_extensions  # noqa: F401 - installs the patches

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_no", "value": "P1", "timestamp": None}],
     "responses": [{"response": "utter_ask_reason", "text": None, "buttons": [], "custom": {}}]},
    {"events": [{"event": "active_loop", "name": "after_sales_form"}, {"event": "pause"},
                {"event": "bot", "text": "hi", "data": {"custom": {"kind": "order_card"}}, "metadata": {}},
                {"event": "followup", "name": "action_listen"}],
     "responses": [{"text": "已为您取消", "json_message": {"kind": "refund"}}]},
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 1.0},
                                                               "entities": []}}]},
    {"responses": [{"text": 3}], "events": []},  # Rasa's schema leaves a response's fields open
    {"events": [{"event": "active_loop", "name": 3}]},  # and the form's name
]
BROKEN = [
    {"events": "not a list"},
    {"events": [{"name": "order_no"}]},  # no event type
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": 5}]},
    {"events": [{"event": "slot", "name": "x", "timestamp": "yesterday"}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},  # entity without value
    {"events": [{"event": "slot", "name": "x"}, "not an event"]},
    {"events": [{"event": 7}]},
    "a string",
    [],
]


@pytest.mark.parametrize("response", VALID)
def test_valid_responses_pass_as_they_did(response):
    jsonschema.validate(response, RemoteAction.action_response_format_spec())  # Rasa's own verdict
    assert RemoteAction("action_x", None)._validate_action_result(copy.deepcopy(response)) is True


@pytest.mark.parametrize("response", BROKEN)
def test_broken_responses_fail_with_rasas_error(response):
    with pytest.raises(jsonschema.ValidationError) as rasas:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction("action_x", None)._validate_action_result(copy.deepcopy(response))
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_requests_to_an_endpoint_reuse_one_connection(unused_port):
    async def scenario() -> tuple[list, set]:
        peers: set = set()

        async def webhook(request: web.Request) -> web.Response:
            peers.add(request.transport.get_extra_info("peername"))
            return web.json_response({"echo": (await request.json())["n"]})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", unused_port).start()
        try:
            endpoint = EndpointConfig(f"http://127.0.0.1:{unused_port}/webhook")
            answers = [await endpoint.request(json={"n": n}, method="post") for n in range(5)]
            # A copy of the endpoint (Rasa makes them) shares the connections too.
            answers.append(await endpoint.copy().request(json={"n": 5}, method="post"))
        finally:
            await runner.cleanup()
        return answers, peers

    answers, peers = asyncio.run(scenario())
    assert answers == [{"echo": n} for n in range(6)]
    assert len(peers) == 1  # every request came over the same client socket


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
