"""foundation: tokens, audit, dossiers, payment requests

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 23:03:27.065778
"""
from alembic import op
import sqlalchemy as sa
import kernel.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('display_prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('subject_type', sa.String(length=50), nullable=False),
    sa.Column('subject_id', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_subject_id'), ['subject_id'], unique=False)

    op.create_table('dossiers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=False),
    sa.Column('procedure_name', sa.String(length=500), nullable=False),
    sa.Column('agency_code', sa.String(length=64), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('applicant_phone', sa.String(length=20), nullable=False),
    sa.Column('applicant_email', sa.String(length=254), nullable=True),
    sa.Column('applicant_id_number', sa.String(length=12), nullable=True),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossiers')),
    sa.UniqueConstraint('code', name=op.f('uq_dossiers_code'))
    )
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dossiers_agency_code'), ['agency_code'], unique=False)

    op.create_table('fee_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dossier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_vnd > 0', name=op.f('ck_fee_items_amount_positive')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_fee_items_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_items'))
    )
    with op.batch_alter_table('fee_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_items_dossier_id'), ['dossier_id'], unique=False)

    op.create_table('payment_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dossier_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_code', sa.String(length=13), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.Column('paid_vnd', sa.BigInteger(), nullable=False),
    sa.Column('refunded_vnd', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expires_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('bank_bin', sa.String(length=6), nullable=False),
    sa.Column('account_number', sa.String(length=19), nullable=False),
    sa.Column('account_name', sa.String(length=100), nullable=False),
    sa.Column('vietqr_payload', sa.Text(), nullable=False),
    sa.CheckConstraint('amount_vnd > 0', name=op.f('ck_payment_requests_amount_positive')),
    sa.CheckConstraint('paid_vnd >= 0 AND refunded_vnd >= 0', name=op.f('ck_payment_requests_money_not_negative')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_payment_requests_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_requests')),
    sa.UniqueConstraint('payment_code', name=op.f('uq_payment_requests_payment_code'))
    )
    with op.batch_alter_table('payment_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_requests_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index('ix_payment_requests_status_expires_at', ['status', 'expires_at'], unique=False)

    op.create_table('payment_request_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('payment_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['payment_request_id'], ['payment_requests.id'], name=op.f('fk_payment_request_events_payment_request_id_payment_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_request_events'))
    )
    with op.batch_alter_table('payment_request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_request_events_payment_request_id'), ['payment_request_id'], unique=False)

    op.create_table('payment_request_items',
    sa.Column('payment_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fee_item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['fee_item_id'], ['fee_items.id'], name=op.f('fk_payment_request_items_fee_item_id_fee_items')),
    sa.ForeignKeyConstraint(['payment_request_id'], ['payment_requests.id'], name=op.f('fk_payment_request_items_payment_request_id_payment_requests')),
    sa.PrimaryKeyConstraint('payment_request_id', 'fee_item_id', name=op.f('pk_payment_request_items'))
    )



def downgrade() -> None:

    op.drop_table('payment_request_items')
    with op.batch_alter_table('payment_request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_request_events_payment_request_id'))

    op.drop_table('payment_request_events')
    with op.batch_alter_table('payment_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_requests_status_expires_at')
        batch_op.drop_index(batch_op.f('ix_payment_requests_dossier_id'))

    op.drop_table('payment_requests')
    with op.batch_alter_table('fee_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_items_dossier_id'))

    op.drop_table('fee_items')
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dossiers_agency_code'))

    op.drop_table('dossiers')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    op.drop_table('api_tokens')

