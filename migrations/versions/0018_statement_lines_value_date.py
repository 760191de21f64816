"""statement lines: the value date the bank gives a line (MT940 :61:, camt.053 ValDt, a spreadsheet's
"Ngày hiệu lực"), kept and shown next to its booking day; null where the file gives none

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('statement_lines') as batch_op:
        batch_op.add_column(sa.Column('value_date', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('statement_lines') as batch_op:
        batch_op.drop_column('value_date')
