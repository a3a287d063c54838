"""A refusal is told with the shop's own figures (its return window, its couriers' distance), as its
decision carries them: never a number of ours written into the reply."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.common import say_refused

from .fixtures import decision


def test_a_refusal_names_the_shops_own_figures():
    dispatcher = CollectingDispatcher()
    say_refused(dispatcher, decision(allowed=False, code="return_window_closed", figures={"return_days": 15}))
    [said] = dispatcher.messages
    assert (said["response"], said["return_days"]) == ("utter_refused_return_window_closed", "15")


def test_a_refusal_without_figures_is_the_reply_alone():
    dispatcher = CollectingDispatcher()
    say_refused(dispatcher, decision(allowed=False, code="already_cancelled", figures={}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_refused_already_cancelled"]
    assert "return_days" not in dispatcher.messages[0]
