"""shop return address: where an approved return is sent, told to the shopper with the approval

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_address', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('return_address')
