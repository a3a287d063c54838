"""The merchant's operations on orders — from the inbox, or from the shop's own systems through
order events: decide a case (and carry the decision out: a refund, a return authorized, an
interception's outcome), cancel an order for the shop's own reasons, record fulfilment progress,
take a return's goods back, and send an exchange's replacement. Each public method is one
transaction that locks the order row first; ``shop_ids`` limits a merchant to their own shops
(None: the system), and another shop's order or case is NotFound exactly like a missing one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain import order_numbers
from aftersales.domain.appeals import APPEAL_KIND
from aftersales.domain.item_changes import variant_from_wish
from aftersales.domain.lifecycles import RETURN_OPEN, InterceptionStatus, Resolution, ReturnStatus, TicketStatus
from aftersales.domain.model import BEFORE_SHIPMENT_STATES, STATE_TIMESTAMP, OrderState, Outcome, PaymentChannel
from aftersales.service.appeals import decision_news
from aftersales.service.base import OrderService, advance, assignee_of, lapse_item_changes, open_case, parse_enum
from aftersales.service.errors import Conflict, InvalidInput, NotFound
from aftersales.service.topic_cases import LOGISTICS_INVESTIGATION, never_received_items
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import (
    interception_dict,
    order_dict,
    order_facts,
    refund_dict,
    return_dict,
    ticket_dict,
)

MERCHANT_CANCEL_REASONS = {
    "unpaid": {OrderState.PENDING_PAYMENT},  # 000: 用户未付款
    "out_of_stock": {OrderState.PENDING_PAYMENT, OrderState.PAID},  # 缺货
    "wrong_listing": {OrderState.PENDING_PAYMENT, OrderState.PAID},  # 商品信息错误
    "bad_address": {OrderState.PENDING_PAYMENT, OrderState.PAID},  # 地址明显错误 / 联系不上
}
MAX_NOTE = 2000  # a decision's note, told to the shopper


class MerchantService(OrderService):
    def decide_ticket(self, ticket_no: str, approve: bool, note: str, actor: str,
                      shop_ids: set[str] | None = None) -> dict[str, Any]:
        """The merchant's decision on a case, carried out: a refund, a return authorization, an
        interception outcome. A rejection says why: the shopper is told the reason."""
        note = note.strip()
        if not approve and not note:
            raise InvalidInput("say why when rejecting: the shopper is told the reason")
        if len(note) > MAX_NOTE:
            raise InvalidInput(f"a note has at most {MAX_NOTE} characters")
        now = self.clock()
        with self._uow() as uow:
            # The order row first, then the case, as every operation on an order locks them (a
            # withdrawal in the same moment waits here instead of deadlocking).
            found = uow.tickets.get(ticket_no, shop_ids)
            order = uow.orders.lock(uow.orders.number_of(found.order_id)) if found.order_id else None
            ticket = uow.tickets.get(ticket_no, shop_ids, lock=True)
            resolution = Resolution.APPROVED if approve else Resolution.REJECTED
            if ticket.status == TicketStatus.RESOLVED:
                if ticket.resolution == resolution:
                    return {"status": "already_decided", "ticket": ticket_dict(ticket),
                            "order": order_dict(order) if order else None}
                raise Conflict(f"ticket {ticket_no} was already {ticket.resolution}")
            before = ticket_dict(ticket)
            action = ticket.pending_action.get("action")
            refund = None
            if order is not None and action == "cancel" and approve:
                # A review approves cancelling the order as it was; a card key sent or a parcel shipped
                # since then changes what is being cancelled, so the case must be looked at again.
                if order.state != ticket.pending_action.get("order_state", order.state):
                    raise Conflict(f"order {order.order_no} is {order.state} now, no longer "
                                   f"{ticket.pending_action['order_state']}: review it again")
                refund = self._cancel_items(uow, order, tuple(ticket.pending_action["item_ids"]),
                                            ticket.reason or "other",
                                            f"customer:{order.customer_id}", now, _source(ticket, "review"),
                                            ticket.pending_action["refund_channel"], decided_by=actor)
            elif order is not None and action == "return":
                refund = self._decide_return(uow, order, ticket.pending_action["return_no"], approve, note, actor, now)
            elif order is not None and action == "refund_items" and approve:
                # A missing or damaged item the shopper wanted refunded, not replaced, or a parcel that never
                # reached them: its money back (to the balance, when an appeal took that instead).
                investigation = LOGISTICS_INVESTIGATION in (ticket.kind, ticket.appeal_of and ticket.appeal_of.kind)
                items = tuple(ticket.pending_action["item_ids"])
                if investigation:  # what was returned or sent back since did reach the shopper
                    never_received = set(never_received_items(order))
                    items = tuple(i for i in items if i in never_received)
                    if not items:
                        raise Conflict(f"every item of order {order.order_no} is refunded or being returned now: "
                                       "nothing a lost parcel would refund; reject the case and say why")
                refund = self._refund_returned_items(
                    uow, order, items, actor, now,
                    source=_source(ticket, "not_received" if investigation else "missing_item"),
                    channel=ticket.pending_action.get("refund_channel"))
            elif order is not None and action == "change_item" and approve:
                self._change_items(uow, order, ticket, actor, now)
            elif order is not None and action == "intercept":
                refund = self._decide_interception(uow, order, ticket.pending_action["interception_no"], approve,
                                                   note, actor, now)
            ticket.status = advance(ticket.status, TicketStatus.RESOLVED)
            ticket.resolution, ticket.resolution_note = resolution.value, note
            ticket.updated_at = now
            if refund is not None:
                refund.conversation_id = ticket.conversation_id
            uow.audit(now, actor, f"ticket_{resolution}", "ticket", ticket.ticket_no, before, ticket_dict(ticket))
            uow.flush()
            # A return now authorized to come back by post is told where to go (the shop's return
            # address, when it gave one); a refund-only or a refused delivery sends nothing back.
            authorized = next((r for r in order.returns if r.return_no == ticket.pending_action.get("return_no")
                               and r.status == ReturnStatus.AUTHORIZED), None) if order and approve else None
            payload: dict[str, Any] = {"return_address": order.shop.return_address} if order and authorized else {}
            if action == "change_item":
                wish = ticket.pending_action.get("wish") or ""
                payload.update(exchange_wish=wish, variant=variant_from_wish(wish))
            # A rejection: whether it can be appealed, or after a second review the routes outside the shop.
            payload.update(decision_news(ticket, order, self._profile(order) if order else None, now))
            notification = uow.notify(ticket.conversation_id, "decision", now, ticket=ticket, refund=refund,
                                      payload=payload)
            result = {"status": resolution.value, "ticket": ticket_dict(ticket),
                      "refund": refund_dict(refund) if refund else None,
                      "order": order_dict(order) if order else None,
                      "notification_id": notification.id if notification else None}
            uow.commit()
        return result

    @staticmethod
    def _change_items(uow: UnitOfWork, order: t.Order, ticket: t.Ticket, actor: str, now: datetime) -> None:
        """改尺码 / 改颜色 approved: the shop had the size or colour, so the items on the order change —
        only while nothing has left; a shipped parcel holds the listed item."""
        ids = set(ticket.pending_action.get("item_ids") or [])
        items = [i for i in order.items if i.id in ids and i.cancelled_at is None]
        if OrderState(order.state) not in BEFORE_SHIPMENT_STATES:
            raise Conflict(f"order {order.order_no} is {order.state} now: it left with the items as listed")
        if not items:
            raise Conflict(f"the items of this change on order {order.order_no} were cancelled since")
        before, variant = order_facts(order), variant_from_wish(ticket.pending_action["wish"])
        for item in items:
            item.variant = variant
        uow.audit(now, actor, "item_changed", "order", order.order_no, before, order_facts(order))

    def merchant_cancel(self, order_no: str, reason: str, actor: str,
                        shop_ids: set[str] | None = None) -> dict[str, Any]:
        """Merchant-initiated cancellation (000: unpaid, out of stock, wrong listing, bad address),
        refunded automatically to the original channel."""
        allowed_states = MERCHANT_CANCEL_REASONS.get(reason)
        if allowed_states is None:
            raise InvalidInput(f"merchant cancellation reasons are {', '.join(MERCHANT_CANCEL_REASONS)}")
        now = self.clock()
        with self._uow() as uow:
            order = uow.orders.lock(self._order_no(order_no))
            if order is None or (shop_ids is not None and order.shop_id not in shop_ids):
                raise NotFound(order_no)
            if order.state not in allowed_states:
                raise Conflict(f"an order in state {order.state} cannot be cancelled for {reason}")
            active = tuple(i.id for i in order.items if i.cancelled_at is None)
            refund = self._cancel_items(uow, order, active, reason, actor, now, "merchant", order.payment_channel)
            # Recorded as a resolved case, so it shows in the inbox's queue and in the figures.
            open_case(uow, now, "merchant_cancellation", order.shop_id, order, order.customer_id, None, None,
                      status=TicketStatus.RESOLVED, reason=reason, desired_outcome=Outcome.CANCEL_REFUND.value,
                      assignee=assignee_of(actor), resolution=Resolution.APPROVED.value)
            # The shopper's latest chat about this order hears why, and later when the money arrives.
            conversation = _chat_of(order)
            if refund is not None:
                refund.conversation_id = conversation
            uow.flush()
            uow.notify(conversation, "merchant_cancelled", now, refund=refund,
                       payload={"order_no": order.order_no, "reason": reason})
            result = {"status": "done", "refund": refund_dict(refund) if refund else None,
                      "order": order_dict(order)}
            uow.commit()
        return result

    def advance_order(self, order_no: str, target: str, actor: str, shop_ids: set[str] | None = None,
                      carrier: str | None = None, tracking_no: str | None = None) -> dict[str, Any]:
        """Fulfilment progress reported by the merchant or the courier feed: paid, shipped, in
        transit, out for delivery, delivered, redeemed, completed. Illegal steps are refused."""
        target_state = parse_enum(OrderState, target, "order state")
        if target_state in (OrderState.CANCELLED, OrderState.RETURNED):
            raise InvalidInput("cancellations and returns go through their own operations")
        now = self.clock()
        with self._uow() as uow:
            order = uow.orders.lock(self._order_no(order_no))
            if order is None or (shop_ids is not None and order.shop_id not in shop_ids):
                raise NotFound(order_no)
            before = {"state": order.state}
            self._transition(order, target_state)
            stamp = STATE_TIMESTAMP.get(target_state)
            if stamp:
                setattr(order, stamp, now)
            if carrier:
                order.carrier = carrier
            if tracking_no:
                order.tracking_no = tracking_no
            uow.audit(now, actor, f"order_{target_state.value}", "order", order.order_no, before,
                      {"state": order.state, "carrier": order.carrier, "tracking_no": order.tracking_no})
            lapse_item_changes(uow, order, now, actor)
            uow.flush()
            result = order_dict(order)
            uow.commit()
        return result

    def receive_return(self, return_no: str, actor: str, shop_ids: set[str] | None = None, deduction: int = 0,
                       note: str = "", accept: bool = True) -> dict[str, Any]:
        """The merchant has the goods back and inspected them: refund in full, refund less a stated
        deduction (worn, parts missing), or refuse with the evidence in ``note`` — or, for an
        exchange, send the replacement. The shopper is told which, with the merchant's words."""
        note = note.strip()[:2000]
        if deduction < 0:
            raise InvalidInput("a deduction is an amount of at least 0")
        if (deduction or not accept) and not note:
            raise InvalidInput("say why: the shopper is told the reason for a deduction or a refusal")
        now = self.clock()
        with self._uow() as uow:
            order, ret = self._locked_return(uow, return_no, shop_ids)
            if ret.status != ReturnStatus.AUTHORIZED:
                raise Conflict(f"return {return_no} is {ret.status}, not awaiting the goods")
            before = return_dict(ret)
            refund = None
            if not accept:
                ret.status = advance(ret.status, ReturnStatus.REJECTED)
            elif ret.outcome == Outcome.EXCHANGE:
                ret.status = advance(ret.status, ReturnStatus.RECEIVED)
            else:
                refund = self._refund_returned_items(uow, order, tuple(ret.item_ids.get("ids", [])), actor, now,
                                                     deduction)
                ret.status = advance(ret.status, ReturnStatus.REFUNDED)
            ret.decision_note = note or ret.decision_note
            ret.decided_at = ret.decided_at or now
            uow.audit(now, actor, "return_received", "return", ret.return_no, before, return_dict(ret))
            # The chat the return was asked in hears that the parcel is back (and later, from the
            # refund worker, that the money has arrived).
            conversation = _chat_of(order, ret.return_no)
            if refund is not None:
                refund.conversation_id = conversation
            uow.flush()
            notification = uow.notify(conversation, "return_received" if accept else "return_rejected", now,
                                      refund=refund, payload={"return_no": ret.return_no, "order_no": order.order_no,
                                                              "deduction": deduction, "note": note})
            result = {"status": ret.status, "return": return_dict(ret),
                      "refund": refund_dict(refund) if refund else None,
                      "notification_id": notification.id if notification else None}
            uow.commit()
        return result

    def ship_replacement(self, return_no: str, carrier: str, tracking_no: str, actor: str,
                         shop_ids: set[str] | None = None, order_no: str | None = None) -> dict[str, Any]:
        """The second half of an exchange: once the goods are back (receive_return marks it received),
        the replacement's parcel is recorded and the chat that asked for the exchange is told its
        carrier and tracking number. Sent again with the same parcel: the same answer, no second
        message; with another parcel after it was shipped: refused. ``order_no`` (the inbox's order
        page): the return must be of that order, else NotFound like an unknown one."""
        carrier, tracking_no = " ".join(carrier.split())[:64], "".join(tracking_no.split())[:64]
        if not carrier or not tracking_no:
            raise InvalidInput("the replacement's carrier and tracking number are both needed")
        now = self.clock()
        with self._uow() as uow:
            order, exchange = self._locked_return(uow, return_no, shop_ids)
            if order_no is not None and order_numbers.normalize(order_no) != order.order_no:
                raise NotFound(return_no)
            if exchange.outcome != Outcome.EXCHANGE.value:
                raise Conflict(f"{return_no} is a return, not an exchange: nothing is sent back to the shopper")
            if exchange.status == ReturnStatus.REPLACEMENT_SHIPPED:
                if (exchange.replacement_carrier, exchange.replacement_tracking_no) == (carrier, tracking_no):
                    return {"status": "already_shipped", "return": return_dict(exchange), "notification_id": None}
                raise Conflict(f"the replacement for {return_no} was shipped already "
                               f"({exchange.replacement_carrier} {exchange.replacement_tracking_no})")
            if exchange.status != ReturnStatus.RECEIVED:
                raise Conflict(f"exchange {return_no} is {exchange.status}: the replacement goes out once the "
                               "goods are back")
            before = return_dict(exchange)
            exchange.status = advance(exchange.status, ReturnStatus.REPLACEMENT_SHIPPED)
            exchange.replacement_carrier, exchange.replacement_tracking_no = carrier, tracking_no
            exchange.replacement_shipped_at = now
            uow.audit(now, actor, "replacement_shipped", "return", return_no, before, return_dict(exchange))
            conversation = _chat_of(order, return_no)
            notification = uow.notify(conversation, "replacement_shipped", now,
                                      payload={"return_no": return_no, "order_no": order.order_no,
                                               "carrier": carrier, "tracking_no": tracking_no,
                                               "exchange_wish": exchange.exchange_wish})
            result = {"status": exchange.status, "return": return_dict(exchange),
                      "notification_id": notification.id if notification else None}
            uow.commit()
        return result

    # -- internals ---------------------------------------------------------------------------------

    def _refund_returned_items(self, uow: UnitOfWork, order: t.Order, item_ids: tuple[int, ...], actor: str,
                               now: datetime, deduction: int = 0, source: str = "return",
                               channel: str | None = None) -> t.Refund | None:
        ids = item_ids or tuple(i.id for i in order.items if i.cancelled_at is None)
        chosen = [i for i in order.items if i.id in ids and i.refund_id is None]
        if not chosen:
            raise Conflict("these items were already refunded")
        amount = sum(i.unit_price * i.quantity - (i.price_protection_amount or 0) for i in chosen) - deduction
        if amount <= 0:
            raise InvalidInput("the deduction must leave something to refund; refuse the return instead")
        profile = self._profile(order)
        channel = channel or order.payment_channel or "balance"
        refund = self._issue_refund(uow, order, amount, channel, source, profile.refund_eta[PaymentChannel(channel)],
                                    now, actor)
        for item in chosen:
            item.refund_id = refund.id
        if all(i.refund_id is not None or i.cancelled_at is not None for i in order.items):
            self._transition(order, OrderState.RETURNED)
        return refund

    def _decide_return(self, uow: UnitOfWork, order: t.Order, return_no: str, approve: bool, note: str, actor: str,
                       now: datetime) -> t.Refund | None:
        ret = next(r for r in order.returns if r.return_no == return_no)
        before = return_dict(ret)
        refund = None
        if ret.status not in RETURN_OPEN:
            raise Conflict(f"return {return_no} is already {ret.status}")
        if not approve:
            ret.status = advance(ret.status, ReturnStatus.REJECTED)
        elif ret.outcome == Outcome.REFUND_ONLY:
            refund = self._refund_returned_items(uow, order, tuple(ret.item_ids.get("ids", [])), actor, now)
            ret.status = advance(ret.status, ReturnStatus.REFUNDED)
        elif ret.method == "refuse_delivery":
            # The parcel came back refused: the order is cancelled and refunded.
            refund = self._cancel_items(uow, order, tuple(ret.item_ids.get("ids", [])), ret.reason,
                                        f"customer:{order.customer_id}", now, "return", order.payment_channel,
                                        decided_by=actor)
            ret.status = advance(ret.status, ReturnStatus.REFUNDED)
        elif ret.status != ReturnStatus.AUTHORIZED:  # approved at the request already: still authorized
            ret.status = advance(ret.status, ReturnStatus.AUTHORIZED)
        ret.decided_at, ret.decision_note = now, note[:4000]
        uow.audit(now, actor, f"return_{ret.status}", "return", ret.return_no, before, return_dict(ret))
        return refund

    def _decide_interception(self, uow: UnitOfWork, order: t.Order, interception_no: str, succeeded: bool,
                             note: str, actor: str, now: datetime) -> t.Refund | None:
        interception = next(i for i in order.interceptions if i.interception_no == interception_no)
        if interception.status != InterceptionStatus.REQUESTED:
            raise Conflict(f"interception {interception_no} is already {interception.status}")
        before = interception_dict(interception)
        refund = None
        if succeeded:
            active = tuple(i.id for i in order.items if i.cancelled_at is None)
            refund = self._cancel_items(uow, order, active, interception.reason, f"customer:{order.customer_id}", now,
                                        "interception", order.payment_channel, decided_by=actor)
        interception.status = advance(interception.status, InterceptionStatus.SUCCEEDED if succeeded
                                      else InterceptionStatus.FAILED)
        interception.resolved_at, interception.outcome_note = now, note[:4000]
        uow.audit(now, actor, f"interception_{interception.status}", "interception", interception_no, before,
                  interception_dict(interception))
        return refund


def _source(ticket: t.Ticket, first: str) -> str:
    """Why a decision's refund was paid: the first review's own reason, or an appeal's second review."""
    return "appeal" if ticket.kind == APPEAL_KIND else first


def _chat_of(order: t.Order, return_no: str | None = None) -> str | None:
    """The chat to tell about the order (about this return, when one is named): its latest case's."""
    return next((tk.conversation_id for tk in reversed(order.tickets) if tk.conversation_id
                 and (return_no is None or tk.pending_action.get("return_no") == return_no)), None)
