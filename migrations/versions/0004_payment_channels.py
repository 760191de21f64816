"""payments, allocations, ledger, cash drawers, vnpay checkouts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:11:27.065065
"""
from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('cash_drawers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('cashier', sa.String(length=200), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('opened_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('counted_vnd', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_drawers')),
    sa.UniqueConstraint('cashier', 'business_date', name='uq_cash_drawers_cashier_day')
    )
    op.create_table('ledger_balances',
    sa.Column('account', sa.String(length=120), nullable=False),
    sa.Column('shard', sa.BigInteger(), nullable=False),
    sa.Column('debit_vnd', sa.BigInteger(), nullable=False),
    sa.Column('credit_vnd', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'shard', name=op.f('pk_ledger_balances'))
    )
    op.create_table('payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_ref', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('unallocated_vnd', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('booked_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('clearing_account', sa.String(length=80), nullable=False),
    sa.Column('memo', sa.Text(), nullable=True),
    sa.Column('bank_reference', sa.String(length=100), nullable=True),
    sa.Column('payer_name', sa.String(length=200), nullable=True),
    sa.Column('payer_account', sa.String(length=40), nullable=True),
    sa.Column('suspense_reason', sa.String(length=40), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reversed_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reversal_ref', sa.String(length=100), nullable=True),
    sa.CheckConstraint('amount_vnd > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('unallocated_vnd >= 0 AND unallocated_vnd <= amount_vnd', name=op.f('ck_payments_unallocated_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('provider', 'provider_ref', name='uq_payments_provider_ref')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_bank_reference'), ['bank_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_booked_at'), ['booked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_clearing_account'), ['clearing_account'], unique=False)

    op.create_table('pending_reversals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('provider_ref', sa.String(length=100), nullable=False),
    sa.Column('original_ref', sa.String(length=100), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('received_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_reversals')),
    sa.UniqueConstraint('provider', 'provider_ref', name='uq_pending_reversals_provider_ref')
    )
    with op.batch_alter_table('pending_reversals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_reversals_original_ref'), ['original_ref'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('memo', sa.String(length=500), nullable=True),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payment_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_ledger_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['payment_request_id'], ['payment_requests.id'], name=op.f('fk_ledger_entries_payment_request_id_payment_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_payment_request_id'), ['payment_request_id'], unique=False)

    op.create_table('payment_allocations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('how', sa.String(length=20), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('released_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint('amount_vnd > 0', name=op.f('ck_payment_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id_payments')),
    sa.ForeignKeyConstraint(['payment_request_id'], ['payment_requests.id'], name=op.f('fk_payment_allocations_payment_request_id_payment_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocations'))
    )
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_allocations_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_allocations_payment_request_id'), ['payment_request_id'], unique=False)

    op.create_table('vnpay_checkouts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('txn_ref', sa.String(length=40), nullable=False),
    sa.Column('payment_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_code', sa.String(length=4), nullable=True),
    sa.ForeignKeyConstraint(['payment_request_id'], ['payment_requests.id'], name=op.f('fk_vnpay_checkouts_payment_request_id_payment_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vnpay_checkouts')),
    sa.UniqueConstraint('txn_ref', name=op.f('uq_vnpay_checkouts_txn_ref'))
    )
    with op.batch_alter_table('vnpay_checkouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vnpay_checkouts_payment_request_id'), ['payment_request_id'], unique=False)

    op.create_table('ledger_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account', sa.String(length=120), nullable=False),
    sa.Column('debit_vnd', sa.BigInteger(), nullable=False),
    sa.Column('credit_vnd', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('debit_vnd >= 0 AND credit_vnd >= 0 AND (debit_vnd = 0) <> (credit_vnd = 0)', name=op.f('ck_ledger_lines_one_side')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_lines_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_lines'))
    )
    with op.batch_alter_table('ledger_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_lines_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_lines_entry_id'), ['entry_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('ledger_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_lines_entry_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_lines_account'))

    op.drop_table('ledger_lines')
    with op.batch_alter_table('vnpay_checkouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vnpay_checkouts_payment_request_id'))

    op.drop_table('vnpay_checkouts')
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_allocations_payment_request_id'))
        batch_op.drop_index(batch_op.f('ix_payment_allocations_payment_id'))

    op.drop_table('payment_allocations')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_payment_request_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_payment_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_at'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('pending_reversals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_reversals_original_ref'))

    op.drop_table('pending_reversals')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_clearing_account'))
        batch_op.drop_index(batch_op.f('ix_payments_booked_at'))
        batch_op.drop_index(batch_op.f('ix_payments_bank_reference'))

    op.drop_table('payments')
    op.drop_table('ledger_balances')
    op.drop_table('cash_drawers')

