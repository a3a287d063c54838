"""The merchant's inbox: the queues, a case with everything about it, and what is done to cases —
assign, set a status (one case or many at once), reply in the chat, hand the chat back to the bot.

Every read and write takes the merchant's shop ids and treats a case or order of another shop
exactly like one that does not exist (NotFound), so ids cannot be probed. Decisions, cancellations
and the goods of returns are the merchant's operations (aftersales.service.merchant_operations);
accounts and sign-in: merchant_accounts; the timeline and the figures: inbox_reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain import order_numbers
from aftersales.domain.cases import ITEM_CHANGE_KIND
from aftersales.domain.lifecycles import TICKET_OPEN, TicketStatus
from aftersales.service.base import advance, assignee_of, utcnow
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import iso, mask_phone, order_dict, ticket_dict

# Queues of the inbox, by ticket kind.
QUEUES: dict[str, tuple[str, ...]] = {
    "escalations": ("escalation", "complaint"),
    "reviews": ("cancellation_review",),
    "interceptions": ("interception",),
    "returns": ("return",),
    "merchant_cancellations": ("merchant_cancellation",),
    "refunds": ("refund_failed", "refund_unanswered"),
    "appeals": ("appeal",),
    # What the shop must see before it packs: a new address, a wished time, a size or colour.
    "changes": ("address_change", "delivery_time", ITEM_CHANGE_KIND),
    "order_issues": ("missing_item", "logistics_investigation", "repair", "invoice"),
}
OPEN_STATUSES = tuple(status.value for status in TicketStatus if status in TICKET_OPEN)
SETTABLE_STATUSES = OPEN_STATUSES  # resolved only by a decision or a withdrawal
# What several cases can be set to at once: never resolved (a decision, maybe money, is one case at a time).
BULK_STATUSES = (TicketStatus.IN_PROGRESS.value, TicketStatus.WAITING_ON_CUSTOMER.value)
MAX_BULK = 100
MAX_REPLY = 2000
class InboxService:
    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.clock = clock

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    # -- reading the inbox -------------------------------------------------------------------------

    def queue_counts(self, shop_ids: set[str]) -> dict[str, int]:
        with self._uow() as uow:
            rows = uow.session.execute(
                select(t.Ticket.kind, func.count()).where(t.Ticket.shop_id.in_(shop_ids),
                                                          t.Ticket.status.in_(OPEN_STATUSES))
                .group_by(t.Ticket.kind)).all()
        by_kind = dict(rows)
        return {queue: sum(by_kind.get(kind, 0) for kind in kinds) for queue, kinds in QUEUES.items()}

    def live_counts(self, shop_ids: set[str]) -> dict[str, int]:
        """What the inbox header polls: cases waiting for a first look, and open ones past their SLA."""
        now = self.clock()
        with self._uow() as uow:
            mine = t.Ticket.shop_id.in_(shop_ids)
            new = uow.session.scalar(select(func.count()).select_from(t.Ticket)
                                     .where(mine, t.Ticket.status == TicketStatus.NEW.value))
            overdue = uow.session.scalar(select(func.count()).select_from(t.Ticket).where(
                mine, t.Ticket.status.in_(OPEN_STATUSES), t.Ticket.sla_due_at < now))
        return {"new": int(new or 0), "overdue": int(overdue or 0)}

    def cases(self, shop_ids: set[str] | None, queue: str | None = None, status: str = "open", limit: int = 200,
              offset: int = 0, search: str | None = None, platform: bool = False) -> list[dict[str, Any]]:
        """A page of the queue, most urgent first, each row with its order and shopper. ``search``:
        a case number, an order number, a shopper's id or name, or the last four digits of a phone;
        ``platform``: only cases marked for the platform (平台介入). ``shop_ids`` None: every shop's
        (the platform's own view, from the command line)."""
        now = self.clock()
        with self._uow() as uow:
            query = self._cases_query(shop_ids, queue, status, search, platform)
            rows = uow.session.execute(query.order_by(t.Ticket.sla_due_at, t.Ticket.id)
                                       .limit(limit).offset(offset)).all()
            return [{**ticket_dict(ticket), "order_no": order_no, "overdue": self._overdue(ticket, now),
                     "due_soon": self._due_soon(ticket, now),
                     "shopper": None if customer is None else {"name": customer.name,
                                                               "phone": mask_phone(customer.phone)}}
                    for ticket, order_no, customer in rows]

    def count_cases(self, shop_ids: set[str], queue: str | None = None, status: str = "open",
                    search: str | None = None, platform: bool = False) -> int:
        with self._uow() as uow:
            query = self._cases_query(shop_ids, queue, status, search, platform).with_only_columns(
                func.count(t.Ticket.id))
            return int(uow.session.scalar(query) or 0)

    @staticmethod
    def _cases_query(shop_ids: set[str] | None, queue: str | None, status: str,
                     search: str | None, platform: bool = False) -> Select[t.Ticket, str, t.Customer]:
        if queue is not None and queue not in QUEUES:
            raise InvalidInput(f"queues are {', '.join(QUEUES)}")
        query = (select(t.Ticket, t.Order.order_no, t.Customer)
                 .outerjoin(t.Order, t.Ticket.order_id == t.Order.id)
                 .outerjoin(t.Customer, t.Ticket.customer_id == t.Customer.id))
        if shop_ids is not None:
            query = query.where(t.Ticket.shop_id.in_(shop_ids))
        if platform:
            query = query.where(t.Ticket.platform_review.is_(True))
        if queue is not None:
            query = query.where(t.Ticket.kind.in_(QUEUES[queue]))
        if status == "open":
            query = query.where(t.Ticket.status.in_(OPEN_STATUSES))
        elif status != "all":
            query = query.where(t.Ticket.status == status)
        term = (search or "").strip()[:64]
        if term:
            order_no = order_numbers.normalize(term)
            matches = [t.Ticket.ticket_no == term.upper(), t.Customer.id == term, t.Customer.name == term]
            if order_no:
                matches.append(t.Order.order_no == order_no)
            if term.isdigit() and len(term) == 4:
                matches.append(t.Customer.phone.endswith(term))
            query = query.where(or_(*matches))
        return query

    def case(self, ticket_no: str, shop_ids: set[str]) -> dict[str, Any]:
        now = self.clock()
        with self._uow() as uow:
            ticket = uow.tickets.get(ticket_no, shop_ids)
            order = uow.orders.by_id(ticket.order_id) if ticket.order_id else None
            entity_ids = [ticket.ticket_no] + ([order.order_no] if order else [])
            entity_ids += [r.refund_no for r in order.refunds] if order else []
            entity_ids += [r.return_no for r in order.returns] if order else []
            entity_ids += [i.interception_no for i in order.interceptions] if order else []
            # A case without an order: the shop's own lines, e.g. anonymous cases stopped by a limit.
            entity_ids += [] if order else [ticket.shop_id]
            audit = uow.session.scalars(select(t.AuditEvent).where(t.AuditEvent.entity_id.in_(entity_ids))
                                        .order_by(t.AuditEvent.at, t.AuditEvent.id)).all()
            notifications = uow.session.scalars(select(t.Notification).where(t.Notification.ticket_id == ticket.id)
                                                .order_by(t.Notification.id)).all()
            canned = uow.session.scalars(select(t.CannedReply).where(t.CannedReply.shop_id == ticket.shop_id)
                                         .order_by(t.CannedReply.id)).all()
            customer = uow.session.get(t.Customer, ticket.customer_id) if ticket.customer_id else None
            # An appeal's first case, and a case's appeals: the two reviews side by side.
            first = ticket.appeal_of if ticket.appeal_of_id is not None else None
            appeals = [tk for tk in (order.tickets if order else []) if tk.appeal_of_id == ticket.id]
            return {
                "appeal_of": None if first is None else {**ticket_dict(first), "context": first.context},
                "appeals": [ticket_dict(tk) for tk in appeals],
                "shopper": None if customer is None else {"id": customer.id, "name": customer.name,
                                                          "phone": mask_phone(customer.phone)},
                "ticket": {**ticket_dict(ticket), "context": ticket.context, "pending_action": ticket.pending_action,
                           "overdue": self._overdue(ticket, now), "satisfaction": ticket.satisfaction,
                           "satisfaction_at": iso(ticket.satisfaction_at),
                           "satisfaction_asked_at": iso(ticket.satisfaction_asked_at)},
                "order": order_dict(order) if order else None,
                "audit": [{"at": iso(a.at), "actor": a.actor, "action": a.action, "entity": a.entity,
                           "entity_id": a.entity_id, "before": a.before, "after": a.after} for a in audit],
                "notifications": [{"id": n.id, "kind": n.kind, "status": n.status, "text": n.payload.get("text"),
                                   "created_at": iso(n.created_at), "sent_at": iso(n.sent_at)}
                                  for n in notifications],
                "canned_replies": [{"id": c.id, "title": c.title, "body": c.body} for c in canned],
            }

    # -- acting on a case --------------------------------------------------------------------------

    def assign(self, ticket_no: str, shop_ids: set[str], assignee: str | None, actor: str) -> dict[str, Any]:
        return self._update(ticket_no, shop_ids, actor, "ticket_assigned", assignee=(assignee or None))

    def set_status(self, ticket_no: str, shop_ids: set[str], status: str, actor: str) -> dict[str, Any]:
        if status not in SETTABLE_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(SETTABLE_STATUSES)}; a case is resolved by a "
                               "decision")
        return self._update(ticket_no, shop_ids, actor, "ticket_status_changed", status=status)

    # -- acting on several cases at once -----------------------------------------------------------

    def bulk_assign(self, ticket_nos: Iterable[str], shop_ids: set[str], assignee_id: int | None,
                    actor: str) -> dict[str, Any]:
        """Assign several cases to one merchant of their shop (``None``: to nobody), in one
        transaction, one audit line per case changed. A case of a shop the assignee does not work
        for is skipped; see _bulk for the rest."""
        with self._uow() as uow:
            assignee = uow.session.get(t.Merchant, assignee_id) if assignee_id is not None else None
            if assignee_id is not None and (assignee is None or not {s.id for s in assignee.shops} & shop_ids):
                raise InvalidInput(f"merchant {assignee_id} works for none of these shops")
            email = assignee.email if assignee is not None else None
            named = {"email": assignee.email, "display_name": assignee.display_name} if assignee else None
            their_shops = {s.id for s in assignee.shops} if assignee is not None else None

            def change(ticket: t.Ticket) -> dict[str, Any] | str:
                if their_shops is not None and ticket.shop_id not in their_shops:
                    return "assignee_not_in_shop"
                return {"assignee": email}

            return {**self._bulk(uow, ticket_nos, shop_ids, actor, "ticket_assigned", change), "assignee": named}

    def bulk_set_status(self, ticket_nos: Iterable[str], shop_ids: set[str], status: str,
                        actor: str) -> dict[str, Any]:
        """Set several cases to "in progress" or "waiting on the customer" at once. Never resolves:
        a case is resolved one at a time, by a decision that may move money."""
        if status not in BULK_STATUSES:
            raise InvalidInput(f"cases are set in bulk only to {', '.join(BULK_STATUSES)}; a case is resolved "
                               "one at a time, by a decision")
        with self._uow() as uow:
            return self._bulk(uow, ticket_nos, shop_ids, actor, "ticket_status_changed",
                              lambda ticket: {"status": status})

    def _bulk(self, uow: UnitOfWork, ticket_nos: Iterable[str], shop_ids: set[str], actor: str, action: str,
              change: Callable[[t.Ticket], dict[str, Any] | str]) -> dict[str, Any]:
        """The chosen cases, row-locked in id order, changed in this one transaction. A number that
        is unknown or of another shop refuses the whole request (nothing changes; NotYours names
        them). Resolved cases are skipped, as are those ``change`` refuses (it returns why); a case
        already so is left as it is. Each case changed gets its audit line, as a single change does."""
        chosen = list(dict.fromkeys(n.strip().upper() for n in ticket_nos if n and n.strip()))
        if not chosen:
            raise InvalidInput("no case chosen")
        if len(chosen) > MAX_BULK:
            raise InvalidInput(f"at most {MAX_BULK} cases at once")
        now = self.clock()
        rows = uow.session.scalars(select(t.Ticket).where(t.Ticket.ticket_no.in_(chosen))
                                   .order_by(t.Ticket.id).with_for_update()).all()
        found = {ticket.ticket_no: ticket for ticket in rows if ticket.shop_id in shop_ids}
        missing = [n for n in chosen if n not in found]
        if missing:
            raise NotYours(missing)
        result: dict[str, Any] = {"updated": [], "unchanged": [], "skipped": {}}
        for ticket_no in chosen:
            ticket = found[ticket_no]
            changes = "resolved" if ticket.status == TicketStatus.RESOLVED else change(ticket)
            if isinstance(changes, str):
                result["skipped"][ticket_no] = changes
                continue
            if all(getattr(ticket, name) == value for name, value in changes.items()):
                result["unchanged"].append(ticket_no)
                continue
            before = ticket_dict(ticket)
            _apply(ticket, changes, now)
            uow.audit(now, actor, action, "ticket", ticket.ticket_no, before, {**ticket_dict(ticket), "via": "bulk"})
            result["updated"].append(ticket_no)
        uow.commit()
        return result

    def reply(self, ticket_no: str, shop_ids: set[str], text: str, actor: str, sender_name: str) -> dict[str, Any]:
        """The merchant's own words to the shopper, in the chat the case came from."""
        text = text.strip()
        if not text:
            raise InvalidInput("the reply is empty")
        if len(text) > MAX_REPLY:
            raise InvalidInput(f"a reply has at most {MAX_REPLY} characters")
        now = self.clock()
        with self._uow() as uow:
            ticket = uow.tickets.get(ticket_no, shop_ids, lock=True)
            if not ticket.conversation_id:
                raise Conflict("this case did not come from a chat; there is no one to reply to there")
            before = ticket_dict(ticket)
            if ticket.status == TicketStatus.NEW:
                ticket.status = advance(ticket.status, TicketStatus.IN_PROGRESS)
            ticket.assignee = ticket.assignee or assignee_of(actor)
            ticket.updated_at = now
            notification = uow.notify(ticket.conversation_id, "reply", now, ticket=ticket,
                                      payload={"text": text, "from": sender_name, "ticket_no": ticket.ticket_no})
            uow.audit(now, actor, "ticket_replied", "ticket", ticket.ticket_no, before,
                      {**ticket_dict(ticket), "reply": text})
            result = {"ticket": ticket_dict(ticket), "notification_id": notification.id if notification else None}
            uow.commit()
        return result

    def hand_back(self, ticket_no: str, shop_ids: set[str], actor: str) -> dict[str, Any]:
        """The human is done with the chat: the bot takes it over again and says so."""
        now = self.clock()
        with self._uow() as uow:
            ticket = uow.tickets.get(ticket_no, shop_ids, lock=True)
            if not ticket.conversation_id:
                raise Conflict("this case did not come from a chat")
            notification = uow.notify(ticket.conversation_id, "hand_back", now, ticket=ticket)
            uow.audit(now, actor, "conversation_handed_back", "ticket", ticket.ticket_no, None,
                      {"conversation_id": ticket.conversation_id})
            result = {"ticket": ticket_dict(ticket), "notification_id": notification.id if notification else None}
            uow.commit()
        return result

    def order(self, order_no: str, shop_ids: set[str]) -> dict[str, Any]:
        normalized = order_numbers.normalize(order_no)
        with self._uow() as uow:
            order = uow.orders.get(normalized) if normalized else None
            if order is None or order.shop_id not in shop_ids:
                raise NotFound(order_no)
            return order_dict(order)

    # -- internals ---------------------------------------------------------------------------------

    def _update(self, ticket_no: str, shop_ids: set[str], actor: str, action: str, **changes: Any) -> dict[str, Any]:
        now = self.clock()
        with self._uow() as uow:
            ticket = uow.tickets.get(ticket_no, shop_ids, lock=True)
            if ticket.status == TicketStatus.RESOLVED:
                raise Conflict(f"case {ticket_no} is resolved")
            before = ticket_dict(ticket)
            _apply(ticket, changes, now)
            uow.audit(now, actor, action, "ticket", ticket.ticket_no, before, ticket_dict(ticket))
            result = ticket_dict(ticket)
            uow.commit()
        return result

    @staticmethod
    def _due_soon(ticket: t.Ticket, now: datetime) -> bool:
        """Open, not yet late, and due within the hour (or the last quarter of its SLA)."""
        if ticket.status == TicketStatus.RESOLVED or ticket.sla_due_at is None or ticket.sla_due_at < now:
            return False
        return ticket.sla_due_at - now <= max(timedelta(hours=1), (ticket.sla_due_at - ticket.created_at) / 4)

    @staticmethod
    def _overdue(ticket: t.Ticket, now: datetime) -> bool:
        return ticket.status != TicketStatus.RESOLVED and ticket.sla_due_at is not None and ticket.sla_due_at < now


class NotYours(NotFound):
    """Cases named in a bulk request that are unknown or of another shop (not told apart)."""

    def __init__(self, ticket_nos: list[str]):
        super().__init__(", ".join(ticket_nos))
        self.ticket_nos = ticket_nos


def _apply(ticket: t.Ticket, changes: dict[str, Any], now: datetime) -> None:
    """A merchant's change to an open case; a new status by the case's lifecycle."""
    for name, value in changes.items():
        setattr(ticket, name, advance(ticket.status, TicketStatus(value)) if name == "status" else value)
    ticket.updated_at = now
