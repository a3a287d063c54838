"""The order domain's vocabulary: states, goods, channels, reasons, outcomes, and read-only views of
an order that the policy engine decides on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from aftersales.domain.lifecycles import IllegalTransition


class OrderState(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # 待付款
    PAID = "paid"  # 已付款，待发货 (virtual goods: awaiting delivery of the card key / top-up)
    SHIPPED = "shipped"  # 已发货: handed to the courier, not yet scanned
    IN_TRANSIT = "in_transit"  # 运输中
    OUT_FOR_DELIVERY = "out_for_delivery"  # 派送中
    DELIVERED = "delivered"  # 已签收 (virtual: card key sent / top-up done)
    REDEEMED = "redeemed"  # 已核销 (virtual goods only)
    COMPLETED = "completed"  # 已完成
    CANCELLED = "cancelled"  # 已取消
    RETURNED = "returned"  # 已退货退款


class Fulfillment(StrEnum):
    PHYSICAL = "physical"
    VIRTUAL = "virtual"


class GoodsType(StrEnum):
    PHYSICAL = "physical"
    FRESH = "fresh"  # 生鲜: perishable
    VIRTUAL_CARD = "virtual_card"  # 点卡/卡密
    VIRTUAL_TOPUP = "virtual_topup"  # 话费/游戏充值

    @property
    def fulfillment(self) -> Fulfillment:
        return Fulfillment.VIRTUAL if self.value.startswith("virtual") else Fulfillment.PHYSICAL


class PaymentChannel(StrEnum):
    ALIPAY = "alipay"
    WECHAT_PAY = "wechat_pay"
    BANK_CARD = "bank_card"
    CREDIT_CARD = "credit_card"
    BALANCE = "balance"  # the shopper's account balance on the platform


class Outcome(StrEnum):
    """What a shopper can ask for. The dialogue offers only those the policy allows for the order now."""

    CANCEL_REFUND = "cancel_refund"  # 取消订单，原路全额退款
    REFUND_TO_BALANCE = "refund_to_balance"  # 取消订单，退到账户余额
    INTERCEPT = "intercept"  # 拦截快递，退回商家后退款
    RETURN_REFUND = "return_refund"  # 退货退款 (or refuse the delivery)
    EXCHANGE = "exchange"  # 换货
    REFUND_ONLY = "refund_only"  # 仅退款


class Fault(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    LOGISTICS = "logistics"
    PLATFORM = "platform"


class Party(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    PLATFORM = "platform"


# Legal state changes per fulfilment kind. Who may take which one, and when, is policy; this table
# only says what can follow what, so that no code path can e.g. ship a cancelled order.
_TRANSITIONS: dict[Fulfillment, dict[OrderState, frozenset[OrderState]]] = {
    Fulfillment.PHYSICAL: {
        OrderState.PENDING_PAYMENT: frozenset({OrderState.PAID, OrderState.CANCELLED}),
        OrderState.PAID: frozenset({OrderState.SHIPPED, OrderState.CANCELLED}),
        # A successful interception or a refused delivery brings the parcel back: the order is cancelled.
        OrderState.SHIPPED: frozenset({OrderState.IN_TRANSIT, OrderState.CANCELLED}),
        OrderState.IN_TRANSIT: frozenset(
            {OrderState.OUT_FOR_DELIVERY, OrderState.DELIVERED, OrderState.CANCELLED}
        ),
        OrderState.OUT_FOR_DELIVERY: frozenset({OrderState.DELIVERED, OrderState.CANCELLED}),
        OrderState.DELIVERED: frozenset({OrderState.COMPLETED, OrderState.RETURNED}),
        OrderState.COMPLETED: frozenset({OrderState.RETURNED}),
        OrderState.CANCELLED: frozenset(),
        OrderState.RETURNED: frozenset(),
    },
    Fulfillment.VIRTUAL: {
        OrderState.PENDING_PAYMENT: frozenset({OrderState.PAID, OrderState.CANCELLED}),
        OrderState.PAID: frozenset({OrderState.DELIVERED, OrderState.CANCELLED}),
        # After delivery only a platform-fault appeal approved by the merchant cancels.
        OrderState.DELIVERED: frozenset({OrderState.REDEEMED, OrderState.COMPLETED, OrderState.CANCELLED}),
        OrderState.REDEEMED: frozenset({OrderState.COMPLETED, OrderState.CANCELLED}),
        OrderState.COMPLETED: frozenset({OrderState.CANCELLED}),
        OrderState.CANCELLED: frozenset(),
        OrderState.RETURNED: frozenset(),
    },
}

SHIPPING_STATES = frozenset({OrderState.SHIPPED, OrderState.IN_TRANSIT, OrderState.OUT_FOR_DELIVERY})
# Not yet handed to a courier: what is on the order can still change (its items, its address).
BEFORE_SHIPMENT_STATES = frozenset({OrderState.PENDING_PAYMENT, OrderState.PAID})
# The order's timestamp that records reaching a state.
STATE_TIMESTAMP = {OrderState.PAID: "paid_at", OrderState.SHIPPED: "shipped_at", OrderState.DELIVERED: "delivered_at",
                   OrderState.REDEEMED: "redeemed_at", OrderState.COMPLETED: "completed_at"}
FINAL_STATES = frozenset({OrderState.CANCELLED, OrderState.RETURNED})


def check_transition(fulfillment: Fulfillment, current: OrderState, target: OrderState) -> None:
    if target not in _TRANSITIONS[fulfillment].get(current, frozenset()):
        raise IllegalTransition(current, target, f"{fulfillment} order cannot go from {current} to {target}")


def states_for(fulfillment: Fulfillment) -> list[OrderState]:
    return list(_TRANSITIONS[fulfillment])


@dataclass(frozen=True)
class ItemView:
    id: int
    sku: str
    title: str
    goods_type: GoodsType
    quantity: int
    unit_price: int
    cancelled: bool = False
    price_refunded: int = 0  # a price drop refunded already (price protection)

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def refundable(self) -> int:
        """What giving the item back pays: what was paid for it, less a price drop refunded since."""
        return self.total - self.price_refunded


@dataclass(frozen=True)
class OrderView:
    """What the policy needs to know about an order, read at one instant."""

    order_no: str
    state: OrderState
    currency: str
    payment_channel: PaymentChannel | None
    items: tuple[ItemView, ...]
    shipping_fee: int = 0
    created_at: datetime | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    # Virtual goods: the card key is reserved for this order (库存锁定); self-cancel is then closed.
    fulfillment_locked: bool = False
    # Courier's distance to the destination, when the tracking feed gives it (some couriers
    # cannot intercept within ~50 km of the destination).
    distance_to_destination_km: float | None = None

    @property
    def fulfillment(self) -> Fulfillment:
        kinds = {item.goods_type.fulfillment for item in self.items}
        return Fulfillment.VIRTUAL if kinds == {Fulfillment.VIRTUAL} else Fulfillment.PHYSICAL

    @property
    def active_items(self) -> tuple[ItemView, ...]:
        return tuple(item for item in self.items if not item.cancelled)

    @property
    def has_fresh_goods(self) -> bool:
        return any(item.goods_type is GoodsType.FRESH for item in self.active_items)


@dataclass(frozen=True)
class CustomerHistory:
    """The shopper's recent record, counted by the storage layer over the profile's window."""

    orders_in_window: int = 0
    cancellations_in_window: int = 0
    interceptions_this_month: int = 0


@dataclass(frozen=True)
class Request:
    """What the shopper asks for: the dialogue's slots, validated."""

    outcome: Outcome
    reason: str
    item_ids: tuple[int, ...] = field(default_factory=tuple)  # empty: the whole order
