"""receipts: cancelled_at, cancel_reason, cancelled_by; one valid receipt per request, not one receipt

A receipt is cancelled (never deleted) when the money it acknowledges goes back: a void,
reversal or released match leaves the request short (`payment_reversed`), or a full refund is
paid out (`refunded`). A request paid again gets a new receipt, so the unique constraint on
payment_request_id becomes a partial unique index over valid (not cancelled) receipts.

Receipts of requests already in that situation are cancelled here, at the request's last
change, by `system:migration-0011`. Downgrading fails while a request has several receipts.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 12:00:00
"""
import sqlalchemy as sa
from alembic import op

import kernel.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

VALID = sa.text('cancelled_at IS NULL')

# Requests short of their amount after a void or a released match, and refunded ones whose refund was paid out.
BACKFILL = """
UPDATE receipts SET
  cancelled_at = (SELECT updated_at FROM payment_requests r WHERE r.id = receipts.payment_request_id),
  cancel_reason = CASE WHEN (SELECT status FROM payment_requests r WHERE r.id = receipts.payment_request_id)
                       = 'refunded' THEN 'refunded' ELSE 'payment_reversed' END,
  cancelled_by = 'system:migration-0011'
WHERE payment_request_id IN (SELECT id FROM payment_requests WHERE status IN ('pending', 'partially_paid'))
   OR payment_request_id IN (SELECT r.id FROM payment_requests r WHERE r.status = 'refunded' AND EXISTS (
        SELECT 1 FROM payment_request_events e WHERE e.payment_request_id = r.id AND e.event = 'refund_executed'))
"""


def upgrade() -> None:
    with op.batch_alter_table('receipts') as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', kernel.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=200), nullable=True))
        batch_op.drop_constraint('uq_receipts_payment_request_id', type_='unique')
        batch_op.create_index('ix_receipts_payment_request_id', ['payment_request_id'], unique=False)
    op.execute(BACKFILL)
    op.create_index('uq_receipts_valid_per_request', 'receipts', ['payment_request_id'], unique=True,
                    postgresql_where=VALID, sqlite_where=VALID)


def downgrade() -> None:
    op.drop_index('uq_receipts_valid_per_request', table_name='receipts')
    with op.batch_alter_table('receipts') as batch_op:
        batch_op.drop_index('ix_receipts_payment_request_id')
        batch_op.create_unique_constraint('uq_receipts_payment_request_id', ['payment_request_id'])
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
