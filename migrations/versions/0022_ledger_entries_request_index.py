"""ledger_entries: no index on payment_request_id

Every payment's entry names the request it went to (when one), and nothing looks an entry up by it:
the day's report, the close and the exceptions find entries by payment (`ix_ledger_entries_payment_id`)
and by time (`ix_ledger_entries_at`), the ledger check reads them all. The index only cost every credit
one more insert, at a random place (requests are paid in any order). The column stays.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27 15:00:00
"""
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f('ix_ledger_entries_payment_request_id'), table_name='ledger_entries')


def downgrade() -> None:
    op.create_index(op.f('ix_ledger_entries_payment_request_id'), 'ledger_entries', ['payment_request_id'],
                    unique=False)
