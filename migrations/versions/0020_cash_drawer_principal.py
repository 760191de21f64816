"""cash_drawers.cashier_key: a drawer belongs to the principal (`kind:id`), not to the name

Drawers were unique by (cashier, business_date), `cashier` being the actor string `kind:id:name`: a
staff user renamed during the day got a second drawer for the same day (cash split across two, the
counter page showing one, the close of one leaving the other open). A drawer is now unique by
(cashier_key, business_date), `cashier_key` being `kernel.auth.principal_key` of the actor; `cashier`
stays the actor string it was opened under, for reports.

The drawers stored before are keyed from their actor strings, in id order. A drawer the defect split
off its principal's drawer of the same day keeps its money (the ledger's `cash:<id>` account, the
payments' clearing account, a close's count point at it) and is keyed apart, `kind:id#<drawer id>`:
never found again to take cash into, still closed by its owner (ownership compares actor strings by
principal, `same_principal`) or by finance. Going down, the key goes and drawers are unique by actor
string again (which every keyed drawer is: one key per day, one actor string per key).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 12:00:00
"""
import sqlalchemy as sa
from alembic import op

from kernel.auth import principal_key

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

BATCH = 5000
DRAWERS = sa.table('cash_drawers', sa.column('id', sa.BigInteger), sa.column('cashier', sa.String),
                   sa.column('business_date', sa.Date), sa.column('cashier_key', sa.String))


def backfill(conn: sa.Connection) -> None:
    """Key every drawer by its principal; the second and later of a principal's day apart, by their id."""
    update = sa.update(DRAWERS).where(DRAWERS.c.id == sa.bindparam('drawer_id')).values(
        cashier_key=sa.bindparam('key'))
    seen: set[tuple[str, object]] = set()
    after = 0
    while True:
        rows = conn.execute(sa.select(DRAWERS.c.id, DRAWERS.c.cashier, DRAWERS.c.business_date)
                            .where(DRAWERS.c.id > after).order_by(DRAWERS.c.id).limit(BATCH)).all()
        if not rows:
            return
        keyed = []
        for row in rows:
            key = principal_key(row.cashier)
            if (key, row.business_date) in seen:
                key = f"{key}#{row.id}"
            seen.add((key, row.business_date))
            keyed.append({'drawer_id': row.id, 'key': key})
        conn.execute(update, keyed)
        after = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table('cash_drawers') as batch_op:
        batch_op.add_column(sa.Column('cashier_key', sa.String(length=60), nullable=True))
    backfill(op.get_bind())
    with op.batch_alter_table('cash_drawers') as batch_op:
        batch_op.alter_column('cashier_key', existing_type=sa.String(length=60), nullable=False)
        batch_op.drop_constraint('uq_cash_drawers_cashier_day', type_='unique')
        batch_op.create_unique_constraint('uq_cash_drawers_cashier_key_day', ['cashier_key', 'business_date'])


def downgrade() -> None:
    with op.batch_alter_table('cash_drawers') as batch_op:
        batch_op.drop_constraint('uq_cash_drawers_cashier_key_day', type_='unique')
        batch_op.create_unique_constraint('uq_cash_drawers_cashier_day', ['cashier', 'business_date'])
        batch_op.drop_column('cashier_key')
