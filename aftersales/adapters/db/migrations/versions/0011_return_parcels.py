"""return parcels: the courier and tracking number a shopper gives for the goods they send back

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:30:00
"""
from alembic import op
import sqlalchemy as sa

import aftersales.adapters.db.tables


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_carrier', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('return_tracking_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('return_shipped_at',
                                      aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.drop_column('return_shipped_at')
        batch_op.drop_column('return_tracking_no')
        batch_op.drop_column('return_carrier')
