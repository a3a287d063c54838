"""Unit of work: one session, one transaction. Commit is explicit; leaving without it rolls back."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, cast

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from aftersales.adapters.db import tables as t
from aftersales.adapters.db.engine import READ_ONLY
from aftersales.domain.lifecycles import InterceptionStatus, NotificationStatus

# Each dialect's INSERT … ON CONFLICT DO NOTHING (their Insert classes share no base that has it).
_INSERT_OR_SKIP: dict[str, Any] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


# An order's records (all but the items), with their tables: each row points at its order by order_id.
ORDER_RECORDS: tuple[tuple[str, Any], ...] = (("refunds", t.Refund), ("returns", t.ReturnRequest),
                                             ("interceptions", t.Interception), ("tickets", t.Ticket))


@dataclass(frozen=True)
class _Statements:
    """The statements of every look-up, built once with bind parameters: SQLAlchemy then reuses
    each one's cache key and compiled form, where a statement built per call is built and keyed
    again each time (a third of a look-up's CPU)."""

    order: Any  # by order number, with items and shop
    order_locked: Any  # the same, row-locked, its items re-read
    records_present: Any  # which of the order's record tables have rows for it
    records: tuple[Any, ...]  # each record table's rows of the order, in ORDER_RECORDS' order
    counters: Any  # the limits' counters by key
    customer_counts: Any  # a customer's orders, own cancellations and interceptions since given times


@functools.cache
def _statements() -> _Statements:
    order_no: Any = bindparam("order_no")
    order_id: Any = bindparam("order_id")
    return _Statements(
        order=select(t.Order).where(t.Order.order_no == order_no).options(joinedload(t.Order.items),
                                                                          joinedload(t.Order.shop)),
        order_locked=(select(t.Order).where(t.Order.order_no == order_no).with_for_update(of=t.Order)
                      .options(selectinload(t.Order.items)).execution_options(populate_existing=True)),
        records_present=select(*(exists().where(table.order_id == order_id) for _, table in ORDER_RECORDS)),
        records=tuple(select(table).where(table.order_id == order_id).order_by(table.id)
                      .execution_options(populate_existing=True) for _, table in ORDER_RECORDS),
        counters=select(t.AttemptCounter).where(t.AttemptCounter.key.in_(bindparam("keys", expanding=True))),
        customer_counts=_customer_counts(),
    )


def _customer_counts() -> Any:
    customer_id: Any = bindparam("customer_id")
    since: Any = bindparam("since")
    orders = (select(func.count()).select_from(t.Order)
              .where(t.Order.customer_id == customer_id, t.Order.created_at >= since))
    cancellations = (select(func.count()).select_from(t.Order)
                     .where(t.Order.customer_id == customer_id, t.Order.cancelled_at >= since,
                            t.Order.cancelled_by == bindparam("cancelled_by")))
    interceptions = (select(func.count()).select_from(t.Interception)
                     .where(t.Interception.customer_id == customer_id,
                            t.Interception.requested_at >= bindparam("interceptions_since"),
                            t.Interception.status != InterceptionStatus.WITHDRAWN.value))
    return select(orders.scalar_subquery(), cancellations.scalar_subquery(), interceptions.scalar_subquery())


class UnitOfWork:
    """``read_only``: a unit of work that only reads — on SQLite it takes no lock, and it cannot commit."""

    def __init__(self, session_factory: sessionmaker[Session], read_only: bool = False):
        self._factory = session_factory
        self.read_only = read_only
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.session.begin()
        if self.read_only:
            # Our own option (engine.py reads it), which SQLAlchemy's typed options cannot name.
            self.session.connection(execution_options=cast(Any, {READ_ONLY: True}))
        self.orders = OrderRepository(self.session)
        self.tickets = TicketRepository(self.session)
        self.returns = ReturnRepository(self.session)
        self.refunds = RefundRepository(self.session)
        self.notifications = NotificationRepository(self.session)
        self.attempts = AttemptCounters(self.session)
        self.shops = ShopRepository(self.session)
        self.customers = CustomerRepository(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.session.in_transaction():
            self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()

    def add(self, row: Any) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def audit(self, at: datetime, actor: str, action: str, entity: str, entity_id: str | int,
              before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
        self.session.add(t.AuditEvent(at=at, actor=actor, action=action, entity=entity,
                                      entity_id=str(entity_id), before=before, after=after))

    def notify(self, conversation_id: str | None, kind: str, at: datetime, ticket: t.Ticket | None = None,
               refund: t.Refund | None = None, payload: dict[str, Any] | None = None) -> t.Notification | None:
        """Queue a message for the shopper's chat in this transaction (the outbox): it is sent only
        if what it tells of is committed, and it is not lost if sending fails. None without a chat."""
        if not conversation_id:
            return None
        notification = t.Notification(
            conversation_id=conversation_id, kind=kind, ticket_id=ticket.id if ticket else None,
            refund_id=refund.id if refund else None, payload=payload or {},
            status=NotificationStatus.PENDING.value, attempts=0, next_attempt_at=at, created_at=at)
        self.session.add(notification)
        self.session.flush()
        return notification

    def announce(self, shop_id: str, event: str, at: datetime, payload: dict[str, Any],
                 ticket: t.Ticket | None = None) -> t.WebhookDelivery | None:
        """Queue a call of the shop's webhook in this transaction (its outbox, posted by the worker:
        never while this transaction is open). None when the shop has no webhook."""
        shop = self.session.get(t.Shop, shop_id)
        if shop is None or not shop.urgent_webhook_url:
            return None
        delivery = t.WebhookDelivery(shop_id=shop_id, ticket_id=ticket.id if ticket else None, event=event,
                                     payload=payload, status=NotificationStatus.PENDING.value, attempts=0,
                                     next_attempt_at=at, created_at=at)
        self.session.add(delivery)
        return delivery

    def idempotent_response(self, key: str | None, operation: str) -> dict[str, Any] | None:
        if key is None:
            return None
        record = self.session.get(t.IdempotencyRecord, key)
        if record is None:
            return None
        if record.operation != operation:
            from aftersales.service.errors import Conflict

            raise Conflict(f"idempotency key {key!r} was used for {record.operation}")
        return record.response

    def remember(self, key: str | None, operation: str, response: dict[str, Any], at: datetime) -> None:
        if key is not None:
            self.session.add(t.IdempotencyRecord(key=key, operation=operation, response=response, created_at=at))


class ShopRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, shop_id: str) -> t.Shop | None:
        return self.session.get(t.Shop, shop_id)


class CustomerRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, customer_id: str) -> t.Customer | None:
        return self.session.get(t.Customer, customer_id)

    def first(self, limit: int) -> list[t.Customer]:
        """The first shoppers by id."""
        return list(self.session.scalars(select(t.Customer).order_by(t.Customer.id).limit(limit)))


class OrderRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock(self, order_no: str) -> t.Order | None:
        """The order with its row locked until commit (PostgreSQL FOR UPDATE; SQLite's
        BEGIN IMMEDIATE already serializes writers), its items and records freshly loaded after the
        lock: populate_existing re-reads them even when this session holds them already."""
        order = self.session.scalars(_statements().order_locked, {"order_no": order_no}).one_or_none()
        if order is not None:
            self._load_records(order)
        return order

    def get(self, order_no: str, records: bool = True) -> t.Order | None:
        """The order with its items and shop, and with ``records`` its refunds, returns,
        interceptions and tickets too. The policy reads only items and shop (a collection not
        loaded here is still loaded when touched).

        Items and shop come in the order's own query; then one query says which records exist, and
        only those are read — most orders have none, and each collection's own query was most of a
        look-up's cost (with the statements built once, a look-up 3.5 → 0.8 ms here)."""
        order = self.session.scalars(_statements().order, {"order_no": order_no}).unique().one_or_none()
        if order is not None and records:
            self._load_records(order)
        return order

    def _load_records(self, order: t.Order) -> None:
        """The order's refunds, returns, interceptions and tickets, read fresh: one query says which
        exist, then one query for each that does."""
        statements = _statements()
        present = self.session.execute(statements.records_present, {"order_id": order.id}).one()
        for (relation, _), exist, records in zip(ORDER_RECORDS, present, statements.records, strict=True):
            rows: list[Any] = list(self.session.scalars(records, {"order_id": order.id})) if exist else []
            set_committed_value(order, relation, rows)

    def children(self, records: bool = True) -> list[Any]:
        """Loader options that fetch an order's items and shop (the shop in the same query) with it,
        and with ``records`` its refunds, returns, interceptions and tickets."""
        options = [selectinload(t.Order.items), joinedload(t.Order.shop)]
        if records:
            options += [selectinload(t.Order.refunds), selectinload(t.Order.returns),
                        selectinload(t.Order.interceptions), selectinload(t.Order.tickets)]
        return options

    def by_id(self, order_id: int) -> t.Order | None:
        return self.session.get(t.Order, order_id)

    def number_of(self, order_id: int) -> str:
        """Rows point at orders by id; locking goes by order number, the repository's one way in."""
        return self.session.execute(select(t.Order.order_no).where(t.Order.id == order_id)).scalar_one()

    def of_customer(self, customer_id: str, limit: int) -> list[t.Order]:
        """The customer's latest orders, newest first, with their children."""
        return list(self.session.scalars(
            select(t.Order).where(t.Order.customer_id == customer_id)
            .order_by(t.Order.created_at.desc(), t.Order.id.desc()).limit(limit).options(*self.children())))

    def customer_counts(self, customer_id: str, since: datetime, interceptions_since: datetime) -> tuple[int, int, int]:
        """In one query: the customer's orders and own cancellations since ``since``, and their
        interception requests since ``interceptions_since`` (a withdrawn one was never carried out)."""
        row = self.session.execute(_statements().customer_counts, {
            "customer_id": customer_id, "since": since, "interceptions_since": interceptions_since,
            "cancelled_by": f"customer:{customer_id}"}).one()
        return row[0] or 0, row[1] or 0, row[2] or 0


class TicketRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, ticket_no: str, shop_ids: set[str] | None = None, lock: bool = False) -> t.Ticket:
        """A case by its number, row-locked if asked. ``shop_ids`` limits it to a merchant's shops
        (None: the system); another shop's case is NotFound exactly like a missing one."""
        from aftersales.service.errors import NotFound

        query = select(t.Ticket).where(t.Ticket.ticket_no == ticket_no)
        if lock:
            # Re-read under the lock: a copy read earlier in this session may be stale by now.
            query = query.with_for_update().execution_options(populate_existing=True)
        ticket = self.session.scalars(query).one_or_none()
        if ticket is None or (shop_ids is not None and ticket.shop_id not in shop_ids):
            raise NotFound(ticket_no)
        return ticket

    def by_id(self, ticket_id: int) -> t.Ticket | None:
        return self.session.get(t.Ticket, ticket_id)


class ReturnRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, return_no: str) -> t.ReturnRequest | None:
        """Read only to find its order: change a return through its order, locked (OrderService._locked_return)."""
        return self.session.scalars(select(t.ReturnRequest).where(t.ReturnRequest.return_no == return_no)).one_or_none()


class RefundRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, refund_no: str, lock: bool = False) -> t.Refund | None:
        query = select(t.Refund).where(t.Refund.refund_no == refund_no)
        return self.session.scalars(query.with_for_update() if lock else query).one_or_none()

    def by_id(self, refund_id: int) -> t.Refund | None:
        return self.session.get(t.Refund, refund_id)

    def due(self, statuses: list[str], now: datetime, limit: int) -> list[t.Refund]:
        """Refunds in ``statuses`` whose next attempt is due, soonest first, row-locked; those another
        worker holds are skipped."""
        return list(self.session.scalars(
            select(t.Refund).where(t.Refund.status.in_(statuses), t.Refund.next_attempt_at <= now)
            .order_by(t.Refund.next_attempt_at).limit(limit).with_for_update(skip_locked=True)))


class NotificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, notification_id: int, lock: bool = False) -> t.Notification | None:
        return self.session.get(t.Notification, notification_id, with_for_update=lock)


class AttemptCounters:
    """The limits' counters (aftersales.domain.attempts), one row per key."""

    def __init__(self, session: Session):
        self.session = session

    def read(self, keys: list[str]) -> list[t.AttemptCounter]:
        return list(self.session.scalars(_statements().counters, {"keys": keys}))

    def lock(self, keys: list[str]) -> list[t.AttemptCounter]:
        """The counters, created when missing, row-locked in key order (no deadlock between two
        operations that lock overlapping keys)."""
        keys = sorted(set(keys))
        missing = set(keys) - {row.key for row in self.read(keys)}
        if missing:
            # A concurrent first hit may create a row meanwhile: its insert wins, this one is skipped.
            insert = _INSERT_OR_SKIP[self.session.get_bind().dialect.name]
            rows = [{"key": key, "hits": 0, "lockouts": 0} for key in sorted(missing)]
            self.session.execute(insert(t.AttemptCounter).values(rows).on_conflict_do_nothing())
        query = (select(t.AttemptCounter).where(t.AttemptCounter.key.in_(keys)).order_by(t.AttemptCounter.key)
                 .with_for_update().execution_options(populate_existing=True))
        return list(self.session.scalars(query))
