"""payment_requests.expires_at may be NULL: a request with no deadline for now

A COD delivery's requests wait for the postman (postal.cod): they have no deadline while the
shipment is out, rather than a far-future date that pages and the API would show. Requests held
that way before this revision (expires_at on or after 2100-12-31) lose the sentinel here.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 13:00:00
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import kernel.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

SENTINEL = sa.bindparam('sentinel', datetime(2100, 12, 31, tzinfo=timezone.utc), type_=kernel.db.UTCDateTime())


def upgrade() -> None:
    with op.batch_alter_table('payment_requests') as batch_op:
        batch_op.alter_column('expires_at', existing_type=kernel.db.UTCDateTime(timezone=True), nullable=True)
    op.execute(sa.text("UPDATE payment_requests SET expires_at = NULL WHERE expires_at >= :sentinel")
               .bindparams(SENTINEL))


def downgrade() -> None:
    op.execute(sa.text("UPDATE payment_requests SET expires_at = :sentinel WHERE expires_at IS NULL")
               .bindparams(SENTINEL))
    with op.batch_alter_table('payment_requests') as batch_op:
        batch_op.alter_column('expires_at', existing_type=kernel.db.UTCDateTime(timezone=True), nullable=False)
