"""The merchant inbox service and the notification outbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.adapters.payments.demo import DemoPaymentProvider
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.inbox import InboxService
from aftersales.service.merchant_accounts import MerchantAccounts
from aftersales.service.notifications import EXTERNAL_INTENT, MAX_ATTEMPTS, NotificationDispatcher
from aftersales.service.refunds import RefundWorker
from tests.integration.fixtures import NOW, accounts, add_order, merchant, reports, service

MINE, THEIRS = {"shop_k"}, {"shop_x"}


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


@pytest.fixture
def inbox(factory):
    return InboxService(factory, clock=lambda: NOW)


def interception_case(factory, order_no="KS1000000001", conversation="chat-1"):
    add_order(factory, order_no, state="shipped", profile="short_video", channel="alipay")
    result = service(factory).submit("alice", order_no, "intercept", "changed_mind", conversation_id=conversation)
    return result["ticket"]["ticket_no"]


def other_shops_case(factory):
    add_order(factory, "X1000000001", state="delivered", profile="other_merchant", customer="bob",
              delivered_at=(NOW - timedelta(days=1)).isoformat())
    result = service(factory).submit("bob", "X1000000001", "return_refund", "quality_defect", conversation_id="chat-b")
    return result["ticket"]["ticket_no"]


def notifications(factory):
    with factory() as session:
        return session.scalars(select(t.Notification).order_by(t.Notification.id)).all()


def test_merchant_signs_in_with_a_hashed_password(factory, inbox):
    add_order(factory, "KS1000000001", state="paid", profile="short_video")
    created = accounts(factory).create_merchant("Ops@Shop-K.example", "K ops", "correct horse battery", ["shop_k"])
    assert created["shop_ids"] == ["shop_k"]
    with factory() as session:
        stored = session.scalar(select(t.Merchant.password_hash))
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert accounts(factory).authenticate("ops@shop-k.example", "correct horse battery")["email"] == "ops@shop-k.example"
    assert accounts(factory).authenticate("ops@shop-k.example", "wrong password!") is None
    assert accounts(factory).authenticate("nobody@shop-k.example", "correct horse battery") is None
    with pytest.raises(InvalidInput):
        accounts(factory).create_merchant("x@shop-k.example", "short", "short", ["shop_k"])
    with pytest.raises(InvalidInput):
        accounts(factory).create_merchant("y@shop-k.example", "unknown shop", "long enough password", ["shop_nope"])
    with pytest.raises(Conflict):
        accounts(factory).create_merchant("ops@shop-k.example", "again", "another long password", ["shop_k"])


def test_queues_list_only_the_merchants_own_cases(factory, inbox):
    mine = interception_case(factory)
    theirs = other_shops_case(factory)
    assert inbox.queue_counts(MINE) == {"escalations": 0, "reviews": 0, "interceptions": 1, "returns": 0,
                                        "merchant_cancellations": 0, "refunds": 0, "appeals": 0,
                                        "changes": 0, "order_issues": 0}
    assert [row["ticket_no"] for row in inbox.cases(MINE)] == [mine]
    assert [row["ticket_no"] for row in inbox.cases(THEIRS, queue="returns")] == [theirs]
    assert inbox.cases(MINE, queue="returns") == []
    detail = inbox.case(mine, MINE)
    assert detail["order"]["order_no"] == "KS1000000001"
    assert detail["ticket"]["pending_action"]["action"] == "intercept"
    assert detail["ticket"]["decision_code"] is not None
    assert any(a["action"] == "interception_requested" for a in detail["audit"])


def test_another_shops_case_or_order_is_not_found_for_reading_or_acting(factory, inbox):
    theirs = other_shops_case(factory)
    for attempt in (lambda: inbox.case(theirs, MINE),
                    lambda: merchant(factory).decide_ticket(theirs, True, "", "merchant:k", shop_ids=MINE),
                    lambda: inbox.reply(theirs, MINE, "hi", "merchant:k", "K"),
                    lambda: inbox.assign(theirs, MINE, "k@k", "merchant:k"),
                    lambda: inbox.set_status(theirs, MINE, "in_progress", "merchant:k"),
                    lambda: inbox.hand_back(theirs, MINE, "merchant:k"),
                    lambda: inbox.order("X1000000001", MINE),
                    lambda: merchant(factory).merchant_cancel("X1000000001", "out_of_stock", "merchant:k", shop_ids=MINE)):
        with pytest.raises(NotFound):
            attempt()
    detail = inbox.case(theirs, THEIRS)
    assert detail["ticket"]["status"] == "new" and detail["ticket"]["assignee"] is None
    assert notifications(factory) == []


def test_approving_an_interception_refunds_once_and_queues_the_shoppers_notification(factory, inbox):
    ticket_no = interception_case(factory)
    result = merchant(factory).decide_ticket(ticket_no, True, "快递已拦截", "merchant:k", shop_ids=MINE)
    assert result["status"] == "approved" and result["refund"]["amount"] == 10000
    assert result["order"]["state"] == "cancelled"
    [note] = notifications(factory)
    assert (note.kind, note.conversation_id, note.status, note.id) == ("decision", "chat-1", "pending",
                                                                        result["notification_id"])
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(ticket_no, False, "changed my mind", "merchant:k", shop_ids=MINE)
    again = merchant(factory).decide_ticket(ticket_no, True, "快递已拦截", "merchant:k", shop_ids=MINE)
    assert again["status"] == "already_decided"
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.Refund)) == 1
        assert session.scalar(select(t.Refund.conversation_id)) == "chat-1"
    assert len(notifications(factory)) == 1


def test_rejection_needs_a_reason_and_replies_are_bounded(factory, inbox):
    ticket_no = interception_case(factory)
    with pytest.raises(InvalidInput):
        merchant(factory).decide_ticket(ticket_no, False, "  ", "merchant:k", shop_ids=MINE)
    with pytest.raises(InvalidInput):
        inbox.reply(ticket_no, MINE, "", "merchant:k", "K")
    with pytest.raises(InvalidInput):
        inbox.reply(ticket_no, MINE, "长" * 2001, "merchant:k", "K")
    assert notifications(factory) == []


def test_reply_assigns_and_moves_the_case_then_hand_back_is_queued(factory, inbox):
    ticket_no = interception_case(factory)
    replied = inbox.reply(ticket_no, MINE, "<b>已联系快递</b>", "merchant:k@k", "K 客服")
    assert replied["ticket"]["status"] == "in_progress" and replied["ticket"]["assignee"] == "k@k"
    inbox.set_status(ticket_no, MINE, "waiting_on_customer", "merchant:k@k")
    with pytest.raises(InvalidInput):
        inbox.set_status(ticket_no, MINE, "resolved", "merchant:k@k")
    inbox.hand_back(ticket_no, MINE, "merchant:k@k")
    kinds = [(n.kind, n.payload.get("text")) for n in notifications(factory)]
    assert kinds == [("reply", "<b>已联系快递</b>"), ("hand_back", None)]
    actions = [a["action"] for a in inbox.case(ticket_no, MINE)["audit"]]
    assert {"ticket_replied", "ticket_status_changed", "conversation_handed_back"} <= set(actions)


def test_merchant_cancellation_refunds_and_lands_in_its_queue(factory, inbox):
    add_order(factory, "KS1000000009", state="paid", profile="short_video", channel="wechat_pay")
    result = merchant(factory).merchant_cancel("KS1000000009", "out_of_stock", "merchant:k", shop_ids=MINE)
    assert result["order"]["state"] == "cancelled" and result["refund"]["channel"] == "wechat_pay"
    [row] = inbox.cases(MINE, queue="merchant_cancellations", status="all")
    assert row["order_no"] == "KS1000000009" and row["reason"] == "out_of_stock"
    figures = reports(factory).analytics(MINE)
    assert figures["cancellations_by_reason"] == {"out_of_stock": 1}
    assert figures["cancellations_by_state"] == {"paid": 1}


def test_analytics_count_interceptions_by_stage(factory, inbox):
    ticket_no = interception_case(factory)
    merchant(factory).decide_ticket(ticket_no, False, "已签收", "merchant:k", shop_ids=MINE)
    service(factory).open_ticket("alice", "escalation", "转人工", order_no="KS1000000001", conversation_id="chat-1")
    figures = reports(factory).analytics(MINE)
    assert figures["interceptions"] == {"merchant:failed": 1}
    assert figures["interceptions_by_stage"] == {"merchant": {"failed": 1}}


class FakeRasa:
    """Rasa's HTTP API as the dispatcher sees it (unit of one layer: the real one is in e2e)."""

    def __init__(self, paused=False, fail=False):
        self.paused, self.fail, self.calls = paused, fail, []

    def tracker(self, conversation_id, include_events="ALL"):
        if self.fail:
            raise ConnectionError("rasa is down")
        return {"paused": self.paused}

    def append_events(self, conversation_id, events):
        self.calls.append(("events", conversation_id, events))
        return {}

    def trigger_intent(self, conversation_id, intent, entities):
        self.calls.append(("trigger", conversation_id, intent, entities))
        return {}


def test_dispatcher_triggers_the_bot_and_marks_sent_once(factory, inbox):
    ticket_no = interception_case(factory)
    note_id = merchant(factory).decide_ticket(ticket_no, True, "", "merchant:k", shop_ids=MINE)["notification_id"]
    rasa = FakeRasa()
    report = NotificationDispatcher(factory, rasa, clock=lambda: NOW).dispatch()
    assert report.sent == [note_id]
    assert rasa.calls == [("trigger", "chat-1", EXTERNAL_INTENT, {"notification_id": str(note_id)})]
    assert NotificationDispatcher(factory, rasa, clock=lambda: NOW).dispatch().sent == []
    assert notifications(factory)[0].status == "sent"
    update = service(factory).notification(note_id, "chat-1")
    assert update["ticket"]["resolution"] == "approved" and update["refund"]["amount"] == 10000
    with pytest.raises(NotFound):
        service(factory).notification(note_id, "someone-elses-chat")


def test_dispatcher_retries_with_backoff_and_gives_up_after_max_attempts(factory, inbox):
    ticket_no = interception_case(factory)
    merchant(factory).decide_ticket(ticket_no, True, "", "merchant:k", shop_ids=MINE)
    clock = [NOW]
    dispatcher = NotificationDispatcher(factory, FakeRasa(fail=True), clock=lambda: clock[0])
    assert dispatcher.dispatch().waiting and notifications(factory)[0].status == "pending"
    assert dispatcher.dispatch().waiting == []  # not due again yet
    failed_at = []
    for attempt in range(2, MAX_ATTEMPTS + 2):
        clock[0] += timedelta(hours=2)
        if dispatcher.dispatch().failed:
            failed_at.append(attempt)
    assert failed_at == [MAX_ATTEMPTS] and notifications(factory)[0].status == "failed"
    assert "rasa is down" in notifications(factory)[0].last_error


def test_paused_chat_gets_replies_at_once_and_refund_notices_after_hand_back(factory, inbox):
    ticket_no = interception_case(factory)
    inbox.reply(ticket_no, MINE, "稍等，正在联系快递", "merchant:k", "K 客服")
    with factory() as session, session.begin():
        refund = t.Refund(refund_no="RFTEST1", order_id=session.scalar(select(t.Order.id)), amount=100,
                          currency="CNY", channel="alipay", status="requested", source="cancellation",
                          created_at=NOW, expected_earliest=NOW, expected_latest=NOW, conversation_id="chat-1",
                          attempts=0, next_attempt_at=NOW)
        session.add(refund)
    RefundWorker(factory, DemoPaymentProvider(lambda: NOW), clock=lambda: NOW).run_once()
    rasa = FakeRasa(paused=True)
    report = NotificationDispatcher(factory, rasa, clock=lambda: NOW).dispatch()
    assert len(report.sent) == 1 and len(report.waiting) == 1
    assert rasa.calls[0][0] == "events" and rasa.calls[0][2][0]["text"] == "稍等，正在联系快递"
    assert rasa.calls[0][2][0]["metadata"]["from"] == "merchant"
    waiting = notifications(factory)[1]
    assert (waiting.kind, waiting.status, waiting.attempts) == ("refund_completed", "pending", 0)
    # A decision closes the case and hands the chat back before the bot speaks.
    merchant(factory).decide_ticket(ticket_no, True, "", "merchant:k", shop_ids=MINE)
    rasa.calls.clear()
    NotificationDispatcher(factory, rasa, clock=lambda: NOW + timedelta(minutes=2)).dispatch()
    assert ("events", "chat-1", [{"event": "resume"}, {"event": "action", "name": "action_listen"}]) in rasa.calls


def test_five_wrong_passwords_lock_the_sign_in_for_a_while(factory):
    clock = [NOW]
    accounts = MerchantAccounts(factory, clock=lambda: clock[0])
    add_order(factory, "KS1000000001", state="paid", profile="short_video")
    accounts.create_merchant("k@shop.example", "K", "the right password", ["shop_k"])
    for _ in range(4):
        assert accounts.authenticate("k@shop.example", "wrong") is None
    assert accounts.authenticate("k@shop.example", "the right password") is not None  # a success resets the count
    for _ in range(5):
        assert accounts.authenticate("k@shop.example", "wrong") is None
    assert accounts.authenticate("k@shop.example", "the right password") is None  # locked
    clock[0] += timedelta(minutes=16)
    assert accounts.authenticate("k@shop.example", "the right password") is not None
