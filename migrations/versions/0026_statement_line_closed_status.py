"""a statement line's status as its day's close froze it (`closed_status`): a closed day's lines show what
the close counted next to what they are now (a refund rejected after the close, say).

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28 17:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('statement_lines') as batch:
        batch.add_column(sa.Column('closed_status', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('statement_lines') as batch:
        batch.drop_column('closed_status')
