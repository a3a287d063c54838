"""price protection: an item's price now (and when it was reported) and the refund of its price drop

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:40:00
"""
from alembic import op
import sqlalchemy as sa
import aftersales.adapters.db.tables


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_unit_price', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('current_price_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('price_protection_refund_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('price_protection_amount', sa.BigInteger(), nullable=False,
                                      server_default='0'))
        batch_op.create_foreign_key('fk_order_items_price_protection_refund_id_refunds', 'refunds',
                                    ['price_protection_refund_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_constraint('fk_order_items_price_protection_refund_id_refunds', type_='foreignkey')
        batch_op.drop_column('price_protection_amount')
        batch_op.drop_column('price_protection_refund_id')
        batch_op.drop_column('current_price_at')
        batch_op.drop_column('current_unit_price')
