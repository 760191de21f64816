"""payment_references: every bank reference a payment is known by, in place of payments.bank_reference_key

One transfer may be reported by three feeds (the statement, the bank's API, SePay/payOS), each naming
its own reference (a CSV's "Số CT" 5000.11111, the API's FT330123456). A payment kept one key: once
two reports naming different references were linked as one payment (by its payment code), a third
report naming the reference not kept was credited a second time. A payment is now found by each
reference a report of it named: its own report's, a late callback's that claimed a statement
payment, a statement line's linked to a callback's payment.

The payments stored before are known here, in batches of payments in id order, by what the
database remembers of those reports: the payment's key (`bank_reference_key`), the reference of
the callback that claimed a statement payment (`details.callback_reference`), and the reference of
each statement line linked to the payment. `bank_reference_key` then goes (one way to look a
payment up). Going down keys each payment again by its `bank_reference` (as 0017 did); the other
references are lost with the table.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 11:00:00
"""
import sqlalchemy as sa
from alembic import op

from payments.references import normalise_ref

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

BATCH = 5000
PAYMENTS = sa.table('payments', sa.column('id', sa.BigInteger), sa.column('provider', sa.String),
                    sa.column('bank_reference', sa.String), sa.column('bank_reference_key', sa.String),
                    sa.column('details', sa.JSON))
LINES = sa.table('statement_lines', sa.column('payment_id', sa.BigInteger), sa.column('bank_ref', sa.String))
REFERENCES = sa.table('payment_references', sa.column('payment_id', sa.BigInteger), sa.column('key', sa.String),
                      sa.column('source', sa.String))


def _batches(conn: sa.Connection, *columns):
    """The payments, `BATCH` at a time in id order (a big table is never read into memory at once)."""
    after = 0
    while True:
        rows = conn.execute(sa.select(PAYMENTS.c.id, *columns).where(PAYMENTS.c.id > after)
                            .order_by(PAYMENTS.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def backfill(conn: sa.Connection) -> None:
    """Know every payment by the references the database remembers reports of it naming."""
    for rows in _batches(conn, PAYMENTS.c.provider, PAYMENTS.c.bank_reference_key, PAYMENTS.c.details):
        known: dict[tuple[int, str], str] = {}

        def add(payment_id, reference, source):
            key = normalise_ref(reference)
            if key is not None:
                known.setdefault((payment_id, key), source)

        # Each reference under the report that named it first, as `remember` did: a callback's payment
        # its own, then its linked line's; a statement payment its line's, then the claiming callback's
        # (its key is that callback's when the line named none).
        lines = dict(conn.execute(sa.select(LINES.c.payment_id, LINES.c.bank_ref).where(
            LINES.c.payment_id.between(rows[0].id, rows[-1].id), LINES.c.bank_ref.is_not(None))).all())
        for row in rows:
            details = row.details or {}
            own, line = (row.bank_reference_key, row.provider), (lines.get(row.id), 'statement')
            claim = (details.get('callback_reference'), details.get('callback_provider') or row.provider)
            for reference, source in (line, claim, own) if row.provider == 'statement' else (own, line, claim):
                add(row.id, reference, source)
        if known:
            conn.execute(sa.insert(REFERENCES), [{'payment_id': payment_id, 'key': key, 'source': source}
                                                 for (payment_id, key), source in known.items()])


def key_again(conn: sa.Connection) -> None:
    """`bank_reference_key` = `normalise_ref(bank_reference)`, as 0017 keyed them; fillers stay NULL."""
    update = sa.update(PAYMENTS).where(PAYMENTS.c.id == sa.bindparam('payment_id')).values(
        bank_reference_key=sa.bindparam('key'))
    for rows in _batches(conn, PAYMENTS.c.bank_reference):
        keyed = [{'payment_id': row.id, 'key': normalise_ref(row.bank_reference)} for row in rows]
        keyed = [row for row in keyed if row['key'] is not None]
        if keyed:
            conn.execute(update, keyed)


def upgrade() -> None:
    op.create_table(
        'payment_references',
        sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_references_payment_id_payments')),
        sa.PrimaryKeyConstraint('payment_id', 'key', name=op.f('pk_payment_references')),
    )
    backfill(op.get_bind())
    op.create_index(op.f('ix_payment_references_key'), 'payment_references', ['key'], unique=False)
    op.drop_index(op.f('ix_payments_bank_reference_key'), table_name='payments')
    # In place, as 0017's downgrade: SQLite cannot copy-and-move `payments` under the rows that point at it.
    with op.batch_alter_table('payments', recreate='never') as batch_op:
        batch_op.drop_column('bank_reference_key')


def downgrade() -> None:
    with op.batch_alter_table('payments') as batch_op:
        batch_op.add_column(sa.Column('bank_reference_key', sa.String(length=100), nullable=True))
    key_again(op.get_bind())
    op.create_index(op.f('ix_payments_bank_reference_key'), 'payments', ['bank_reference_key'], unique=False)
    op.drop_index(op.f('ix_payment_references_key'), table_name='payment_references')
    op.drop_table('payment_references')
