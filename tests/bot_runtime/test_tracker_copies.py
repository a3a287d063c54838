"""Trackers copied from their state (bot_extensions/dialogue_speedups.py, `state_copy`) come out as
Rasa's replayed copies: random conversations over our domain, copied both ways and compared
attribute by attribute, and each copy its own."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.forms import FormAction
from rasa.shared.core import events as ev
from rasa.shared.core.domain import Domain
from rasa.shared.core.slots import BooleanSlot, CategoricalSlot, FloatSlot
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

import bot_extensions  # noqa: F401 - installs the patches

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
FORM = DOMAIN.form_names[0]


def slot_value(rng: random.Random, slot: Any) -> Any:
    if isinstance(slot, BooleanSlot):
        return rng.choice([True, False, None])
    if isinstance(slot, FloatSlot):
        return rng.choice([1.0, 2.5, None])
    if isinstance(slot, CategoricalSlot):
        return rng.choice([*slot.values, None])
    return rng.choice(["P20261203001", "拍错了", None, {"nested": ["value"]}])


def random_event(rng: random.Random, restarts: bool) -> ev.Event:
    slot = rng.choice(DOMAIN.slots)
    makers = [
        lambda: ev.UserUttered("我要退款", {"name": rng.choice(DOMAIN.intents), "confidence": 0.9},
                               [{"entity": "order_no", "value": "P1", "start": 0, "end": 2}], input_channel="rest"),
        lambda: ev.ActionExecuted(rng.choice(DOMAIN.action_names_or_texts)),
        lambda: ev.ActionExecuted(FORM),
        lambda: ev.BotUttered("好的", {"custom": {"kind": "order_card"}}),
        lambda: ev.SlotSet(slot.name, slot_value(rng, slot)),
        lambda: ev.SlotSet("requested_slot", rng.choice(["order_no", "reason", None])),
        lambda: ev.ActiveLoop(FORM),
        lambda: ev.ActiveLoop(None),
        lambda: ev.LoopInterrupted(rng.choice([True, False])),
        lambda: ev.ActionExecutionRejected(FORM),
        lambda: ev.FollowupAction("action_listen"),
        lambda: ev.UserUtteranceReverted(),
        lambda: ev.ActionReverted(),
        lambda: ev.SessionStarted(),
        lambda: ev.AllSlotsReset(),
        lambda: ev.ConversationPaused(),
        lambda: ev.ConversationResumed(),
        *([lambda: ev.Restarted()] if restarts else []),
    ]
    return rng.choice(makers)()


def conversation(seed: int, restarts: bool = True, max_event_history: int | None = None) -> DialogueStateTracker:
    rng = random.Random(seed)
    tracker = DialogueStateTracker("shopper", DOMAIN.slots, max_event_history)
    tracker.model_id, tracker.assistant_id, tracker.sender_source = "model", "assistant", "widget"
    for _ in range(rng.randint(0, 60)):
        tracker.update(random_event(rng, restarts))
    return tracker


def state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Everything a tracker holds, slots and the active form as their attributes, as they are now."""
    held = dict(vars(tracker))
    held["slots"] = {name: dict(vars(slot)) for name, slot in tracker.slots.items()}
    held["latest_action"] = tracker.latest_action and dict(tracker.latest_action)
    held["events"] = (list(tracker.events), tracker.events.maxlen)
    held["active_loop"] = tracker.active_loop and dataclasses.asdict(tracker.active_loop)
    return held


def changed(tracker: DialogueStateTracker) -> None:
    """What an action's events do to a tracker, and what Rasa does to the form in place."""
    if tracker.latest_action is not None:
        tracker.latest_action["changed"] = "yes"
    for event in (ev.LoopInterrupted(True), ev.ActionExecutionRejected(FORM),  # the form's, in place
                  ev.SlotSet(DOMAIN.slots[0].name, "changed"), ev.ActiveLoop(FORM),
                  ev.ActionExecuted("action_listen"), ev.UserUttered("又一句")):
        tracker.update(event)
    tracker.slots[DOMAIN.slots[1].name].value = "changed in place"


def sent(tracker: DialogueStateTracker) -> dict[str, Any]:
    """What goes to the action server, without the times of the events a form step adds."""
    sent = tracker.current_state(EventVerbosity.ALL)
    for event in sent["events"]:
        event.pop("timestamp")
    sent.pop("latest_event_time")
    return sent


@pytest.mark.parametrize("seed", range(150))
def test_a_copy_holds_what_rasas_replayed_copy_holds_and_is_its_own(seed):
    tracker = conversation(seed)
    before = state(tracker)
    ours, rasas = tracker.copy(), DialogueStateTracker.copy.__wrapped__(tracker)
    assert state(ours) == state(rasas)
    assert ours.current_state(EventVerbosity.ALL) == rasas.current_state(EventVerbosity.ALL)
    changed(ours)
    changed(rasas)
    assert state(ours) == state(rasas)
    assert state(tracker) == before


def test_a_bounded_history_that_dropped_events_is_replayed_as_rasa_replays_it():
    tracker = next(t for seed in range(50) if len((t := conversation(seed, max_event_history=8)).events) == 8)
    assert state(tracker.copy()) == state(DialogueStateTracker.copy.__wrapped__(tracker))


@pytest.mark.parametrize("seed", range(150))
def test_a_form_steps_tracker_holds_what_rasa_replays_for_it(seed):
    tracker = conversation(seed, restarts=seed % 3 == 0)
    before = state(tracker)
    form = FormAction(FORM, None)
    added = [ev.SlotSet("order_no", "P20261203002"), ev.BotUttered("请提供原因")]
    ours = form._temporary_tracker(tracker, added, DOMAIN)
    rasas = FormAction._temporary_tracker.__wrapped__(form, tracker, added, DOMAIN)
    assert state(ours) == state(rasas)
    assert sent(ours) == sent(rasas)
    changed(ours)
    assert state(tracker) == before


@pytest.mark.parametrize("seed", range(100))
def test_the_rule_policy_reads_the_states_rasa_reads(seed, monkeypatch):
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer, TrackerFeaturizer

    featurizer = MaxHistoryTrackerFeaturizer(None, max_history=None)  # the rule policy's
    rule_only = {"slots": [DOMAIN.slots[0].name], "active_loops": [FORM]}

    def readings(tracker: DialogueStateTracker) -> list:
        """Two predictions' readings: with the text and with the intent, then after an action."""
        def read(use_text: bool, ignore_rule_only_turns: bool) -> list:
            # A dict of its own each time, as the rule policy builds it.
            return featurizer.prediction_states([tracker], DOMAIN, use_text, ignore_rule_only_turns, dict(rule_only))

        read_ = [read(True, False), read(False, False), read(True, False), read(True, True), read(False, True)]
        tracker.update(ev.ActionExecuted("action_listen"))
        tracker.update(ev.UserUttered("又一句", {"name": DOMAIN.intents[0], "confidence": 1.0}))
        # Ending on a message: each reading edits the last state its own way.
        return [*read_, read(False, True), read(False, False), read(True, False), read(False, False)]

    ours = readings(conversation(seed))
    with monkeypatch.context() as rasas_way:
        rasas_way.setattr(TrackerFeaturizer, "_create_states",
                          staticmethod(TrackerFeaturizer._create_states.__wrapped__))
        rasas = readings(conversation(seed))
    assert ours == rasas
