"""Bulk actions of the merchant inbox (assign, set status) on SQLite and PostgreSQL: one transaction,
one audit line per case changed, only the merchant's own shops, never a decision."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import session_factory
from aftersales.service.errors import InvalidInput
from aftersales.service.inbox import MAX_BULK, InboxService, NotYours
from tests.integration.fixtures import NOW, accounts, add_order, merchant, service

MINE, BOTH = {"shop_k"}, {"shop_k", "shop_g"}


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


@pytest.fixture
def inbox(factory):
    return InboxService(factory, clock=lambda: NOW)


@pytest.fixture
def team(factory, shops):
    """Merchants: K and K2 in shop K, G in shops K and G, X in shop X."""
    return {name: accounts(factory).create_merchant(f"{name}@shop.example", f"{name.upper()} 客服",
                                                    f"password-of-{name}", shops)
            for name, shops in (("k", ["shop_k"]), ("k2", ["shop_k"]), ("g", ["shop_k", "shop_g"]),
                                ("x", ["shop_x"]))}


def escalations(factory, shop_id: str, n: int) -> list[str]:
    return [service(factory).open_ticket(None, "escalation", f"转人工 {i}", shop_id=shop_id,
                                         conversation_id=f"{shop_id}-{i}")["ticket"]["ticket_no"] for i in range(n)]


@pytest.fixture
def shops(factory):
    """Orders (so the shops exist) and open cases: three in shop K, one in G, one in X."""
    add_order(factory, "KS1000000001", state="paid", profile="short_video")
    add_order(factory, "G1000000001", state="paid", profile="general")
    add_order(factory, "X1000000001", state="paid", profile="other_merchant", customer="bob")
    return {"shop_k": escalations(factory, "shop_k", 3), "shop_g": escalations(factory, "shop_g", 1),
            "shop_x": escalations(factory, "shop_x", 1)}


def tickets(factory) -> dict[str, tuple[str, str | None]]:
    with factory() as session:
        return {tk.ticket_no: (tk.status, tk.assignee) for tk in session.scalars(select(t.Ticket))}


def audit(factory, action: str) -> list[t.AuditEvent]:
    with factory() as session:
        return list(session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == action)
                                    .order_by(t.AuditEvent.id)))


def test_bulk_assign_changes_exactly_the_chosen_cases_and_audits_each(factory, inbox, team, shops):
    a, b, c = shops["shop_k"]
    before = tickets(factory)
    result = inbox.bulk_assign([a, c.lower(), a], MINE, team["k"]["id"], "merchant:k@shop.example")
    assert result["updated"] == [a, c] and result["unchanged"] == [] and result["skipped"] == {}
    assert result["assignee"] == {"email": "k@shop.example", "display_name": "K 客服"}
    after = tickets(factory)
    assert after[a] == after[c] == ("new", "k@shop.example")
    assert {n: v for n, v in after.items() if n not in (a, c)} == {n: v for n, v in before.items() if n not in (a, c)}
    lines = audit(factory, "ticket_assigned")
    assert [(x.entity_id, x.actor, x.before["assignee"], x.after["assignee"], x.after["via"]) for x in lines] == [
        (a, "merchant:k@shop.example", None, "k@shop.example", "bulk"),
        (c, "merchant:k@shop.example", None, "k@shop.example", "bulk")]
    # Again: nothing to change, nothing written.
    again = inbox.bulk_assign([a, c], MINE, team["k"]["id"], "merchant:k@shop.example")
    assert again["updated"] == [] and again["unchanged"] == [a, c]
    assert len(audit(factory, "ticket_assigned")) == 2


def test_a_case_of_another_shop_refuses_the_whole_request_and_is_named(factory, inbox, team, shops):
    mine, theirs = shops["shop_k"][0], shops["shop_x"][0]
    before = tickets(factory)
    with pytest.raises(NotYours) as refused:
        inbox.bulk_assign([mine, theirs, "TK000000NOPE"], MINE, team["k"]["id"], "merchant:k@shop.example")
    assert refused.value.ticket_nos == [theirs, "TK000000NOPE"]  # unknown and another shop's: alike
    with pytest.raises(NotYours):
        inbox.bulk_set_status([mine, theirs], MINE, "in_progress", "merchant:k@shop.example")
    assert tickets(factory) == before
    assert audit(factory, "ticket_assigned") == audit(factory, "ticket_status_changed") == []


def test_bulk_status_sets_only_the_open_statuses_and_skips_resolved_cases(factory, inbox, team, shops):
    a, b, c = shops["shop_k"]
    merchant(factory).decide_ticket(b, True, "已处理", "merchant:k@shop.example", shop_ids=MINE)
    result = inbox.bulk_set_status([a, b, c], MINE, "waiting_on_customer", "merchant:k@shop.example")
    assert result == {"updated": [a, c], "unchanged": [], "skipped": {b: "resolved"}}
    state = tickets(factory)
    assert state[a][0] == state[c][0] == "waiting_on_customer" and state[b][0] == "resolved"
    assert [x.after["status"] for x in audit(factory, "ticket_status_changed")] == ["waiting_on_customer"] * 2
    for status in ("resolved", "new", "approved", ""):
        with pytest.raises(InvalidInput):
            inbox.bulk_set_status([a], MINE, status, "merchant:k@shop.example")
    assert inbox.bulk_assign([b], MINE, None, "merchant:k@shop.example")["skipped"] == {b: "resolved"}
    assert tickets(factory)[b] == state[b]


def test_assigning_to_a_colleague_only_for_the_shops_they_work(factory, inbox, team, shops):
    k_case, g_case = shops["shop_k"][0], shops["shop_g"][0]
    # G works shops K and G and assigns both cases to K2, who works shop K only.
    result = inbox.bulk_assign([k_case, g_case], BOTH, team["k2"]["id"], "merchant:g@shop.example")
    assert result["updated"] == [k_case] and result["skipped"] == {g_case: "assignee_not_in_shop"}
    assert tickets(factory)[k_case][1] == "k2@shop.example" and tickets(factory)[g_case][1] is None
    # A merchant of no shop of ours, or none at all: refused before anything.
    for stranger in (team["x"]["id"], 99999):
        with pytest.raises(InvalidInput):
            inbox.bulk_assign([k_case], MINE, stranger, "merchant:k@shop.example")
    # Unassigning in bulk.
    assert inbox.bulk_assign([k_case], MINE, None, "merchant:k@shop.example")["updated"] == [k_case]
    assert tickets(factory)[k_case][1] is None


def test_teammates_are_the_merchants_of_our_shops_with_only_those_shops(factory, team, shops):
    assert [(m["email"], m["shop_ids"]) for m in accounts(factory).teammates(MINE)] == [
        ("g@shop.example", ["shop_k"]), ("k@shop.example", ["shop_k"]), ("k2@shop.example", ["shop_k"])]
    assert [m["email"] for m in accounts(factory).teammates({"shop_x"})] == ["x@shop.example"]


def test_an_empty_or_oversized_bulk_request_is_refused(factory, inbox, team, shops):
    with pytest.raises(InvalidInput):
        inbox.bulk_assign([], MINE, team["k"]["id"], "merchant:k@shop.example")
    with pytest.raises(InvalidInput):
        inbox.bulk_assign(["  ", ""], MINE, team["k"]["id"], "merchant:k@shop.example")
    with pytest.raises(InvalidInput):
        inbox.bulk_set_status([f"TK{n:010d}" for n in range(MAX_BULK + 1)], MINE, "in_progress", "merchant:k")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(t.AuditEvent)
                              .where(t.AuditEvent.action.in_(["ticket_assigned", "ticket_status_changed"]))) == 0


def test_a_failure_part_way_leaves_every_chosen_case_as_it_was(factory, inbox, team, shops, monkeypatch):
    from aftersales.service.unit_of_work import UnitOfWork

    written = []
    real_audit = UnitOfWork.audit

    def audit_then_fail(self, *args, **kwargs):
        real_audit(self, *args, **kwargs)
        written.append(args)
        if len(written) == 2:
            raise RuntimeError("the database went away")

    before = tickets(factory)
    monkeypatch.setattr(UnitOfWork, "audit", audit_then_fail)
    with pytest.raises(RuntimeError):
        inbox.bulk_set_status(shops["shop_k"], MINE, "in_progress", "merchant:k@shop.example")
    monkeypatch.undo()
    assert len(written) == 2 and tickets(factory) == before  # one transaction: all or nothing
    assert audit(factory, "ticket_status_changed") == []
