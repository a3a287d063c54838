"""Hot spots of Rasa 3.6's dialogue engine found by profiling the running bot (py-spy; README
"Performance"), fixed in-process without changing behaviour; bot_extensions/speedups.py has those
of the round trip to the action server.

1. Each graph run (NLU once a turn, the policies once per predicted action) derived the part of the
   graph its targets need by walking the schema recursively, shared dependencies again and again
   (4 % of the CPU). A runner's schema does not change after loading, so the graph for a set of
   targets is built once per runner, and run in dependency order without dask's scheduler
   (`run_in_order`: the same results, compared with dask's in the tests).
2. The rule policy finds the rules that apply by filtering all its rules against every turn of the
   conversation, newest first (13 % of the CPU, two or three predictions a turn, more the longer the
   conversation). Past the longest rule, every remaining rule applies to every turn (Rasa's
   `_is_rule_applicable` says so for a turn beyond a rule's length), so only that many recent turns
   can filter anything; and for the same recent turns the answer is the same, so it is kept (a
   bounded memo per rule table). tests/bot_runtime/test_speedups.py compares it with Rasa's.
3. Every message's parse asks whether the domain is empty, which Rasa answers by building an
   empty Domain to compare with (a sixth of the parse). The empty domain's content is built once.
4. Each call to the action server writes the tracker's state, whose active form Rasa turns into a
   dict with `dataclasses.asdict` — a deep copy of the message that started the form, every call
   (5 % of the CPU). The form's four fields are taken as they are instead, as the events' own
   dicts already are (Rasa shares their parse data the same way).
5. Every copy of a tracker (several a turn: before each action, for each form step, for the
   policies) copies each of the ~90 slots with `copy.copy`, the generic protocol (6 % of the CPU).
   A slot is a plain object: its copy is a new instance with the same attributes, made directly.
6. The processor deep-copies every action's events, the slot values and the parse data only to
   pass them to a debug log line, also when nothing logs at debug level (4 % of the CPU). They are
   copied when the processor's debug log is on, as before; otherwise the line, which is not
   written, gets them as they are.
7. Before each action the processor copies the tracker, and each step of a form builds one from
   the conversation's events (validation, then the next question); Rasa makes both by replaying
   every event into a new tracker (12 % of the CPU, more the longer the conversation). Replaying
   recreates the state the tracker already holds, so the copy is made from that state instead
   (`state_copy`): what replaying makes anew — the events' list, slots, active form and latest
   action — is copied, the events themselves are shared as replaying shares them. A tracker that
   replaying would not reproduce (a bounded event history, no domain slots) and a form step after
   a restart (Rasa leaves the events before it out) go Rasa's way.
8. The rule policy reads the conversation as states twice for each prediction — once with the
   last message's text, once with its intent — and Rasa derives them each time by replaying every
   event and reading the state before each action (0.4 ms for the ~70 events of six recent
   turns; two or three predictions a turn, the first of them reading twice). The states of the
   tracker read last are kept, with its length and last event, and the second reading gets a copy
   of its own (Rasa edits the last state in place per reading).

Installed when the rasa server imports bot_extensions, with speedups."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache  # once per process
def install() -> None:
    _build_run_graphs_once()
    _remember_applicable_rules()
    _empty_domain_once()
    _active_loop_as_it_is()
    _copy_slots_directly()
    _copy_for_debug_log_only()
    _copy_trackers_from_their_state()
    _read_states_once_per_prediction()


def _build_run_graphs_once() -> None:
    import logging

    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner, logger

    def run(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
            targets: list[str] | None = None) -> dict[str, Any]:
        """Rasa's `DaskGraphRunner.run`, with the graph for these targets kept on the runner."""
        run_targets = targets if targets else self._graph_schema.target_names
        built = self.__dict__.setdefault("_graphs_by_targets", {})
        key = tuple(run_targets)
        if key not in built:
            built[key] = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
        run_graph = dict(built[key])  # a copy: the inputs go into it
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        if logger.isEnabledFor(logging.DEBUG):  # Rasa formatted the inputs (the tracker) every run
            logger.debug(f"Running graph with inputs: {inputs}, targets: {targets} and {self._execution_context}.")
        try:
            return dict(run_in_order(run_graph, run_targets))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    DaskGraphRunner.run = run  # type: ignore[method-assign]


def run_in_order(graph: dict[str, Any], targets: list[str]) -> list[Any]:
    """What `dask.get` (dask's synchronous scheduler, Rasa's choice) computes for a graph of Rasa's
    shape: a node is `(callable, *names of the nodes it needs)`, an input is a plain value (Rasa
    writes `(name, value)`); a name that is no node is passed as it is, as dask passes it. Each node
    runs once, after what it needs. Dask's scheduling around each node (ordering, queues, callbacks)
    was half of the NLU's time per message and a fifth of each prediction's."""
    done: dict[str, Any] = {}

    def value_of(key: str) -> Any:
        if key in done:
            return done[key]
        task = graph[key]
        if isinstance(task, tuple) and task and callable(task[0]):
            arguments = [value_of(name) if isinstance(name, str) and name in graph else name for name in task[1:]]
            done[key] = task[0](*arguments)
        else:
            done[key] = task
        return done[key]

    return [value_of(target) for target in targets]


# Distinct recent conversation states whose applicable rules are kept, per rule table: a few per
# step of each rule and form, so in practice every state the bot meets; bounded for a long-running server.
APPLICABLE_RULES_KEPT = 20_000


def _frozen(states: list[dict[str, Any]]) -> tuple[Any, ...]:
    """States (turn → sub-state → feature → str or tuple) as a hashable key, equal exactly when the
    states are equal; TypeError for a value that is not hashable."""
    return tuple(tuple((part, tuple(sorted(features.items()))) for part, features in sorted(state.items()))
                 for state in states)


def _remember_applicable_rules() -> None:
    from rasa.core.policies.rule_policy import RulePolicy

    original = RulePolicy._get_possible_keys

    def _get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[Any]) -> set[str]:
        tables = self.__dict__.setdefault("_aftersales_applicable", {})
        table = tables.get(id(lookup))
        # Training edits the tables between predictions (contradiction checks): what is kept holds
        # only while the table has the same rules (a set comparison, cheap beside the filtering).
        if table is None or table[0] is not lookup or lookup.keys() != table[1]:
            longest = max((len(self._rule_key_to_state(key)) for key in lookup), default=0)
            table = tables[id(lookup)] = (lookup, frozenset(lookup), longest, {})
        _, _, longest, known = table
        recent = states[-longest:] if longest else []
        try:
            key = _frozen(recent)
        except (TypeError, AttributeError):  # a state of another shape: Rasa's own, on every turn
            return original(self, lookup, states)
        found = known.get(key)
        if found is None:
            if len(known) >= APPLICABLE_RULES_KEPT:
                known.clear()
            found = known[key] = frozenset(original(self, lookup, recent))
        return set(found)

    _get_possible_keys.__wrapped__ = original  # type: ignore[attr-defined]  # Rasa's, for the tests
    RulePolicy._get_possible_keys = _get_possible_keys  # type: ignore[method-assign]


def _empty_domain_once() -> None:
    from rasa.shared.core.domain import Domain

    empty: list[dict[str, Any]] = []

    def is_empty(self: Domain) -> bool:
        if not empty:
            empty.append(Domain.empty().as_dict())
        return bool(self.as_dict() == empty[0])

    is_empty.__wrapped__ = Domain.is_empty  # type: ignore[attr-defined]  # Rasa's, for the tests
    Domain.is_empty = is_empty  # type: ignore[method-assign]


def _active_loop_as_it_is() -> None:
    import dataclasses

    from rasa.shared.core import trackers

    original = trackers.DialogueStateTracker.current_state
    fields = [field.name for field in dataclasses.fields(trackers.TrackerActiveLoop)]

    def current_state(self: Any, event_verbosity: Any = trackers.EventVerbosity.NONE) -> dict[str, Any]:
        loop = self.active_loop
        if type(loop) is not trackers.TrackerActiveLoop:
            return original(self, event_verbosity)
        self.active_loop = None  # Rasa's own state, with the loop put in as it is
        try:
            state = original(self, event_verbosity)
        finally:
            self.active_loop = loop
        state[trackers.ACTIVE_LOOP] = {name: getattr(loop, name) for name in fields}
        return state

    current_state.__wrapped__ = original  # type: ignore[attr-defined]  # Rasa's, for the tests
    trackers.DialogueStateTracker.current_state = current_state  # type: ignore[method-assign]


_PLAIN: dict[type, bool] = {}


def plain_copy(value: Any) -> Any:
    """`copy.copy(value)` for an object of a plain class (its state is its instance dict): a new
    instance of the class with the same attributes; anything else through `copy.copy`."""
    import copy

    cls = type(value)
    plain = _PLAIN.get(cls)
    if plain is None:
        custom = ("__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__")
        # An empty `__slots__` (abc.ABC's, under every Rasa slot) adds no state outside the dict.
        plain = _PLAIN[cls] = (hasattr(value, "__dict__") and not any(
            name in vars(base) or vars(base).get("__slots__") for base in cls.__mro__[:-1] for name in custom))
    if not plain:
        return copy.copy(value)
    new = cls.__new__(cls)
    new.__dict__.update(value.__dict__)
    return new


def _copy_slots_directly() -> None:
    import types

    from rasa.shared.core import trackers

    # The module's only use of `copy` is `copy.copy(slot)` in the tracker's constructor.
    trackers.copy = types.SimpleNamespace(copy=plain_copy)  # type: ignore[assignment]


def copied_for_debug_log(value: Any, memo: Any = None) -> Any:
    """What the processor hands a debug log line: a deep copy while its debug log is on (Rasa's
    way), else the value itself (the line is not written)."""
    import copy
    import logging

    if logging.getLogger("rasa.core.processor").isEnabledFor(logging.DEBUG):
        return copy.deepcopy(value, memo)
    return value


def _copy_for_debug_log_only() -> None:
    import types

    from rasa.core import processor

    # The module's only use of `copy`: `copy.deepcopy(…)` of what its debug log lines show.
    processor.copy = types.SimpleNamespace(deepcopy=copied_for_debug_log)  # type: ignore[assignment]


def state_copy(tracker: Any) -> Any:
    """What `tracker.copy()` gives — a new tracker into which Rasa replays every event of this
    one — made from the tracker's state; None for a tracker replaying would not reproduce: one
    whose bounded history has dropped events, or whose slots are not the domain's."""
    import dataclasses
    from collections import deque

    events, slots = tracker.events, tracker.slots
    if type(slots) is not dict or (events.maxlen is not None and len(events) >= events.maxlen):
        return None
    new = object.__new__(type(tracker))
    new.__dict__.update(tracker.__dict__)
    new.events = deque(events, events.maxlen)
    new.slots = {name: plain_copy(slot) for name, slot in slots.items()}
    if tracker.active_loop is not None:
        new.active_loop = dataclasses.replace(tracker.active_loop)
    if tracker.latest_action is not None:
        new.latest_action = dict(tracker.latest_action)
    # Rasa's copy starts from `init_copy`, which passes none of these on.
    new.sender_source = new.model_id = new.assistant_id = None
    return new


def _copy_trackers_from_their_state() -> None:
    from collections import deque

    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    rasas_copy, rasas_temporary_tracker = DialogueStateTracker.copy, FormAction._temporary_tracker

    def copy(self: DialogueStateTracker) -> DialogueStateTracker:
        new = state_copy(self)
        return rasas_copy(self) if new is None else new

    def _temporary_tracker(self: FormAction, current_tracker: DialogueStateTracker, additional_events: list[Any],
                           domain: Any) -> DialogueStateTracker:
        """Rasa's: the conversation's events after its last restart, the form's own two and
        `additional_events`, replayed into a tracker with the domain's slots."""
        new = state_copy(current_tracker)
        # Replayed into the domain's slots: the same as the tracker's when it has the domain's.
        if (new is None or new.slots.keys() != {slot.name for slot in domain.slots}
                or any(isinstance(event, Restarted) for event in current_tracker.events)):
            return rasas_temporary_tracker(self, current_tracker, additional_events, domain)
        new._max_event_history = None  # from_events' default
        new.events = deque(new.events)
        for event in [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)), ActionExecuted(self.name()),
                      *additional_events]:
            new.update(event)
        return new

    copy.__wrapped__ = rasas_copy  # type: ignore[attr-defined]  # Rasa's, for the tests
    _temporary_tracker.__wrapped__ = rasas_temporary_tracker  # type: ignore[attr-defined]
    DialogueStateTracker.copy = copy  # type: ignore[method-assign]
    FormAction._temporary_tracker = _temporary_tracker  # type: ignore[method-assign]


def states_copy(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """States whose sub-states (the dicts Rasa's featurizer edits in place) are their own."""
    return [{key: dict(sub) if isinstance(sub, dict) else sub for key, sub in state.items()} for state in states]


def _read_states_once_per_prediction() -> None:
    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer

    rasas = TrackerFeaturizer._create_states
    # (key, what its ids are of — held, so no other object can take an id meanwhile —, the states).
    last: list[tuple[tuple[Any, ...], tuple[Any, ...], list[dict[str, Any]]]] = []

    def _create_states(tracker: Any, domain: Any, omit_unset_slots: bool = False, ignore_rule_only_turns: bool = False,
                       rule_only_data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        events = tracker.events
        latest = events[-1] if events else None
        # The rule policy builds its rule-only data anew for each reading: its content is the key.
        rule_only = None if rule_only_data is None else tuple(
            (name, tuple(values)) for name, values in sorted(rule_only_data.items()))
        key = (id(tracker), len(events), id(latest), id(domain), omit_unset_slots, ignore_rule_only_turns, rule_only)
        if last and last[0][0] == key:
            return states_copy(last[0][2])
        states = rasas(tracker, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        last[:] = [(key, (tracker, latest, domain), states_copy(states))]
        return states

    _create_states.__wrapped__ = rasas  # type: ignore[attr-defined]  # Rasa's, for the tests
    TrackerFeaturizer._create_states = staticmethod(_create_states)  # type: ignore[method-assign,assignment]
