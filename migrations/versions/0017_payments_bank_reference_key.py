"""payments.bank_reference_key: the bank reference as `payments.references.normalise_ref` compares it

A callback and a statement write one transfer's reference their own way ("500096828" from an API or
MT940, "5000.96828" in a CSV export). Lookups compared the stored reference with the other side's
forms (as written, normalised), which finds a stored "500096828" from "5000.96828" but not the
reverse: a code-paid payment whose other report named no code was credited twice. The key is
what every lookup now compares; NULL for a filler ("0", N/A, NOTPROVIDED), which names no transfer.

The payments stored before are keyed here, in batches, by the very rule new payments are keyed by
(in Python: SQLite has no regular expressions). Nothing looks a payment up by the reference as written
any more: its index goes (one index fewer to maintain on every credit).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from payments.references import normalise_ref

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BATCH = 5000
PAYMENTS = sa.table('payments', sa.column('id', sa.BigInteger), sa.column('bank_reference', sa.String),
                    sa.column('bank_reference_key', sa.String))


def backfill(conn: sa.Connection) -> None:
    """Key every payment with a reference, `BATCH` rows at a time in id order (a big table is never
    read into memory at once); fillers stay NULL."""
    update = sa.update(PAYMENTS).where(PAYMENTS.c.id == sa.bindparam('payment_id')).values(
        bank_reference_key=sa.bindparam('key'))
    after = 0
    while True:
        rows = conn.execute(sa.select(PAYMENTS.c.id, PAYMENTS.c.bank_reference)
                            .where(PAYMENTS.c.id > after, PAYMENTS.c.bank_reference.is_not(None))
                            .order_by(PAYMENTS.c.id).limit(BATCH)).all()
        if not rows:
            return
        keyed = [{'payment_id': payment_id, 'key': normalise_ref(reference)} for payment_id, reference in rows]
        keyed = [row for row in keyed if row['key'] is not None]
        if keyed:
            conn.execute(update, keyed)
        after = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table('payments') as batch_op:
        batch_op.add_column(sa.Column('bank_reference_key', sa.String(length=100), nullable=True))
    backfill(op.get_bind())
    op.create_index(op.f('ix_payments_bank_reference_key'), 'payments', ['bank_reference_key'], unique=False)
    op.drop_index(op.f('ix_payments_bank_reference'), table_name='payments')


def downgrade() -> None:
    op.create_index(op.f('ix_payments_bank_reference'), 'payments', ['bank_reference'], unique=False)
    op.drop_index(op.f('ix_payments_bank_reference_key'), table_name='payments')
    # Not copy-and-move on SQLite: dropping the old `payments` under the allocations, ledger entries,
    # refunds and statement lines that point at it fails (foreign_keys=ON). SQLite drops a column in
    # place since 3.35.
    with op.batch_alter_table('payments', recreate='never') as batch_op:
        batch_op.drop_column('bank_reference_key')
