"""conversations read from the chat log (the figures' denominator)

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import aftersales.adapters.db.tables


revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.String(length=128), nullable=False),
        sa.Column('started_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_event_id', sa.BigInteger(), nullable=False),
        sa.Column('shop_id', sa.String(length=64), nullable=True),
        sa.Column('shopper_messages', sa.Integer(), nullable=False),
        sa.Column('handed_off', sa.Boolean(), nullable=False),
        sa.Column('ended_unanswered', sa.Boolean(), nullable=False),
        sa.Column('updated_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('conversation_id', 'started_at', name='uq_conversations_session'),
    )
    op.create_index('ix_conversations_shop_started', 'conversations', ['shop_id', 'started_at'], unique=False)
    op.create_table(
        'chat_log_marks',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('event_id', sa.BigInteger(), nullable=False),
        sa.Column('read_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('chat_log_marks')
    op.drop_index('ix_conversations_shop_started', table_name='conversations')
    op.drop_table('conversations')
