"""callback inbox: the interpreted event of a verified callback, applied later by a worker, and the
partial index the workers take queued rows by

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 02:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('callback_inbox') as batch_op:
        batch_op.add_column(sa.Column('event', sa.JSON(), nullable=True))
    op.create_index('ix_callback_inbox_queued', 'callback_inbox', ['id'], unique=False,
                    postgresql_where=sa.text("status = 'queued'"), sqlite_where=sa.text("status = 'queued'"))


def downgrade() -> None:
    op.drop_index('ix_callback_inbox_queued', table_name='callback_inbox')
    with op.batch_alter_table('callback_inbox') as batch_op:
        batch_op.drop_column('event')
