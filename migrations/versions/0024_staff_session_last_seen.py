"""staff sessions: when each was last used (`last_seen_at`), so that one left idle ends
(HCCPAY_SESSION_IDLE_MINUTES). Null, as for every session open before: counted from its login.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28 07:00:00
"""
from alembic import op
import sqlalchemy as sa

import kernel.db

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_sessions') as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', kernel.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_sessions') as batch_op:
        batch_op.drop_column('last_seen_at')
