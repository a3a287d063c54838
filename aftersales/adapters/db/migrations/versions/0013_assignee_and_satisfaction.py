"""a case's assignee is a merchant's e-mail, not "merchant:<email>" as replies and merchant
cancellations used to store it; the shopper's rating of a case

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import aftersales.adapters.db.tables


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PREFIX = 'merchant:'


def upgrade() -> None:
    tickets = sa.table('tickets', sa.column('assignee', sa.String))
    op.execute(tickets.update().where(tickets.c.assignee.like(PREFIX + '%'))
               .values(assignee=sa.func.substr(tickets.c.assignee, len(PREFIX) + 1)))
    # Anyone but a merchant (the system, an integration) was never a person to assign to.
    op.execute(tickets.update().where(tickets.c.assignee.like('%:%')).values(assignee=None))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction_asked_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_at', aftersales.adapters.db.tables.UtcDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('satisfaction_at')
        batch_op.drop_column('satisfaction')
        batch_op.drop_column('satisfaction_asked_at')
    # Every assignee is an e-mail now; there is no telling which were stored the other way.
