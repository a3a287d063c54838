"""What the inbox reports about a shop's work: an order's whole story as a timeline, and the figures
(conversations, handoffs, cancellations, interceptions, refund times). Reads only; another shop's
order is NotFound like an unknown one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.adapters.db import tables as t
from aftersales.domain import order_numbers
from aftersales.domain.lifecycles import Resolution, TicketStatus
from aftersales.service.base import MERCHANT_ACTOR, assignee_of, utcnow
from aftersales.service.errors import NotFound
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import iso

# How lines of one moment follow each other in the order timeline (otherwise in the order written).
_TYPE_RANK = {"milestone": 0, "audit": 1, "notification": 2}
_MOMENT_RANK = {"ticket_approved": 0, "ticket_rejected": 0, "ticket_answered": 0, "order_cancelled": 2,
                "items_cancelled": 2, "refund_issued": 3}
# The order state each milestone of the order timeline is the arrival in.
_MILESTONE_STATE = {"placed": "pending_payment", "paid": "paid", "shipped": "shipped", "delivered": "delivered",
                    "redeemed": "redeemed", "completed": "completed"}
# How a resolved case ended: decided either way, answered, or withdrawn by the shopper in the chat.
RESOLUTIONS = tuple(resolution.value for resolution in Resolution)


class InboxReports:
    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow):
        self._sessions = session_factory
        self.clock = clock

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, read_only=True)

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
            emails = {email for a in audit if (email := assignee_of(a.actor))}
            # Lines written before migration 0013 may name an assignee as "merchant:<email>".
            assigned = (str((a.after or {}).get("assignee") or "").removeprefix(MERCHANT_ACTOR)
                        for a in audit if a.action == "ticket_assigned")
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
                    assignee = str(data["after"].get("assignee") or "").removeprefix(MERCHANT_ACTOR)
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
        """The breakdowns over the last `days` days: cancellations by reason and by the state they
        came in, interception outcomes, cases by how they were resolved, and how long refunds took to
        arrive. Conversations, the automation rate and handling times: service.analytics."""
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
                select(t.Refund.channel, t.Refund.created_at, t.Refund.completed_at)
                .where(t.Refund.order_id.in_(shop_orders), t.Refund.created_at >= since)).all()
            tickets = session.execute(
                select(t.Ticket.status, t.Ticket.resolution)
                .where(t.Ticket.shop_id.in_(shop_ids), t.Ticket.created_at >= since)).all()
        # A case the shopper withdrew was neither approved nor rejected: it is counted as withdrawn.
        resolutions = Counter(resolution for status, resolution in tickets
                              if status == TicketStatus.RESOLVED and resolution)
        refund_hours: dict[str, list[float]] = {}
        for channel, created, completed in refunds:
            if completed is not None:
                refund_hours.setdefault(channel, []).append((completed - created).total_seconds() / 3600)
        return {
            "days": days,
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

