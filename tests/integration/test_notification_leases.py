"""A dispatcher whose lease ran out while it talked to Rasa records nothing once another dispatcher has
claimed the row: the row is the other's, so a message is never marked twice or sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.notifications import LEASE, NotificationDispatcher

from .fixtures import NOW


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


class SlowRasa:
    """Takes longer than the lease: meanwhile a second dispatcher claims the same row."""

    def __init__(self, factory):
        self.factory, self.calls = factory, 0

    def tracker(self, conversation_id, include_events="ALL"):
        return {"paused": False}

    def append_events(self, conversation_id, events):
        return {}

    def trigger_intent(self, conversation_id, intent, entities):
        self.calls += 1
        if self.calls == 1:
            late = NotificationDispatcher(self.factory, self, clock=lambda: NOW + LEASE + timedelta(seconds=1))
            assert [row["id"] for row in late._claim(None, 10)] == [int(entities["notification_id"])]
        return {}


def test_a_dispatcher_past_its_lease_leaves_the_row_to_the_one_that_claimed_it(factory):
    with factory() as session, session.begin():
        row = t.Notification(conversation_id="conv-1", kind="hand_back", payload={}, status="pending", attempts=0,
                             next_attempt_at=NOW, created_at=NOW)
        session.add(row)
    rasa = SlowRasa(factory)
    report = NotificationDispatcher(factory, rasa, clock=lambda: NOW).dispatch()
    assert report.sent == [row.id]  # it did deliver, but may not record it: the row is claimed again
    with factory() as session:
        stored = session.get(t.Notification, row.id)
        assert (stored.status, stored.attempts, stored.sent_at) == ("sending", 2, None)
