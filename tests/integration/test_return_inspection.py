"""The inspection when a return's parcel is back, on SQLite and PostgreSQL: refund in full, refund
less a stated deduction, or refuse with the reason — each told to the shopper's chat."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import InvalidInput

from .fixtures import add_order, merchant, service


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def authorized_return(factory) -> str:
    add_order(factory, "P1000000001", state="delivered", channel="credit_card", prices=("100.00",))
    svc = service(factory)
    result = svc.submit("alice", "P1000000001", "return_refund", "quality_defect", conversation_id="chat-r")
    merchant(factory).decide_ticket(result["ticket"]["ticket_no"], True, "请寄回", actor="merchant:m1")
    return result["return"]["return_no"]


def told(factory):
    with factory() as session:
        return [(n.kind, n.payload) for n in session.scalars(select(t.Notification).order_by(t.Notification.id))
                if n.kind.startswith("return_")]


def test_a_deduction_refunds_the_rest_and_tells_why(factory):
    return_no = authorized_return(factory)
    received = merchant(factory).receive_return(return_no, "merchant:m1", deduction=1500, note="鞋盒缺失")
    assert received["refund"]["amount"] == 10000 - 1500 and received["status"] == "refunded"
    [(kind, payload)] = told(factory)
    assert kind == "return_received" and (payload["deduction"], payload["note"]) == (1500, "鞋盒缺失")
    assert received["refund"]["refund_no"]


def test_a_refusal_after_inspection_refunds_nothing_and_tells_the_reason(factory):
    return_no = authorized_return(factory)
    received = merchant(factory).receive_return(return_no, "merchant:m1", accept=False, note="商品有明显使用痕迹，照片见附件")
    assert received["status"] == "rejected" and received["refund"] is None
    order = service(factory).lookup_order("alice", "P1000000001")
    assert order["refunds"] == [] and order["state"] == "delivered"
    [(kind, payload)] = told(factory)
    assert kind == "return_rejected" and "使用痕迹" in payload["note"]


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"deduction": 500}, "say why"), ({"accept": False}, "say why"), ({"deduction": -1, "note": "x"}, "at least 0"),
    ({"deduction": 10000, "note": "全扣"}, "refuse the return instead"),
])
def test_an_inspection_without_its_reason_or_beyond_the_amount_changes_nothing(factory, kwargs, problem):
    return_no = authorized_return(factory)
    with pytest.raises(InvalidInput, match=problem):
        merchant(factory).receive_return(return_no, "merchant:m1", **kwargs)
    order = service(factory).lookup_order("alice", "P1000000001")
    assert order["refunds"] == [] and order["returns"][0]["status"] == "authorized" and told(factory) == []
