"""statement lines: fingerprint keys include the bank's time when the file gave one

A line without a global bank reference is keyed by a fingerprint; since this revision the
fingerprint includes the booking time when the file gives one (the same amount and memo at
09:00 and at 15:00 are two transfers). Lines stored before get the key the import now
computes, so re-importing an old file still adds nothing. A line stored without a time (00:00
in Hà Nội, as the import stores a date alone) keeps its key, as does one whose new key is
already taken.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 08:00:00
"""
from collections import defaultdict
from datetime import time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LINES = sa.table("statement_lines", sa.column("id"), sa.column("import_id"), sa.column("line_no"),
                 sa.column("clearing_account"), sa.column("line_key"), sa.column("booking_date", sa.Date),
                 sa.column("booked_at", sa.DateTime(timezone=True)), sa.column("amount_vnd"),
                 sa.column("direction"), sa.column("bank_ref"), sa.column("memo"))


def upgrade() -> None:
    _rekey(with_time=True)


def downgrade() -> None:
    _rekey(with_time=False)  # the keys the older import computes


def _rekey(*, with_time: bool) -> None:
    from datetime import timezone

    from reconciliation.matching import base_key
    from reconciliation.statements import StatementLine

    conn = op.get_bind()
    taken = defaultdict(set)
    for account, key in conn.execute(sa.select(LINES.c.clearing_account, LINES.c.line_key)):
        taken[account].add(key)
    seen: dict[tuple[int, str], int] = defaultdict(int)  # (import, base) -> occurrences so far
    rows = conn.execute(sa.select(LINES).where(LINES.c.line_key.like("f:%"))
                        .order_by(LINES.c.import_id, LINES.c.line_no)).all()
    for row in rows:
        at = row.booked_at if row.booked_at.tzinfo else row.booked_at.replace(tzinfo=timezone.utc)
        if at.astimezone(VN_TZ).time() == time.min:
            continue  # stored from a date alone: its key is the same either way
        base = base_key(StatementLine(line_no=row.line_no, booking_date=row.booking_date, amount_vnd=row.amount_vnd,
                                      direction=row.direction, memo=row.memo, bank_ref=row.bank_ref,
                                      booked_at=at if with_time else None))
        seen[(row.import_id, base)] += 1
        n = seen[(row.import_id, base)]
        key = base if n == 1 else f"{base}#{n}"
        if key == row.line_key or key in taken[row.clearing_account]:
            continue
        conn.execute(sa.update(LINES).where(LINES.c.id == row.id).values(line_key=key))
        taken[row.clearing_account].discard(row.line_key)
        taken[row.clearing_account].add(key)
