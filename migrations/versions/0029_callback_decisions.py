"""callback inbox: what people decided, as states of their own: a failure set aside (who, when, why; it was told
until now by a prefix of its reason) and a conflict finance has handled; card-sale declines stored before round 16
get the mark a later approval looks for, and those whose approval is already stored are flagged conflicts

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-29 02:30:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import kernel.db


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

SET_ASIDE = "set aside at "  # how a set-aside's reason opened until now
DECLINED = "card sale declined ("  # how the POS parser has worded a sale's decline since the first round
MAX_REASON = 2000
COLUMNS = (("set_aside_at", kernel.db.UTCDateTime(timezone=True)), ("set_aside_by", sa.String(200)),
           ("set_aside_reason", sa.Text()), ("handled_at", kernel.db.UTCDateTime(timezone=True)),
           ("handled_by", sa.String(200)), ("handled_reason", sa.Text()))

inbox = sa.table("callback_inbox", sa.column("id", sa.BigInteger()), sa.column("provider", sa.String()),
                 sa.column("status", sa.String()), sa.column("reason", sa.Text()),
                 sa.column("external_id", sa.String()), sa.column("event", sa.JSON()),
                 sa.column("processed_at", kernel.db.UTCDateTime(timezone=True)),
                 *(sa.column(name, type_) for name, type_ in COLUMNS))
audit_log = sa.table("audit_log", sa.column("id", sa.BigInteger()), sa.column("at", kernel.db.UTCDateTime()),
                     sa.column("actor", sa.String()), sa.column("action", sa.String()),
                     sa.column("subject_type", sa.String()), sa.column("subject_id", sa.String()),
                     sa.column("reason", sa.Text()))


def upgrade() -> None:
    with op.batch_alter_table('callback_inbox') as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    conn = op.get_bind()
    _set_asides(conn)
    _declines(conn)


def _set_asides(conn) -> None:
    """A set-aside's who, when and why from its audit entry (every set-aside through the API or the page wrote
    one, in the same transaction), its reason unwrapped back to the failure it was. One without an entry is
    still marked set aside (when: its processed_at, which set_aside wrote) and keeps its reason's text as is."""
    rows = conn.execute(sa.select(inbox.c.id, inbox.c.reason, inbox.c.processed_at).where(
        inbox.c.status == "conflict", inbox.c.reason.like(f"{SET_ASIDE}%"))).all()
    for inbox_id, reason, processed_at in rows:
        entry = conn.execute(sa.select(audit_log.c.at, audit_log.c.actor, audit_log.c.reason).where(
            audit_log.c.action == "callback.set_aside", audit_log.c.subject_type == "callback",
            audit_log.c.subject_id == str(inbox_id)).order_by(audit_log.c.id.desc()).limit(1)).first()
        values = {"set_aside_at": processed_at}
        if entry is not None:
            values.update(set_aside_at=entry.at, set_aside_by=entry.actor, set_aside_reason=entry.reason)
            said = f": {entry.reason} (after: "
            start = reason.find(said)
            if start >= 0:  # the failure's own reason; its closing parenthesis is gone if the text was cut
                failure = reason[start + len(said):]
                values["reason"] = (failure[:-1] if failure.endswith(")") else failure) or None
        conn.execute(sa.update(inbox).where(inbox.c.id == inbox_id).values(**values))


def _declines(conn) -> None:
    """Declines of a card sale stored before round 16 carry no event: the POS parser is the only writer of
    `ignored` POS rows, and has worded a sale's decline `card sale declined (…)` since the first round (what
    storing noted goes after it, or before it with "; "), so they are told apart reliably. Each gets the mark;
    one whose approval is stored already (no check then saw it) is the contradiction round 16 flags."""
    now = datetime.now(timezone.utc)
    rows = conn.execute(sa.select(inbox.c.id, inbox.c.reason, inbox.c.external_id, inbox.c.event).where(
        inbox.c.provider == "pos", inbox.c.status == "ignored", inbox.c.reason.like(f"%{DECLINED}%"))).all()
    for inbox_id, reason, external_id, event in rows:
        if event is not None or not (reason.startswith(DECLINED) or f"; {DECLINED}" in reason):
            continue
        values = {"event": {"type": "declined_sale"}}
        approved = conn.execute(sa.select(inbox.c.id, inbox.c.event).where(
            inbox.c.provider == "pos", inbox.c.external_id == external_id,
            inbox.c.status.not_in(("rejected", "ignored"))).order_by(inbox.c.id)).all() if external_id else []
        approval = next((i for i, e in approved if isinstance(e, dict) and e.get("type") == "credit"), None)
        if approval is not None:
            values.update(status="conflict", processed_at=now, reason=(
                f"{reason}; callback #{approval} reported transaction {external_id} approved (found when declines "
                "stored before round 16 were marked): the approval is credited, but the money may not exist; the "
                "sale is not undone by itself, left to finance (check it with the acquirer, then void or refund "
                "it)")[:MAX_REASON])
        conn.execute(sa.update(inbox).where(inbox.c.id == inbox_id).values(**values))


def downgrade() -> None:
    """A set-aside's reason is wrapped again as it was (the state was told by it); handled marks are dropped
    (the audit log keeps them). Declines keep their mark: the code of 0027 reads it."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(inbox.c.id, inbox.c.reason, inbox.c.set_aside_at, inbox.c.set_aside_reason)
                        .where(inbox.c.set_aside_at.is_not(None))).all()
    for inbox_id, reason, at, why in rows:
        if why is not None and not (reason or "").startswith(SET_ASIDE):
            conn.execute(sa.update(inbox).where(inbox.c.id == inbox_id).values(
                reason=f"{SET_ASIDE}{at.isoformat()}: {why} (after: {reason or ''})"[:MAX_REASON]))
    with op.batch_alter_table('callback_inbox') as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
