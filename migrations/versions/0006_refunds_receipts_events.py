"""receipts, refunds, event subscriptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:33:57.486704
"""
from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('event_subscriptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('secret_version', sa.BigInteger(), nullable=False),
    sa.Column('previous_version', sa.BigInteger(), nullable=True),
    sa.Column('rotated_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alert', sa.Boolean(), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_subscriptions'))
    )
    op.create_table('receipt_counters',
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('last_number', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('series', name=op.f('pk_receipt_counters'))
    )
    op.create_table('refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('executed_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('executed_by', sa.String(length=200), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_status'), ['status'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('payment_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('form_symbol', sa.String(length=20), nullable=False),
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('issued_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_request_id'], ['payment_requests.id'], name=op.f('fk_receipts_payment_request_id_payment_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
    sa.UniqueConstraint('payment_request_id', name=op.f('uq_receipts_payment_request_id')),
    sa.UniqueConstraint('series', 'number', name='uq_receipts_series_number')
    )
    op.create_table('refund_parts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('refund_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('allocation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payment_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['allocation_id'], ['payment_allocations.id'], name=op.f('fk_refund_parts_allocation_id_payment_allocations')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_parts_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_parts'))
    )
    with op.batch_alter_table('refund_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_parts_allocation_id'), ['allocation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_parts_refund_id'), ['refund_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('refund_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_parts_refund_id'))
        batch_op.drop_index(batch_op.f('ix_refund_parts_allocation_id'))

    op.drop_table('refund_parts')
    op.drop_table('receipts')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_status'))
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))

    op.drop_table('refunds')
    op.drop_table('receipt_counters')
    op.drop_table('event_subscriptions')

