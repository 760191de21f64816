"""fee items: withdrawn_at, for an item no longer owed (the postage of a cancelled shipment)

A withdrawn item is never asked for again (a renewal or a later request leaves it out) and does
not count when deciding whether a dossier's fees are settled.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:00:00
"""
import sqlalchemy as sa
from alembic import op

import kernel.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fee_items') as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', kernel.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fee_items') as batch_op:
        batch_op.drop_column('withdrawn_at')
