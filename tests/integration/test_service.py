"""The service layer against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import Conflict, InvalidInput, InvalidOrderNumber, NotFound, OrderNotFound

from .fixtures import NOW, SHOPS, add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def count(factory, table, *where):
    with factory() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where))


def test_lookup_shows_own_order_and_hides_others_exactly_like_unknown_ones(factory):
    add_order(factory, "P1000000001", customer="alice")
    add_order(factory, "P1000000002", customer="bob")
    svc = service(factory)
    assert svc.lookup_order("alice", "p 1000-000-001")["order_no"] == "P1000000001"
    with pytest.raises(OrderNotFound) as other:
        svc.lookup_order("alice", "P1000000002")
    with pytest.raises(OrderNotFound) as unknown:
        svc.lookup_order("alice", "P1000000009")
    assert str(other.value) == str(unknown.value) and other.value.args == unknown.value.args
    with pytest.raises(InvalidOrderNumber):
        svc.lookup_order("alice", "<b>12</b>")
    with pytest.raises(OrderNotFound):
        svc.submit("alice", "P1000000002", "cancel_refund", "changed_mind")
    assert count(factory, t.Refund) == 0


def test_the_confirmation_reads_the_order_and_the_decision_as_lookup_and_preview_do(factory):
    add_order(factory, "P1000000001", customer="alice", prices=("45.50", "59.00"))
    add_order(factory, "P1000000002", customer="bob")
    svc = service(factory)
    read = svc.confirmation("alice", "p 1000-000-001", "cancel_refund", "changed_mind")
    assert read == {"order": svc.lookup_order("alice", "P1000000001"),
                    "decision": svc.preview("alice", "P1000000001", "cancel_refund", "changed_mind")}
    assert read["decision"]["allowed"] and read["order"]["order_no"] == "P1000000001"
    with pytest.raises(InvalidInput):
        svc.confirmation("alice", "P1000000001", "cancel_refund", "no_such_reason")
    with pytest.raises(OrderNotFound):  # another's order: a look-up like any other, counted
        svc.confirmation("alice", "P1000000002", "cancel_refund", "changed_mind")
    assert count(factory, t.AttemptCounter, t.AttemptCounter.key.like("%alice%")) == 1


def test_cancel_paid_order_refunds_once_and_replays_on_retry(factory):
    add_order(factory, "P1000000001", channel="wechat_pay", prices=("45.50", "59.00"), shipping_fee="8.00")
    svc = service(factory)
    first = svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind", idempotency_key="conv-1:turn-7")
    assert first["status"] == "done" and first["order"]["state"] == "cancelled"
    assert first["refund"]["amount"] == 4550 + 5900 + 800
    # Stored, not yet paid: the refund worker submits it to the payment provider.
    assert (first["refund"]["channel"], first["refund"]["status"]) == ("wechat_pay", "requested")

    again = svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind", idempotency_key="conv-1:turn-7")
    assert again == first
    later = svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    assert (later["status"], later["decision"]["code"]) == ("refused", "already_cancelled")
    assert count(factory, t.Refund) == 1
    assert count(factory, t.AuditEvent, t.AuditEvent.action == "refund_issued") == 1
    with factory() as session:
        audit = session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == "order_cancelled")).one()
        assert (audit.actor, audit.before["state"], audit.after["state"]) == ("customer:alice", "paid", "cancelled")


def test_idempotency_keys_are_per_customer(factory):
    add_order(factory, "P1000000001", customer="alice")
    add_order(factory, "P1000000002", customer="bob")
    svc = service(factory)
    svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind", idempotency_key="k")
    bob = svc.submit("bob", "P1000000002", "cancel_refund", "changed_mind", idempotency_key="k")
    assert bob["order"]["order_no"] == "P1000000002" and bob["status"] == "done"


def test_partial_cancellation_then_the_rest(factory):
    add_order(factory, "P1000000001", prices=("10.00", "20.00", "30.00"), shipping_fee="5.00")
    svc = service(factory)
    items = svc.lookup_order("alice", "P1000000001")["items"]
    part = svc.submit("alice", "P1000000001", "cancel_refund", "ordered_by_mistake", item_ids=[items[0]["id"]])
    assert (part["status"], part["refund"]["amount"], part["order"]["state"]) == ("done", 1000, "paid")
    again = svc.submit("alice", "P1000000001", "cancel_refund", "ordered_by_mistake", item_ids=[items[0]["id"]])
    assert again["decision"]["code"] == "items_already_cancelled"
    rest = svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    assert (rest["refund"]["amount"], rest["order"]["state"]) == (2000 + 3000 + 500, "cancelled")
    assert sum(r["amount"] for r in svc.refund_status("alice", "P1000000001")["refunds"]) == 6500


def test_a_bank_card_refund_is_on_its_way_until_the_provider_pays_it_out(factory):
    from aftersales.adapters.payments.demo import DemoPaymentProvider
    from aftersales.service.refunds import RefundWorker

    add_order(factory, "P1000000001", channel="bank_card")
    result = service(factory).submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    assert result["refund"]["status"] == "requested"

    def worker(at):
        return RefundWorker(factory, DemoPaymentProvider(lambda: at), clock=lambda: at)

    assert worker(NOW).run_once().submitted == 1
    assert worker(NOW + timedelta(hours=1)).run_once().succeeded == 0
    assert worker(NOW + timedelta(days=3)).run_once().succeeded == 1
    assert service(factory).refund_status("alice", "P1000000001")["refunds"][0]["status"] == "succeeded"


def test_pending_payment_cancel_moves_no_money(factory):
    add_order(factory, "P1000000001", state="pending_payment")
    result = service(factory).submit("alice", "P1000000001", "cancel_refund", "duplicate_order")
    assert (result["status"], result["refund"]) == ("done", None)
    assert count(factory, t.Refund) == 0


@pytest.mark.parametrize(("state", "profile", "outcome", "reason", "status"), [
    ("paid", "general", "cancel_refund", "changed_mind", "done"),
    ("shipped", "short_video", "intercept", "wrong_address", "requested"),
    ("delivered", "general", "return_refund", "quality_defect", "under_review"),
    ("delivered", "general", "exchange", "does_not_fit", "under_review"),
])
def test_a_submits_result_holds_the_order_as_a_look_up_reads_it_afterwards(factory, state, profile, outcome, reason,
                                                                           status):
    add_order(factory, "P1000000001", state=state, profile=profile, prices=("45.50", "59.00"))
    svc = service(factory)
    result = svc.submit("alice", "P1000000001", outcome, reason, exchange_wish="换成 42 码", idempotency_key="k")
    assert result["status"] == status
    assert result["order"] == svc.lookup_order("alice", "P1000000001")
    assert svc.submit("alice", "P1000000001", outcome, reason, exchange_wish="换成 42 码",
                      idempotency_key="k")["order"] == result["order"]  # a retried call: the same answer


def test_interception_request_merchant_success_refunds(factory):
    add_order(factory, "KS1000000001", state="shipped", profile="short_video", channel="alipay")
    svc = service(factory)
    result = svc.submit("alice", "KS1000000001", "intercept", "wrong_address", conversation_id="conv-9")
    assert result["status"] == "requested"
    assert (result["interception"]["stage"], result["interception"]["eta_hours"]) == ("merchant", [1, 2])
    assert result["ticket"]["kind"] == "interception" and result["ticket"]["conversation_id"] == "conv-9"
    assert result["ticket"]["sla_due_at"] == (NOW + timedelta(hours=2)).isoformat()

    twice = svc.submit("alice", "KS1000000001", "intercept", "wrong_address")
    assert twice["status"] == "already_requested"
    assert count(factory, t.Interception) == 1 and count(factory, t.Ticket) == 1

    decided = merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "快递已拦截", actor="merchant:m1",
                                shop_ids={"shop_k"})
    assert decided["order"]["state"] == "cancelled"
    assert decided["refund"]["source"] == "interception" and decided["refund"]["amount"] == 10000
    assert decided["order"]["interceptions"][0]["status"] == "succeeded"
    assert merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "again", actor="merchant:m1")["status"] == \
        "already_decided"
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(result["ticket"]["ticket_no"], False, "changed", actor="merchant:m1")
    assert count(factory, t.Refund) == 1


def test_failed_interception_keeps_the_order_going(factory):
    add_order(factory, "KS1000000001", state="in_transit", profile="short_video", distance_to_destination_km=300)
    svc = service(factory)
    ticket = svc.submit("alice", "KS1000000001", "intercept", "changed_mind")["ticket"]["ticket_no"]
    decided = merchant(factory).decide_ticket(ticket, False, "快递已过中转站", actor="merchant:m1")
    assert decided["order"]["state"] == "in_transit"
    assert decided["order"]["interceptions"][0]["status"] == "failed" and decided["refund"] is None
    # Failed attempts count against the monthly free quota too.
    assert svc.preview("alice", "KS1000000001", "intercept", "changed_mind")["interception"][
        "free_left_this_month"] == 2


def test_merchants_cannot_touch_other_shops(factory):
    add_order(factory, "KS1000000001", state="shipped", profile="short_video")
    svc = service(factory)
    ticket = svc.submit("alice", "KS1000000001", "intercept", "changed_mind")["ticket"]["ticket_no"]
    with pytest.raises(NotFound):
        merchant(factory).decide_ticket(ticket, True, "mine now", actor="merchant:evil", shop_ids={"shop_x"})
    with pytest.raises(NotFound):
        merchant(factory).merchant_cancel("KS1000000001", "out_of_stock", actor="merchant:evil", shop_ids={"shop_x"})
    with pytest.raises(NotFound):
        merchant(factory).advance_order("KS1000000001", "in_transit", actor="merchant:evil", shop_ids={"shop_x"})
    assert svc.lookup_order("alice", "KS1000000001")["state"] == "shipped"


def test_return_within_window_review_then_receive_and_refund(factory):
    add_order(factory, "P1000000001", state="delivered", channel="credit_card")
    svc = service(factory)
    result = svc.submit("alice", "P1000000001", "return_refund", "quality_defect")
    assert result["status"] == "under_review"
    assert result["return"]["shipping_payer"] == "merchant" and result["return"]["evidence_required"]
    assert result["ticket"]["priority"] == "high"
    decided = merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "请寄回：上海市…", actor="merchant:m1")
    assert decided["order"]["returns"][0]["status"] == "authorized" and decided["refund"] is None
    received = merchant(factory).receive_return(result["return"]["return_no"], actor="merchant:m1")
    assert received["status"] == "refunded" and received["refund"]["amount"] == 10000
    assert received["refund"]["channel"] == "credit_card"
    assert svc.lookup_order("alice", "P1000000001")["state"] == "returned"
    with pytest.raises(Conflict):
        merchant(factory).receive_return(result["return"]["return_no"], actor="merchant:m1")
    assert count(factory, t.Refund) == 1


def test_rejected_return_moves_nothing(factory):
    add_order(factory, "P1000000001", state="delivered")
    svc = service(factory)
    result = svc.submit("alice", "P1000000001", "return_refund", "changed_mind")
    decided = merchant(factory).decide_ticket(result["ticket"]["ticket_no"], False, "商品已使用", actor="merchant:m1")
    assert decided["order"]["returns"][0]["status"] == "rejected" and decided["order"]["state"] == "delivered"
    with pytest.raises(Conflict):
        merchant(factory).receive_return(result["return"]["return_no"], actor="merchant:m1")


def test_refused_delivery_comes_back_cancelled_and_refunded(factory):
    add_order(factory, "P1000000001", state="out_for_delivery")
    svc = service(factory)
    result = svc.submit("alice", "P1000000001", "return_refund", "changed_mind")
    assert (result["status"], result["return"]["method"], result["return"]["shipping_payer"]) == (
        "requested", "refuse_delivery", "customer")
    decided = merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "包裹已退回", actor="merchant:m1")
    assert decided["order"]["state"] == "cancelled" and decided["refund"]["amount"] == 10000


def test_virtual_goods_past_the_window_go_to_review(factory):
    add_order(factory, "8800000000001", profile="virtual_goods", goods="virtual_card", channel="wechat_pay",
              paid_ago=timedelta(hours=2))
    svc = service(factory)
    result = svc.submit("alice", "8800000000001", "cancel_refund", "ordered_by_mistake")
    assert (result["status"], result["decision"]["code"]) == ("under_review", "virtual_window_passed")
    assert count(factory, t.Refund) == 0
    again = svc.submit("alice", "8800000000001", "refund_to_balance", "ordered_by_mistake")
    assert again["status"] == "already_requested"
    decided = merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "未发卡，同意", actor="merchant:m1")
    refund = decided["refund"]
    assert decided["order"]["state"] == "cancelled" and refund["source"] == "review"
    # Approved: the review is over and WeChat Pay refunds at once (seed 002), not in another 1–24 hours.
    assert refund["expected_earliest"] == refund["expected_latest"] == NOW.isoformat()


def test_virtual_goods_inside_the_window_cancel_at_once(factory):
    add_order(factory, "8800000000001", profile="virtual_goods", goods="virtual_topup",
              paid_ago=timedelta(minutes=4))
    result = service(factory).submit("alice", "8800000000001", "cancel_refund", "changed_mind")
    assert (result["status"], result["decision"]["code"]) == ("done", "virtual_cancel_in_window")


def test_frequent_cancellers_get_review(factory):
    svc = service(factory)
    for n in range(3):
        add_order(factory, f"P100000000{n}")
        assert svc.submit("alice", f"P100000000{n}", "cancel_refund", "changed_mind")["status"] == "done"
    add_order(factory, "P1000000009")
    result = svc.submit("alice", "P1000000009", "cancel_refund", "changed_mind")
    assert (result["status"], result["decision"]["code"]) == ("under_review", "high_cancellation_rate")


def test_a_review_that_lost_the_race_to_shipment_is_not_executed(factory):
    add_order(factory, "8800000000001", profile="virtual_goods", goods="virtual_card", paid_ago=timedelta(hours=2))
    svc = service(factory)
    ticket = svc.submit("alice", "8800000000001", "cancel_refund", "changed_mind")["ticket"]["ticket_no"]
    merchant(factory).advance_order("8800000000001", "delivered", actor="merchant:m1")
    with pytest.raises(Conflict):
        merchant(factory).decide_ticket(ticket, True, "ok", actor="merchant:m1")
    assert count(factory, t.Refund) == 0
    assert svc.lookup_order("alice", "8800000000001")["tickets"][0]["status"] == "new"


def test_merchant_cancellation_refunds_automatically(factory):
    add_order(factory, "P1000000001", channel="alipay")
    add_order(factory, "P1000000002", state="shipped")
    with pytest.raises(Conflict):
        merchant(factory).merchant_cancel("P1000000001", "unpaid", actor="merchant:m1")
    result = merchant(factory).merchant_cancel("P1000000001", "out_of_stock", actor="merchant:m1", shop_ids={"shop_g"})
    assert result["order"]["state"] == "cancelled" and result["refund"]["source"] == "merchant"
    with pytest.raises(Conflict):
        merchant(factory).merchant_cancel("P1000000002", "out_of_stock", actor="merchant:m1")
    with pytest.raises(InvalidInput):
        merchant(factory).merchant_cancel("P1000000002", "felt_like_it", actor="merchant:m1")


@pytest.mark.parametrize(("state", "target"), [
    ("cancelled", "shipped"), ("paid", "delivered"), ("shipped", "paid"), ("delivered", "in_transit"),
])
def test_illegal_state_changes_are_refused(factory, state, target):
    add_order(factory, "P1000000001")
    svc = service(factory)
    if state == "cancelled":
        svc.submit("alice", "P1000000001", "cancel_refund", "changed_mind")
    else:
        for step in {"shipped": ["shipped"], "delivered": ["shipped", "in_transit", "delivered"]}.get(state, []):
            merchant(factory).advance_order("P1000000001", step, actor="courier")
    with pytest.raises(Conflict):
        merchant(factory).advance_order("P1000000001", target, actor="courier")


def test_escalation_ticket_keeps_the_context_and_is_opened_once(factory):
    add_order(factory, "P1000000001")
    svc = service(factory)
    summary = "<script>alert(1)</script>" + "很长的描述" * 3000
    opened = svc.open_ticket("alice", "escalation", summary, order_no="P1000000001", conversation_id="conv-1",
                             reason="quality_defect", context={"slots": {"desired_outcome": "refund_only"}})
    assert opened["status"] == "opened" and opened["ticket"]["kind"] == "escalation"
    again = svc.open_ticket("alice", "escalation", "再说一遍", order_no="P1000000001", conversation_id="conv-1")
    assert again["status"] == "already_open" and again["ticket"]["ticket_no"] == opened["ticket"]["ticket_no"]
    with factory() as session:
        ticket = session.scalars(select(t.Ticket)).one()
        assert ticket.context["summary"].startswith("<script>") and len(ticket.context["summary"]) == 4000
    with pytest.raises(InvalidInput):
        svc.open_ticket("alice", "cancellation_review", "x", order_no="P1000000001")
    with pytest.raises(OrderNotFound):
        svc.open_ticket("bob", "escalation", "x", order_no="P1000000001")


def test_identify_by_phone_last_four(factory):
    add_order(factory, "P1000000001", customer="alice")
    svc = service(factory)
    assert svc.identify_by_phone("P1000000001", "0001") == "alice"
    for wrong in ("0002", "", "00010", "'; --"):
        with pytest.raises(OrderNotFound):
            svc.identify_by_phone("P1000000001", wrong)
    with pytest.raises(OrderNotFound):
        svc.identify_by_phone("P1000000009", "0001")


@pytest.mark.parametrize(("outcome", "reason", "items"), [
    ("teleport", "changed_mind", []), ("cancel_refund", "<img src=x>", []), ("cancel_refund", "changed_mind", [999]),
    ("cancel_refund", "changed_mind", ["abc"]),
])
def test_bad_requests_are_refused_without_writing(factory, outcome, reason, items):
    add_order(factory, "P1000000001")
    with pytest.raises(InvalidInput):
        service(factory).submit("alice", "P1000000001", outcome, reason, item_ids=items)
    assert count(factory, t.Refund) == 0 and count(factory, t.AuditEvent, t.AuditEvent.action != "order_imported") == 0


def test_a_merchant_cancellation_is_told_in_the_shoppers_chat_about_the_order(factory):
    add_order(factory, "P1000000001", channel="bank_card")
    add_order(factory, "P1000000002", channel="alipay")
    service(factory).open_ticket("alice", "escalation", "什么时候发货", order_no="P1000000001", conversation_id="conv-7")
    told = merchant(factory).merchant_cancel("P1000000001", "out_of_stock", actor="merchant:m1")
    silent = merchant(factory).merchant_cancel("P1000000002", "out_of_stock", actor="merchant:m1")
    with factory() as session:
        notes = list(session.scalars(select(t.Notification).order_by(t.Notification.id)))
        refund = session.scalars(select(t.Refund).where(t.Refund.refund_no == told["refund"]["refund_no"])).one()
    # The order with a chat hears why and, through the refund, later that the money arrived; the one
    # never talked about in a chat queues nothing.
    assert [(n.conversation_id, n.kind, n.payload["reason"]) for n in notes] == [
        ("conv-7", "merchant_cancelled", "out_of_stock")]
    assert notes[0].refund_id == refund.id and refund.conversation_id == "conv-7"
    assert silent["refund"]["amount"] > 0


def test_an_approved_return_tells_the_chat_the_shops_return_address(factory):
    add_order(factory, "P1000000001", state="delivered",
              shop={**SHOPS["general"], "return_address": "上海市张江路 1 号 售后 收"})
    add_order(factory, "P1000000002", state="delivered", profile="other_merchant")
    add_order(factory, "P1000000003", state="delivered",
              shop={**SHOPS["general"], "return_address": "上海市张江路 1 号 售后 收"})
    svc = service(factory)
    tickets = [svc.submit("alice", order_no, outcome, reason, conversation_id=f"conv-{n}")["ticket"]["ticket_no"]
               for n, (order_no, outcome, reason) in enumerate((
                   ("P1000000001", "return_refund", "quality_defect"), ("P1000000002", "return_refund", "quality_defect"),
                   ("P1000000003", "refund_only", "not_received")))]
    for ticket_no in tickets:
        merchant(factory).decide_ticket(ticket_no, True, "同意", actor="merchant:m1")
    with factory() as session:
        payloads = {n.conversation_id: n.payload for n in session.scalars(select(t.Notification))}
    # The address the shop's import gave; a shop that gave none is told "later", never a made-up one;
    # a refund without return sends nothing back, so it names no address.
    assert payloads == {"conv-0": {"return_address": "上海市张江路 1 号 售后 收"}, "conv-1": {"return_address": None},
                        "conv-2": {}}

