"""conversations read from the chat log (the figures' denominator); a shop's webhook for urgent cases and its outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import aftersales.adapters.db.tables


revision = '0012'
down_revision = '0011'
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
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent_webhook_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('urgent_webhook_secret', sa.String(length=128), nullable=True))
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.String(length=64), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('created_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_shop_id'), ['shop_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_shop_id'))
        batch_op.drop_index('ix_webhook_deliveries_due')
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('urgent_webhook_secret')
        batch_op.drop_column('urgent_webhook_url')
    op.drop_table('chat_log_marks')
    op.drop_index('ix_conversations_shop_started', table_name='conversations')
    op.drop_table('conversations')
