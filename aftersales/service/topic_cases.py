"""Cases the merchant settles — invoices, repairs, missing or damaged items, delivery times, parcels
shown delivered that never arrived — opened by the bot with the fields the merchant needs, once the
policy says the order allows one (aftersales.domain.topic_cases). A missing item the shopper wants
refunded, when it is clear which item, and a parcel that never reached the shopper carry their refund
for the merchant's approval; everything else the merchant does and tells."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain import cases
from aftersales.domain.lifecycles import ReturnStatus, TicketStatus
from aftersales.domain.profile import PolicyProfile
from aftersales.domain.topic_cases import Assessment, Details, Missing, Topic, Verdict, assess, parse_details
from aftersales.service.base import OrderService, open_case, parse_enum
from aftersales.service.errors import InvalidInput
from aftersales.service.views import iso, order_view, ticket_dict


def _named_item(order: t.Order, text: str) -> list[int]:
    """The one item the details are about: the only one on the order, or the one they name."""
    active = [i for i in order.items if i.cancelled_at is None and i.refund_id is None]
    if len(active) == 1:
        return [active[0].id]
    named = [i.id for i in active if i.title and i.title in text]
    return named if len(named) == 1 else []


LOGISTICS_INVESTIGATION = Topic.NOT_RECEIVED.case_kind


def never_received_items(order: t.Order) -> list[int]:
    """The items a parcel that never arrived would refund: active, not refunded, and not part of a
    return or exchange that is open or was carried out, or whose goods the shopper sent back (what
    went back did reach them)."""
    returning = {int(i) for r in order.returns
                 if r.status not in (ReturnStatus.REJECTED, ReturnStatus.WITHDRAWN) or r.return_shipped_at is not None
                 for i in (r.item_ids or {}).get("ids", [])}
    return [i.id for i in order.items if i.cancelled_at is None and i.refund_id is None and i.id not in returning]


def _assessed(kind: Topic, order: t.Order, now: datetime, profile: PolicyProfile) -> Assessment:
    found = assess(kind, order_view(order), now, profile)
    if kind is Topic.NOT_RECEIVED and found.verdict is Verdict.OPEN and not never_received_items(order):
        return Assessment(Verdict.CLOSED)  # everything on it is refunded or being returned already
    return found


class TopicCaseService(OrderService):
    def check(self, customer_id: str, order_no: str, topic: str) -> dict[str, Any]:
        kind = parse_enum(Topic, topic, "topic")
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no)), customer_id)
            found = _assessed(kind, order, self.clock(), self._profile(order))
            return {"order_no": order.order_no, "topic": kind.value, "verdict": found.verdict.value,
                    "state": order.state, "ends_at": iso(found.ends_at), "delay_hours": found.delay_hours,
                    "carrier": order.carrier, "tracking_no": order.tracking_no,
                    "sla_hours": cases.sla_hours(kind.case_kind, self._profile(order))}

    def open(self, customer_id: str, order_no: str, topic: str, details: str, conversation_id: str | None = None,
             idempotency_key: str | None = None, transcript: list[dict[str, str]] | None = None) -> dict[str, Any]:
        kind = parse_enum(Topic, topic, "topic")
        parsed = parse_details(kind, details)
        if isinstance(parsed, Missing):
            raise InvalidInput(f"the {kind} details lack: {parsed}")
        key = f"{customer_id}:{idempotency_key}" if idempotency_key else None
        now = self.clock()
        actor = f"customer:{customer_id}"
        with self._uow() as uow:
            order = self._owned(uow.orders.lock(self._order_no(order_no)), customer_id)
            replay = uow.idempotent_response(key, "open_topic_case")
            if replay is not None:
                return replay
            profile = self._profile(order)
            found = _assessed(kind, order, now, profile)
            if found.verdict is not Verdict.OPEN:
                return {"status": found.verdict.value, "order_no": order.order_no, "ticket": None}
            for existing in order.tickets:
                if existing.kind == kind.case_kind and existing.status != TicketStatus.RESOLVED:
                    return {"status": "already_open", "order_no": order.order_no, "ticket": ticket_dict(existing)}
            sla = cases.sla_hours(kind.case_kind, profile)
            ticket = open_case(
                uow, now, kind.case_kind, order.shop_id, order, customer_id, profile, actor,
                desired_outcome=parsed.fields.get("wish"), conversation_id=conversation_id,
                pending_action=self._pending_action(kind, order, parsed),
                context={"summary": parsed.text, "details": parsed.fields, "transcript": transcript or [],
                         **({"warranty_ends_at": iso(found.ends_at)} if kind is Topic.REPAIR else {})})
            result = {"status": "opened", "order_no": order.order_no, "ticket": ticket_dict(ticket),
                      "details": parsed.fields, "sla_hours": sla}
            uow.remember(key, "open_topic_case", result, now)
            uow.commit()
        return result

    @staticmethod
    def _pending_action(kind: Topic, order: t.Order, parsed: Details) -> dict[str, Any]:
        """What approving the case carries out: a missing item's refund, when it is clear which item; a
        parcel that never reached the shopper, the refund of what it held."""
        if kind is Topic.NOT_RECEIVED:
            return {"action": "refund_items", "item_ids": never_received_items(order)}
        if kind is not Topic.MISSING_ITEM:
            return {}
        items = _named_item(order, parsed.text)
        if parsed.fields["wish"] == "refund" and items:
            return {"action": "refund_items", "item_ids": items}
        return {"action": parsed.fields["wish"], "item_ids": items}
