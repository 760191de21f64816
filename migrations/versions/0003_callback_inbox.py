"""callback inbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:06:36.794342
"""
from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('callback_inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('received_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('source_ip', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('processed_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_inbox'))
    )
    with op.batch_alter_table('callback_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_callback_inbox_provider_external_id', ['provider', 'external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_inbox_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_inbox_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('callback_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_inbox_status'))
        batch_op.drop_index(batch_op.f('ix_callback_inbox_received_at'))
        batch_op.drop_index('ix_callback_inbox_provider_external_id')

    op.drop_table('callback_inbox')

