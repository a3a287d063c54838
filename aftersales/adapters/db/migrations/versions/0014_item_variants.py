"""item variants: the size, colour or model a shop changed an item to before shipment (改尺码 / 改颜色)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variant', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_column('variant')
