"""What every order operation shares: the clock, the platform's time zone, reference numbers, and a
base for the services — find the shopper's own order, read its shop's policy, move it to another
state, issue a refund. Each service (after-sales requests, withdrawals, price protection) is one
module of its own on top of this."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.adapters.policy_files import load_profile
from aftersales.domain import cases, order_numbers
from aftersales.domain.lifecycles import IllegalTransition, Lifecycle, Resolution, TicketStatus
from aftersales.domain.model import BEFORE_SHIPMENT_STATES, Fault, OrderState, PaymentChannel, check_transition
from aftersales.domain.policy import refund_amount
from aftersales.domain.profile import Eta, PolicyProfile
from aftersales.domain.refunds import RefundStatus
from aftersales.service.errors import Conflict, InvalidInput, InvalidOrderNumber, NotFound, OrderNotFound
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import order_view, refund_dict, ticket_dict

# Chinese platforms count months and business days in China Standard Time (no DST).
PLATFORM_TZ = timezone(timedelta(hours=8), "CST")
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone


MERCHANT_ACTOR = "merchant:"


def assignee_of(actor: str) -> str | None:
    """Who a case is assigned to is a merchant's e-mail, whoever records it: the actor of an inbox
    operation ("merchant:<email>") as that e-mail; anyone else (the system, an integration) as nobody."""
    return actor.removeprefix(MERCHANT_ACTOR) if actor.startswith(MERCHANT_ACTOR) else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_reference(prefix: str, now: datetime) -> str:
    """``RF2611214K7Q2M``: kind, date in platform time, six random characters."""
    suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
    return f"{prefix}{now.astimezone(PLATFORM_TZ):%y%m%d}{suffix}"


E = TypeVar("E")


def advance(current: str, target: Lifecycle) -> str:
    """The stored value of ``target``, once its lifecycle allows the move from ``current``; the
    service's Conflict when it does not."""
    try:
        return type(target)(current).to(target).value
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from None


def open_case(uow: UnitOfWork, now: datetime, kind: str, shop_id: str, order: t.Order | None,
              customer_id: str | None, profile: PolicyProfile | None, actor: str | None,
              status: TicketStatus = TicketStatus.NEW, fault: Fault | None = None, amount: int = 0,
              decided_sla_hours: float | None = None, **fields: Any) -> t.Ticket:
    """A new case in the shop's inbox, the one way every case is opened: its priority, its SLA and
    whether the platform sees it too by aftersales.domain.cases (a case recorded as resolved has no
    SLA), audited as opened by ``actor`` (None: the caller writes its own line, or none). ``fields``:
    the rest of the row (reason, desired_outcome, conversation_id, context, pending_action, …)."""
    hours = cases.sla_hours(kind, profile, decided_sla_hours)
    ticket = t.Ticket(ticket_no=new_reference("TK", now), shop_id=shop_id, order_id=order.id if order else None,
                      customer_id=customer_id, kind=kind, status=status.value,
                      priority=cases.priority(kind, fault, amount),
                      sla_due_at=None if status is TicketStatus.RESOLVED else now + timedelta(hours=hours),
                      created_at=now, updated_at=now,
                      **{"context": {}, "pending_action": {}, "platform_review": cases.for_platform(kind), **fields})
    uow.add(ticket)
    uow.flush()
    if order is not None:
        order.tickets.append(ticket)
    if actor is not None:
        uow.audit(now, actor, "ticket_opened", "ticket", ticket.ticket_no, None, ticket_dict(ticket))
    if ticket.priority == cases.URGENT:
        # The shop's own alert (its webhook, when it set one), posted by the worker after this commits.
        uow.announce(shop_id, "case.urgent", now, ticket=ticket, payload={
            "event": "case.urgent", "shop_id": shop_id, "case": {
                **{k: ticket_dict(ticket)[k] for k in ("ticket_no", "kind", "priority", "reason", "status",
                                                       "created_at", "sla_due_at")},
                "order_no": order.order_no if order else None, "summary": ticket.context.get("summary"),
                "inbox_path": f"/inbox/cases/{ticket.ticket_no}"}})
    return ticket


def lapse_item_changes(uow: UnitOfWork, order: t.Order, now: datetime, actor: str) -> None:
    """Once an order has left (shipped, or cancelled), a size or colour change still waiting for the
    shop can no longer happen: its case closes, audited, and the chat hears why — unless the shopper
    closed it themselves by cancelling."""
    if OrderState(order.state) in BEFORE_SHIPMENT_STATES:
        return
    for ticket in order.tickets:
        if ticket.kind != cases.ITEM_CHANGE_KIND or ticket.status == TicketStatus.RESOLVED:
            continue
        before = ticket_dict(ticket)
        ticket.status, ticket.resolution = advance(ticket.status, TicketStatus.RESOLVED), Resolution.LAPSED.value
        ticket.updated_at = now
        uow.audit(now, actor, "ticket_lapsed", "ticket", ticket.ticket_no, before, ticket_dict(ticket))
        if actor != f"customer:{order.customer_id}":
            uow.notify(ticket.conversation_id, "item_change_lapsed", now, ticket=ticket,
                       payload={"order_no": order.order_no, "state": order.state})


def parse_enum(kind: type[E], value: Any, what: str) -> E:
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        raise InvalidInput(f"unknown {what}: {value!r}") from None


class OrderService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
        profiles: Callable[[str, dict[str, Any]], PolicyProfile] = load_profile,
    ):
        self._sessions = session_factory
        self.clock = clock
        self._profiles = profiles

    def _uow(self, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self._sessions, read_only)

    @staticmethod
    def _order_no(raw: str) -> str:
        normalized = order_numbers.normalize(raw)
        if normalized is None:
            raise InvalidOrderNumber(raw)
        return normalized

    @staticmethod
    def _owned(order: t.Order | None, customer_id: str) -> t.Order:
        if order is None or not hmac.compare_digest(order.customer_id.encode(), customer_id.encode()):
            raise OrderNotFound()
        return order

    def _profile(self, order: t.Order) -> PolicyProfile:
        return self._shop_profile(order.shop)

    def _shop_profile(self, shop: t.Shop) -> PolicyProfile:
        """The shop's rules: its profile file with the shop's own overrides on top."""
        return self._profiles(shop.policy_profile, shop.policy_overrides or {})

    @staticmethod
    def _transition(order: t.Order, target: OrderState) -> None:
        fulfillment = order_view(order).fulfillment
        try:
            check_transition(fulfillment, OrderState(order.state), target)
        except IllegalTransition as exc:
            raise Conflict(str(exc)) from None
        order.state = target.value

    def _issue_refund(self, uow: UnitOfWork, order: t.Order, amount: int, channel: str, source: str, eta: Eta,
                      now: datetime, actor: str) -> t.Refund:
        earliest, latest = eta.window(now)
        # Stored before any payment provider hears of it; the worker submits it (aftersales.service.refunds).
        refund = t.Refund(refund_no=new_reference("RF", now), order_id=order.id, amount=amount,
                          currency=order.currency, channel=channel, status=RefundStatus.REQUESTED.value,
                          source=source, created_at=now, expected_earliest=earliest, expected_latest=latest,
                          attempts=0, next_attempt_at=now)
        uow.add(refund)
        uow.flush()
        order.refunds.append(refund)
        uow.audit(now, actor, "refund_issued", "refund", refund.refund_no, None, refund_dict(refund))
        return refund

    def _cancel_items(self, uow: UnitOfWork, order: t.Order, item_ids: tuple[int, ...], reason: str, actor: str,
                      now: datetime, source: str, channel: str | None,
                      decided_by: str | None = None) -> t.Refund | None:
        """Cancel items (the whole order when they are all that is left) and refund them once."""
        view = order_view(order)
        chosen = [i for i in order.items if i.id in item_ids and i.cancelled_at is None]
        if not chosen or len(chosen) != len(set(item_ids)):
            raise Conflict("those items are already cancelled")
        before = {"state": order.state, "cancelled_items": [i.id for i in order.items if i.cancelled_at]}
        whole = {i.id for i in order.items if i.cancelled_at is None} <= set(item_ids)
        if whole:
            self._transition(order, OrderState.CANCELLED)
        elif OrderState(order.state) not in (OrderState.PENDING_PAYMENT, OrderState.PAID):
            raise Conflict("items can only be cancelled one by one before shipment")
        refund = None
        amount = refund_amount(view, item_ids)
        if view.state is not OrderState.PENDING_PAYMENT and channel and amount > 0:
            profile = self._profile(order)
            # Virtual goods too: the review (virtual.review_refund_eta) is over once approved; the money
            # then takes its channel's time (seed 002).
            eta = profile.refund_eta[PaymentChannel(channel)]
            refund = self._issue_refund(uow, order, amount, channel, source, eta, now, decided_by or actor)
        for item in chosen:
            item.cancelled_at = now
            item.refund_id = refund.id if refund else None
        if whole:
            order.cancelled_at, order.cancelled_by, order.cancel_reason = now, actor, reason
            lapse_item_changes(uow, order, now, actor)
        uow.audit(now, decided_by or actor, "order_cancelled" if whole else "items_cancelled", "order",
                  order.order_no, before,
                  {"state": order.state, "cancelled_items": [i.id for i in order.items if i.cancelled_at],
                   "refund_no": refund.refund_no if refund else None})
        return refund

    def _locked_return(self, uow: UnitOfWork, return_no: str,
                       shop_ids: set[str] | None) -> tuple[t.Order, t.ReturnRequest]:
        """A return (or exchange) by its number with its order row locked; another shop's is NotFound."""
        found = uow.returns.get(return_no)
        if found is None:
            raise NotFound(return_no)
        order = uow.orders.lock(uow.orders.number_of(found.order_id))
        if order is None or (shop_ids is not None and order.shop_id not in shop_ids):
            raise NotFound(return_no)
        return order, next(r for r in order.returns if r.return_no == return_no)
