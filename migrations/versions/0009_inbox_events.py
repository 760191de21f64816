"""callback inbox: the interpreted event of a verified callback, applied later by a worker; partial
indexes for the workers' queue and for what finance looks through, instead of one on every status

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

ATTENTION = "status = 'conflict' OR status = 'rejected' OR status = 'received'"


def upgrade() -> None:
    with op.batch_alter_table('callback_inbox') as batch_op:
        batch_op.add_column(sa.Column('event', sa.JSON(), nullable=True))
    op.create_index('ix_callback_inbox_queued', 'callback_inbox', ['id'], unique=False,
                    postgresql_where=sa.text("status = 'queued'"), sqlite_where=sa.text("status = 'queued'"))
    op.create_index('ix_callback_inbox_attention', 'callback_inbox', ['status', 'id'], unique=False,
                    postgresql_where=sa.text(ATTENTION), sqlite_where=sa.text(ATTENTION))
    op.drop_index('ix_callback_inbox_status', table_name='callback_inbox')


def downgrade() -> None:
    op.create_index('ix_callback_inbox_status', 'callback_inbox', ['status'], unique=False)
    op.drop_index('ix_callback_inbox_attention', table_name='callback_inbox')
    op.drop_index('ix_callback_inbox_queued', table_name='callback_inbox')
    with op.batch_alter_table('callback_inbox') as batch_op:
        batch_op.drop_column('event')
