"""Seeded conversations and cases for the analytics tests (service, web and browser), whose figures
are worked out by hand in tests/integration/test_analytics.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from aftersales.service.base import PLATFORM_TZ
from aftersales.service.inbox import InboxService
from tests.integration.chat_log import FakeTracker
from tests.integration.fixtures import accounts, add_order, merchant, service

MINE = {"shop_k"}
K, L = "merchant:k@shop.example", "merchant:l@shop.example"


def cst(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 in China."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PLATFORM_TZ)


def seed_chats(tracker: FakeTracker) -> None:
    """16 Nov: one answered, one left in the cancellation form. 17 Nov: a handoff, one left at "did
    you mean…?", one whose case went to the escalation queue. 18 Nov (today, noon now): one answered
    in the morning, one still going; another shop's chat; and the notifier's message to an old chat."""
    tracker.write("chat-a", cst(16, 10), ("session_started",), ("action", "action_listen"), ("user", "greet"),
                  ("action", "utter_greet"), ("user", "faq"), ("action", "action_answer_faq"),
                  ("action", "action_listen"), shop_id="shop_k")
    tracker.write("chat-b", cst(16, 11), ("user", "cancel_order"), ("action", "action_start_request"),
                  ("active_loop", "after_sales_form"), ("slot", "requested_slot"), ("action", "action_listen"))
    tracker.write("chat-c", cst(17, 9), ("user", "request_human"), ("action", "action_handoff"), ("pause",))
    tracker.write("chat-d", cst(17, 15), ("user", "nlu_fallback"), ("action", "action_handle_fallback"),
                  ("action", "action_listen"))
    tracker.write("chat-e", cst(17, 16), ("user", "complain"), ("action", "utter_complaint_heard"))
    tracker.write("chat-a", cst(18, 8), ("session_started",), ("user", "check_order_status"),
                  ("action", "action_answer_query"), ("action", "action_listen"))
    tracker.write("chat-f", cst(18, 11, 50), ("user", "faq"), ("action", "action_answer_faq"))
    tracker.write("chat-x", cst(17, 10), ("user", "faq"), ("action", "action_answer_faq"), shop_id="shop_x")
    tracker.write("chat-c", cst(18, 9), ("session_started",), ("user", "EXTERNAL_case_update"),
                  ("action", "action_case_update"))


def seed_cases(factory) -> dict[str, str]:
    """Two cases opened on 17 Nov and one this morning, worked by K and L:
    the interception case: L answers after 30 min, K decides after 3 h;
    chat-e's escalation: L answers after 10 min, K decides after 2 h; today's: nobody yet.
    And a merchant cancellation (the shop's own case), which is no one's response."""
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    add_order(factory, "KS1000000002", state="shipped", profile="short_video")
    add_order(factory, "KS1000000003", state="paid", profile="short_video")
    add_order(factory, "X1000000001", profile="other_merchant", customer="bob")
    accounts(factory).create_merchant("k@shop.example", "K Agent", "password-of-k", ["shop_k"])
    accounts(factory).create_merchant("l@shop.example", "L Agent", "password-of-l", ["shop_k"])
    accounts(factory).create_merchant("x@shop.example", "X Agent", "password-of-x", ["shop_x"])
    opened = cst(17, 10)
    interception = service(factory, opened).submit("alice", "KS1000000001", "intercept", "changed_mind",
                                                   conversation_id="chat-i")["ticket"]["ticket_no"]
    InboxService(factory, clock=lambda: opened + timedelta(minutes=30)).reply(interception, MINE, "在处理", L, "L")
    merchant(factory, opened + timedelta(hours=3)).decide_ticket(interception, True, "", K, shop_ids=MINE)
    opened = cst(17, 16, 5)
    escalation = service(factory, opened).open_ticket("alice", "complaint", "投诉", order_no="KS1000000002",
                                                      conversation_id="chat-e")["ticket"]["ticket_no"]
    InboxService(factory, clock=lambda: opened + timedelta(minutes=10)).reply(escalation, MINE, "抱歉", L, "L")
    merchant(factory, opened + timedelta(hours=2)).decide_ticket(escalation, True, "已补偿", K, shop_ids=MINE)
    service(factory, cst(18, 9)).open_ticket("alice", "escalation", "转人工", order_no="KS1000000003")
    merchant(factory, cst(17, 12)).merchant_cancel("KS1000000003", "out_of_stock", K, shop_ids=MINE)
    return {"interception": interception, "escalation": escalation}


def seed_ratings(factory, cases: dict[str, str]) -> None:
    """The shoppers rate both decided cases: the interception 4 on 17 Nov, the complaint 2 this morning."""
    from aftersales.service.satisfaction import SatisfactionService

    for ticket_no, chat, score, at in ((cases["interception"], "chat-i", 4, cst(17, 14)),
                                       (cases["escalation"], "chat-e", 2, cst(18, 9, 30))):
        rating = SatisfactionService(factory, clock=lambda at=at: at)
        assert rating.ask(ticket_no, chat)
        rating.rate(ticket_no, score, chat, "alice")
