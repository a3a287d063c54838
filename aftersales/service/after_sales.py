"""The shopper's operations (the merchant's: aftersales.service.merchant_operations). Each public
method is one transaction that locks the order row first, re-reads everything under the lock, asks
the policy, then writes — so concurrent requests on one order queue up and each sees the state the
previous one left. Money moves at most once: an item carries the refund that paid it back, and a
replayed idempotency key returns the stored answer."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain import attempts
from aftersales.domain.cases import ITEM_CHANGE_KIND
from aftersales.domain.lifecycles import RETURN_OPEN, InterceptionStatus, ReturnStatus, TicketStatus
from aftersales.domain.model import CustomerHistory, Outcome, PaymentChannel, Request
from aftersales.domain.policy import ITEM_CHANGE, Decision, Execution, InvalidRequest, available_outcomes, decide
from aftersales.domain.profile import PolicyProfile
from aftersales.service.base import PLATFORM_TZ, OrderService, advance, new_reference, open_case, parse_enum
from aftersales.service.errors import InvalidInput, NotFound, OrderNotFound
from aftersales.service.limits import count, refuse_if_locked
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import (
    decision_dict,
    interception_dict,
    order_dict,
    order_view,
    refund_dict,
    return_dict,
    ticket_dict,
)


class AfterSalesService(OrderService):
    # -- shopper-side reads ------------------------------------------------------------------------

    def lookup_order(self, customer_id: str, order_no: str) -> dict[str, Any]:
        """The customer's order. Order numbers that are not theirs count against the customer's
        look-up limit: past it, every look-up is refused for a while."""
        return self._look_up(customer_id, order_no, lambda uow, order, now: order_dict(order))

    def confirmation(self, customer_id: str, order_no: str, outcome: str, reason: str,
                     item_ids: Iterable[int] = ()) -> dict[str, Any]:
        """What the summary before a yes shows, read in one transaction: the order as lookup_order
        gives it (a look-up like any other, counted when the order is not theirs) and the decision
        preview gives. The summary read each in a transaction of its own, loading the order twice."""
        def both(uow: UnitOfWork, order: t.Order, now: datetime) -> dict[str, Any]:
            decision = self._decide(uow, order, customer_id, outcome, reason, item_ids, now)
            return {"order": order_dict(order), "decision": decision_dict(decision)}

        return self._look_up(customer_id, order_no, both)

    def _look_up(self, customer_id: str, order_no: str,
                 read: Callable[[UnitOfWork, t.Order, datetime], dict[str, Any]]) -> dict[str, Any]:
        """``read`` of the customer's order, with its records; an order number not theirs counts
        against the customer's look-up limit, and past it every look-up is refused for a while."""
        normalized = self._order_no(order_no)
        limits = [(attempts.LOOKUP_CUSTOMER, customer_id)]
        now = self.clock()
        with self._uow(read_only=True) as uow:
            refuse_if_locked(uow, limits, now)
            order = uow.orders.get(normalized)
            if order is not None and order.customer_id == customer_id:
                return read(uow, order, now)
        self._count_failure(limits, now, f"customer:{customer_id}", normalized)
        raise OrderNotFound()

    def identify_by_phone(self, order_no: str, phone_last4: str, client_address: str | None = None) -> str:
        """The customer an order belongs to, if ``phone_last4`` matches the phone on it (for chats
        without a signed customer token). Wrong digits and unknown orders fail the same way, and
        count against the order's, its customer's and the client's limits: while one is locked,
        the right digits are refused too."""
        normalized = self._order_no(order_no)
        now = self.clock()
        # One write transaction with the counters row-locked: concurrent guesses queue on them, so
        # not one guess more than the limit is ever compared.
        with self._uow() as uow:
            order = uow.orders.get(normalized, records=False)
            limits = [(attempts.PHONE_CHECK_ORDER, normalized), (attempts.PHONE_CHECK_CLIENT, client_address or ""),
                      (attempts.PHONE_CHECK_CUSTOMER, order.customer_id if order is not None else "")]
            refuse_if_locked(uow, limits, now, lock=True)
            expected = order.customer.phone[-4:] if order is not None else "----"
            if hmac.compare_digest(expected.encode(), phone_last4.strip().encode()) and order is not None:
                return order.customer_id
            locked = count(uow, limits, now, f"client:{client_address or 'unknown'}", "order", normalized)
            uow.commit()
        raise locked or OrderNotFound(normalized)

    def _count_failure(self, limits: list[tuple[attempts.Limit, str]], now: datetime, actor: str,
                       order_no: str) -> None:
        with self._uow() as uow:
            locked = count(uow, limits, now, actor, "order", order_no)
            uow.commit()
        if locked is not None:
            raise locked

    def options(self, customer_id: str, order_no: str, reason: str) -> list[dict[str, Any]]:
        """What the shopper may ask for on this order now, given the reason (the dialogue's buttons)."""
        now = self.clock()
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no), records=False), customer_id)
            profile = self._profile(order)
            self._check_reason(reason, profile)
            history = self._history(uow, customer_id, profile, now)
            return [decision_dict(d) for d in available_outcomes(order_view(order), reason, now, history, profile)]

    def preview(self, customer_id: str, order_no: str, outcome: str, reason: str,
                item_ids: Iterable[int] = ()) -> dict[str, Any]:
        """The decision a submit would get now, without changing anything (for the confirmation)."""
        now = self.clock()
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no), records=False), customer_id)
            return decision_dict(self._decide(uow, order, customer_id, outcome, reason, item_ids, now))

    def refund_status(self, customer_id: str, order_no: str) -> dict[str, Any]:
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no)), customer_id)
            return {"order_no": order.order_no, "state": order.state, "payment_channel": order.payment_channel,
                    "refunds": [refund_dict(r) for r in order.refunds],
                    "returns": [return_dict(r) for r in order.returns],
                    "interceptions": [interception_dict(i) for i in order.interceptions],
                    "open_tickets": [ticket_dict(tk) for tk in order.tickets
                                     if tk.status != TicketStatus.RESOLVED]}

    def customer_orders(self, customer_id: str, limit: int = 30) -> list[dict[str, Any]]:
        """The shopper's latest orders, newest first (the shop app's order list)."""
        with self._uow(read_only=True) as uow:
            return [order_dict(order) for order in uow.orders.of_customer(customer_id, limit)]

    def shoppers(self, limit: int) -> list[dict[str, str]]:
        """The first shoppers by id, as a page may name them (id and name; never a phone number)."""
        with self._uow(read_only=True) as uow:
            return [{"id": c.id, "name": c.name} for c in uow.customers.first(limit)]

    def shopper(self, customer_id: str) -> dict[str, str] | None:
        with self._uow(read_only=True) as uow:
            customer = uow.customers.get(customer_id)
            return {"id": customer.id, "name": customer.name} if customer is not None else None

    def ticket(self, ticket_no: str) -> dict[str, Any]:
        """A case as the system sees it (the case API); merchants read cases through the inbox."""
        with self._uow(read_only=True) as uow:
            ticket = uow.tickets.get(ticket_no)
            return {**ticket_dict(ticket),
                    "order_no": uow.orders.number_of(ticket.order_id) if ticket.order_id else None}

    def notification(self, notification_id: int, conversation_id: str) -> dict[str, Any]:
        """What a queued chat notification tells, for the bot to put into words. Only the chat it
        was written for may read it: anyone can type `/EXTERNAL_case_update{"notification_id": …}`."""
        with self._uow(read_only=True) as uow:
            row = uow.notifications.get(notification_id)
            if row is None or row.conversation_id != conversation_id:
                raise NotFound(f"notification {notification_id}")
            ticket = uow.tickets.by_id(row.ticket_id) if row.ticket_id else None
            refund = uow.refunds.by_id(row.refund_id) if row.refund_id else None
            order_id = ticket.order_id if ticket else refund.order_id if refund else None
            ticket_view = {**ticket_dict(ticket), "action": ticket.pending_action.get("action")} if ticket else None
            return {"kind": row.kind, "payload": dict(row.payload), "ticket": ticket_view,
                    "refund": refund_dict(refund) if refund else None,
                    "order_no": uow.orders.number_of(order_id) if order_id else None}

    # -- shopper-side writes -----------------------------------------------------------------------

    def submit(self, customer_id: str, order_no: str, outcome: str, reason: str, item_ids: Iterable[int] = (),
               idempotency_key: str | None = None, conversation_id: str | None = None,
               context: dict[str, Any] | None = None, exchange_wish: str | None = None) -> dict[str, Any]:
        """Carry out what the shopper asked for, as far as the policy allows: at once, as a request
        to the merchant or courier, or as a case for merchant review. An exchange says what the
        shopper wants instead (``exchange_wish``: size, colour, model). The result holds the order
        as lookup_order reads it after the change."""
        normalized = self._order_no(order_no)
        wish = " ".join((exchange_wish or "").split())[:200] or None
        if outcome == Outcome.EXCHANGE.value and wish is None:
            raise InvalidInput("an exchange says what the shopper wants instead (exchange_wish)")
        key = f"{customer_id}:{idempotency_key}" if idempotency_key else None
        now = self.clock()
        actor = f"customer:{customer_id}"
        with self._uow() as uow:
            order = self._owned(uow.orders.lock(normalized), customer_id)
            replay = uow.idempotent_response(key, "submit")
            if replay is not None:
                return replay
            decision = self._decide(uow, order, customer_id, outcome, reason, item_ids, now)
            ticket_context = {"conversation_id": conversation_id, **(context or {})}
            existing = self._open_request_for(order, decision)
            if existing is not None:
                result = {"status": "already_requested", **existing}
            elif decision.execution is Execution.REFUSED:
                result = {"status": "refused"}
            elif decision.execution is Execution.IMMEDIATE:
                refund = self._cancel_items(uow, order, decision.item_ids, reason, actor, now, "cancellation",
                                            self._refund_channel(order, decision.outcome))
                if refund is not None:
                    refund.conversation_id = conversation_id
                result = {"status": "done", "refund": refund_dict(refund) if refund else None}
            elif decision.code == ITEM_CHANGE:
                # 改尺码 / 改颜色 before shipment: the shop checks its stock; approving changes the item.
                ticket = self._decision_case(
                    uow, order, ITEM_CHANGE_KIND, reason, decision, now, actor,
                    {**ticket_context, "summary": wish, "exchange_wish": wish},
                    {"action": "change_item", "item_ids": list(decision.item_ids), "wish": wish})
                result = {"status": "under_review", "ticket": ticket_dict(ticket), "exchange_wish": wish}
            elif decision.outcome is Outcome.INTERCEPT:
                result = self._request_interception(uow, order, decision, reason, actor, now, ticket_context)
            elif decision.outcome in (Outcome.RETURN_REFUND, Outcome.EXCHANGE, Outcome.REFUND_ONLY):
                result = self._open_return(uow, order, decision, reason, actor, now, ticket_context, wish)
            else:
                ticket = self._decision_case(
                    uow, order, "cancellation_review", reason, decision, now, actor, ticket_context,
                    {"action": "cancel", "item_ids": list(decision.item_ids), "order_state": order.state,
                     "refund_channel": self._refund_channel(order, decision.outcome)})
                result = {"status": "under_review", "ticket": ticket_dict(ticket)}
            # The order as it stands after the change: what the shopper is told reads it, without a
            # look-up of its own afterwards.
            result = {**result, "decision": decision_dict(decision), "order": order_dict(order)}
            uow.remember(key, "submit", result, now)
            uow.commit()
        return result

    def open_ticket(self, customer_id: str | None, kind: str, summary: str, order_no: str | None = None,
                    shop_id: str | None = None, reason: str | None = None, desired_outcome: str | None = None,
                    conversation_id: str | None = None, context: dict[str, Any] | None = None,
                    idempotency_key: str | None = None, client_address: str | None = None) -> dict[str, Any]:
        """Escalate to the merchant's inbox (转人工, complaint) with everything collected; a complaint is
        marked for the platform too (aftersales.domain.cases).
        An anonymous shopper (no token, not verified) can still reach a human, but not name an order."""
        if kind not in ("escalation", "complaint"):
            raise InvalidInput(f"shoppers open escalation or complaint tickets, not {kind!r}")
        now = self.clock()
        key = f"{customer_id or 'anonymous'}:{idempotency_key}" if idempotency_key else None
        with self._uow() as uow:
            order = None
            if order_no:
                if customer_id is None:
                    raise OrderNotFound()
                order = self._owned(uow.orders.lock(self._order_no(order_no)), customer_id)
                shop_id = order.shop_id
            elif shop_id is None or uow.shops.get(shop_id) is None:
                raise InvalidInput("a ticket needs an order or a known shop")
            replay = uow.idempotent_response(key, "open_ticket")
            if replay is not None:
                return replay
            anonymous_limits = [] if customer_id is not None else [
                (attempts.ANONYMOUS_CASES_CONVERSATION, conversation_id or ""),
                (attempts.ANONYMOUS_CASES_CLIENT, client_address or ""), (attempts.ANONYMOUS_CASES_SHOP, shop_id)]
            refuse_if_locked(uow, anonymous_limits, now)
            for existing in order.tickets if order is not None else ():
                same_case = existing.kind == kind and existing.conversation_id == conversation_id
                if same_case and existing.status != TicketStatus.RESOLVED:
                    return {"status": "already_open", "ticket": ticket_dict(existing)}
            ticket = open_case(uow, now, kind, shop_id, order, customer_id,
                               self._profile(order) if order is not None else None,
                               f"customer:{customer_id or 'anonymous'}", reason=reason,
                               desired_outcome=desired_outcome, conversation_id=conversation_id,
                               context={"summary": summary[:4000], **(context or {})})
            result = {"status": "opened", "ticket": ticket_dict(ticket)}
            uow.remember(key, "open_ticket", result, now)
            # The case that reaches a limit is opened; the next one is refused.
            count(uow, anonymous_limits, now, "customer:anonymous", "shop", shop_id)
            uow.commit()
        return result

    # -- internals ---------------------------------------------------------------------------------

    @staticmethod
    def _check_reason(reason: str, profile: PolicyProfile) -> None:
        if reason not in profile.reason_faults:
            raise InvalidInput(f"unknown reason {reason!r}; known: {', '.join(profile.reasons)}")

    def _history(self, uow: UnitOfWork, customer_id: str, profile: PolicyProfile, now: datetime) -> CustomerHistory:
        since = now - timedelta(days=profile.high_cancellation_window_days)
        local = now.astimezone(PLATFORM_TZ)
        month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        orders, cancellations, interceptions = uow.orders.customer_counts(customer_id, since, month_start)
        return CustomerHistory(orders_in_window=orders, cancellations_in_window=cancellations,
                               interceptions_this_month=interceptions)

    def _decide(self, uow: UnitOfWork, order: t.Order, customer_id: str, outcome: str, reason: str,
                item_ids: Iterable[int], now: datetime) -> Decision:
        profile = self._profile(order)
        self._check_reason(reason, profile)
        try:
            ids = tuple(sorted({int(i) for i in item_ids}))
        except (TypeError, ValueError):
            raise InvalidInput("item ids must be numbers") from None
        request = Request(parse_enum(Outcome, outcome, "outcome"), reason, ids)
        try:
            return decide(order_view(order), request, now, self._history(uow, customer_id, profile, now), profile)
        except InvalidRequest as exc:
            raise InvalidInput(str(exc)) from None

    @staticmethod
    def _refund_channel(order: t.Order, outcome: Outcome) -> str | None:
        return PaymentChannel.BALANCE.value if outcome is Outcome.REFUND_TO_BALANCE else order.payment_channel

    @staticmethod
    def _open_request_for(order: t.Order, decision: Decision) -> dict[str, Any] | None:
        """An earlier request of the same kind still open on this order: asked twice, done once (a size
        or colour change: for the same items — another item's change is a request of its own)."""
        outcome = decision.outcome
        if outcome is Outcome.INTERCEPT:
            for i in order.interceptions:
                if i.status == InterceptionStatus.REQUESTED:
                    return {"interception": interception_dict(i)}
        if outcome in (Outcome.RETURN_REFUND, Outcome.EXCHANGE, Outcome.REFUND_ONLY):
            for r in order.returns:
                if r.status in RETURN_OPEN:
                    return {"return": return_dict(r)}
        for tk in order.tickets:
            if tk.status == TicketStatus.RESOLVED or tk.kind not in ("cancellation_review", "interception", "return",
                                                                     ITEM_CHANGE_KIND, "appeal"):
                continue
            if tk.kind == ITEM_CHANGE_KIND and (decision.code != ITEM_CHANGE or not set(
                    tk.pending_action.get("item_ids") or ()) & set(decision.item_ids)):
                continue
            # A cancellation under review, or under its second review (an appeal).
            reviewing = tk.kind == "cancellation_review" or tk.pending_action.get("action") == "cancel"
            cancelling = reviewing and outcome in (Outcome.CANCEL_REFUND, Outcome.REFUND_TO_BALANCE)
            if tk.desired_outcome == outcome.value or cancelling:
                return {"ticket": ticket_dict(tk)}
        return None

    def _decision_case(self, uow: UnitOfWork, order: t.Order, kind: str, reason: str, decision: Decision,
                       now: datetime, actor: str, context: dict[str, Any], pending_action: dict[str, Any]) -> t.Ticket:
        """The merchant's case for what the policy decided needs them: a review, an interception, a return."""
        profile = self._profile(order)
        return open_case(uow, now, kind, order.shop_id, order, order.customer_id, profile, actor,
                         fault=profile.fault_of(reason),
                         amount=decision.refund.amount if decision.refund else 0,
                         decided_sla_hours=decision.sla_hours, reason=reason, desired_outcome=decision.outcome.value,
                         decision_code=decision.code, pending_action=pending_action,
                         context={**context, "decision": decision_dict(decision)},
                         conversation_id=context.get("conversation_id"))

    def _request_interception(self, uow: UnitOfWork, order: t.Order, decision: Decision, reason: str, actor: str,
                              now: datetime, context: dict[str, Any]) -> dict[str, Any]:
        plan = decision.interception
        assert plan is not None
        hours = (plan.eta.min, plan.eta.max)
        interception = t.Interception(
            interception_no=new_reference("IC", now), order_id=order.id, customer_id=order.customer_id,
            stage=plan.stage, status=InterceptionStatus.REQUESTED.value, reason=reason, eta_min_hours=hours[0],
            eta_max_hours=hours[1],
            success_rate=plan.success_rate, fee_payer=plan.fee_payer.value, requested_at=now)
        uow.add(interception)
        uow.flush()
        order.interceptions.append(interception)
        uow.audit(now, actor, "interception_requested", "interception", interception.interception_no, None,
                  interception_dict(interception))
        ticket = self._decision_case(uow, order, "interception", reason, decision, now, actor, context,
                                     {"action": "intercept", "interception_no": interception.interception_no})
        return {"status": "requested", "interception": interception_dict(interception), "ticket": ticket_dict(ticket)}

    def _open_return(self, uow: UnitOfWork, order: t.Order, decision: Decision, reason: str, actor: str,
                     now: datetime, context: dict[str, Any], exchange_wish: str | None) -> dict[str, Any]:
        refusing = decision.code == "refuse_on_delivery"
        authorized = decision.execution is Execution.REQUEST
        ret = t.ReturnRequest(
            return_no=new_reference("RT", now), order_id=order.id, outcome=decision.outcome.value,
            method=("refuse_delivery" if refusing
                    else "none" if decision.outcome is Outcome.REFUND_ONLY else "ship_back"),
            reason=reason, item_ids={"ids": list(decision.item_ids)},
            status=(ReturnStatus.AUTHORIZED if authorized else ReturnStatus.REQUESTED).value,
            shipping_payer=decision.return_shipping_payer.value if decision.return_shipping_payer else None,
            evidence_required=decision.evidence_required, window_ends_at=decision.window_ends_at, created_at=now,
            decided_at=now if authorized else None,
            exchange_wish=exchange_wish if decision.outcome is Outcome.EXCHANGE else None,
            replacement_shipping_payer=decision.replacement_shipping_payer.value
            if decision.replacement_shipping_payer else None)
        uow.add(ret)
        uow.flush()
        order.returns.append(ret)
        uow.audit(now, actor, "return_requested", "return", ret.return_no, None, return_dict(ret))
        ticket = self._decision_case(uow, order, "return", reason, decision, now, actor, context,
                                     {"action": "return", "return_no": ret.return_no})
        if authorized:
            # Nothing to decide, only to expect the goods back: the case is for the merchant's information.
            ticket.status = advance(ticket.status, TicketStatus.IN_PROGRESS)
        result: dict[str, Any] = {"status": "requested" if authorized else "under_review",
                                  "return": return_dict(ret), "ticket": ticket_dict(ticket)}
        if authorized and ret.method == "ship_back":
            # Authorized at once (a shop's returns.auto_authorize): where the goods go, told now.
            result["return_address"] = order.shop.return_address
        return result
