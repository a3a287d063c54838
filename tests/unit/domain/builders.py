"""Builders for domain views: one line per order in a test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aftersales.domain.model import GoodsType, ItemView, OrderState, OrderView, PaymentChannel

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday


def order(state: OrderState | str = OrderState.PAID, goods: GoodsType | str = GoodsType.PHYSICAL,
          channel: PaymentChannel | str | None = PaymentChannel.ALIPAY, items: int = 1, price: int = 10_000,
          shipping_fee: int = 0, paid_ago: timedelta = timedelta(hours=3),
          delivered_ago: timedelta | None = None, locked: bool = False, distance_km: float | None = None,
          cancelled_items: tuple[int, ...] = ()) -> OrderView:
    state = OrderState(state)
    if state is OrderState.PENDING_PAYMENT:
        channel = None
    delivered_states = (OrderState.DELIVERED, OrderState.REDEEMED, OrderState.COMPLETED, OrderState.RETURNED)
    if delivered_ago is None and state in delivered_states:
        delivered_ago = timedelta(days=2)
    return OrderView(
        order_no="P1234567890123",
        state=state,
        currency="CNY",
        payment_channel=PaymentChannel(channel) if channel else None,
        items=tuple(ItemView(id=n, sku=f"SKU{n}", title=f"item {n}", goods_type=GoodsType(goods), quantity=1,
                             unit_price=price, cancelled=n in cancelled_items) for n in range(1, items + 1)),
        shipping_fee=shipping_fee,
        created_at=NOW - paid_ago - timedelta(minutes=5),
        paid_at=None if state is OrderState.PENDING_PAYMENT else NOW - paid_ago,
        delivered_at=NOW - delivered_ago if delivered_ago is not None else None,
        fulfillment_locked=locked,
        distance_to_destination_km=distance_km,
    )
