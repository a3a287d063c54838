"""Order import: every record validated, every problem reported with its line, and then all rows
written in one transaction — or none."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.adapters.policy_files import profile_names
from aftersales.domain import order_numbers
from aftersales.domain.model import (
    SHIPPING_STATES,
    STATE_TIMESTAMP,
    Fulfillment,
    GoodsType,
    OrderState,
    PaymentChannel,
)
from aftersales.domain.money import parse_amount
from aftersales.domain.order_events import STATE_EVENT, Outcome, Plan, plan, walk
from aftersales.service.base import PLATFORM_TZ, lapse_item_changes, utcnow
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import order_facts

# Which timestamp each state needs, so imported orders are coherent for the policy.
_STATE_NEEDS = {
    OrderState.PAID: ("paid_at",),
    OrderState.SHIPPED: ("paid_at", "shipped_at"),
    OrderState.IN_TRANSIT: ("paid_at", "shipped_at"),
    OrderState.OUT_FOR_DELIVERY: ("paid_at", "shipped_at"),
    OrderState.DELIVERED: ("paid_at", "delivered_at"),
    OrderState.REDEEMED: ("paid_at", "delivered_at", "redeemed_at"),
    OrderState.COMPLETED: ("paid_at", "completed_at"),
}
_TIMESTAMPS = ("created_at", "paid_at", "shipped_at", "delivered_at", "redeemed_at", "completed_at")
_IMPORTABLE_STATES = set(OrderState) - {OrderState.CANCELLED, OrderState.RETURNED}


class ImportRejected(Exception):
    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = problems


@dataclass
class ImportSummary:
    orders: int
    items: int
    customers_created: int
    shops_created: int
    orders_updated: int = 0


def import_orders(session_factory: sessionmaker[Session], records: Iterable[tuple[int, dict[str, Any]]],
                  actor: str = "system:import", update_existing: bool = False,
                  clock: Callable[[], datetime] = utcnow) -> ImportSummary:
    """``update_existing``: a record of an order that exists updates it (the orders API) instead of
    being a problem (a file import): its facts overwrite, its state only moves forward by the rules
    of order events, and its shop, customer and items must stay what they were."""
    records = list(records)
    updates: list[tuple[t.Order, t.Order]] = []
    problems: list[tuple[int, str]] = []
    seen_numbers: dict[str, int] = {}
    now = clock()
    known_profiles = set(profile_names())
    with UnitOfWork(session_factory) as uow:
        session = uow.session
        shops = {s.id: s for s in session.scalars(select(t.Shop))}
        new_shops: dict[str, t.Shop] = {}
        customers = {c.id: c for c in session.scalars(select(t.Customer))}
        new_customers: dict[str, t.Customer] = {}
        orders: list[t.Order] = []
        for line, record in records:
            errors: list[str] = []
            order = _build_order(record, errors, now)
            if order is not None:
                first = seen_numbers.setdefault(order.order_no, line)
                if first != line:
                    errors.append(f"order {order.order_no} appears again (first on line {first})")
                elif (existing := uow.orders.lock(order.order_no)) is not None:
                    if not update_existing:
                        errors.append(f"order {order.order_no} already exists")
                    else:
                        errors.extend(_update_problems(existing, order, record))
                        if not errors:
                            updates.append((existing, order))
                        problems.extend((line, e) for e in errors)
                        continue
            shop = _shop(record.get("shop"), shops, new_shops, known_profiles, errors, now)
            customer = _customer(record.get("customer"), customers, new_customers, errors, now)
            if errors or order is None or shop is None or customer is None:
                problems.extend((line, e) for e in errors)
                continue
            order.shop_id, order.customer_id = shop.id, customer.id
            orders.append(order)
        if problems:
            raise ImportRejected(problems)
        session.add_all([*new_shops.values(), *new_customers.values()])
        uow.flush()
        for order in orders:
            uow.add(order)
            uow.flush()
            uow.audit(now, actor, "order_imported", "order", order.order_no, None, {"state": order.state})
        for existing, reported in updates:
            before = order_facts(existing)
            _apply_update(existing, reported, now)
            lapse_item_changes(uow, existing, now, actor)
            if order_facts(existing) != before:
                uow.audit(now, actor, "order_updated", "order", existing.order_no, before, order_facts(existing))
        uow.commit()
    return ImportSummary(len(orders), sum(len(o.items) for o in orders), len(new_customers), len(new_shops),
                         len(updates))


_ITEM_FIELDS = {"sku", "title", "goods_type", "quantity", "unit_price", "current_unit_price"}
_UPDATABLE = ("carrier", "tracking_no", "distance_to_destination_km", "ship_to", "fulfillment_locked")


def _items_of(order: t.Order) -> list[tuple[str, str, int, int]]:
    return [(i.sku, i.goods_type, i.quantity, i.unit_price) for i in order.items]


def _update_problems(existing: t.Order, reported: t.Order, record: dict[str, Any]) -> list[str]:
    problems = []
    if (record.get("shop") or {}).get("id") != existing.shop_id:
        problems.append(f"order {existing.order_no} belongs to another shop")
    if (record.get("customer") or {}).get("id") != existing.customer_id:
        problems.append(f"order {existing.order_no} belongs to another customer")
    if _items_of(existing) != _items_of(reported) or existing.shipping_fee != reported.shipping_fee:
        problems.append(f"the items of order {existing.order_no} cannot change once it exists "
                        "(cancellations and returns happen here)")
    if existing.payment_channel and reported.payment_channel not in (None, existing.payment_channel):
        problems.append(f"order {existing.order_no} was paid with {existing.payment_channel}")
    if reported.state != existing.state:
        decided = _state_plan(existing, OrderState(reported.state))
        if decided.outcome is Outcome.REJECTED:
            problems.append(f"order {existing.order_no}: {decided.reason}")
    return problems


def _state_plan(existing: t.Order, target: OrderState) -> Plan:
    fulfillment = next(iter({GoodsType(i.goods_type).fulfillment for i in existing.items}), Fulfillment.PHYSICAL)
    event = STATE_EVENT.get((fulfillment, target))
    if event is None:  # pending payment again: never forward
        return Plan(Outcome.STALE)
    return plan(event, fulfillment, OrderState(existing.state))


def _apply_update(existing: t.Order, reported: t.Order, now: datetime) -> None:
    for name in _UPDATABLE:
        value = getattr(reported, name)
        if value is not None:
            setattr(existing, name, value)
    existing.payment_channel = existing.payment_channel or reported.payment_channel
    for item, now_reported in zip(existing.items, reported.items, strict=True):  # the same items (checked)
        if now_reported.current_unit_price is not None:
            item.current_unit_price, item.current_price_at = now_reported.current_unit_price, now
    decided = _state_plan(existing, OrderState(reported.state))
    walk(existing, decided.path, lambda state: getattr(reported, STATE_TIMESTAMP.get(state, ""), None) or now)


def _build_order(record: dict[str, Any], errors: list[str], now: datetime) -> t.Order | None:
    allowed = {"order_no", "shop", "customer", "state", "payment_channel", "currency", "shipping_fee", "items",
               "carrier", "tracking_no", "distance_to_destination_km", "fulfillment_locked", "ship_to", *_TIMESTAMPS}
    unknown = sorted(set(record) - allowed)
    if unknown:
        errors.append(f"unknown fields: {', '.join(unknown)}")
    order_no = order_numbers.normalize(str(record.get("order_no", "")))
    if order_no is None:
        errors.append(f"order_no {record.get('order_no')!r} is not 10–20 digits with an optional letter prefix")
    state: OrderState | None
    try:
        state = OrderState(str(record.get("state")))
        if state not in _IMPORTABLE_STATES:
            errors.append(f"state {state} cannot be imported (cancellations and returns happen here)")
    except ValueError:
        errors.append(f"unknown state {record.get('state')!r}")
        state = None
    channel = record.get("payment_channel") or None
    if channel is not None and channel not in set(PaymentChannel):
        errors.append(f"unknown payment_channel {channel!r}")
    if state is not None and state is not OrderState.PENDING_PAYMENT and channel is None:
        errors.append(f"a {state} order needs a payment_channel")
    currency = str(record.get("currency") or "CNY")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        errors.append(f"currency {currency!r} is not an ISO 4217 code")
    shipping_fee = _amount(record.get("shipping_fee", "0"), "shipping_fee", errors)
    stamps = {name: _timestamp(record.get(name), name, errors) for name in _TIMESTAMPS}
    if stamps["created_at"] is None and "created_at" not in " ".join(errors):
        errors.append("created_at is required")
    for name, value in stamps.items():
        if value is not None and value > now:
            errors.append(f"{name} is in the future")
    if state is not None:
        for needed in _STATE_NEEDS.get(state, ()):
            if stamps[needed] is None:
                errors.append(f"a {state} order needs {needed}")
    items = _items(record.get("items"), errors, now)
    kinds = {GoodsType(i.goods_type).fulfillment for i in items if i.goods_type in set(GoodsType)}
    if len(kinds) > 1:
        errors.append("an order cannot mix virtual and physical goods")
    if state is not None and kinds == {Fulfillment.VIRTUAL} and state in SHIPPING_STATES:
        errors.append(f"virtual goods are never {state}")
    if state is OrderState.REDEEMED and kinds != {Fulfillment.VIRTUAL}:
        errors.append("only virtual goods are redeemed")
    distance = record.get("distance_to_destination_km")
    if distance is not None and (not isinstance(distance, int | float | str) or not _is_number(distance)):
        errors.append("distance_to_destination_km must be a number")
    if errors or state is None:
        return None
    return t.Order(order_no=order_no, state=state.value, currency=currency, payment_channel=channel,
                   shipping_fee=shipping_fee, carrier=record.get("carrier") or None,
                   tracking_no=record.get("tracking_no") or None, ship_to=record.get("ship_to") or None,
                   distance_to_destination_km=None if distance in (None, "") else float(str(distance)),
                   fulfillment_locked=str(record.get("fulfillment_locked", "")).lower() in ("true", "1", "yes"),
                   items=items, **stamps)


def _items(raw: Any, errors: list[str], now: datetime) -> list[t.OrderItem]:
    if not isinstance(raw, list) or not raw:
        errors.append("an order needs at least one item")
        return []
    items = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            errors.append(f"item {index} is not an object")
            continue
        where = f"item {index}"
        if not str(item.get("sku", "")).strip() or not str(item.get("title", "")).strip():
            errors.append(f"{where} needs a sku and a title")
        if item.get("goods_type") not in set(GoodsType):
            errors.append(f"{where}: unknown goods_type {item.get('goods_type')!r}")
        try:
            quantity = int(str(item.get("quantity", "")))
            if quantity < 1:
                raise ValueError
        except ValueError:
            errors.append(f"{where}: quantity must be a whole number of at least 1")
            quantity = 0
        price = _amount(item.get("unit_price"), f"{where} unit_price", errors)
        unknown = sorted(set(item) - _ITEM_FIELDS)
        if unknown:
            errors.append(f"{where}: unknown fields: {', '.join(unknown)}")
        current = item.get("current_unit_price")
        items.append(t.OrderItem(sku=str(item.get("sku", ""))[:64], title=str(item.get("title", ""))[:300],
                                 goods_type=str(item.get("goods_type")), quantity=quantity, unit_price=price,
                                 current_unit_price=None if current in (None, "") else
                                 _amount(current, f"{where} current_unit_price", errors),
                                 current_price_at=None if current in (None, "") else now))
    return items


def _shop(raw: Any, shops: dict[str, t.Shop], new: dict[str, t.Shop], profiles: set[str], errors: list[str],
          now: datetime) -> t.Shop | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        errors.append("shop.id is required")
        return None
    address = str(raw["return_address"]).strip()[:500] if raw.get("return_address") else None
    shop = shops.get(raw["id"]) or new.get(raw["id"])
    if shop is not None:
        if address:  # the shop moved its returns desk: the next approval names the new one
            shop.return_address = address
        return shop
    if not raw.get("name") or raw.get("policy_profile") not in profiles:
        errors.append(f"shop {raw['id']!r} is unknown: give its name and a policy_profile "
                      f"({', '.join(sorted(profiles))})")
        return None
    shop = t.Shop(id=str(raw["id"]), name=str(raw["name"]), policy_profile=raw["policy_profile"],
                  policy_overrides=raw.get("policy_overrides") or {}, return_address=address, created_at=now)
    new[shop.id] = shop
    return shop


def _customer(raw: Any, customers: dict[str, t.Customer], new: dict[str, t.Customer], errors: list[str],
              now: datetime) -> t.Customer | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        errors.append("customer.id is required")
        return None
    customer = customers.get(raw["id"]) or new.get(raw["id"])
    if customer is not None:
        if raw.get("phone") and raw["phone"] != customer.phone:
            errors.append(f"customer {raw['id']!r} exists with another phone number")
        return customer
    phone = str(raw.get("phone", ""))
    if not raw.get("name") or len([c for c in phone if c.isdigit()]) < 7:
        errors.append(f"customer {raw['id']!r} is unknown: give their name and phone")
        return None
    customer = t.Customer(id=str(raw["id"]), name=str(raw["name"]), phone=phone, created_at=now)
    new[customer.id] = customer
    return customer


def _amount(raw: Any, name: str, errors: list[str]) -> int:
    try:
        return parse_amount(str(raw))
    except ValueError:
        errors.append(f"{name} {raw!r} is not an amount like 12.50")
        return 0


def _timestamp(raw: Any, name: str, errors: list[str]) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        errors.append(f"{name} {raw!r} is not an ISO 8601 time")
        return None
    # Exports from Chinese platforms carry local times without an offset: read them as CST.
    return value if value.tzinfo else value.replace(tzinfo=PLATFORM_TZ)


def _is_number(value: Any) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False
