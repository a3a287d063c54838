"""refunds as a lifecycle with a payment provider: requested → submitted → succeeded | failed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:20:00
"""
from alembic import op
import sqlalchemy as sa
import aftersales.adapters.db.tables


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('submitted_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('provider_ref', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_refunds_next_attempt_at'), ['next_attempt_at'], unique=False)
    # Refunds the demo gateway had taken ("processing") are with the provider: asked after from now on.
    op.execute("UPDATE refunds SET status = 'submitted', submitted_at = created_at, next_attempt_at = created_at "
               "WHERE status = 'processing'")
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)


def downgrade() -> None:
    op.execute("UPDATE refunds SET status = 'processing' WHERE status IN ('requested', 'submitted')")
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_next_attempt_at'))
        batch_op.drop_column('last_error')
        batch_op.drop_column('provider_ref')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
