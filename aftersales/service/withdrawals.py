"""Withdrawing a request the shopper made (不取消了 / 取消退款 / 不换了 / 不拦截了), in one transaction
under the order's lock: the request and its case in the merchant's inbox close as withdrawn, so a
merchant who decides a moment later is told it was withdrawn instead of carrying it out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain.cases import ITEM_CHANGE_KIND
from aftersales.domain.lifecycles import InterceptionStatus, Resolution, ReturnStatus, TicketStatus
from aftersales.domain.withdrawals import RequestKind, RequestView, refusal
from aftersales.service.base import OrderService, advance
from aftersales.service.errors import InvalidInput
from aftersales.service.unit_of_work import UnitOfWork
from aftersales.service.views import interception_dict, return_dict, ticket_dict

RETURN_KINDS = {"return_refund": RequestKind.RETURN, "exchange": RequestKind.EXCHANGE,
                "refund_only": RequestKind.REFUND_ONLY}


@dataclass(frozen=True)
class _Found:
    view: RequestView
    row: t.Ticket | t.ReturnRequest | t.Interception | None  # None: an order cancelled at once
    at: Any  # when it was asked for: the newest comes first


def _requests(order: t.Order) -> list[_Found]:
    """Every request on the order that was not withdrawn already, newest first."""
    found: list[_Found] = []
    for ticket in order.tickets:
        # A cancellation under review, or under its second review (an appeal of a rejected one); a size
        # or colour change the shop is checking its stock for.
        cancelling = ticket.kind == "cancellation_review" or (
            ticket.kind == "appeal" and ticket.pending_action.get("action") == "cancel")
        kind = (RequestKind.CANCELLATION if cancelling else
                RequestKind.ITEM_CHANGE if ticket.kind == ITEM_CHANGE_KIND else None)
        if kind is not None and ticket.resolution != Resolution.WITHDRAWN:
            status = ("open" if ticket.status != TicketStatus.RESOLVED
                      else ticket.resolution or Resolution.APPROVED.value)
            found.append(_Found(RequestView(kind, ticket.ticket_no, status), ticket, ticket.created_at))
    for ret in order.returns:
        if ret.status != ReturnStatus.WITHDRAWN:
            found.append(_Found(RequestView(RETURN_KINDS.get(ret.outcome, RequestKind.RETURN), ret.return_no,
                                            ret.status), ret, ret.created_at))
    for interception in order.interceptions:
        if interception.status != InterceptionStatus.WITHDRAWN:
            found.append(_Found(RequestView(RequestKind.INTERCEPTION, interception.interception_no,
                                            interception.status, interception.stage), interception,
                                interception.requested_at))
    reviewed = any(f.view.kind is RequestKind.CANCELLATION for f in found)
    if order.cancelled_by == f"customer:{order.customer_id}" and not reviewed:
        found.append(_Found(RequestView(RequestKind.CANCELLATION, order.order_no, "approved"), None,
                            order.cancelled_at))
    return sorted(found, key=lambda f: f.at, reverse=True)


def _chosen(found: list[_Found], kinds: set[RequestKind]) -> list[_Found]:
    """The requests the shopper means: those of the kinds their words name, when any are open."""
    open_ones = [f for f in found if refusal(f.view) is None]
    if RequestKind.EXCHANGE in kinds:  # "不换了": an exchange after delivery, or a change before shipment
        kinds = {*kinds, RequestKind.ITEM_CHANGE}
    named = [f for f in open_ones if f.view.kind in kinds]
    return named or open_ones


def _described(f: _Found) -> dict[str, Any]:
    reason = refusal(f.view)
    return {"kind": f.view.kind.value, "reference": f.view.reference, "status": f.view.status,
            "stage": f.view.stage, "refusal": reason.value if reason else None}


def _kinds(names: Iterable[str]) -> set[RequestKind]:
    try:
        return {RequestKind(name) for name in names}
    except ValueError:
        raise InvalidInput(f"request kinds are {', '.join(k.value for k in RequestKind)}") from None


class WithdrawalService(OrderService):
    def withdrawable(self, customer_id: str, order_no: str, kinds: Iterable[str] = ()) -> dict[str, Any]:
        """What a withdrawal would take back now (``open``), and the order's other requests with the
        reason each cannot be (``closed``, newest first)."""
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no)), customer_id)
            found = _requests(order)
            chosen = _chosen(found, _kinds(kinds))
            return {"order_no": order.order_no, "open": [_described(f) for f in chosen],
                    "closed": [_described(f) for f in found if refusal(f.view) is not None]}

    def withdraw(self, customer_id: str, order_no: str, kinds: Iterable[str] = (),
                 idempotency_key: str | None = None) -> dict[str, Any]:
        """Withdraw the open requests the shopper means (all open ones when their words name none
        that is open). Asked twice, done once: the second time there is nothing open to withdraw."""
        wanted = _kinds(kinds)
        key = f"{customer_id}:{idempotency_key}" if idempotency_key else None
        now = self.clock()
        actor = f"customer:{customer_id}"
        with self._uow() as uow:
            order = self._owned(uow.orders.lock(self._order_no(order_no)), customer_id)
            replay = uow.idempotent_response(key, "withdraw")
            if replay is not None:
                return replay
            found = _requests(order)
            chosen = _chosen(found, wanted)
            for f in chosen:
                self._withdraw_one(uow, order, f, actor, now)
            result = {"status": "withdrawn" if chosen else "nothing_open", "order_no": order.order_no,
                      "withdrawn": [{**_described(f), "status": "withdrawn", "refusal": None} for f in chosen],
                      "closed": [_described(f) for f in found if refusal(f.view) is not None]}
            uow.remember(key, "withdraw", result, now)
            uow.commit()
        return result

    @staticmethod
    def _withdraw_one(uow: UnitOfWork, order: t.Order, found: _Found, actor: str, now: Any) -> None:
        row = found.row
        if isinstance(row, t.ReturnRequest):
            before = return_dict(row)
            row.status = advance(row.status, ReturnStatus.WITHDRAWN)
            uow.audit(now, actor, "return_withdrawn", "return", row.return_no, before, return_dict(row))
            tickets = [tk for tk in order.tickets if tk.pending_action.get("return_no") == row.return_no]
        elif isinstance(row, t.Interception):
            before = interception_dict(row)
            row.status, row.resolved_at = advance(row.status, InterceptionStatus.WITHDRAWN), now
            uow.audit(now, actor, "interception_withdrawn", "interception", row.interception_no, before,
                      interception_dict(row))
            tickets = [tk for tk in order.tickets if tk.pending_action.get("interception_no") == row.interception_no]
        elif isinstance(row, t.Ticket):
            tickets = [row]
        else:  # an order cancelled at once is carried out: refusal() never lets one through
            raise AssertionError(f"{found.view.reference} cannot be withdrawn")
        for ticket in tickets:
            if ticket.status == TicketStatus.RESOLVED:
                continue
            before = ticket_dict(ticket)
            ticket.status = advance(ticket.status, TicketStatus.RESOLVED)
            ticket.resolution = Resolution.WITHDRAWN.value
            ticket.updated_at = now
            uow.audit(now, actor, "ticket_withdrawn", "ticket", ticket.ticket_no, before, ticket_dict(ticket))
