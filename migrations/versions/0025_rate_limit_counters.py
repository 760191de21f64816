"""rate-limit counters in the database (kernel.ratelimit): every app process and node counts a client's
requests together (they were counted in each process's memory).

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28 14:00:00
"""
from alembic import op
import sqlalchemy as sa

import kernel.db

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_limit_counters',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('hits', sa.BigInteger(), nullable=False),
        sa.Column('expires_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
    )


def downgrade() -> None:
    op.drop_table('rate_limit_counters')
