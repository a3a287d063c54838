"""attempt counters: limits on guesses and anonymous cases across conversations

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 01:40:00
"""
from alembic import op
import sqlalchemy as sa
import aftersales.adapters.db.tables


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attempt_counters',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('window_started_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('attempt_counters')
