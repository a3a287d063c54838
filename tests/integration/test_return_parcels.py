"""The shopper's return parcel, on SQLite and PostgreSQL: recorded once on the return awaiting it,
corrected while the shop waits, refused (nothing changed) before approval, after the goods are back,
and for returns that need no parcel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import InvalidInput, OrderNotFound
from aftersales.service.return_parcels import ReturnParcelService

from .fixtures import add_order, merchant, service

ORDER = "P1000000001"


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def requested_return(factory, outcome: str = "return_refund", reason: str = "quality_defect") -> dict:
    add_order(factory, ORDER, state="delivered", channel="credit_card", prices=("100.00",))
    return service(factory).submit("alice", ORDER, outcome, reason, conversation_id="chat-r")


def authorized_return(factory) -> str:
    result = requested_return(factory)
    merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "请寄回", actor="merchant:m1")
    return result["return"]["return_no"]


def parcel_audits(factory) -> list[t.AuditEvent]:
    with factory() as session:
        return list(session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == "return_parcel_sent")))


def test_the_parcel_is_recorded_on_the_return_awaiting_it_and_audited(factory):
    return_no = authorized_return(factory)
    parcels = ReturnParcelService(factory)
    assert parcels.check("alice", ORDER)["verdict"] == "awaited"
    result = parcels.record("alice", ORDER, "sf 1234 5678 90", "顺丰速运", conversation_id="chat-r")
    assert (result["status"], result["return_no"], result["tracking_no"], result["carrier"]) == (
        "recorded", return_no, "SF1234567890", "顺丰速运")
    [returned] = service(factory).lookup_order("alice", ORDER)["returns"]
    assert (returned["return_tracking_no"], returned["return_carrier"], returned["status"]) == (
        "SF1234567890", "顺丰速运", "authorized")
    assert returned["return_shipped_at"] is not None
    [audit] = parcel_audits(factory)
    assert audit.actor == "customer:alice" and audit.entity_id == return_no
    assert audit.before["return_tracking_no"] is None and audit.after["conversation_id"] == "chat-r"


def test_the_same_number_again_changes_nothing_and_another_corrects_it(factory):
    authorized_return(factory)
    parcels = ReturnParcelService(factory)
    parcels.record("alice", ORDER, "SF1234567890", "顺丰速运")
    assert parcels.record("alice", ORDER, "SF1234567890", "顺丰速运")["status"] == "unchanged"
    corrected = parcels.record("alice", ORDER, "75123456789012", "中通快递")
    assert (corrected["status"], corrected["tracking_no"], corrected["carrier"]) == (
        "corrected", "75123456789012", "中通快递")
    assert len(parcel_audits(factory)) == 2


def test_before_approval_the_parcel_is_refused_and_nothing_is_recorded(factory):
    requested_return(factory)
    result = ReturnParcelService(factory).record("alice", ORDER, "SF1234567890", "顺丰速运")
    assert result["status"] == "under_review" and result["tracking_no"] is None
    assert result["return_address"] is None and parcel_audits(factory) == []


def test_once_the_goods_are_back_no_parcel_is_taken(factory):
    return_no = authorized_return(factory)
    merchant(factory).receive_return(return_no, "merchant:m1")
    assert ReturnParcelService(factory).record("alice", ORDER, "SF1234567890")["status"] == "received"
    assert parcel_audits(factory) == []


def test_a_refund_without_return_needs_no_parcel(factory):
    requested_return(factory, outcome="refund_only", reason="not_received")
    assert ReturnParcelService(factory).check("alice", ORDER)["verdict"] == "not_needed"


def test_an_order_without_a_return_says_so(factory):
    add_order(factory, ORDER, state="delivered", channel="credit_card", prices=("100.00",))
    assert ReturnParcelService(factory).check("alice", ORDER)["verdict"] == "no_return"


def test_someone_elses_order_is_not_found_and_garbage_is_refused(factory):
    authorized_return(factory)
    parcels = ReturnParcelService(factory)
    with pytest.raises(OrderNotFound):
        parcels.record("mallory", ORDER, "SF1234567890")
    for garbage in ("123", "<script>alert(1)</script>", "SF" + "1" * 60):
        with pytest.raises(InvalidInput):
            parcels.record("alice", ORDER, garbage)
    assert parcel_audits(factory) == []


def test_a_return_authorized_at_once_gives_the_address_and_awaits_the_parcel(factory):
    shop = {"id": "shop_auto", "name": "Auto", "policy_profile": "general", "return_address": "杭州市 退货组 收",
            "policy_overrides": {"returns": {"auto_authorize": True}}}
    add_order(factory, ORDER, state="delivered", channel="credit_card", prices=("100.00",), shop=shop)
    submitted = service(factory).submit("alice", ORDER, "return_refund", "quality_defect", conversation_id="chat-r")
    assert (submitted["status"], submitted["return"]["status"], submitted["return_address"]) == (
        "requested", "authorized", "杭州市 退货组 收")
    assert ReturnParcelService(factory).check("alice", ORDER)["verdict"] == "awaited"
