"""a case's assignee is a merchant's e-mail, not "merchant:<email>" as replies and merchant
cancellations used to store it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00
"""
from alembic import op
import sqlalchemy as sa


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


def downgrade() -> None:
    # Every assignee is an e-mail now; there is no telling which were stored the other way.
    pass
