"""Order events from a shop's order system (the order-events API, `aftersales orders events`): each
event validated, applied by the rules of aftersales.domain.order_events in a transaction of its own,
and stored with what it did — so a repeated event_id answers as the first time did, and the merchant
can see the refused ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain import order_numbers
from aftersales.domain.model import OrderState, PaymentChannel
from aftersales.domain.money import parse_amount
from aftersales.domain.order_events import (
    DATA_FIELDS,
    REQUIRED_DATA,
    TARGET_STATE,
    EventType,
    Outcome,
    Plan,
    plan,
    walk,
)
from aftersales.service.base import PLATFORM_TZ, lapse_item_changes, utcnow
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.importing import ImportRejected, ImportSummary, import_orders
from aftersales.service.merchant_operations import MerchantService
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import iso, order_facts, order_view

MAX_BATCH = 500
# A sender's clock may run a little ahead of ours; further ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
# HTTP status per outcome, for the API and the CLI's summary alike.
STATUS = {Outcome.APPLIED: 200, Outcome.STALE: 200, Outcome.RECORDED: 200, Outcome.REJECTED: 409}


class InvalidEvent(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    event_id: str
    order_no: str
    type: EventType
    occurred_at: datetime
    data: dict[str, Any]


def parse_event(raw: Any, now: datetime) -> Event:
    """One event as the API and the CLI receive it: `{event_id, order_no, type, occurred_at, data}`."""
    if not isinstance(raw, dict):
        raise InvalidEvent("an event must be a JSON object")
    unknown = set(raw) - {"event_id", "order_no", "type", "occurred_at", "data"}
    if unknown:
        raise InvalidEvent(f"unknown fields: {', '.join(sorted(unknown))}")
    event_id = raw.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 100:
        raise InvalidEvent("event_id must be a string of 1–100 characters")
    order_no = order_numbers.normalize(str(raw.get("order_no") or ""))
    if order_no is None:
        raise InvalidEvent(f"order_no {raw.get('order_no')!r} is not an order number")
    try:
        kind = EventType(str(raw.get("type")))
    except ValueError:
        raise InvalidEvent(f"unknown type {raw.get('type')!r}; one of {', '.join(EventType)}") from None
    try:
        occurred_at = datetime.fromisoformat(str(raw.get("occurred_at")))
    except ValueError:
        raise InvalidEvent("occurred_at must be an ISO 8601 time") from None
    # Chinese platforms' exports carry local times without an offset: read them as CST.
    occurred_at = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=PLATFORM_TZ)
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidEvent("occurred_at is in the future")
    return Event(event_id, order_no, kind, occurred_at, _data(kind, raw.get("data")))


def _data(kind: EventType, raw: Any) -> dict[str, Any]:
    data = {} if raw is None else raw
    if not isinstance(data, dict):
        raise InvalidEvent("data must be a JSON object")
    unknown = set(data) - DATA_FIELDS[kind]
    if unknown:
        raise InvalidEvent(f"a {kind} event carries no {', '.join(sorted(unknown))} "
                           f"(it may carry: {', '.join(sorted(DATA_FIELDS[kind])) or 'nothing'})")
    missing = REQUIRED_DATA.get(kind, frozenset()) - set(data)
    if missing:
        raise InvalidEvent(f"a {kind} event needs data.{', data.'.join(sorted(missing))}")
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name == "distance_to_destination_km":
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidEvent("distance_to_destination_km must be a number of at least 0")
            clean[name] = float(value)
        elif name == "unit_price":
            try:
                clean[name] = parse_amount(str(value))
            except ValueError:
                raise InvalidEvent(f"unit_price {value!r} is not an amount like 12.50") from None
        elif name == "payment_channel" and value not in set(PaymentChannel):
            raise InvalidEvent(f"unknown payment_channel {value!r}")
        elif not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise InvalidEvent(f"{name} must be a string of 1–64 characters")
        else:
            clean[name] = value.strip()
    return clean


class OrderEventsService:
    def __init__(self, session_factory: sessionmaker[Session], merchant: MerchantService,
                 clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.merchant = merchant
        self.clock = clock

    def record_many(self, shop_id: str, raws: Iterable[Any]) -> list[dict[str, Any]]:
        """Each event on its own: one refused or invalid event does not hold up the others."""
        return [self.record(shop_id, raw) for raw in raws]

    def record(self, shop_id: str, raw: Any) -> dict[str, Any]:
        """Apply one event of this shop's; the answer says what it did, with an HTTP-like `status`."""
        now = self.clock()
        try:
            event = parse_event(raw, now)
        except InvalidEvent as exc:
            event_id = raw.get("event_id") if isinstance(raw, dict) else None
            return {"event_id": event_id if isinstance(event_id, str) else None, "status": 422, "error": str(exc)}
        try:
            actor, data = f"integration:{shop_id}", event.data
            if event.type is EventType.RETURN_RECEIVED:
                return self._carried_out(shop_id, event, now, lambda: self.merchant.receive_return(
                    data["return_no"], actor, {shop_id}))
            if event.type is EventType.REPLACEMENT_SHIPPED:
                return self._carried_out(shop_id, event, now, lambda: self.merchant.ship_replacement(
                    data["return_no"], data["carrier"], data["tracking_no"], actor, {shop_id}))
            return self._apply(shop_id, event, now)
        except IntegrityError:
            # The same event_id, sent twice at once: the other copy was stored first.
            replay = self._stored(shop_id, event.event_id)
            if replay is None:
                raise
            return replay

    def _apply(self, shop_id: str, event: Event, now: datetime) -> dict[str, Any]:
        with UnitOfWork(self._sessions) as uow:
            replay = self._replay(uow, shop_id, event.event_id)
            if replay is not None:
                return replay
            order = uow.orders.lock(event.order_no)
            if order is None or order.shop_id != shop_id:
                return _not_found(event)
            before = order_facts(order)
            current = OrderState(order.state)
            decided = plan(event.type, order_view(order).fulfillment, current)
            if OrderState.PAID in decided.path and not (order.payment_channel or event.data.get("payment_channel")):
                decided = Plan(Outcome.REJECTED, reason="a paid event needs data.payment_channel for this order")
            if decided.outcome is Outcome.APPLIED:
                walk(order, decided.path, lambda _: event.occurred_at)
                lapse_item_changes(uow, order, now, f"integration:{shop_id}")
            if decided.outcome is not Outcome.REJECTED and event.type in TARGET_STATE:
                # The facts of the state the order is in now overwrite; an older report only fills gaps.
                _take_data(order, event.data, overwrite=decided.outcome is Outcome.APPLIED
                           or TARGET_STATE.get(event.type) is current)
            if event.type is EventType.STOCK_LOCKED and decided.outcome is Outcome.RECORDED:
                order.fulfillment_locked = True
            if event.type is EventType.PRICE_CHANGED:
                decided = _take_price(order, event)
            after = order_facts(order)
            if after != before:
                uow.audit(now, f"integration:{shop_id}", f"order_event_{event.type}", "order", order.order_no,
                          before, after)
            return self._store(uow, shop_id, event, now, decided.outcome, decided.reason, order.state)

    def _carried_out(self, shop_id: str, event: Event, now: datetime, operation: Callable[[], Any]) -> dict[str, Any]:
        """A return's parcel back, an exchange's replacement sent: the same operation as the merchant's
        button in the inbox, its answer stored with the event."""
        with UnitOfWork(self._sessions, read_only=True) as uow:
            replay = self._replay(uow, shop_id, event.event_id)
            if replay is not None:
                return replay
            order = uow.orders.get(event.order_no, records=False)
            if order is None or order.shop_id != shop_id:
                return _not_found(event)
        outcome, reason = Outcome.APPLIED, None
        try:
            operation()
        except NotFound:
            outcome, reason = Outcome.REJECTED, f"no return {event.data['return_no']} for this shop"
        except (Conflict, InvalidInput) as exc:
            outcome, reason = Outcome.REJECTED, str(exc)
        with UnitOfWork(self._sessions) as uow:
            state = uow.orders.get(event.order_no, records=False)
            return self._store(uow, shop_id, event, now, outcome, reason, state.state if state else None)

    @staticmethod
    def _replay(uow: UnitOfWork, shop_id: str, event_id: str) -> dict[str, Any] | None:
        row = uow.session.scalars(select(t.OrderEvent).where(t.OrderEvent.shop_id == shop_id,
                                                             t.OrderEvent.event_id == event_id)).one_or_none()
        if row is None:
            return None
        state = uow.session.scalar(select(t.Order.state).where(t.Order.order_no == row.order_no))
        return {**_result(row), "order_state": state, "duplicate": True}

    def _stored(self, shop_id: str, event_id: str) -> dict[str, Any] | None:
        with UnitOfWork(self._sessions, read_only=True) as uow:
            return self._replay(uow, shop_id, event_id)

    @staticmethod
    def _store(uow: UnitOfWork, shop_id: str, event: Event, now: datetime, outcome: Outcome, reason: str | None,
               state: str | None) -> dict[str, Any]:
        row = t.OrderEvent(shop_id=shop_id, event_id=event.event_id, order_no=event.order_no, type=event.type.value,
                           occurred_at=event.occurred_at, data=event.data, received_at=now, outcome=outcome.value,
                           reason=reason)
        uow.add(row)
        uow.flush()
        result = {**_result(row), "order_state": state, "duplicate": False}
        uow.commit()
        return result

    def put_orders(self, shop_id: str, records: list[dict[str, Any]]) -> ImportSummary:
        """Orders in the import format, created or — when they exist — updated (facts overwrite, the
        state only moves forward), all or nothing; every one must be of the integration's shop."""
        foreign = [(line, f"shop.id must be {shop_id!r}: this integration sends orders of its own shop only")
                   for line, record in enumerate(records, start=1)
                   if not isinstance(record.get("shop"), dict) or record["shop"].get("id") != shop_id]
        if foreign:
            raise ImportRejected(foreign)
        return import_orders(self._sessions, list(enumerate(records, start=1)), actor=f"integration:{shop_id}",
                             update_existing=True)

    def events_of(self, order_no: str, shop_ids: set[str]) -> list[dict[str, Any]]:
        """What the shop's systems reported about an order, refused events included (for the inbox)."""
        with UnitOfWork(self._sessions, read_only=True) as uow:
            rows = uow.session.scalars(select(t.OrderEvent).where(t.OrderEvent.order_no == order_no,
                                                                  t.OrderEvent.shop_id.in_(shop_ids))
                                       .order_by(t.OrderEvent.occurred_at, t.OrderEvent.id))
            return [_result(row) for row in rows]


def _result(row: t.OrderEvent) -> dict[str, Any]:
    outcome = Outcome(row.outcome)
    return {"event_id": row.event_id, "order_no": row.order_no, "type": row.type, "occurred_at": iso(row.occurred_at),
            "outcome": outcome.value, "reason": row.reason, "status": STATUS[outcome]}


def _not_found(event: Event) -> dict[str, Any]:
    # Not stored: the order may be created next, and the event sent again then.
    return {"event_id": event.event_id, "order_no": event.order_no, "status": 404,
            "error": f"no order {event.order_no} in this shop"}


def _take_price(order: t.Order, event: Event) -> Plan:
    """The item's price now, for price protection; a report older than the one held changes nothing."""
    items = [i for i in order.items if i.sku == event.data["sku"]]
    if not items:
        return Plan(Outcome.REJECTED, reason=f"order {order.order_no} has no item {event.data['sku']}")
    if all(i.current_price_at is not None and i.current_price_at >= event.occurred_at for i in items):
        return Plan(Outcome.STALE)
    for item in items:
        item.current_unit_price, item.current_price_at = event.data["unit_price"], event.occurred_at
    return Plan(Outcome.APPLIED)


def _take_data(order: t.Order, data: dict[str, Any], overwrite: bool) -> None:
    for name in ("carrier", "tracking_no", "distance_to_destination_km", "payment_channel"):
        if name in data and (overwrite or getattr(order, name) is None):
            setattr(order, name, data[name])
