"""The shopper's rating of a case, on SQLite and PostgreSQL: asked once, after the decision, in the
case's own chat; the first score counts; another chat's or another shopper's score is refused; the
score reaches the case and the figures (per day and per merchant)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aftersales.adapters.db.engine import session_factory
from aftersales.service.analytics import ShopAnalytics
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.inbox import InboxService
from aftersales.service.satisfaction import SatisfactionService

from .analytics_seed import MINE, K, seed_cases, seed_ratings
from .fixtures import NOW, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def rating(factory, now=NOW):
    return SatisfactionService(factory, clock=lambda: now)


def decided_case(factory) -> str:
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    ticket_no = service(factory).open_ticket("alice", "complaint", "慢", order_no="KS1000000001",
                                             conversation_id="chat-1")["ticket"]["ticket_no"]
    merchant(factory).decide_ticket(ticket_no, True, "已补偿", K, shop_ids=MINE)
    return ticket_no


def test_asked_once_in_its_own_chat_only_after_the_decision(factory):
    add_order(factory, "KS1000000002", state="shipped", profile="short_video")
    open_case = service(factory).open_ticket("alice", "complaint", "慢", order_no="KS1000000002",
                                             conversation_id="chat-2")["ticket"]["ticket_no"]
    assert rating(factory).ask(open_case, "chat-2") is False  # not decided yet
    ticket_no = decided_case(factory)
    assert rating(factory).ask(ticket_no, "chat-9") is False  # another chat
    assert rating(factory).ask("TK000000NOPE", "chat-1") is False
    assert rating(factory).ask(ticket_no, "chat-1") is True
    assert rating(factory).ask(ticket_no, "chat-1") is False  # once
    case = InboxService(factory, clock=lambda: NOW).case(ticket_no, MINE)["ticket"]
    assert case["satisfaction_asked_at"] and case["satisfaction"] is None


def test_the_first_score_counts_and_reaches_the_case(factory):
    ticket_no = decided_case(factory)
    with pytest.raises(Conflict):
        rating(factory).rate(ticket_no, 5, "chat-1", "alice")  # never asked
    rating(factory).ask(ticket_no, "chat-1")
    for bad in (0, 6, "4.5", "five", None, True):
        with pytest.raises(InvalidInput):
            rating(factory).rate(ticket_no, bad, "chat-1", "alice")
    later = NOW + timedelta(minutes=5)
    assert rating(factory, later).rate(ticket_no, "4", "chat-1", "alice") == {
        "status": "recorded", "ticket_no": ticket_no, "score": 4}
    assert rating(factory).rate(ticket_no, 1, "chat-1", None)["status"] == "already_rated"
    case = InboxService(factory, clock=lambda: NOW).case(ticket_no, MINE)
    assert (case["ticket"]["satisfaction"], case["ticket"]["satisfaction_at"]) == (4, later.isoformat())
    assert [a["after"] for a in case["audit"] if a["action"] == "case_rated"] == [{"score": 4}]


def test_someone_elses_case_is_refused_like_a_missing_one(factory):
    ticket_no = decided_case(factory)
    rating(factory).ask(ticket_no, "chat-1")
    with pytest.raises(NotFound):
        rating(factory).rate(ticket_no, 5, "chat-other", None)  # another chat
    with pytest.raises(NotFound):
        rating(factory).rate(ticket_no, 5, "chat-1", "bob")  # the chat's id, another shopper's identity
    with pytest.raises(NotFound):
        rating(factory).rate("TK000000NOPE", 5, "chat-1", "alice")
    assert InboxService(factory, clock=lambda: NOW).case(ticket_no, MINE)["ticket"]["satisfaction"] is None


def test_the_scores_reach_the_figures_per_day_and_per_merchant(factory):
    seed_ratings(factory, seed_cases(factory))  # both decided by K (chat-i, chat-e)
    report = ShopAnalytics(factory, clock=lambda: NOW).report(MINE, days=3)
    assert [(d["satisfaction"], d["ratings"]) for d in report["daily"]] == [(None, 0), (4, 1), (2, 1)]
    assert (report["totals"]["satisfaction"], report["totals"]["ratings"]) == (3, 2)
    by_email = {m["email"]: m for m in report["merchants"]}
    assert (by_email["k@shop.example"]["satisfaction"], by_email["k@shop.example"]["ratings"]) == (3, 2)
    assert (by_email["l@shop.example"]["satisfaction"], by_email["l@shop.example"]["ratings"]) == (None, 0)
