"""audit seals: keyed HMACs over the audit chain's head, which whoever writes the database cannot recompute

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-29 02:10:00
"""
from alembic import op
import sqlalchemy as sa

import kernel.db


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_seals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_entry_id', sa.BigInteger(), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seals'))
    )


def downgrade() -> None:
    op.drop_table('audit_seals')
