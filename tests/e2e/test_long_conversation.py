"""A conversation longer than the recent turns the bot works with (bot_extensions/tracker_store.py):
what was said before them still counts, and every event is stored exactly once."""

from __future__ import annotations

import sqlite3

from .conftest import own_order, texts, tracker

RECENT_USER_TURNS = 6  # the store's default (endpoints.yml sets none)


def test_a_request_started_long_ago_is_finished_with_what_was_said_then(system):
    order_no = own_order(system, state="paid")
    sender, _ = system.chat("c_1001", f"我要取消订单 {order_no}")
    said = [f"我要取消订单 {order_no}"]
    for _ in range(RECENT_USER_TURNS + 4):  # the order number is now far behind the recent turns
        reply = system.say(sender, "退货运费谁出", customer="c_1001")
        said.append("退货运费谁出")
        assert "运费" in texts(reply) and "原因" in texts(reply)  # answered, and the form asks again

    summary = texts(system.say(sender, "拍错了", customer="c_1001"))
    done = texts(system.say(sender, "确认", customer="c_1001"))
    said += ["拍错了", "确认"]
    assert "¥36.00" in summary and "确认提交吗" in summary  # the order looked up at the first message
    assert "已取消" in done
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "cancelled" and [r["amount"] for r in order["refunds"]] == [3600]

    # The conversation API reads the whole session: every message once, in order, and the store
    # holds exactly those events.
    events = tracker(system, sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == said
    with sqlite3.connect(system.env["RASA_TRACKER_DB"]) as db:
        stored = db.execute("SELECT type_name FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    assert [name for (name,) in stored] == [e["event"] for e in events]


def test_a_handoff_late_in_a_long_conversation_stays_handed_off(system):
    sender, _ = system.chat("c_1001", "转人工")
    assert system.say(sender, "还在吗？", customer="c_1001") == []
    for _ in range(RECENT_USER_TURNS + 2):  # the pause is now older than the recent turns
        assert system.say(sender, "在吗", customer="c_1001") == []
    assert tracker(system, sender)["paused"] is True
