"""The merchant's side: sign-in, queues, cases, replies, decisions, analytics.

Every read and write takes the merchant's shop ids and treats a case or order of another shop
exactly like one that does not exist (NotFound), so ids cannot be probed. Decisions and
cancellations go through AfterSalesService, which carries them out and queues the shopper's
notification in the same transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain import order_numbers
from aftersales.domain.lifecycles import TICKET_OPEN, Resolution, TicketStatus
from aftersales.service.after_sales import AfterSalesService
from aftersales.service.base import advance, utcnow
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.exchanges import ExchangeService
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
}
OPEN_STATUSES = tuple(status.value for status in TicketStatus if status in TICKET_OPEN)
SETTABLE_STATUSES = OPEN_STATUSES  # resolved only by a decision or a withdrawal
# What several cases can be set to at once: never resolved (a decision, maybe money, is one case at a time).
BULK_STATUSES = (TicketStatus.IN_PROGRESS.value, TicketStatus.WAITING_ON_CUSTOMER.value)
MAX_BULK = 100
# How lines of one moment follow each other in the order timeline (otherwise in the order written).
_TYPE_RANK = {"milestone": 0, "audit": 1, "notification": 2}
_MOMENT_RANK = {"ticket_approved": 0, "ticket_rejected": 0, "ticket_answered": 0, "order_cancelled": 2,
                "items_cancelled": 2, "refund_issued": 3}
# The order state each milestone of the order timeline is the arrival in.
_MILESTONE_STATE = {"placed": "pending_payment", "paid": "paid", "shipped": "shipped", "delivered": "delivered",
                    "redeemed": "redeemed", "completed": "completed"}
# How a resolved case ended: decided either way, answered, or withdrawn by the shopper in the chat.
RESOLUTIONS = tuple(resolution.value for resolution in Resolution)
LANGUAGES = ("zh", "en")  # the inbox's languages; zh first, the default
MAX_REPLY = 2000
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class InboxService:
    def __init__(self, session_factory: sessionmaker[Session], after_sales: AfterSalesService,
                 clock: Callable[[], datetime] = utcnow, exchanges: ExchangeService | None = None):
        self._sessions = session_factory
        self.after_sales = after_sales
        self.clock = clock
        self.exchanges = exchanges or ExchangeService(session_factory, clock)

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    # -- merchants ---------------------------------------------------------------------------------

    def create_merchant(self, email: str, display_name: str, password: str, shop_ids: list[str]) -> dict[str, Any]:
        email = email.strip().lower()
        if "@" not in email or len(password) < 10:
            raise InvalidInput("a merchant needs an e-mail address and a password of at least 10 characters")
        with self._uow() as uow:
            shops = [uow.session.get(t.Shop, shop_id) for shop_id in shop_ids]
            if not shops or any(shop is None for shop in shops):
                raise InvalidInput(f"unknown shop among {shop_ids}")
            if uow.session.scalar(select(t.Merchant).where(t.Merchant.email == email)) is not None:
                raise Conflict(f"a merchant with e-mail {email} exists")
            merchant = t.Merchant(email=email, display_name=display_name[:100], password_hash=_hasher.hash(password),
                                  failed_logins=0, created_at=self.clock(), shops=shops)
            uow.add(merchant)
            uow.flush()
            result = _merchant_dict(merchant)
            uow.commit()
        return result

    def authenticate(self, email: str, password: str) -> dict[str, Any] | None:
        """The merchant, or None for a wrong e-mail or password — or a sign-in locked after
        MAX_FAILED_LOGINS failures in a row (for LOCKOUT; the right password does not open it)."""
        now = self.clock()
        with self._uow() as uow:
            merchant = uow.session.scalar(select(t.Merchant).where(t.Merchant.email == email.strip().lower())
                                          .with_for_update())
            try:
                _hasher.verify(merchant.password_hash if merchant else _DUMMY_HASH, password)
                verified = True
            except (VerificationError, InvalidHashError):
                verified = False
            if merchant is None:
                return None
            if merchant.locked_until is not None and merchant.locked_until > now:
                return None
            if not verified:
                merchant.failed_logins += 1
                if merchant.failed_logins >= MAX_FAILED_LOGINS:
                    merchant.failed_logins, merchant.locked_until = 0, now + LOCKOUT
                    uow.audit(now, f"merchant:{merchant.email}", "sign_in_locked", "merchant", merchant.id)
                uow.commit()
                return None
            merchant.failed_logins, merchant.locked_until = 0, None
            if _hasher.check_needs_rehash(merchant.password_hash):
                merchant.password_hash = _hasher.hash(password)
            result = _merchant_dict(merchant)
            uow.commit()
        return result

    def set_language(self, merchant_id: int, language: str) -> dict[str, Any]:
        """The language the merchant reads the inbox in (LANGUAGES)."""
        if language not in LANGUAGES:
            raise InvalidInput(f"the inbox speaks {', '.join(LANGUAGES)}")
        now = self.clock()
        with self._uow() as uow:
            merchant = uow.session.get(t.Merchant, merchant_id)
            if merchant is None:
                raise NotFound(str(merchant_id))
            if merchant.language != language:
                before = {"language": merchant.language}
                merchant.language = language
                uow.audit(now, f"merchant:{merchant.email}", "merchant_language_changed", "merchant", str(merchant.id),
                          before, {"language": language})
            result = _merchant_dict(merchant)
            uow.commit()
        return result

    def merchant(self, merchant_id: int) -> dict[str, Any] | None:
        with self._uow() as uow:
            merchant = uow.session.get(t.Merchant, merchant_id)
            return _merchant_dict(merchant) if merchant else None

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

    def cases(self, shop_ids: set[str], queue: str | None = None, status: str = "open", limit: int = 200,
              offset: int = 0, search: str | None = None) -> list[dict[str, Any]]:
        """A page of the queue, most urgent first, each row with its order and shopper. ``search``:
        a case number, an order number, a shopper's id or name, or the last four digits of a phone."""
        now = self.clock()
        with self._uow() as uow:
            query = self._cases_query(shop_ids, queue, status, search)
            rows = uow.session.execute(query.order_by(t.Ticket.sla_due_at, t.Ticket.id)
                                       .limit(limit).offset(offset)).all()
            return [{**ticket_dict(ticket), "order_no": order_no, "overdue": self._overdue(ticket, now),
                     "due_soon": self._due_soon(ticket, now),
                     "shopper": None if customer is None else {"name": customer.name,
                                                               "phone": mask_phone(customer.phone)}}
                    for ticket, order_no, customer in rows]

    def count_cases(self, shop_ids: set[str], queue: str | None = None, status: str = "open",
                    search: str | None = None) -> int:
        with self._uow() as uow:
            query = self._cases_query(shop_ids, queue, status, search).with_only_columns(func.count(t.Ticket.id))
            return int(uow.session.scalar(query) or 0)

    @staticmethod
    def _cases_query(shop_ids: set[str], queue: str | None, status: str,
                     search: str | None) -> Select[t.Ticket, str, t.Customer]:
        if queue is not None and queue not in QUEUES:
            raise InvalidInput(f"queues are {', '.join(QUEUES)}")
        query = (select(t.Ticket, t.Order.order_no, t.Customer)
                 .outerjoin(t.Order, t.Ticket.order_id == t.Order.id)
                 .outerjoin(t.Customer, t.Ticket.customer_id == t.Customer.id)
                 .where(t.Ticket.shop_id.in_(shop_ids)))
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
            ticket = uow.ticket(ticket_no, shop_ids)
            order = uow.session.get(t.Order, ticket.order_id) if ticket.order_id else None
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
            return {
                "shopper": None if customer is None else {"id": customer.id, "name": customer.name,
                                                          "phone": mask_phone(customer.phone)},
                "ticket": {**ticket_dict(ticket), "context": ticket.context, "pending_action": ticket.pending_action,
                           "overdue": self._overdue(ticket, now)},
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

    def teammates(self, shop_ids: set[str]) -> list[dict[str, Any]]:
        """The merchants who work at least one of these shops, to assign cases to; each with only
        those of its shops that are among ``shop_ids`` (a colleague's other shops are not shown)."""
        with self._uow() as uow:
            ids = select(t.merchant_shops.c.merchant_id).where(t.merchant_shops.c.shop_id.in_(shop_ids))
            merchants = uow.session.scalars(select(t.Merchant).where(t.Merchant.id.in_(ids))
                                            .order_by(t.Merchant.display_name, t.Merchant.id)).all()
            return [{"id": m.id, "email": m.email, "display_name": m.display_name,
                     "shop_ids": [s.id for s in m.shops if s.id in shop_ids]} for m in merchants]

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
            ticket = uow.ticket(ticket_no, shop_ids, lock=True)
            if not ticket.conversation_id:
                raise Conflict("this case did not come from a chat; there is no one to reply to there")
            before = ticket_dict(ticket)
            if ticket.status == TicketStatus.NEW:
                ticket.status = advance(ticket.status, TicketStatus.IN_PROGRESS)
            ticket.assignee = ticket.assignee or actor
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
            ticket = uow.ticket(ticket_no, shop_ids, lock=True)
            if not ticket.conversation_id:
                raise Conflict("this case did not come from a chat")
            notification = uow.notify(ticket.conversation_id, "hand_back", now, ticket=ticket)
            uow.audit(now, actor, "conversation_handed_back", "ticket", ticket.ticket_no, None,
                      {"conversation_id": ticket.conversation_id})
            result = {"ticket": ticket_dict(ticket), "notification_id": notification.id if notification else None}
            uow.commit()
        return result

    def decide(self, ticket_no: str, shop_ids: set[str], approve: bool, note: str, actor: str) -> dict[str, Any]:
        note = note.strip()
        if not approve and not note:
            raise InvalidInput("say why when rejecting: the shopper is told the reason")
        if len(note) > MAX_REPLY:
            raise InvalidInput(f"a note has at most {MAX_REPLY} characters")
        return self.after_sales.decide_ticket(ticket_no, approve, note, actor, shop_ids=shop_ids)

    def merchant_cancel(self, order_no: str, shop_ids: set[str], reason: str, actor: str) -> dict[str, Any]:
        return self.after_sales.merchant_cancel(order_no, reason, actor, shop_ids=shop_ids)

    def ship_replacement(self, order_no: str, return_no: str, carrier: str, tracking_no: str, shop_ids: set[str],
                         actor: str) -> dict[str, Any]:
        """The exchange's replacement goes out (ExchangeService.ship_replacement): only an exchange
        of this order, of one of the merchant's shops; anything else is NotFound, like an unknown one."""
        normalized = order_numbers.normalize(order_no)
        with self._uow() as uow:
            order = uow.orders.get(normalized) if normalized else None
            if order is None or order.shop_id not in shop_ids or return_no not in {r.return_no for r in order.returns}:
                raise NotFound(return_no)
        return self.exchanges.ship_replacement(return_no, carrier, tracking_no, actor, shop_ids)

    def order(self, order_no: str, shop_ids: set[str]) -> dict[str, Any]:
        normalized = order_numbers.normalize(order_no)
        with self._uow() as uow:
            order = uow.orders.get(normalized) if normalized else None
            if order is None or order.shop_id not in shop_ids:
                raise NotFound(order_no)
            return order_dict(order)

    def order_timeline(self, order_no: str, shop_ids: set[str]) -> list[dict[str, Any]]:
        """Everything that happened to an order, oldest first: its milestones (placed, paid,
        shipped, …), the audit lines of the order and of its cases, refunds, returns and
        interceptions, and the messages queued for the shopper's chat about them. An import seen
        again (a demo reseed, a file sent twice) is one line, the first. Codes stay codes here, with
        the names and titles the words need (the inbox says them in words)."""
        normalized = order_numbers.normalize(order_no)
        with self._uow() as uow:
            order = uow.orders.get(normalized) if normalized else None
            if order is None or order.shop_id not in shop_ids:
                raise NotFound(order_no)
            tickets = {tk.ticket_no: tk for tk in order.tickets}
            refs = {"order": [order.order_no], "ticket": list(tickets),
                    "refund": [r.refund_no for r in order.refunds], "return": [r.return_no for r in order.returns],
                    "interception": [i.interception_no for i in order.interceptions]}
            audit = uow.session.scalars(
                select(t.AuditEvent).where(or_(*(and_(t.AuditEvent.entity == entity, t.AuditEvent.entity_id.in_(ids))
                                                 for entity, ids in refs.items() if ids)))
                .order_by(t.AuditEvent.at, t.AuditEvent.id)).all()
            ticket_ids = [tk.id for tk in tickets.values()]
            refund_ids = [r.id for r in order.refunds]
            notifications = uow.session.scalars(
                select(t.Notification).where(or_(t.Notification.ticket_id.in_(ticket_ids),
                                                 t.Notification.refund_id.in_(refund_ids)))
                .order_by(t.Notification.id)).all() if ticket_ids or refund_ids else []
            # Messages about the order tied to no case or refund (an exchange's goods back, its
            # replacement sent): by the chats of the order's cases, then by the order they name.
            chats = {tk.conversation_id for tk in tickets.values() if tk.conversation_id}
            seen = {n.id for n in notifications}
            notifications = sorted([*notifications, *(n for n in uow.session.scalars(
                select(t.Notification).where(t.Notification.conversation_id.in_(chats),
                                             t.Notification.ticket_id.is_(None), t.Notification.refund_id.is_(None)))
                if n.id not in seen and (n.payload or {}).get("order_no") == order.order_no)],
                key=lambda n: n.id) if chats else list(notifications)
            emails = {a.actor.removeprefix("merchant:") for a in audit if a.actor.startswith("merchant:")}
            assigned = ((a.after or {}).get("assignee") for a in audit if a.action == "ticket_assigned")
            emails |= {str(email) for email in assigned if email}
            names = {email: name for email, name in uow.session.execute(
                select(t.Merchant.email, t.Merchant.display_name).where(t.Merchant.email.in_(emails)))}
            customer = uow.session.get(t.Customer, order.customer_id)
            titles = {item.id: item.title for item in order.items}
            refund_nos = {r.id: r.refund_no for r in order.refunds}

            def actor(value: str) -> dict[str, str | None]:
                kind, _, who = value.partition(":")
                if kind == "customer":
                    own = customer is not None and who == customer.id
                    return {"kind": "customer" if own else "anonymous" if who == "anonymous" else "someone",
                            "name": customer.name if own and customer else None}
                if kind == "merchant":
                    return {"kind": "merchant", "name": names.get(who, who)}
                if kind in ("provider", "integration"):
                    return {"kind": kind, "name": who}
                return {"kind": "system", "name": who or None}

            events: list[dict[str, Any]] = []
            for name, at, extra in (("placed", order.created_at, {}),
                                    ("paid", order.paid_at, {"channel": order.payment_channel}),
                                    ("shipped", order.shipped_at, {"carrier": order.carrier,
                                                                   "tracking_no": order.tracking_no}),
                                    ("delivered", order.delivered_at, {}), ("redeemed", order.redeemed_at, {}),
                                    ("completed", order.completed_at, {})):
                # A state an audit line reports reaching (an order event, a move in the inbox) is told there.
                reported = any(a.entity == "order" and a.action != "order_imported"
                               and (a.after or {}).get("state") == _MILESTONE_STATE[name]
                               and (a.before or {}).get("state") != _MILESTONE_STATE[name] for a in audit)
                if at is not None and not reported:
                    events.append({"at": at, "type": "milestone", "action": name, "actor": None, "ref": order.order_no,
                                   "data": extra})
            imported = False
            for a in audit:
                if a.action == "order_imported":
                    if imported:
                        continue
                    imported = True
                data: dict[str, Any] = {"before": a.before or {}, "after": a.after or {}}
                if a.entity == "ticket" and a.entity_id in tickets:
                    tk = tickets[a.entity_id]
                    data["ticket"] = {"kind": tk.kind, "reason": tk.reason, "desired_outcome": tk.desired_outcome}
                    assignee = data["after"].get("assignee")
                    data["assignee_name"] = names.get(assignee, assignee) if assignee else None
                if a.action == "order_cancelled":
                    data["cancel_reason"] = order.cancel_reason
                if a.action == "items_cancelled":
                    newly = set(data["after"].get("cancelled_items") or []) - set(
                        data["before"].get("cancelled_items") or [])
                    data["items"] = [titles[i] for i in sorted(newly) if i in titles]
                events.append({"at": a.at, "type": "audit", "action": a.action, "actor": actor(a.actor),
                               "ref": a.entity_id, "data": data})
            for n in notifications:
                ticket_no = next((no for no, tk in tickets.items() if tk.id == n.ticket_id), None)
                events.append({"at": n.sent_at or n.created_at, "type": "notification", "action": n.kind,
                               "actor": None, "ref": ticket_no or refund_nos.get(n.refund_id or -1)
                               or (n.payload or {}).get("return_no"),
                               "data": {"status": n.status, "text": n.payload.get("text")}})
        # At one moment (one transaction): milestones, then the decision before what it carried out
        # (an interception's outcome, the order cancelled, then the refund), then the messages.
        events.sort(key=lambda e: (e["at"], _TYPE_RANK[e["type"]], _MOMENT_RANK.get(e["action"], 1)))
        return [{**e, "at": iso(e["at"])} for e in events]

    # -- analytics ---------------------------------------------------------------------------------

    def analytics(self, shop_ids: set[str], days: int = 30) -> dict[str, Any]:
        """The figures the seeds discuss, over the last `days` days: conversations and how many
        ended without a human, cancellations by reason and by the state they came in, interception
        outcomes, and how long refunds took to arrive."""
        since = self.clock() - timedelta(days=days)
        with self._uow() as uow:
            session = uow.session
            shop_orders = select(t.Order.id).where(t.Order.shop_id.in_(shop_ids))
            cancelled = session.execute(
                select(t.Order.cancel_reason, t.AuditEvent.before)
                .join(t.AuditEvent, (t.AuditEvent.entity_id == t.Order.order_no)
                      & (t.AuditEvent.action == "order_cancelled"))
                .where(t.Order.shop_id.in_(shop_ids), t.Order.cancelled_at >= since)).all()
            interceptions = session.execute(
                select(t.Interception.stage, t.Interception.status)
                .where(t.Interception.order_id.in_(shop_orders), t.Interception.requested_at >= since)).all()
            refunds = session.execute(
                select(t.Refund.channel, t.Refund.created_at, t.Refund.completed_at, t.Refund.conversation_id)
                .where(t.Refund.order_id.in_(shop_orders), t.Refund.created_at >= since)).all()
            tickets = session.execute(
                select(t.Ticket.kind, t.Ticket.conversation_id, t.Ticket.status, t.Ticket.resolution)
                .where(t.Ticket.shop_id.in_(shop_ids), t.Ticket.created_at >= since)).all()
        with_human = {c for kind, c, *_ in tickets if c and kind in QUEUES["escalations"]}
        conversations = {c for _, c, *_ in tickets if c} | {c for *_, c in refunds if c}
        # A case the shopper withdrew was neither approved nor rejected: it is counted as withdrawn.
        resolutions = Counter(resolution for _, _, status, resolution in tickets
                              if status == TicketStatus.RESOLVED and resolution)
        refund_hours: dict[str, list[float]] = {}
        for channel, created, completed, _ in refunds:
            if completed is not None:
                refund_hours.setdefault(channel, []).append((completed - created).total_seconds() / 3600)
        return {
            "days": days,
            "conversations_with_a_case": len(conversations),
            "handed_to_a_human": len(with_human),
            "automation_rate": (1 - len(with_human) / len(conversations)) if conversations else None,
            "cancellations_by_reason": dict(Counter(reason or "other" for reason, _ in cancelled).most_common()),
            "cancellations_by_state": dict(Counter((before if isinstance(before, dict) else {}).get("state", "unknown")
                                                   for _, before in cancelled).most_common()),
            "interceptions": dict(Counter(f"{stage}:{status}" for stage, status in interceptions)),
            "interceptions_by_stage": {stage: dict(Counter(status for s, status in interceptions if s == stage))
                                       for stage in sorted({stage for stage, _ in interceptions})},
            "cases_by_resolution": {name: resolutions[name] for name in RESOLUTIONS if resolutions[name]},
            "refund_hours_by_channel": {channel: {"count": len(hours), "average": sum(hours) / len(hours),
                                                  "max": max(hours)}
                                        for channel, hours in sorted(refund_hours.items())},
        }

    # -- internals ---------------------------------------------------------------------------------

    def _update(self, ticket_no: str, shop_ids: set[str], actor: str, action: str, **changes: Any) -> dict[str, Any]:
        now = self.clock()
        with self._uow() as uow:
            ticket = uow.ticket(ticket_no, shop_ids, lock=True)
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


def _merchant_dict(merchant: t.Merchant) -> dict[str, Any]:
    return {"id": merchant.id, "email": merchant.email, "display_name": merchant.display_name,
            "language": merchant.language or "zh",
            "shop_ids": [s.id for s in merchant.shops], "shops": [{"id": s.id, "name": s.name} for s in merchant.shops]}

