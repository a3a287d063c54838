"""A phone check belongs to the client session that passed it: against tracker fixtures and a fake
service, a message replaying the conversation's id from another session inherits nothing, the form
asks for the digits again, and the service's limits reach the shopper as a lock-out message."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common, forms, handoff, order_lookup, runtime
from aftersales.adapters.helpdesk_client import HelpdeskError
from aftersales.service.errors import OrderNotFound, TooManyAttempts

from .test_handoff import run

DOMAIN = {"forms": {"after_sales_form": {"required_slots": ["order_no", "phone_last4", "reason", "outcome",
                                                             "item", "confirmed"]}},
          "slots": {name: {"type": "text", "mappings": [{"type": "custom"}]}
                    for name in ("order_no", "phone_last4", "reason", "outcome", "item", "confirmed",
                                 "verified_customer", "verified_session", "requested_slot")}}


def tracker(session: str | None, **slots) -> Tracker:
    metadata = {runtime.SESSION_BINDING: session, runtime.CLIENT_ADDRESS: "10.0.0.9"} if session else {}
    latest = {"text": "确认", "intent": {"name": "affirm", "confidence": 0.99}, "entities": [],
              "metadata": metadata}
    user = {"event": "user", "text": "确认", "timestamp": 1.0, "parse_data": latest, "metadata": metadata}
    events: list[dict] = [user]
    if slots.get("requested_slot") == "confirmed":
        # As Rasa does before it calls the validation action: "yes" at the confirmation step fills the slot.
        events.append({"event": "slot", "name": "confirmed", "value": True, "timestamp": 1.1})
        slots = {**slots, "confirmed": True}
    return Tracker("shared-id", {"language": "zh", **slots}, latest, events, False, None,
                   {"name": "after_sales_form"}, "action_listen")


VERIFIED_IN_A = {"verified_customer": "c_1001", "verified_session": "session-a", "phone_last4": "1001",
                 "order_no": "P202611210000103", "order_state": "paid", "reason": "changed_mind",
                 "outcome": "cancel_refund", "item": "all", "requested_slot": "confirmed"}


def test_the_session_that_passed_the_check_is_the_customer_and_a_replay_is_nobody():
    assert common.customer_of(tracker("session-a", **VERIFIED_IN_A)) == "c_1001"
    replay = tracker("session-b", **VERIFIED_IN_A)
    assert common.customer_of(replay) is None and common.stale_verification(replay)
    assert common.customer_of(tracker(None, **VERIFIED_IN_A)) is None


def test_a_replayed_conversation_id_at_the_confirmation_is_asked_for_the_digits_again():
    form, replay = forms.ValidateAfterSalesForm(), tracker("session-b", **VERIFIED_IN_A)
    events = run(form.run(CollectingDispatcher(), replay, DOMAIN))
    slot_sets = [(e["name"], e["value"]) for e in events if e["event"] == "slot"]
    assert ("verified_customer", None) in slot_sets and ("phone_last4", None) in slot_sets
    # The replayed "确认" is no confirmation: only the verified shopper's session gives one.
    assert [value for name, value in slot_sets if name == "confirmed"][-1] is None
    # What Rasa's form asks next: the first required slot without a value.
    required = run(form.required_slots([], CollectingDispatcher(), replay, DOMAIN))
    assert next(name for name in required if replay.get_slot(name) is None) == "phone_last4"


def test_the_same_session_goes_on_without_being_asked_again_and_its_yes_confirms():
    events = run(forms.ValidateAfterSalesForm().run(CollectingDispatcher(), tracker("session-a", **VERIFIED_IN_A),
                                                      DOMAIN))
    slot_sets = [(e.get("name"), e.get("value")) for e in events]
    assert ("verified_customer", None) not in slot_sets and ("confirmed", True) in slot_sets


class FakeService:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[tuple] = []

    def identify_by_phone(self, *args):
        self.calls.append(args)
        raise self.error


@pytest.mark.parametrize(("error", "response", "blocked"), [
    (TooManyAttempts("phone_order", 900), "utter_attempts_locked", "locked"),
    (OrderNotFound(), "utter_phone_mismatch", None),
])
def test_a_refused_phone_check_is_told_and_counts_the_client(use_services, error, response, blocked):
    fake = FakeService(error)
    use_services(after_sales=fake)
    dispatcher = CollectingDispatcher()
    slots = run(forms.ValidateAfterSalesForm().check_phone("9999", dispatcher,
                                                             tracker("session-a", order_no="P202611210000103")))
    assert fake.calls == [("P202611210000103", "9999", "10.0.0.9")]
    assert dispatcher.messages[0]["response"] == response and slots["flow_blocked"] == blocked
    assert slots["phone_last4"] is None and slots["order_no"] is None
    if blocked:
        assert dispatcher.messages[0]["minutes"] == 15


def test_a_passed_phone_check_is_bound_to_its_session(monkeypatch, use_services):
    class Passing:
        def identify_by_phone(self, *args):
            return "c_1001"

        def lookup_order(self, customer, order_no):
            return {"order_no": order_no, "state": "paid", "items": [], "refunds": [], "tickets": []}

    use_services(after_sales=Passing())
    monkeypatch.setattr(order_lookup, "say_order", lambda *args: None)
    slots = run(forms.ValidateAfterSalesForm().check_phone("1001", CollectingDispatcher(),
                                                             tracker("session-a", order_no="P202611210000103")))
    assert (slots["verified_customer"], slots["verified_session"]) == ("c_1001", "session-a")


def test_a_case_refused_by_the_limit_is_told_as_such(use_services):
    class Refusing:
        def open_case(self, case, key):
            assert case["client_address"] == "10.0.0.9"
            raise HelpdeskError("limited", status=429, code="too_many_attempts")

    use_services(helpdesk=Refusing())
    dispatcher = CollectingDispatcher()
    events = run(handoff.hand_over(tracker("session-a"), dispatcher))
    assert [m["response"] for m in dispatcher.messages] == ["utter_too_many_cases"]
    assert all(e["event"] != "pause" for e in events)
