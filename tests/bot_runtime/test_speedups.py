"""The patches in bot_extensions/speedups.py and dialogue_speedups.py keep Rasa's behaviour: the
compiled validator accepts and rejects what jsonschema does, with jsonschema's error; kept sessions
reuse connections; request bodies, dropped slot events, graph runs, rule look-ups, tracker states
and slot copies come out as Rasa's own."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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

        async with serving(webhook, unused_port):
            endpoint = EndpointConfig(f"http://127.0.0.1:{unused_port}/webhook")
            answers = [await endpoint.request(json={"n": n}, method="post") for n in range(5)]
            # A copy of the endpoint (Rasa makes them) shares the connections too.
            answers.append(await endpoint.copy().request(json={"n": 5}, method="post"))
        return answers, peers

    answers, peers = asyncio.run(scenario())
    assert answers == [{"echo": n} for n in range(6)]
    assert len(peers) == 1  # every request came over the same client socket


def test_a_requests_headers_go_out_with_its_body_in_one_write(unused_port, monkeypatch):
    from asyncio.selector_events import _SelectorSocketTransport

    import aiohttp

    writes: list[bytes] = []
    rasas_write = _SelectorSocketTransport.write

    def write(self: Any, data: bytes) -> None:
        if self.get_extra_info("peername")[1] == unused_port:  # the client's side only
            writes.append(bytes(data))
        rasas_write(self, data)

    monkeypatch.setattr(_SelectorSocketTransport, "write", write)

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response({"got": (await request.read()).decode(), "method": request.method})

    async def scenario() -> list:
        async with serving(webhook, unused_port):
            endpoint = EndpointConfig(f"http://127.0.0.1:{unused_port}/webhook")
            posted = await endpoint.request(json={"n": 1}, method="post")
            sent = list(writes)
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{unused_port}/webhook"
                async with session.get(url) as without_body:  # headers alone, on the writer's drain
                    got = await without_body.json()
                async with session.post(url, data=b"after 100", expect100=True) as waiting:
                    continued = await waiting.json()
        return [posted, sent, got, continued]

    posted, sent, got, continued = asyncio.run(scenario())
    assert posted == {"got": '{"n":1}', "method": "POST"}
    [request] = sent  # one write: the headers and the body
    assert request.startswith(b"POST /webhook HTTP/1.1\r\n") and request.endswith(b'\r\n\r\n{"n":1}')
    assert got == {"got": "", "method": "GET"} and continued == {"got": "after 100", "method": "POST"}


@contextlib.asynccontextmanager
async def serving(webhook: Any, port: int) -> AsyncIterator[None]:
    """A real HTTP server on loopback answering /webhook with `webhook`."""
    app = web.Application()
    app.router.add_route("*", "/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_domain_goes_to_an_action_server_once(unused_port):
    """rasa-sdk's protocol: calls carry the domain's fingerprint; a server without that domain
    answers 449 and gets the call again with the domain, which it keeps."""
    from pathlib import Path

    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))

    async def scenario() -> tuple[list[tuple[bool, str]], list]:
        calls: list[tuple[bool, str]] = []
        held: dict[str, str] = {}

        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            calls.append(("domain" in body, body["domain_digest"]))
            if "domain" in body:
                held["digest"] = body["domain_digest"]
            elif held.get("digest") != body["domain_digest"]:
                return web.json_response({"error": "domain missing", "action_name": body["next_action"]},
                                         status=449)
            return web.json_response({"events": [{"event": "slot", "name": "order_no", "value": "P1"}],
                                      "responses": []})

        async with serving(webhook, unused_port):
            action = RemoteAction("action_start_request", EndpointConfig(f"http://127.0.0.1:{unused_port}/webhook"))
            tracker = DialogueStateTracker("s", domain.slots)
            results = [await action.run(None, None, tracker, domain) for _ in range(3)]
        return calls, results

    calls, results = asyncio.run(scenario())
    assert [with_domain for with_domain, _ in calls] == [False, True, False, False]
    assert {digest for _, digest in calls} == {domain.fingerprint()}
    assert all(events[0].key == "order_no" and events[0].value == "P1" for events in results)


def test_other_action_server_errors_stay_errors(unused_port):
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.exceptions import RasaException

    async def scenario() -> int:
        attempts = []

        async def webhook(request: web.Request) -> web.Response:
            attempts.append(1)
            return web.json_response({"error": "boom"}, status=500)

        async with serving(webhook, unused_port):
            action = RemoteAction("action_x", EndpointConfig(f"http://127.0.0.1:{unused_port}/webhook"))
            with pytest.raises(RasaException):
                await action.run(None, None, DialogueStateTracker("s", []), Domain.empty())
        return len(attempts)

    assert asyncio.run(scenario()) == 1  # not repeated


def test_a_runner_builds_the_graph_for_its_targets_once(tmp_path, monkeypatch):

    from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    class Add(GraphComponent):
        @classmethod
        def create(cls, config: dict, model_storage: Any, resource: Any, execution_context: Any) -> Add:
            return cls(config["n"])

        def __init__(self, n: int) -> None:
            self.n = n

        def add(self, x: int) -> int:
            return x + self.n

    def node(needs: str, n: int, target: bool = False) -> SchemaNode:
        return SchemaNode(needs={"x": needs}, uses=Add, constructor_name="create", fn="add", config={"n": n},
                          is_target=target)

    schema = GraphSchema({"plus_one": node("value", 1), "plus_ten": node("plus_one", 10, target=True),
                          "unused": node("value", 100)})
    walked = []
    original = GraphSchema.minimal_graph_schema
    monkeypatch.setattr(GraphSchema, "minimal_graph_schema",
                        lambda self, targets=None: walked.append(targets) or original(self, targets))
    runner = DaskGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema), None)
    results = [runner.run(inputs={"value": v}) for v in (1, 2, 3)]
    assert [r["plus_ten"] for r in results] == [12, 13, 14]  # each run its own input, nothing left over
    assert "unused" not in results[0]
    assert runner.run(inputs={"value": 0}, targets=["plus_one"]) == {"plus_one": 1}
    assert walked == [["plus_ten"], ["plus_one"]]  # once per set of targets


MODEL = Path(__file__).resolve().parents[2] / "models" / "aftersales.tar.gz"


@pytest.fixture(scope="module")
def rule_policy():
    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RulePolicy

    assert MODEL.exists(), "no trained model in models/ (make train)"
    agent = Agent.load(str(MODEL))
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node._component for node in nodes if isinstance(node._component, RulePolicy))


def conversations(lookup: dict[str, str]) -> list[list[dict]]:
    """Conversation states to ask the rule table about: each rule's own states, the same after a long
    history of other rules' states (past the longest rule), cut short, and with a slot changed."""
    rules = [json.loads(key) for key in sorted(lookup)]
    history = [state for rule in rules[:12] for state in rule]
    asked = []
    for rule in rules:
        asked += [rule, history + rule, rule[1:], history[-3:] + rule[:-1]]
        changed = json.loads(json.dumps(rule))
        if changed and changed[-1].get("slots"):
            name = next(iter(changed[-1]["slots"]))
            changed[-1]["slots"][name] = [0.5]
        asked.append(changed)
    return [[{part: {k: tuple(v) if isinstance(v, list) else v for k, v in features.items()}
              for part, features in state.items()} for state in states] for states in asked]


def test_the_rule_policy_finds_the_rules_that_rasa_finds(rule_policy):
    from rasa.core.policies.rule_policy import RulePolicy

    rasas = RulePolicy._get_possible_keys.__wrapped__
    lookups = [table for table in rule_policy.lookup.values() if isinstance(table, dict) and table]
    assert sum(len(table) for table in lookups) > 100  # the trained model's rules
    compared = 0
    for lookup in lookups:
        for states in conversations(lookup):
            expected = rasas(rule_policy, lookup, states)
            assert rule_policy._get_possible_keys(lookup, states) == expected
            assert rule_policy._get_possible_keys(lookup, states) == expected  # and again, from memory
            compared += 1
    assert compared > 500


def test_rules_kept_in_memory_go_when_the_rule_table_changes(rule_policy):
    from rasa.core.policies.rule_policy import RulePolicy

    lookup = dict(next(table for table in rule_policy.lookup.values() if isinstance(table, dict) and table))
    states = conversations(lookup)[0]
    before = rule_policy._get_possible_keys(lookup, states)
    assert before
    for key in before:
        del lookup[key]  # what training does to a table between predictions
    assert rule_policy._get_possible_keys(lookup, states) == RulePolicy._get_possible_keys.__wrapped__(
        rule_policy, lookup, states) == set()


def slot_tracker(*applied):
    from rasa.shared.core.slots import BooleanSlot, TextSlot
    from rasa.shared.core.trackers import DialogueStateTracker

    slots = [TextSlot("order_no", mappings=[]), TextSlot("reason", mappings=[]), BooleanSlot("confirmed", mappings=[]),
             TextSlot("requested_slot", mappings=[])]
    tracker = DialogueStateTracker("shopper", slots)
    for event in applied:
        tracker.update(event)
    return tracker


def test_an_action_servers_slot_events_that_change_nothing_are_dropped_and_the_rest_kept():
    from rasa.shared.core.events import ActionExecuted, AllSlotsReset, BotUttered, SlotSet, UserUttered

    from bot_extensions.speedups import unchanged_slots_dropped

    said = BotUttered("好的")
    tracker = slot_tracker(SlotSet("reason", "wrong_item"), SlotSet("confirmed", True), UserUttered("拍错了"),
                           ActionExecuted("after_sales_form"))
    answer = [said, SlotSet("order_no", None), SlotSet("reason", "wrong_item"), SlotSet("confirmed", 1),
              SlotSet("requested_slot", None), SlotSet("reason", None), SlotSet("reason", "wrong_item"),
              SlotSet("not_in_domain", None)]
    assert unchanged_slots_dropped(tracker, answer) == [
        said, SlotSet("confirmed", 1),  # 1 is not True: another value
        SlotSet("requested_slot", None),  # a form reads it from the events
        SlotSet("reason", None), SlotSet("reason", "wrong_item"),  # each changes what the one before left
        SlotSet("not_in_domain", None)]
    # After a reset, what a slot held before tells nothing: all of the rest stays.
    assert unchanged_slots_dropped(tracker, [SlotSet("order_no", None), AllSlotsReset(), SlotSet("reason", "wrong_item")]
                                   ) == [AllSlotsReset(), SlotSet("reason", "wrong_item")]


def test_a_forms_validation_confirming_a_candidate_keeps_it():
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    from bot_extensions.speedups import unchanged_slots_dropped

    # Rasa hands the form's validation a tracker with the message's slot candidates applied at the end.
    tracker = slot_tracker(UserUttered("P202611210000105"), ActionExecuted("action_extract_slots"),
                           SlotSet("order_no", "P202611210000105"))
    assert unchanged_slots_dropped(tracker, [SlotSet("order_no", "P202611210000105"), SlotSet("reason", None)]) == [
        SlotSet("order_no", "P202611210000105")]


@pytest.mark.parametrize("value", [
    {"text": "我要退款 P202611210000105", "slots": {"confirmed": True, "amount": 12.5, "none": None}},
    {"events": [{"event": "user", "text": "<b>\\u0000\x07 \"quoted\" / slash", "n": 2 ** 62}], "empty": []},
    {"nan": float("nan")}, {"set": {1}}, {"huge": 2 ** 70}, {1: "int key"},
])
def test_request_bodies_read_back_as_the_standard_library_writes_them(value):
    import json
    import math

    from bot_extensions.speedups import json_text

    try:
        expected = json.loads(json.dumps(value))
    except TypeError:  # what the standard library cannot write either
        with pytest.raises(TypeError):
            json_text(value)
        return
    read = json.loads(json_text(value))
    if "nan" in value:
        assert math.isnan(read["nan"])
    else:
        assert read == expected


def graphs():
    """Graphs of Rasa's shape (node: `(callable, *needed names)`, input: `(name, value)`), with shared
    dependencies, a name that is no node, and targets inside the graph."""
    def node(name):
        return lambda *inputs: (name, [name, *inputs])

    chain = {"__message__": ("__message__", ["你好"]), "tokens": (node("tokens"), "__message__"),
             "intent": (node("intent"), "tokens"), "answer": (node("answer"), "intent", "tokens")}
    diamond = {"a": (node("a"),), "b": (node("b"), "a"), "c": (node("c"), "a"), "d": (node("d"), "b", "c", "missing")}
    return [(chain, ["answer"]), (chain, ["intent", "answer"]), (diamond, ["d"]), (diamond, ["b", "c"])]


@pytest.mark.parametrize(("graph", "targets"), graphs())
def test_graphs_run_in_order_give_what_dask_gives(graph, targets):
    import dask

    from bot_extensions.dialogue_speedups import run_in_order

    assert run_in_order(graph, targets) == list(dask.get(graph, targets))


def test_each_node_runs_once_however_many_need_it():
    from bot_extensions.dialogue_speedups import run_in_order

    calls = []

    def node(name):
        return lambda *inputs: calls.append(name) or (name, inputs)

    graph = {"a": (node("a"),), "b": (node("b"), "a"), "c": (node("c"), "a", "b"), "d": (node("d"), "a", "b", "c")}
    run_in_order(graph, ["d", "c"])
    assert calls == ["a", "b", "c", "d"]


def test_the_empty_domain_is_still_told_from_ours():
    from rasa.shared.core.domain import Domain

    ours = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    assert Domain.empty().is_empty() and not ours.is_empty()
    assert Domain.is_empty.__wrapped__(ours) is False and Domain.is_empty.__wrapped__(Domain.empty()) is True


def test_the_tracker_state_sent_to_the_action_server_is_rasas():
    from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    parse = {"intent": {"name": "cancel_order", "confidence": 0.9}, "entities": [{"entity": "order_no", "value": "P1"}],
             "intent_ranking": [{"name": "cancel_order", "confidence": 0.9}]}
    tracker = slot_tracker(UserUttered("我要取消订单 P1", parse_data=parse), ActiveLoop("after_sales_form"),
                           SlotSet("order_no", "P1"))
    rasas = DialogueStateTracker.current_state.__wrapped__
    for verbosity in EventVerbosity:
        assert tracker.current_state(verbosity) == rasas(tracker, verbosity)
    state = tracker.current_state(EventVerbosity.ALL)
    assert state["active_loop"]["name"] == "after_sales_form" and state["active_loop"]["trigger_message"]
    assert tracker.active_loop.name == "after_sales_form"  # the tracker's own loop is left in place
    blank = slot_tracker()
    assert blank.current_state() == rasas(blank) and blank.current_state()["active_loop"] == {}


def test_slots_are_copied_as_copy_copy_copies_them(monkeypatch):
    import copy

    from rasa.shared.core.domain import Domain

    from bot_extensions.dialogue_speedups import plain_copy

    slots = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml")).slots
    assert len({type(slot) for slot in slots}) >= 3
    rasas = {slot.name: copy.copy(slot) for slot in slots}
    with monkeypatch.context() as patched:
        patched.setattr(copy, "copy", lambda value: pytest.fail(f"{type(value)} went the slow way"))
        ours = {slot.name: plain_copy(slot) for slot in slots}
    for slot in slots:
        assert type(ours[slot.name]) is type(slot) and ours[slot.name] is not slot
        assert vars(ours[slot.name]) == vars(rasas[slot.name])
        ours[slot.name].value = "changed"
        assert slot.value != "changed"  # a copy of its own

    class Slotted(slots[0].__class__):
        __slots__ = ("extra",)

    slotted = Slotted.__new__(Slotted)
    slotted.__dict__.update(vars(slots[0]))
    slotted.extra = "kept"
    assert plain_copy(slotted).extra == "kept"  # state outside the dict: copy.copy's way

    class Custom:
        def __copy__(self):
            return "copied by its own __copy__"

    assert plain_copy(Custom()) == "copied by its own __copy__"


def test_what_a_debug_line_shows_is_copied_only_while_debug_lines_are_written():
    import logging

    from rasa.core import processor

    from bot_extensions.dialogue_speedups import copied_for_debug_log

    events = [{"event": "slot", "name": "order_no", "value": ["P1"]}]
    log = logging.getLogger("rasa.core.processor")
    level = log.level
    try:
        log.setLevel(logging.INFO)
        assert processor.copy.deepcopy(events) is events
        log.setLevel(logging.DEBUG)
        copied = copied_for_debug_log(events)
        assert copied == events and copied is not events and copied[0]["value"] is not events[0]["value"]
    finally:
        log.setLevel(level)
