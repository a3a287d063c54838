"""申诉 — the shopper's appeal of a rejected request (aftersales.domain.appeals), in one transaction
under the order's lock: a case of its own in the merchant's inbox, linked to the case it appeals
(``appeal_of``, one row per round, so the policy's "once per case" holds even for two chats at once),
carrying what the first case would carry out — with the money to the account balance when the
shopper takes that alternative. A rejected return is reopened for the second review. Deciding the
appeal is the merchant's decide_ticket, the same path as the first decision: whatever it carries out
happens once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from aftersales.adapters.db import tables as t
from aftersales.domain import appeals, cases
from aftersales.domain.appeals import APPEAL_KIND, REFUND_TO_BALANCE, Assessment, CaseView, Verdict, parse_details
from aftersales.domain.lifecycles import Resolution, ReturnStatus, TicketStatus
from aftersales.domain.model import PaymentChannel
from aftersales.domain.profile import PolicyProfile
from aftersales.service.base import OrderService, advance, open_case
from aftersales.service.errors import InvalidInput
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import eta_dict, iso, order_view, return_dict, ticket_dict

_DECISIONS = ("ticket_approved", "ticket_rejected", "ticket_withdrawn")


def decided_at(uow: UnitOfWork, order: t.Order) -> dict[str, datetime]:
    """When each resolved case of the order was decided: its decision's audit line (a merchant's reply
    afterwards changes a case's updated_at, not when it was decided)."""
    resolved = [tk.ticket_no for tk in order.tickets if tk.status == TicketStatus.RESOLVED]
    if not resolved:
        return {}
    rows = uow.session.execute(
        select(t.AuditEvent.entity_id, func.max(t.AuditEvent.at))
        .where(t.AuditEvent.entity == "ticket", t.AuditEvent.entity_id.in_(resolved),
               t.AuditEvent.action.in_(_DECISIONS)).group_by(t.AuditEvent.entity_id)).all()
    return {ticket_no: at for ticket_no, at in rows}


def case_views(order: t.Order, decided: dict[str, datetime]) -> list[CaseView]:
    return [CaseView(tk.ticket_no, tk.kind, tk.status, tk.resolution,
                     decided.get(tk.ticket_no, tk.updated_at) if tk.status == TicketStatus.RESOLVED else None,
                     tk.pending_action.get("action"), tk.pending_action.get("order_state"),
                     tk.appeal_of.ticket_no if tk.appeal_of_id is not None and tk.appeal_of else None)
            for tk in order.tickets]


def decision_news(ticket: t.Ticket, order: t.Order | None, profile: PolicyProfile | None,
                  now: datetime) -> dict[str, Any]:
    """What the chat hears with a rejection besides the merchant's words: that it can be appealed
    (and until when), or — a second review rejected too — the routes outside the shop."""
    if order is None or profile is None or ticket.resolution != Resolution.REJECTED:
        return {}
    if ticket.kind == APPEAL_KIND and (ticket.appeal_round or 1) < profile.appeals.per_case:
        # The policy allows another appeal of the first request: that, not the routes outside the shop.
        return {"appeal_until": iso(now + timedelta(days=profile.appeals.within_days))}
    if ticket.kind == APPEAL_KIND:
        return {"outside_routes": appeals.routes_after(profile.appeals), "payment_channel": order.payment_channel}
    if ticket.kind in profile.appeals.kinds and profile.appeals.per_case > 0:
        return {"appeal_until": iso(now + timedelta(days=profile.appeals.within_days))}
    return {}


class AppealService(OrderService):
    def check(self, customer_id: str, order_no: str) -> dict[str, Any]:
        """Whether the order's latest rejected request can be appealed now, what it was and why it was
        turned down, the alternative offered, and where to go when it cannot."""
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no)), customer_id)
            profile = self._profile(order)
            return self._described(order, self._assess(uow, order, profile), profile)

    def open(self, customer_id: str, order_no: str, details: str, conversation_id: str | None = None,
             idempotency_key: str | None = None, transcript: list[dict[str, str]] | None = None,
             alternative: str | None = None) -> dict[str, Any]:
        """The appeal, with the shopper's new evidence (``details``), and ``alternative`` when the
        shopper chose it (the balance instead; taken only where the policy offers it). Asked twice,
        opened once."""
        parsed = parse_details(details)
        if isinstance(parsed, appeals.Missing):
            raise InvalidInput(f"the appeal's details lack: {parsed}")
        key = f"{customer_id}:{idempotency_key}" if idempotency_key else None
        now = self.clock()
        actor = f"customer:{customer_id}"
        with self._uow() as uow:
            order = self._owned(uow.orders.lock(self._order_no(order_no)), customer_id)
            replay = uow.idempotent_response(key, "open_appeal")
            if replay is not None:
                return replay
            profile = self._profile(order)
            found = self._assess(uow, order, profile)
            if found.verdict is not Verdict.OPEN:
                return {"status": found.verdict.value, **self._described(order, found, profile)}
            assert found.case is not None
            first = next(tk for tk in order.tickets if tk.ticket_no == found.case.ticket_no)
            alternative = alternative if alternative in found.alternatives else None
            ticket = self._appeal_case(uow, order, first, found, profile, now, actor, alternative, {
                "summary": parsed.text, "transcript": transcript or [],
                "details": {"alternative": alternative, "photos_follow": parsed.photos_follow}}, conversation_id)
            result = {"status": "opened", "order_no": order.order_no, "ticket": ticket_dict(ticket),
                      "appeal_of": ticket_dict(first), "alternative": alternative,
                      "sla_hours": cases.sla_hours(APPEAL_KIND, profile)}
            uow.remember(key, "open_appeal", result, now)
            uow.commit()
        return result

    # -- internals ---------------------------------------------------------------------------------

    def _assess(self, uow: UnitOfWork, order: t.Order, profile: PolicyProfile) -> Assessment:
        view = order_view(order)
        return appeals.assess(case_views(order, decided_at(uow, order)), view.state.value, view.payment_channel,
                              self.clock(), profile)

    def _appeal_case(self, uow: UnitOfWork, order: t.Order, first: t.Ticket, found: Assessment,
                     profile: PolicyProfile, now: datetime, actor: str, alternative: str | None,
                     context: dict[str, Any], conversation_id: str | None) -> t.Ticket:
        pending = dict(first.pending_action)
        decision = dict(first.context.get("decision") or {})
        if alternative == REFUND_TO_BALANCE:
            eta = profile.refund_eta[PaymentChannel.BALANCE]
            pending["refund_channel"] = PaymentChannel.BALANCE.value
            if decision.get("refund"):
                decision["refund"] = {**decision["refund"], "channel": PaymentChannel.BALANCE.value,
                                      "eta": eta_dict(eta)}
        if pending.get("action") == "return":
            # The review's rejection is reopened: the second review decides the return itself.
            ret = next(r for r in order.returns if r.return_no == pending["return_no"])
            before = return_dict(ret)
            ret.status = advance(ret.status, ReturnStatus.REQUESTED)
            uow.audit(now, actor, "return_reopened", "return", ret.return_no, before, return_dict(ret))
        rounds = [tk.appeal_round or 0 for tk in order.tickets if tk.appeal_of_id == first.id]
        return open_case(
            uow, now, APPEAL_KIND, order.shop_id, order, order.customer_id, profile, actor,
            fault=profile.reason_faults.get(first.reason or ""), amount=_amount(order, first),
            reason=first.reason, desired_outcome=alternative or first.desired_outcome,
            decision_code=first.decision_code, conversation_id=conversation_id or first.conversation_id,
            pending_action=pending, appeal_of_id=first.id, appeal_round=max(rounds, default=0) + 1,
            context={**context, "decision": decision,
                     "first": {"ticket_no": first.ticket_no, "kind": first.kind, "reason": first.reason,
                               "desired_outcome": first.desired_outcome, "resolution_note": first.resolution_note,
                               "decided_at": iso(found.case.decided_at if found.case else first.updated_at)}})

    def _described(self, order: t.Order, found: Assessment, profile: PolicyProfile) -> dict[str, Any]:
        first = next((tk for tk in order.tickets if found.case and tk.ticket_no == found.case.ticket_no), None)
        appeal = next((tk for tk in order.tickets if found.appeal and tk.ticket_no == found.appeal.ticket_no), None)
        return {"order_no": order.order_no, "verdict": found.verdict.value, "state": order.state,
                "per_case": profile.appeals.per_case,
                "case": None if first is None else {**ticket_dict(first), "action": first.pending_action.get("action"),
                                                    "return_no": first.pending_action.get("return_no")},
                "appeal": ticket_dict(appeal) if appeal is not None else None,
                "alternatives": list(found.alternatives), "amount": _amount(order, first) if first else 0,
                "currency": order.currency, "ends_at": iso(found.ends_at),
                "balance_eta": eta_dict(profile.refund_eta[PaymentChannel.BALANCE]),
                "sla_hours": cases.sla_hours(APPEAL_KIND, profile),
                "outside_routes": appeals.routes_after(profile.appeals), "payment_channel": order.payment_channel}


def _amount(order: t.Order, first: t.Ticket) -> int:
    """What the first request pays back when carried out (0: nothing, or not yet known)."""
    refund = (first.context.get("decision") or {}).get("refund") or {}
    if refund.get("amount"):
        return int(refund["amount"])
    ids = set(first.pending_action.get("item_ids") or [])
    if first.pending_action.get("action") != "refund_items":
        return 0
    return sum(i.unit_price * i.quantity - (i.price_protection_amount or 0) for i in order.items
               if i.id in ids and i.refund_id is None)
