"""exchanges: what the shopper wants instead, who pays the replacement's shipping, and its parcel

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:30:00
"""
from alembic import op
import sqlalchemy as sa
import aftersales.adapters.db.tables


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exchange_wish', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('replacement_shipping_payer', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('replacement_carrier', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replacement_tracking_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replacement_shipped_at',
                                      aftersales.adapters.db.tables.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.drop_column('replacement_shipped_at')
        batch_op.drop_column('replacement_tracking_no')
        batch_op.drop_column('replacement_carrier')
        batch_op.drop_column('replacement_shipping_payer')
        batch_op.drop_column('exchange_wish')
