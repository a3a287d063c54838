"""The figures a shop manager reads, on SQLite and PostgreSQL: every conversation in the chat log
(read by the worker's sync) with what it came to, per day; the automation rate over the ones that
ended; first-response and resolution times per day and per merchant — with seeded conversations
and cases whose numbers are worked out by hand below."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftersales.adapters.chat_log import RasaEventLog
from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.analytics import ShopAnalytics
from aftersales.service.conversation_log import ConversationSync
from tests.integration.analytics_seed import MINE, cst, seed_cases, seed_chats
from tests.integration.chat_log import FakeTracker
from tests.integration.fixtures import NOW


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def test_the_sync_reads_every_conversation_and_reading_again_changes_only_what_is_new(factory, tmp_path):
    tracker = FakeTracker(tmp_path / "tracker.sqlite3")
    seed_chats(tracker)
    sync = ConversationSync(factory, RasaEventLog(tracker.url), "shop_k", clock=lambda: NOW)
    first = sync.run_once(batch=10)  # a batch at a time: the rest in the next round
    assert first.read_to == 10
    rounds = [sync.run_once(batch=10).read_to for _ in range(3)]
    assert rounds == [20, 30, 31]
    assert sync.run_once().conversations == 0  # nothing new: nothing read
    with factory() as session:
        rows = session.scalars(select(t.Conversation).order_by(t.Conversation.started_at)).all()
    assert [(r.conversation_id, r.shop_id, r.shopper_messages) for r in rows] == [
        ("chat-a", "shop_k", 2), ("chat-b", "shop_k", 1), ("chat-c", "shop_k", 1), ("chat-x", "shop_x", 1),
        ("chat-d", "shop_k", 1), ("chat-e", "shop_k", 1), ("chat-a", "shop_k", 1), ("chat-f", "shop_k", 1)]
    # chat-c's second session is the notifier's alone: no conversation. A later message extends chat-f;
    # the conversations read again (those within the look-back behind the mark) stay as they were.
    tracker.write("chat-f", cst(18, 11, 56), ("user", "thank"), ("action", "utter_you_are_welcome"))
    assert sync.run_once().read_to == 33
    with factory() as session:
        again = session.scalars(select(t.Conversation).order_by(t.Conversation.started_at)).all()
    assert [(r.conversation_id, r.started_at) for r in again] == [(r.conversation_id, r.started_at) for r in rows]
    chat_f = again[-1]
    assert chat_f.shopper_messages == 2 and chat_f.last_at == cst(18, 11, 56)


def test_a_missing_chat_log_reads_as_empty_and_creates_no_file(factory, tmp_path):
    sync = ConversationSync(factory, RasaEventLog(f"sqlite:///{tmp_path / 'none.sqlite3'}"), "shop_k",
                            clock=lambda: NOW)
    assert sync.run_once().conversations == 0 and not (tmp_path / "none.sqlite3").exists()


def test_conversations_per_day_count_all_of_them_and_the_rate_those_that_ended(factory, tmp_path):
    tracker = FakeTracker(tmp_path / "tracker.sqlite3")
    seed_chats(tracker)
    seed_cases(factory)
    ConversationSync(factory, RasaEventLog(tracker.url), "shop_k", clock=lambda: NOW).run_once()
    report = ShopAnalytics(factory, clock=lambda: NOW).report(MINE, days=3)
    assert report["dates"] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    by_day = {d["date"]: d for d in report["daily"]}
    shape = ("conversations", "bot_resolved", "handed_off", "abandoned", "in_progress", "automation_rate")
    assert [tuple(by_day[d][k] for k in shape) for d in report["dates"]] == [
        (2, 1, 0, 1, 0, 0.5),  # chat-a answered, chat-b left in the form
        (3, 0, 2, 1, 0, 0.0),  # chat-c paused for a human, chat-e's complaint case; chat-d at "did you mean"
        (2, 1, 0, 0, 1, 1.0),  # chat-a's second session; chat-f's shopper wrote 10 minutes ago
    ]
    assert report["totals"]["conversations"] == 7 and report["totals"]["automation_rate"] == pytest.approx(2 / 6)
    # Another shop's merchant sees only its own conversation.
    theirs = ShopAnalytics(factory, clock=lambda: NOW).report({"shop_x"}, days=3)
    assert theirs["totals"]["conversations"] == theirs["totals"]["bot_resolved"] == 1


def test_handling_times_per_day_and_per_merchant(factory, tmp_path):
    seed_cases(factory)
    report = ShopAnalytics(factory, clock=lambda: NOW).report(MINE, days=3)
    by_day = {d["date"]: d for d in report["daily"]}
    assert by_day["2026-11-16"]["cases"] == 0 and by_day["2026-11-16"]["first_response_minutes"] is None
    assert by_day["2026-11-17"]["cases"] == 2  # the merchant's own cancellation is not counted
    assert by_day["2026-11-17"]["first_response_minutes"] == pytest.approx(20)  # median of 30 and 10
    assert by_day["2026-11-17"]["resolution_hours"] == pytest.approx(2.5)  # median of 3 and 2
    assert by_day["2026-11-18"]["cases"] == 1 and by_day["2026-11-18"]["resolution_hours"] is None
    assert report["merchants"] == [
        {"email": "k@shop.example", "name": "K Agent", "handled": 2, "first_response_minutes": None,
         "resolution_hours": pytest.approx(2.5), "satisfaction": None, "ratings": 0},
        {"email": "l@shop.example", "name": "L Agent", "handled": 0, "first_response_minutes": pytest.approx(20),
         "resolution_hours": None, "satisfaction": None, "ratings": 0},
    ]
    assert report["totals"]["cases"] == 3 and report["totals"]["first_response_minutes"] == pytest.approx(20)
