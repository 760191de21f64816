"""outbox, delivery attempts, periodic job runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:05:11.980650
"""
from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('job_runs',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_started_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_runs'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=50), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.BigInteger(), nullable=False),
    sa.Column('next_attempt_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_topic'), ['topic'], unique=False)

    op.create_table('outbox_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt', sa.BigInteger(), nullable=False),
    sa.Column('at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox.id'], name=op.f('fk_outbox_attempts_message_id_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attempts'))
    )
    with op.batch_alter_table('outbox_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attempts_message_id'), ['message_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('outbox_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attempts_message_id'))

    op.drop_table('outbox_attempts')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_topic'))
        batch_op.drop_index('ix_outbox_status_next_attempt_at')

    op.drop_table('outbox')
    op.drop_table('job_runs')

