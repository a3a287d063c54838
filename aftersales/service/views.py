"""Rows → domain views (for the policy) and → JSON-ready dicts (for the bot, the CLI and the inbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aftersales.adapters.db import tables as t
from aftersales.domain.model import GoodsType, ItemView, OrderState, OrderView, PaymentChannel
from aftersales.domain.policy import Decision
from aftersales.domain.profile import Eta


def order_view(order: t.Order) -> OrderView:
    return OrderView(
        order_no=order.order_no,
        state=OrderState(order.state),
        currency=order.currency,
        payment_channel=PaymentChannel(order.payment_channel) if order.payment_channel else None,
        items=tuple(
            ItemView(id=i.id, sku=i.sku, title=i.title, goods_type=GoodsType(i.goods_type),
                     quantity=i.quantity, unit_price=i.unit_price, cancelled=i.cancelled_at is not None,
                     price_refunded=i.price_protection_amount or 0)
            for i in order.items
        ),
        shipping_fee=order.shipping_fee,
        created_at=order.created_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        fulfillment_locked=order.fulfillment_locked,
        distance_to_destination_km=order.distance_to_destination_km,
    )


def order_facts(order: t.Order) -> dict[str, Any]:
    """What an order's systems can change about it: before and after, in the audit log."""
    return {"state": order.state, "payment_channel": order.payment_channel, "carrier": order.carrier,
            "tracking_no": order.tracking_no, "distance_to_destination_km": order.distance_to_destination_km,
            "ship_to": order.ship_to, "fulfillment_locked": order.fulfillment_locked,
            "current_prices": {i.sku: i.current_unit_price for i in order.items if i.current_unit_price is not None},
            "variants": {str(i.id): i.variant for i in order.items if i.variant is not None}}


def mask_phone(phone: str | None) -> str | None:
    """``138****1001``: enough for a merchant to recognise the shopper, not to call a stranger."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def eta_dict(eta: Eta) -> dict[str, Any]:
    return {"min": eta.min, "max": eta.max, "unit": eta.unit}


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def refund_dict(r: t.Refund) -> dict[str, Any]:
    return {"refund_no": r.refund_no, "amount": r.amount, "currency": r.currency, "channel": r.channel,
            "status": r.status, "source": r.source, "created_at": iso(r.created_at),
            "expected_earliest": iso(r.expected_earliest), "expected_latest": iso(r.expected_latest),
            "completed_at": iso(r.completed_at)}


def return_dict(r: t.ReturnRequest) -> dict[str, Any]:
    return {"return_no": r.return_no, "outcome": r.outcome, "method": r.method, "reason": r.reason,
            "item_ids": r.item_ids.get("ids", []), "status": r.status, "shipping_payer": r.shipping_payer,
            "evidence_required": r.evidence_required, "window_ends_at": iso(r.window_ends_at),
            "created_at": iso(r.created_at), "decided_at": iso(r.decided_at), "decision_note": r.decision_note,
            "exchange_wish": r.exchange_wish, "replacement_shipping_payer": r.replacement_shipping_payer,
            "replacement_carrier": r.replacement_carrier,
            "replacement_tracking_no": r.replacement_tracking_no,
            "replacement_shipped_at": iso(r.replacement_shipped_at), "return_carrier": r.return_carrier,
            "return_tracking_no": r.return_tracking_no, "return_shipped_at": iso(r.return_shipped_at)}


def interception_dict(i: t.Interception) -> dict[str, Any]:
    return {"interception_no": i.interception_no, "stage": i.stage, "status": i.status, "reason": i.reason,
            "eta_hours": [i.eta_min_hours, i.eta_max_hours], "success_rate": i.success_rate,
            "fee_payer": i.fee_payer, "requested_at": iso(i.requested_at), "resolved_at": iso(i.resolved_at),
            "outcome_note": i.outcome_note}


def ticket_dict(tk: t.Ticket) -> dict[str, Any]:
    return {"ticket_no": tk.ticket_no, "shop_id": tk.shop_id, "kind": tk.kind, "status": tk.status,
            "priority": tk.priority, "reason": tk.reason, "desired_outcome": tk.desired_outcome,
            "decision_code": tk.decision_code, "conversation_id": tk.conversation_id,
            "assignee": tk.assignee, "sla_due_at": iso(tk.sla_due_at), "created_at": iso(tk.created_at),
            "updated_at": iso(tk.updated_at), "resolution": tk.resolution,
            "resolution_note": tk.resolution_note,
            "appeal_of": tk.appeal_of.ticket_no if tk.appeal_of_id is not None and tk.appeal_of else None,
            "appeal_round": tk.appeal_round, "platform_review": bool(tk.platform_review)}


def order_dict(order: t.Order) -> dict[str, Any]:
    active = [i for i in order.items if i.cancelled_at is None]
    return {
        "order_no": order.order_no,
        "shop": {"id": order.shop.id, "name": order.shop.name, "policy_profile": order.shop.policy_profile},
        "customer_id": order.customer_id,
        "state": order.state,
        "currency": order.currency,
        "payment_channel": order.payment_channel,
        "items_total": sum(i.unit_price * i.quantity for i in order.items),
        "shipping_fee": order.shipping_fee,
        "total": sum(i.unit_price * i.quantity for i in order.items) + order.shipping_fee,
        "active_total": sum(i.unit_price * i.quantity for i in active),
        "carrier": order.carrier,
        "tracking_no": order.tracking_no,
        "ship_to": order.ship_to,
        "distance_to_destination_km": order.distance_to_destination_km,
        "fulfillment_locked": order.fulfillment_locked,
        "created_at": iso(order.created_at),
        "paid_at": iso(order.paid_at),
        "shipped_at": iso(order.shipped_at),
        "delivered_at": iso(order.delivered_at),
        "redeemed_at": iso(order.redeemed_at),
        "completed_at": iso(order.completed_at),
        "cancelled_at": iso(order.cancelled_at),
        "items": [
            {"id": i.id, "sku": i.sku, "title": i.title, "goods_type": i.goods_type, "quantity": i.quantity,
             "unit_price": i.unit_price, "total": i.unit_price * i.quantity,
             "cancelled": i.cancelled_at is not None, "current_unit_price": i.current_unit_price,
             "price_protected": i.price_protection_refund_id is not None,
             "price_protection_amount": i.price_protection_amount or 0, "variant": i.variant}
            for i in order.items
        ],
        "refunds": [refund_dict(r) for r in order.refunds],
        "returns": [return_dict(r) for r in order.returns],
        "interceptions": [interception_dict(i) for i in order.interceptions],
        "tickets": [ticket_dict(tk) for tk in order.tickets],
    }


def decision_dict(d: Decision) -> dict[str, Any]:
    refund = None
    if d.refund is not None:
        refund = {"amount": d.refund.amount, "currency": d.refund.currency,
                  "channel": d.refund.channel.value if d.refund.channel else None,
                  "timing": d.refund.timing.value,
                  "eta": None if d.refund.eta is None else eta_dict(d.refund.eta)}
    interception = None
    if d.interception is not None:
        p = d.interception
        interception = {"stage": p.stage, "eta": eta_dict(p.eta),
                        "success_rate": p.success_rate, "fee_payer": p.fee_payer.value,
                        "free_left_this_month": p.free_left_this_month,
                        "failed_return_shipping": p.failed_return_shipping.value}
    return {
        "outcome": d.outcome.value,
        "execution": d.execution.value,
        "allowed": d.allowed,
        "code": d.code,
        "item_ids": list(d.item_ids),
        "refund": refund,
        "return_shipping_payer": d.return_shipping_payer.value if d.return_shipping_payer else None,
        "replacement_shipping_payer": d.replacement_shipping_payer.value if d.replacement_shipping_payer else None,
        "interception": interception,
        "evidence_required": d.evidence_required,
        "window_ends_at": iso(d.window_ends_at),
        "sla_hours": d.sla_hours,
        "alternatives": [a.value for a in d.alternatives],
        "human_can_help": d.human_can_help,
        "figures": d.figures,
    }
