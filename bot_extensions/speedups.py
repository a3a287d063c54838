"""Hot spots of Rasa 3.6 found by profiling the running bot (py-spy; README "Performance"), fixed
in-process without changing behaviour:

1. Every custom action's response is checked with `jsonschema.validate(result, schema)`, which
   first re-validates the *schema itself* against the JSON-Schema meta-schema — a third of the rasa
   server's CPU per turn. Even with the validator built once, walking the schema stayed 9 % of the
   CPU: each event is tried against a `oneOf` of all 23 event types. Here the schema is compiled to
   Python once (fastjsonschema), and each event is checked against the one branch its `event`
   names — every branch requires its own `event` constant, so the others fail anyway and `oneOf`
   is that branch. A response it rejects goes through jsonschema as before, so the verdict and
   the error are Rasa's own (tests/bot_runtime/test_speedups.py compares both on valid and broken
   responses). Rasa's `jsonschema.validate` reports the *best* match among the errors; so does this
   (the validator's own `validate` reported the first, a different message).
2. Loading a conversation turns each stored event into an object through
   `Event.resolve_by_type`, which walks the whole Event class tree again for every event — so a turn
   costs more the longer the conversation. The class lookup is computed once per event type name.
3. Every call to the action server opened a new `aiohttp.ClientSession` and a new connection (5 %
   of the CPU, and two or three calls a turn). Sessions are kept, one per event loop and per set of
   headers, so connections are reused. The client closes an idle connection after 15 s, before the
   action server (rasa-sdk: 120 s) or nginx (75 s) would, so a request never goes out on a
   connection the other side is closing.
4. Every call to the action server carried the whole domain (40 kB of JSON, written by the rasa
   server and read by the action server two or three times a turn). Calls now carry the domain's
   fingerprint instead, the protocol rasa-sdk 3.21 speaks (Rasa 3.7 and later send it): an action
   server that does not hold that domain answers 449, and the call is repeated once with the domain,
   which that server then keeps. So each action-server process gets the domain once per model.
   The body is written by ujson (`json_text`), not the standard library's encoder.
5. A third of a conversation's events set a slot to the value it already has (an action clearing
   what is already clear). Each is stored, sent to the action server with every call, and replayed
   by every copy of the tracker, several a turn. Such events in an action server's answer are
   dropped: they change no state. Kept always: `requested_slot` (a form reads the event itself), a
   slot the tracker just received as a candidate (a form's validation confirms it by setting it
   again), and everything after an event other than a message or a slot (a reset, a restart: the
   slot's value before it no longer tells).
6. aiohttp writes a request's headers to the socket at once and its body in a task of its own
   afterwards: two sends per action call, and the action server woke for the headers and again for
   the body. The headers are held until the body's first bytes and go in one write with them, or
   alone when the writer drains first (a body-less request, or one waiting for a 100 Continue).

Installed when the rasa server imports bot_extensions (channels, NLU component)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


@functools.cache  # once per process
def install() -> None:
    _compile_action_response_validator()
    _cache_event_type_lookup()
    _keep_endpoint_sessions()
    _send_domain_on_request()
    _drop_unchanged_slots()
    _send_headers_with_the_body()


def _compile_action_response_validator() -> None:
    import fastjsonschema
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, at start-up
    validator = validator_class(schema)
    compiled = _compile_by_event_type(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            compiled(result)
            return True
        except fastjsonschema.JsonSchemaException:
            pass  # jsonschema decides, and picks the error as `jsonschema.validate` (Rasa's call) does
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _compile_by_event_type(schema: dict[str, Any]) -> Callable[[Any], None]:
    """A check of Rasa's action-response schema that raises `JsonSchemaException` where the schema
    rejects: the response without its events, then each event against its own type's branch (plus
    what every event needs). Falls back to compiling the schema whole if its events' `oneOf` is not
    one `event` constant per branch."""
    import fastjsonschema

    events = schema["properties"]["events"]
    event = events["items"]
    try:
        by_type: dict[str, list[dict[str, Any]]] = {}
        for branch in event["oneOf"]:
            by_type.setdefault(branch["properties"]["event"]["const"], []).append(branch)
    except (KeyError, TypeError):
        return fastjsonschema.compile(schema)
    common = {key: value for key, value in event.items() if key != "oneOf"}
    # Branches of other types fail on their constant, so `oneOf` over all is `oneOf` over these.
    per_type = {name: fastjsonschema.compile({**common, "oneOf": branches}) for name, branches in by_type.items()}
    outer = fastjsonschema.compile({**schema, "properties": {
        **schema["properties"], "events": {key: value for key, value in events.items() if key != "items"}}})

    def check(response: Any) -> None:
        outer(response)
        for item in response.get("events") or []:
            of_type = per_type.get(item.get("event")) if isinstance(item, dict) else None
            if of_type is None:
                raise fastjsonschema.JsonSchemaException("not an event of a known type")
            of_type(item)

    return check


def _cache_event_type_lookup() -> None:
    from rasa.shared.core import events
    from rasa.shared.utils.common import all_subclasses

    original = events.Event.resolve_by_type  # a staticmethod

    @functools.cache
    def by_type_name(type_name: str) -> type[events.Event] | None:
        for cls in all_subclasses(events.Event):
            if cls.type_name == type_name:
                return cls
        return None

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = by_type_name(type_name)
        if found is not None:
            return found
        return original(type_name, default)  # unknown names: Rasa's own handling (default or error)

    events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


class _KeptSession:
    """What `EndpointConfig.session()` returns here: `async with` yields the kept session and
    leaves it open."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *_: object) -> None:
        return None


IDLE_CONNECTION_SECONDS = 15


def json_text(value: Any) -> str:
    """A request's JSON body: ujson (C, UTF-8 as it is) for what it writes exactly as the standard
    library would read it back, the standard library's `json.dumps` (aiohttp's default) for the rest
    (NaN, sets, integers past 64 bits: ujson refuses those). Writing the tracker's ~12 kB was half of
    each action call's CPU on the rasa side."""
    import json

    import ujson

    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def _keep_endpoint_sessions() -> None:
    import asyncio
    import weakref

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    # loop → (headers, basic auth) → session; a loop that ends takes its sessions with it.
    kept: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, aiohttp.ClientSession]] = (
        weakref.WeakKeyDictionary())

    def session(self: EndpointConfig) -> _KeptSession:
        loop = asyncio.get_running_loop()
        key = (tuple(sorted(self.headers.items())), tuple(sorted(self.basic_auth.items())))
        sessions = kept.setdefault(loop, {})
        found = sessions.get(key)
        if found is None or found.closed:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            found = sessions[key] = aiohttp.ClientSession(
                headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
                json_serialize=json_text)
        return _KeptSession(found)

    EndpointConfig.session = session  # type: ignore[method-assign,assignment]


DOMAIN_MISSING = 449  # rasa-sdk's answer to a domain fingerprint it holds no domain for


def _send_domain_on_request() -> None:
    import contextvars

    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.exceptions import RasaException
    from rasa.utils.endpoints import ClientResponseError

    with_domain = contextvars.ContextVar("aftersales_send_domain", default=False)
    original_format, original_run = RemoteAction._action_call_format, RemoteAction.run

    # By identity: a Domain's hash *is* its fingerprint (5 ms), so no dict or cache may hash it.
    fingerprints: dict[int, tuple[Domain, str]] = {}

    def fingerprint(domain: Domain) -> str:
        known = fingerprints.get(id(domain))
        if known is None or known[0] is not domain:
            if len(fingerprints) > 4:  # models replaced since: forget them
                fingerprints.clear()
            known = fingerprints[id(domain)] = (domain, domain.fingerprint())
        return known[1]

    def _action_call_format(self: RemoteAction, tracker: Any, domain: Domain) -> dict[str, Any]:
        call = original_format(self, tracker, domain)
        call["domain_digest"] = fingerprint(domain)
        if not with_domain.get():
            call.pop("domain", None)
        return call

    async def run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original_run(self, *args, **kwargs)
        except RasaException as failed:
            cause = failed.__cause__
            if not (isinstance(cause, ClientResponseError) and cause.status == DOMAIN_MISSING):
                raise
        token = with_domain.set(True)
        try:
            return await original_run(self, *args, **kwargs)
        finally:
            with_domain.reset(token)

    RemoteAction._action_call_format = _action_call_format  # type: ignore[method-assign]
    RemoteAction.run = run  # type: ignore[method-assign]


def unchanged_slots_dropped(tracker: Any, events: list[Any]) -> list[Any]:
    """`events` (an action server's answer, as Rasa's RemoteAction returns them) without the slot
    events that set a slot to the value it has at that point (section 5 of this module's docstring)."""
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import BotUttered, SlotSet

    candidates = set()
    for event in reversed(tracker.events):
        if not isinstance(event, SlotSet):
            break
        candidates.add(event.key)
    values: dict[str, Any] = {}
    kept = []
    for index, event in enumerate(events):
        if isinstance(event, SlotSet):
            slot = tracker.slots.get(event.key)
            if slot is not None and event.key != REQUESTED_SLOT and event.key not in candidates:
                current = values.get(event.key, slot.value)
                if type(current) is type(event.value) and current == event.value:
                    continue
            values[event.key] = event.value
        elif not isinstance(event, BotUttered):
            return kept + events[index:]
        kept.append(event)
    return kept


def _drop_unchanged_slots() -> None:
    from rasa.core.actions.action import RemoteAction

    original_run = RemoteAction.run

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        return unchanged_slots_dropped(tracker, await original_run(self, output_channel, nlg, tracker, domain))

    RemoteAction.run = run  # type: ignore[method-assign]


def _send_headers_with_the_body() -> None:
    from aiohttp.http_writer import StreamWriter, _serialize_headers

    write, drain = StreamWriter._write, StreamWriter.drain

    async def write_headers(self: StreamWriter, status_line: str, headers: Any) -> None:
        if self._on_headers_sent is not None:
            await self._on_headers_sent(headers)
        self.__dict__["_held_headers"] = _serialize_headers(status_line, headers)

    def _write(self: StreamWriter, chunk: bytes) -> None:
        held = self.__dict__.pop("_held_headers", None)
        write(self, chunk if held is None else held + chunk)

    async def drain_held(self: StreamWriter) -> None:
        held = self.__dict__.pop("_held_headers", None)
        if held is not None:
            write(self, held)
        await drain(self)

    StreamWriter.write_headers = write_headers  # type: ignore[method-assign]
    StreamWriter._write = _write  # type: ignore[method-assign]
    StreamWriter.drain = drain_held  # type: ignore[method-assign]
