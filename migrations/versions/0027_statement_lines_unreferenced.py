"""statement lines: a partial index of the lines keyed by fingerprint (no bank reference) by account and day,
so an import looking for the stored line a referenced line may be (`links.known_by_fingerprint`) reads only
those of the day, not every line of the account (a scan per chunk that grew with the table)

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-28 23:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

UNREFERENCED = "line_key LIKE 'f:%'"


def upgrade() -> None:
    op.create_index('ix_statement_lines_unreferenced', 'statement_lines', ['clearing_account', 'booking_date'],
                    unique=False, postgresql_where=sa.text(UNREFERENCED), sqlite_where=sa.text(UNREFERENCED))


def downgrade() -> None:
    op.drop_index('ix_statement_lines_unreferenced', table_name='statement_lines')
