"""Changing an order's address against a real database: at once before shipment, audited and told
to the merchant in a case; once shipped, what the shop's policy offers instead."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.address_changes import AddressChangeService
from aftersales.service.errors import InvalidInput, OrderNotFound

from .fixtures import NOW, add_order, service

NEW = "张三 138-1234-5678 上海市浦东新区世纪大道100号 5楼"


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def changes(factory) -> AddressChangeService:
    return AddressChangeService(factory, clock=lambda: NOW)


def test_before_shipment_the_address_changes_at_once_with_an_audit_and_a_case(factory):
    add_order(factory, "P1000000001", state="paid", ship_to="北京市朝阳区旧地址 1 号")
    changed = changes(factory).change("alice", "P1000000001", NEW, idempotency_key="c:1", conversation_id="c")
    assert changed["status"] == "changed" and changed["masked_phone"] == "138****5678"
    assert changes(factory).change("alice", "P1000000001", NEW, idempotency_key="c:1", conversation_id="c") == changed
    order = service(factory).lookup_order("alice", "P1000000001")
    [case] = [tk for tk in order["tickets"] if tk["kind"] == "address_change"]
    assert case["status"] == "new" and case["conversation_id"] == "c"
    with factory() as session:
        audit = session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == "address_changed")).one()
        row = session.scalars(select(t.Order).where(t.Order.order_no == "P1000000001")).one()
    assert audit.before["ship_to"] == "北京市朝阳区旧地址 1 号" and audit.after["ship_to"] == NEW
    assert row.ship_to == NEW


@pytest.mark.parametrize(("state", "profile", "verdict", "interception"), [
    ("shipped", "short_video", "shipped", True),
    ("shipped", "general", "shipped", False),
    ("delivered", "general", "closed", False),
])
def test_after_shipment_nothing_changes_and_the_answer_says_what_the_shop_offers(factory, state, profile, verdict,
                                                                                interception):
    add_order(factory, "P1000000001", state=state, profile=profile, ship_to="旧地址")
    result = changes(factory).change("alice", "P1000000001", NEW)
    assert (result["status"], result["interception_offered"]) == (verdict, interception)
    order = service(factory).lookup_order("alice", "P1000000001")
    assert not [tk for tk in order["tickets"] if tk["kind"] == "address_change"]
    with factory() as session:
        assert session.scalars(select(t.Order.ship_to)).one() == "旧地址"


def test_an_unusable_address_or_someone_elses_order_changes_nothing(factory):
    add_order(factory, "P1000000001", state="paid", customer="bob", ship_to="旧地址")
    with pytest.raises(InvalidInput):
        changes(factory).change("bob", "P1000000001", "上海市某处")
    with pytest.raises(OrderNotFound):
        changes(factory).change("alice", "P1000000001", NEW)
    with factory() as session:
        assert session.scalars(select(t.Order.ship_to)).one() == "旧地址"
