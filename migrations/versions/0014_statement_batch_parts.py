"""statement lines: a partial index of camt.053 batch parts by account and day, so a part listed
alone by another file (MT940, CSV) is found as the stored part instead of being added again

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BATCH_PART = "line_key LIKE '%/%'"


def upgrade() -> None:
    op.create_index('ix_statement_lines_batch_parts', 'statement_lines', ['clearing_account', 'booking_date'],
                    unique=False, postgresql_where=sa.text(BATCH_PART), sqlite_where=sa.text(BATCH_PART))


def downgrade() -> None:
    op.drop_index('ix_statement_lines_batch_parts', table_name='statement_lines')
