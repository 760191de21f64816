"""refunds: the account a cash refund switched to a bank transfer is paid to (bank BIN, account number, holder)

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-29 05:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee_bank_bin', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('payee_account', sa.String(length=19), nullable=True))
        batch_op.add_column(sa.Column('payee_name', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('payee_name')
        batch_op.drop_column('payee_account')
        batch_op.drop_column('payee_bank_bin')
