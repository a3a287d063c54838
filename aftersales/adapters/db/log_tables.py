"""Tables beside the orders' (aftersales.adapters.db.tables imports them): the conversations the
worker read from the chat log (the figures' denominator), how far it read, and the shops' webhook
outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.adapters.db.base import Base, OutboxRow


class Conversation(Base):
    """A shopper's conversation (one of Rasa's sessions) as the worker read it (service.conversation_log);
    its outcome is reckoned when read (domain.conversations): a silent chat becomes abandoned."""

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime]
    last_at: Mapped[datetime]
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[str | None] = mapped_column(String(64))
    shopper_messages: Mapped[int] = mapped_column(Integer)
    handed_off: Mapped[bool] = mapped_column(Boolean)
    ended_unanswered: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("conversation_id", "started_at", name="uq_conversations_session"),
                      Index("ix_conversations_shop_started", "shop_id", "started_at"))


class ChatLogMark(Base):
    """How far the worker has read a log (the chat log's last event id), and when."""

    __tablename__ = "chat_log_marks"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    read_at: Mapped[datetime]


class WebhookDelivery(OutboxRow, Base):
    """Outbox: a shop's webhook call (a new urgent case), posted by the worker (service.webhooks)."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    event: Mapped[str] = mapped_column(String(32))
    response_status: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
