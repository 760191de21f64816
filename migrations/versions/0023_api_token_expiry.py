"""api tokens: an optional expiry (`expires_at`), given when a token is issued with a lifetime; past it the
token is refused (401 token_expired). Null, as for every token issued before: valid until revoked.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 03:30:00
"""
from alembic import op
import sqlalchemy as sa

import kernel.db

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(sa.Column('expires_at', kernel.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('expires_at')
