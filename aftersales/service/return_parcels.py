"""The parcel a shopper sends a return back in (寄回的快递单号), told in the chat: recorded on the
return under the order's lock, audited, shown to the merchant beside the return — so the shop knows
what is on its way and can match the parcel when it arrives. A corrected number replaces the one
before (until the shop has the goods); the same number again changes nothing."""

from __future__ import annotations

from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain import parcels
from aftersales.domain.parcels import ReturnParcelVerdict
from aftersales.service.base import OrderService
from aftersales.service.errors import InvalidInput
from aftersales.service.views import iso, return_dict

MAX_TRACKING_NO = 40


def _newest_return(order: t.Order) -> t.ReturnRequest | None:
    """The return the shopper means: the newest awaiting its parcel, else the newest of any kind."""
    awaited = [r for r in order.returns
               if parcels.return_parcel_verdict(r.status, r.method) is ReturnParcelVerdict.AWAITED]
    chosen = awaited or order.returns
    return chosen[-1] if chosen else None


def _described(order: t.Order, ret: t.ReturnRequest | None) -> dict[str, Any]:
    verdict = parcels.return_parcel_verdict(ret.status if ret else None, ret.method if ret else None)
    return {"verdict": verdict.value, "order_no": order.order_no,
            "return_no": ret.return_no if ret else None, "outcome": ret.outcome if ret else None,
            "carrier": ret.return_carrier if ret else None,
            "tracking_no": ret.return_tracking_no if ret else None,
            "shipped_at": iso(ret.return_shipped_at) if ret else None,
            "return_address": order.shop.return_address if verdict is ReturnParcelVerdict.AWAITED else None}


class ReturnParcelService(OrderService):
    def check(self, customer_id: str, order_no: str) -> dict[str, Any]:
        """Whether the order's return waits for the shopper's parcel (``verdict``), and the parcel
        recorded so far."""
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no)), customer_id)
            return _described(order, _newest_return(order))

    def record(self, customer_id: str, order_no: str, tracking_no: str, carrier: str | None = None,
               conversation_id: str | None = None) -> dict[str, Any]:
        """Record the parcel of the return awaiting one. ``status``: ``recorded``, ``corrected`` (it
        replaced another number), ``unchanged`` (the same number again), or the verdict that refused it
        (``under_review``, ``received``, …) with nothing changed."""
        number = "".join(tracking_no.split()).upper()
        if not 8 <= len(number) <= MAX_TRACKING_NO or not number.isalnum():
            raise InvalidInput("a tracking number is 8–40 letters and digits")
        carrier = " ".join((carrier or "").split())[:64] or None
        now = self.clock()
        actor = f"customer:{customer_id}"
        with self._uow() as uow:
            order = self._owned(uow.orders.lock(self._order_no(order_no)), customer_id)
            ret = _newest_return(order)
            described = _described(order, ret)
            if described["verdict"] != ReturnParcelVerdict.AWAITED or ret is None:
                return {**described, "status": described["verdict"]}
            if ret.return_tracking_no == number and (carrier is None or ret.return_carrier == carrier):
                return {**described, "status": "unchanged"}
            status = "corrected" if ret.return_tracking_no else "recorded"
            before = return_dict(ret)
            # A carrier not named is left unnamed: the old one may be the wrong one for the new number.
            ret.return_tracking_no, ret.return_carrier, ret.return_shipped_at = number, carrier, now
            uow.audit(now, actor, "return_parcel_sent", "return", ret.return_no, before,
                      {**return_dict(ret), "conversation_id": conversation_id})
            result = {**_described(order, ret), "status": status}
            uow.commit()
        return result
