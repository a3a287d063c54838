"""A case's assignee is one thing — the merchant's e-mail — however it was assigned: from the case
page, in bulk, by replying first, by a merchant's own cancellation; and migration 0013 turns the
rows stored the other way ("merchant:<email>") into that, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import make_engine, session_factory
from aftersales.adapters.db.migrate import downgrade, upgrade
from aftersales.service.inbox import InboxService
from tests.conftest import fresh_postgres_database

from .fixtures import NOW, accounts, add_order, merchant, service

MINE = {"shop_k"}
K = "merchant:k@shop.example"


@pytest.fixture
def factory(database_url):
    return session_factory(database_url)


def assignees(factory) -> dict[str, str | None]:
    with factory() as session:
        return dict(session.execute(select(t.Ticket.kind, t.Ticket.assignee)).all())


def test_every_way_of_assigning_stores_the_merchants_email(factory):
    for n in range(1, 5):
        add_order(factory, f"KS100000000{n}", state="shipped" if n < 3 else "paid", profile="short_video")
    created = accounts(factory).create_merchant("k@shop.example", "K Agent", "password-of-k", ["shop_k"])
    inbox = InboxService(factory, clock=lambda: NOW)
    shopper = service(factory)
    complaint = shopper.open_ticket("alice", "complaint", "慢", order_no="KS1000000001", conversation_id="c1")
    escalation = shopper.open_ticket("alice", "escalation", "转人工", order_no="KS1000000002", conversation_id="c2")
    interception = shopper.submit("alice", "KS1000000002", "intercept", "changed_mind", conversation_id="c3")
    inbox.reply(complaint["ticket"]["ticket_no"], MINE, "您好", K, "K")  # the first to reply takes it
    inbox.assign(escalation["ticket"]["ticket_no"], MINE, "k@shop.example", K)
    inbox.bulk_assign([interception["ticket"]["ticket_no"]], MINE, created["id"], K)
    merchant(factory).merchant_cancel("KS1000000003", "out_of_stock", K, shop_ids=MINE)
    merchant(factory).merchant_cancel("KS1000000004", "out_of_stock", "integration:erp", shop_ids=MINE)
    with factory() as session:
        stored = session.execute(select(t.Ticket.ticket_no, t.Ticket.kind, t.Ticket.assignee)
                                 .order_by(t.Ticket.id)).all()
    assert [(kind, who) for _, kind, who in stored] == [
        ("complaint", "k@shop.example"), ("escalation", "k@shop.example"), ("interception", "k@shop.example"),
        ("merchant_cancellation", "k@shop.example"), ("merchant_cancellation", None)]
    # The queue names her as her colleagues know her, whichever way she was assigned.
    assert {row["assignee"] for row in inbox.cases(MINE, status="all")} == {"k@shop.example", None}


@contextlib.contextmanager
def database_at_0012(kind: str, tmp_path):
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        upgrade(url, "0012")
        yield url
    else:
        with fresh_postgres_database("aftersales_assignee") as url:
            downgrade(url, "0012")
            yield url


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_0013_stores_old_assignees_as_emails(kind, tmp_path):
    with database_at_0012(kind, tmp_path) as url:
        engine = make_engine(url)
        at = datetime(2026, 11, 1, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO shops (id, name, policy_profile, policy_overrides, created_at) "
                                    "VALUES ('s', 'S', 'general', '{}', :at)"), {"at": at})
            for n, who in enumerate(["merchant:k@shop.example", "l@shop.example", None, "integration:erp"]):
                connection.execute(text(
                    "INSERT INTO tickets (ticket_no, shop_id, kind, status, priority, pending_action, context, "
                    "assignee, created_at, updated_at) VALUES (:no, 's', 'escalation', 'new', 'normal', '{}', '{}', "
                    ":who, :at, :at)"), {"no": f"TK{n}", "who": who, "at": at})
        upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT ticket_no, assignee FROM tickets ORDER BY ticket_no")).all()
        engine.dispose()
    assert [tuple(r) for r in rows] == [("TK0", "k@shop.example"), ("TK1", "l@shop.example"), ("TK2", None),
                                        ("TK3", None)]
