"""payment_requests.amount_vnd may be 0: a request whose fee items were all withdrawn after it got money

A cancelled shipment's postage is withdrawn from the request that was paid for it (payments.service.
withdraw_fee_items): the request asks for that much less, and what it received for it is an over-payment
for finance to refund. A request that asked for the postage alone then asks for nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 05:00:00
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment_requests') as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_requests_amount_positive'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payment_requests_amount_not_negative'), 'amount_vnd >= 0')


def downgrade() -> None:
    with op.batch_alter_table('payment_requests') as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_requests_amount_not_negative'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payment_requests_amount_positive'), 'amount_vnd > 0')
