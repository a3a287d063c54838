"""appeals and the platform's cases: an appeal's link to the case it appeals (once per round), and
the mark that a case is for the platform too

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appeal_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('appeal_round', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('platform_review', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_tickets_appeal_of_id'), ['appeal_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_platform_review'), ['platform_review'], unique=False)
        batch_op.create_foreign_key('fk_tickets_appeal_of_id_tickets', 'tickets', ['appeal_of_id'], ['id'])
        batch_op.create_unique_constraint('uq_tickets_appeal_round', ['appeal_of_id', 'appeal_round'])
    # Complaints opened before this release are about the shop too.
    op.execute("UPDATE tickets SET platform_review = true WHERE kind = 'complaint'")


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('uq_tickets_appeal_round', type_='unique')
        batch_op.drop_constraint('fk_tickets_appeal_of_id_tickets', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_platform_review'))
        batch_op.drop_index(batch_op.f('ix_tickets_appeal_of_id'))
        batch_op.drop_column('platform_review')
        batch_op.drop_column('appeal_round')
        batch_op.drop_column('appeal_of_id')
