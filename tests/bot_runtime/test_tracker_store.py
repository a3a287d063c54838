"""The tracker store that hands Rasa only the recent turns (bot_extensions/tracker_store.py), on a
real SQLite file: what it hands over must put the bot where the whole history would, every event
must be stored once, and its per-process snapshots must agree with a fresh read."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from sqlalchemy import event as sa_event

from bot_extensions.tracker_store import RecentTurnsSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
TURNS = 3


def store(path: Path) -> RecentTurnsSQLTrackerStore:
    return RecentTurnsSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), recent_user_turns=TURNS)


def user(text: str) -> UserUttered:
    return UserUttered(text, {"name": "inform", "confidence": 1.0})


def end_of_turn(n: int) -> list:
    return [ActionExecuted("utter_ask_reason"), BotUttered(f"reply {n}"), ActionExecuted("action_listen")]


def test_a_long_conversation_is_handed_over_short_and_stored_whole(tmp_path):
    async def scenario():
        kept = store(tmp_path / "t.db")
        tracker = await kept.get_or_create_tracker("s")
        tracker.update(user("cancel P1"))
        for event in [SlotSet("order_no", "P1"), ActiveLoop("after_sales_form"), *end_of_turn(0)]:
            tracker.update(event)
        for n in range(1, 8):
            tracker.update(user(f"question {n}"))
            for event in end_of_turn(n):
                tracker.update(event)
        await kept.save(tracker)
        handed = await kept.retrieve("s")
        whole = await kept.retrieve_full_tracker("s")
        return handed, whole

    handed, whole = asyncio.run(scenario())
    said = [e.text for e in handed.events if isinstance(e, UserUttered)]
    assert said == ["question 5", "question 6", "question 7"]
    assert handed.get_slot("order_no") == "P1" and handed.active_loop_name == "after_sales_form"
    assert [e.text for e in whole.events if isinstance(e, UserUttered)][:2] == ["cancel P1", "question 1"]
    assert len(whole.events) == 1 + 6 + 7 * 4  # action_listen, the first turn, seven more: nothing lost


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_turn_the_recent_turns_put_the_bot_where_the_whole_history_would(tmp_path, seed):
    """A random conversation with slots set, forms started and ended, pauses, a rewound message and
    a restart: after each saved turn the store with its snapshots, a fresh store and the whole
    stored history agree on slots, form and pause, and saving twice stores nothing twice."""
    chance = random.Random(seed)

    async def scenario():
        warm = store(tmp_path / "t.db")
        tracker = await warm.get_or_create_tracker("s")
        for turn in range(30):
            tracker = await warm.retrieve("s")
            cold = await store(tmp_path / "t.db").retrieve("s")
            whole = await warm.retrieve_full_tracker("s")
            for shortened in (tracker, cold):
                assert shortened.current_slot_values() == whole.current_slot_values(), turn
                assert shortened.active_loop_name == whole.active_loop_name, turn
                assert shortened.is_paused() == whole.is_paused(), turn
            assert [e.as_dict() for e in tracker.events][-6:] == [e.as_dict() for e in cold.events][-6:]
            stored_before = len(whole.events)
            tracker.update(user(f"message {turn}"))
            roll = chance.random()
            added = {0: [SlotSet("order_no", f"P{turn}")], 1: [ActiveLoop("after_sales_form")], 2: [ActiveLoop(None)],
                     3: [ConversationPaused()], 4: [ConversationResumed()],
                     5: [SlotSet("reason", f"r{turn}"), UserUtteranceReverted()],
                     6: [SlotSet("outcome", "refund_only")], 7: [Restarted()]}.get(int(roll * 9), [])
            for event in [*added, *end_of_turn(turn)]:
                tracker.update(event)
            await warm.save(tracker)
            await warm.save(tracker)  # a second save of the same tracker adds nothing
            assert len((await warm.retrieve_full_tracker("s")).events) == stored_before + 1 + len(added) + 3

    asyncio.run(scenario())


def test_with_its_snapshot_a_store_reads_only_the_rows_since_it(tmp_path):
    """A turn costs what it did at the start however long the conversation: the rows read are the
    recent turns and what came since the snapshot, not the whole session."""
    queries: list[tuple[str, tuple]] = []

    async def scenario():
        kept = store(tmp_path / "t.db")
        tracker = await kept.get_or_create_tracker("s")
        for n in range(40):
            tracker = await kept.retrieve("s")
            tracker.update(user(f"message {n}"))
            for event in end_of_turn(n):
                tracker.update(event)
            await kept.save(tracker)
        sa_event.listen(kept.engine, "before_cursor_execute", lambda _c, _cur, statement, parameters, *_: (
            queries.append((statement, parameters)) if statement.lstrip().upper().startswith("SELECT") else None))
        return await kept.retrieve("s"), await store(tmp_path / "t.db").retrieve("s")

    warm, cold = asyncio.run(scenario())
    assert [e.as_dict() for e in warm.events] == [e.as_dict() for e in cold.events]
    with sqlite3.connect(tmp_path / "t.db") as connection:
        read = [len(connection.execute(statement, parameters).fetchall()) for statement, parameters in queries]
    assert read and max(read) <= (TURNS + 1) * 4 + 1 < 40 * 4  # the recent turns and the one since the snapshot


def test_a_new_session_after_the_snapshot_is_read_from_its_start(tmp_path):
    async def scenario():
        kept = store(tmp_path / "t.db")
        tracker = await kept.get_or_create_tracker("s")
        for n in range(11):
            if n == 8:  # a new session: the snapshot of the old one no longer applies
                for event in [ActionExecuted("action_session_start"), SessionStarted(),
                              ActionExecuted("action_listen")]:
                    tracker.update(event)
            tracker = await kept.retrieve("s") if n != 8 else tracker
            tracker.update(user(f"message {n}"))
            for event in end_of_turn(n):
                tracker.update(event)
            await kept.save(tracker)
        return await kept.retrieve("s"), await store(tmp_path / "t.db").retrieve("s")

    warm, cold = asyncio.run(scenario())
    assert [e.as_dict() for e in warm.events] == [e.as_dict() for e in cold.events]
    # The new session whole (no more than the recent turns yet), nothing of the old one.
    assert [e.text for e in warm.events if isinstance(e, UserUttered)] == ["message 8", "message 9", "message 10"]
    assert list(warm.events)[0].type_name == "session_started"  # where Rasa's query starts the session


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_new_conversation_is_saved_without_counting_what_is_stored(tmp_path, wrapped):
    from rasa.core.tracker_store import FailSafeTrackerStore

    import bot_extensions  # noqa: F401 - installs the patches (the wrapper's, among them)

    counted: list[str] = []

    async def scenario():
        kept = store(tmp_path / "t.db")
        sa_event.listen(kept.engine, "before_cursor_execute",
                        lambda *args: counted.append(args[2]) if "count(" in args[2].lower() else None)
        used = FailSafeTrackerStore(kept) if wrapped else kept  # Rasa wraps every store so
        tracker = await used.get_or_create_tracker("new")  # begun here: nothing of it is stored
        tracker.update(user("hi"))
        await used.save(tracker)  # the end of the first turn: nothing stored since but what it saved
        again = await used.get_or_create_tracker("new")  # read back, not begun again
        again.update(user("again"))
        await used.save(again)
        return await kept.retrieve_full_tracker("new")

    whole = asyncio.run(scenario())
    assert [e.type_name for e in whole.events] == ["action", "user", "user"]  # each event once
    assert counted == []


def test_a_tracker_the_store_neither_began_nor_read_is_saved_by_counting_what_is_stored(tmp_path):
    from rasa.shared.core.trackers import DialogueStateTracker

    counted: list[str] = []

    async def scenario():
        kept = store(tmp_path / "t.db")
        first = await kept.get_or_create_tracker("api")
        await kept.save(first)
        sa_event.listen(kept.engine, "before_cursor_execute",
                        lambda *args: counted.append(args[2]) if "count(" in args[2].lower() else None)
        # As Rasa's API rebuilds a conversation from posted events: the stored ones, then one more.
        posted = DialogueStateTracker.from_events("api", [*first.events, user("hi")], DOMAIN.slots)
        await kept.save(posted)
        return await kept.retrieve_full_tracker("api")

    whole = asyncio.run(scenario())
    assert [e.type_name for e in whole.events] == ["action", "user"]
    assert len(counted) == 1


def test_recent_user_turns_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        RecentTurnsSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), recent_user_turns=0)


def test_rows_are_the_ones_rasas_own_store_writes(tmp_path):
    """One multi-row insert instead of Rasa's ORM objects: the same columns, the same JSON."""
    from rasa.core.tracker_store import SQLTrackerStore

    events = [user("cancel P1"), SlotSet("order_no", "P1"), ActiveLoop("after_sales_form"), *end_of_turn(0),
              user("wrong size"), ConversationPaused(), *end_of_turn(1)]

    async def rows_of(kept) -> tuple[list[tuple], int]:
        tracker = await kept.get_or_create_tracker("s")
        for event in events:
            tracker.update(event)
        await kept.save(tracker)
        with kept.session_scope() as session:
            return [(r.sender_id, r.type_name, r.timestamp, r.intent_name, r.action_name, r.data)
                    for r in session.query(kept.SQLEvent).order_by(kept.SQLEvent.id)], len(tracker.events)

    ours, in_tracker = asyncio.run(rows_of(store(tmp_path / "ours.db")))
    rasas, _ = asyncio.run(rows_of(SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"))))
    assert len(ours) == in_tracker > len(events)
    assert [row[:2] + row[3:5] for row in ours] == [row[:2] + row[3:5] for row in rasas]
    # Timestamps differ between the two runs; everything else in the JSON is the same.
    assert [json.loads(row[5]) | {"timestamp": 0} for row in ours] == [
        json.loads(row[5]) | {"timestamp": 0} for row in rasas]
    assert all(json.loads(row[5])["timestamp"] == row[2] for row in ours)


def test_sqlite_connections_are_pooled_and_commits_append_to_the_log(tmp_path):
    kept = store(tmp_path / "t.db")
    with kept.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    first = kept.engine.raw_connection()
    used = first.driver_connection
    first.close()  # back to the pool
    again = kept.engine.raw_connection()
    assert again.driver_connection is used
    again.close()


def test_only_the_latest_session_is_read_as_rasa_reads_it(tmp_path):
    """Rasa's own store and this one, on the same rows: the same events of the latest session."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    async def scenario() -> tuple[list, list, list]:
        kept = store(tmp_path / "t.db")
        tracker = await kept.get_or_create_tracker("s")
        for event in [user("cancel P1"), SlotSet("order_no", "P1"), *end_of_turn(0),
                      ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                      user("hello again"), *end_of_turn(1)]:
            tracker.update(event)
        await kept.save(tracker)
        other = await kept.get_or_create_tracker("other")  # another conversation's rows beside them
        other.update(user("not mine"))
        await kept.save(other)
        rasas = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
        return ([e.as_dict() for e in (await kept.retrieve("s")).events],
                [e.as_dict() for e in (await rasas.retrieve("s")).events],
                [e.as_dict() for e in (await kept.retrieve_full_tracker("s")).events])

    ours, rasas, whole = asyncio.run(scenario())
    assert ours == rasas
    assert [e.get("text") for e in ours if e["event"] == "user"] == ["hello again"]
    assert len(whole) > len(ours)


def test_the_latest_session_start_is_found_by_an_index_not_by_walking_the_conversation(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    from bot_extensions.tracker_store import SESSION_START_INDEX

    SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))  # Rasa's table, Rasa's index
    store(tmp_path / "t.db")
    store(tmp_path / "t.db")  # started again: the index is there already
    with sqlite3.connect(tmp_path / "t.db") as db:
        plan = db.execute("EXPLAIN QUERY PLAN SELECT max(timestamp) FROM events "
                          "WHERE sender_id = 's' AND type_name = 'session_started'").fetchall()
    assert any(f"USING COVERING INDEX {SESSION_START_INDEX}" in step[-1] for step in plan), plan
