"""The persistence model. Rows, not rules: the rules are in aftersales.domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftersales.adapters.db.base import Base, OutboxRow, UtcDateTime  # noqa: F401 - UtcDateTime: named by migrations


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class Shop(Base):
    __tablename__ = "shops"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    policy_profile: Mapped[str] = mapped_column(String(64))
    policy_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Where approved returns go (recipient, phone, address as the shop writes it); told with the approval.
    return_address: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    # Where a new urgent case is announced (service.webhooks), signed with the shop's own secret.
    urgent_webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    urgent_webhook_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    payment_channel: Mapped[str | None] = mapped_column(String(32))
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    # Address shown (masked) to the shopper and used for "change address" requests.
    ship_to: Mapped[str | None] = mapped_column(String(300))
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_no: Mapped[str | None] = mapped_column(String(64))
    distance_to_destination_km: Mapped[float | None] = mapped_column(Float)
    fulfillment_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    redeemed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(100))
    cancel_reason: Mapped[str | None] = mapped_column(String(64))
    # Optimistic concurrency as a second line behind SELECT … FOR UPDATE: an UPDATE that lost a
    # race it did not lock for fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    shop: Mapped[Shop] = relationship()
    customer: Mapped[Customer] = relationship()
    items: Mapped[list[OrderItem]] = relationship(order_by="OrderItem.id", back_populates="order")
    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.id")
    returns: Mapped[list[ReturnRequest]] = relationship(order_by="ReturnRequest.id")
    interceptions: Mapped[list[Interception]] = relationship(order_by="Interception.id")
    tickets: Mapped[list[Ticket]] = relationship(order_by="Ticket.id")

    __table_args__ = (Index("ix_orders_customer_created", "customer_id", "created_at"),)


class OrderItem(Base):
    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    goods_type: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    cancelled_at: Mapped[datetime | None]
    # The refund that paid this item back: set once, under the order lock (money moves at most once).
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    # The price the shop sells it at now, as its systems last reported (for price protection), and when.
    current_unit_price: Mapped[int | None] = mapped_column(BigInteger)
    current_price_at: Mapped[datetime | None]
    # The refund of its price drop and the part of it for this item: set once, like refund_id; a later
    # cancellation or return of the item pays back only what is left.
    price_protection_refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    price_protection_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The size, colour or model the shop changed this item to before shipment (改尺码 / 改颜色), as the
    # shopper asked and the shop confirmed it had in stock; None: as listed (sku, title).
    variant: Mapped[str | None] = mapped_column(String(200))

    order: Mapped[Order] = relationship(back_populates="items")


class Refund(Base):
    __tablename__ = "refunds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    refund_no: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # aftersales.domain.refunds.RefundStatus
    source: Mapped[str] = mapped_column(String(32))  # cancellation | interception | return | review | merchant
    created_at: Mapped[datetime]
    expected_earliest: Mapped[datetime]
    expected_latest: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # The chat the shopper asked in: told there when the money arrives.
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    # The worker's bookkeeping with the payment provider (aftersales.service.refunds).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    submitted_at: Mapped[datetime | None]
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)


class ReturnRequest(Base):
    __tablename__ = "return_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_no: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(32))  # return_refund | exchange | refund_only
    method: Mapped[str] = mapped_column(String(32))  # ship_back | refuse_delivery | none
    reason: Mapped[str] = mapped_column(String(64))
    item_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ids": [...]}
    # requested | authorized | rejected | received | refunded | replacement_shipped (exchanges) | withdrawn
    status: Mapped[str] = mapped_column(String(32))
    shipping_payer: Mapped[str | None] = mapped_column(String(16))
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    window_ends_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    # Exchanges: what the shopper wants instead (size, colour, model, in their words), and the
    # replacement's parcel once the merchant has sent it.
    exchange_wish: Mapped[str | None] = mapped_column(String(200))
    replacement_shipping_payer: Mapped[str | None] = mapped_column(String(16))
    replacement_carrier: Mapped[str | None] = mapped_column(String(64))
    replacement_tracking_no: Mapped[str | None] = mapped_column(String(64))
    replacement_shipped_at: Mapped[datetime | None]
    # The parcel the shopper sent the goods back in, as they told it in the chat (correctable until
    # the shop has it).
    return_carrier: Mapped[str | None] = mapped_column(String(64))
    return_tracking_no: Mapped[str | None] = mapped_column(String(64))
    return_shipped_at: Mapped[datetime | None]


class Interception(Base):
    __tablename__ = "interceptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interception_no: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # merchant | courier
    status: Mapped[str] = mapped_column(String(16))  # requested | succeeded | failed
    reason: Mapped[str] = mapped_column(String(64))
    eta_min_hours: Mapped[float] = mapped_column(Float)
    eta_max_hours: Mapped[float] = mapped_column(Float)
    success_rate: Mapped[float] = mapped_column(Float)
    fee_payer: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    outcome_note: Mapped[str | None] = mapped_column(Text)


class Ticket(Base):
    """A case in the merchant's inbox: an escalation, a review, a request to act on."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_no: Mapped[str] = mapped_column(String(32), unique=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))  # new | in_progress | waiting_on_customer | resolved
    priority: Mapped[str] = mapped_column(String(16))  # urgent | high | normal | low
    reason: Mapped[str | None] = mapped_column(String(64))
    desired_outcome: Mapped[str | None] = mapped_column(String(32))
    decision_code: Mapped[str | None] = mapped_column(String(64))
    # What the merchant's approval executes: {"outcome": ..., "item_ids": [...], "refund_channel": ...}.
    pending_action: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)  # slots, summary, evidence links
    conversation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    assignee: Mapped[str | None] = mapped_column(String(100))
    sla_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolution: Mapped[str | None] = mapped_column(String(32))  # domain.lifecycles.Resolution
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # The shopper's rating of how the case was handled (1–5), asked once in the chat after it was decided.
    satisfaction_asked_at: Mapped[datetime | None]
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    satisfaction_at: Mapped[datetime | None]
    # An appeal (申诉): the case it asks to review again, and which appeal of that case it is — one row
    # per (case, round), so the policy's once per case holds in the database too.
    appeal_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    appeal_round: Mapped[int | None] = mapped_column(Integer)
    # Marked for the platform as well as the shop (平台介入: a complaint about the shop).
    platform_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0", index=True)

    appeal_of: Mapped[Ticket | None] = relationship(remote_side=[id])

    __table_args__ = (UniqueConstraint("appeal_of_id", "appeal_round", name="uq_tickets_appeal_round"),)


class AuditEvent(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)


class AttemptCounter(Base):
    """A limit's counter (aftersales.domain.attempts): hits in the current window and any lock-out."""

    __tablename__ = "attempt_counters"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    lockouts: Mapped[int] = mapped_column(Integer, default=0)


class Integration(Base):
    """A shop's order system, allowed to send order events and orders with its bearer token (only
    the token's SHA-256 is kept)."""

    __tablename__ = "integrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class OrderEvent(Base):
    """Every event a shop sent, with what it did: the idempotency record (per shop and event_id) and
    what the merchant sees of refused ones."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    event_id: Mapped[str] = mapped_column(String(100))
    order_no: Mapped[str] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))  # aftersales.domain.order_events.Outcome
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("shop_id", "event_id", name="uq_order_events_shop_event"),)


class IdempotencyRecord(Base):
    """The stored answer to an operation already carried out under this key, replayed on retry."""

    __tablename__ = "idempotency_records"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


merchant_shops = Table(
    "merchant_shops", Base.metadata,
    Column("merchant_id", ForeignKey("merchants.id"), primary_key=True),
    Column("shop_id", ForeignKey("shops.id"), primary_key=True),
)


class Merchant(Base):
    """A person who works the inbox for one or more shops."""

    __tablename__ = "merchants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    # Password guessing: after a run of failures the sign-in is refused until locked_until.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # The inbox's language for this merchant: "zh" or "en".
    language: Mapped[str] = mapped_column(String(8), default="zh", server_default="zh")

    shops: Mapped[list[Shop]] = relationship(secondary=merchant_shops, order_by="Shop.id")


class CannedReply(Base):
    __tablename__ = "canned_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)


class Notification(OutboxRow, Base):
    """Outbox: a message for the shopper's chat, written in the transaction that caused it and
    delivered to Rasa afterwards (at least once, retried with backoff)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # decision | refund_completed | refund_failed | reply | hand_back
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))

    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)


# The chat log's conversations and the shops' webhook outbox, in a module of their own (imported here,
# so that every table is in Base.metadata whichever module is imported first).
from aftersales.adapters.db.log_tables import ChatLogMark, Conversation, WebhookDelivery  # noqa: E402, F401
