"""Two hot spots of Rasa 3.6 found by profiling the running bot (py-spy, bench/README.md), fixed
in-process without changing behaviour:

1. Every custom action's response is checked with `jsonschema.validate(result, schema)`, which
   first re-validates the *schema itself* against the JSON-Schema meta-schema — a third of the rasa
   server's CPU per turn. Here the validator is built once and reused; responses are checked exactly
   as before, with the same error.
2. Loading a conversation turns each stored event into an object through
   `Event.resolve_by_type`, which walks the whole Event class tree again for every event — so a turn
   costs more the longer the conversation. The class lookup is computed once per event type name.

Installed when the rasa server imports bot_extensions (channels, NLU component)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache  # once per process
def install() -> None:
    _reuse_action_response_validator()
    _cache_event_type_lookup()


def _reuse_action_response_validator() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, at start-up
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                ". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


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
