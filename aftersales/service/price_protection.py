"""Price protection (价保): what the shopper would get back for a price drop, and the refund of it —
one transaction under the order's lock, the difference once per item, to the original channel,
through the same refund lifecycle as every other refund (the worker pays it out)."""

from __future__ import annotations

from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain.model import OrderState, PaymentChannel
from aftersales.domain.price_protection import Assessment, ItemPrice, Verdict, assess
from aftersales.domain.profile import PolicyProfile
from aftersales.service.base import OrderService
from aftersales.service.views import eta_dict, iso, refund_dict


def _prices(order: t.Order) -> tuple[ItemPrice, ...]:
    return tuple(ItemPrice(id=i.id, title=i.title, quantity=i.quantity, paid_unit_price=i.unit_price,
                           current_unit_price=i.current_unit_price,
                           settled=i.cancelled_at is not None or i.refund_id is not None,
                           protected=i.price_protection_refund_id is not None)
                 for i in order.items)


def _channel(order: t.Order) -> PaymentChannel:
    return PaymentChannel(order.payment_channel or PaymentChannel.BALANCE.value)


def _described(order: t.Order, found: Assessment, profile: PolicyProfile) -> dict[str, Any]:
    eta = profile.refund_eta[_channel(order)]
    return {"order_no": order.order_no, "verdict": found.verdict.value, "window_days": profile.price_protection_days,
            "window_ends_at": iso(found.window_ends_at), "currency": order.currency,
            "channel": _channel(order).value, "eta": eta_dict(eta),
            "total": found.total,
            "items": [{"id": c.id, "title": c.title, "quantity": c.quantity, "paid_unit_price": c.paid_unit_price,
                       "current_unit_price": c.current_unit_price, "difference": c.difference}
                      for c in found.claims],
            "unchanged": [{"id": i.id, "title": i.title, "paid_unit_price": i.paid_unit_price,
                           "current_unit_price": i.current_unit_price} for i in found.unchanged]}


class PriceProtectionService(OrderService):
    def quote(self, customer_id: str, order_no: str) -> dict[str, Any]:
        """What a claim would refund now, or why it would refund nothing (``verdict``)."""
        with self._uow(read_only=True) as uow:
            order = self._owned(uow.orders.get(self._order_no(order_no)), customer_id)
            return self._assessed(order)[0]

    def claim(self, customer_id: str, order_no: str, idempotency_key: str | None = None,
              conversation_id: str | None = None) -> dict[str, Any]:
        """Refund the price drop of every item that has one. A replayed key returns the stored
        answer; a second claim finds the items protected already and refunds nothing."""
        key = f"{customer_id}:{idempotency_key}" if idempotency_key else None
        now = self.clock()
        actor = f"customer:{customer_id}"
        with self._uow() as uow:
            order = self._owned(uow.orders.lock(self._order_no(order_no)), customer_id)
            replay = uow.idempotent_response(key, "price_protection")
            if replay is not None:
                return replay
            described, found = self._assessed(order)
            result: dict[str, Any] = {"status": found.verdict.value, "quote": described, "refund": None}
            if found.verdict is Verdict.ELIGIBLE:
                channel = _channel(order)
                refund = self._issue_refund(uow, order, found.total, channel.value, "price_protection",
                                            self._profile(order).refund_eta[channel], now, actor)
                refund.conversation_id = conversation_id
                claimed = {c.id: c.difference for c in found.claims}
                for item in order.items:
                    if item.id in claimed:
                        item.price_protection_refund_id, item.price_protection_amount = refund.id, claimed[item.id]
                uow.audit(now, actor, "price_protection_refunded", "order", order.order_no, None,
                          {"refund_no": refund.refund_no, "items": described["items"]})
                result = {**result, "status": "refunded", "refund": refund_dict(refund)}
            uow.remember(key, "price_protection", result, now)
            uow.commit()
        return result

    def _assessed(self, order: t.Order) -> tuple[dict[str, Any], Assessment]:
        profile = self._profile(order)
        found = assess(_prices(order), OrderState(order.state), order.paid_at, self.clock(),
                       profile.price_protection_days)
        return _described(order, found, profile), found
