"""The notifier's updates: told in the conversation they were written for, and in no other."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import notifications

from .fixtures import FakeAfterSales, run, texts


def update_for(conversation_id: str, notification_id: object) -> Tracker:
    parse = {"intent": {"name": "EXTERNAL_case_update", "confidence": 1.0},
             "entities": [{"entity": "notification_id", "value": notification_id}]}
    return Tracker(conversation_id, {"language": "zh"}, parse, [], False, None, {}, "action_listen")


def test_a_refund_that_arrived_is_told_with_its_amount_and_number(use_services):
    service = FakeAfterSales()
    use_services(after_sales=service)
    dispatcher = CollectingDispatcher()
    assert run(notifications.ActionCaseUpdate().run(dispatcher, update_for("t-1", 7), {})) == []
    assert "RF261121ABCDEF" in texts(dispatcher) and "¥199.00" in texts(dispatcher)
    assert service.named("notification") == [("notification", 7, "t-1")]


def test_another_conversations_update_or_a_garbled_id_tells_nothing(use_services):
    service = FakeAfterSales()
    use_services(after_sales=service)
    for conversation_id, raw in (("t-2", 7), ("t-1", "seven"), ("t-1", None)):
        dispatcher = CollectingDispatcher()
        assert run(notifications.ActionCaseUpdate().run(dispatcher, update_for(conversation_id, raw), {})) == []
        assert not dispatcher.messages
    assert [c[1:] for c in service.named("notification")] == [(7, "t-2")]
