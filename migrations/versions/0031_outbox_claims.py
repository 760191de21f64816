"""outbox: claims since the last recorded outcome, so a message whose sending kills its worker every time is set
`stuck` after a few claims instead of being claimed at every lease for ever

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-29 06:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('claims', sa.BigInteger(), nullable=False, server_default='0'))


def downgrade() -> None:
    # A stuck message goes back to pending (the only statuses the code before this knew).
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'stuck'")
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('claims')
