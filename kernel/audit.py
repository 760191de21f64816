"""An append-only audit log whose rows are hash-chained.

Each row's hash covers its own content and the previous row's hash, so changing or
deleting any row breaks the chain from that point on; `verify_chain` finds the first
broken row. Appends are serialised with an advisory lock so two nodes never fork the chain.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.clock import ensure_aware_utc
from kernel.db import PK, Base, advisory_lock
from kernel.text import clean_text

GENESIS = "0" * 64
REASON_MAX = 1000  # as every reason a money action requires (refunds, resolutions, voids)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[PK]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def _digest(prev_hash: str, at: datetime, actor: str, action: str, subject_type: str,
            subject_id: str, reason: str | None, data: str) -> str:
    material = json.dumps(
        [prev_hash, at.isoformat(), actor, action, subject_type, subject_id, reason, data],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def given_reason(value: object) -> str | None:
    """A reason given for an act that does not require one (revoking a token, changing a user): cleaned as
    every text is, too long refused rather than cut; blank or left out is none."""
    return clean_text(value, "reason", max_len=REASON_MAX, required=False)


def record(session: Session, *, actor: str, action: str, subject_type: str, subject_id: str | int,
           at: datetime, reason: str | None = None, data: dict[str, Any] | None = None) -> AuditEntry:
    """Append one audit row chained to the last one."""
    advisory_lock(session, "audit_log")
    prev = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    body = json.dumps(data or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    at = ensure_aware_utc(at)  # hashed as UTC: the form both databases give back
    entry = AuditEntry(
        at=at, actor=actor, action=action, subject_type=subject_type, subject_id=str(subject_id),
        reason=reason, data=body, prev_hash=prev or GENESIS,
        hash=_digest(prev or GENESIS, at, actor, action, subject_type, str(subject_id), reason, body),
    )
    session.add(entry)
    session.flush()
    return entry


def entry_view(entry: AuditEntry) -> dict[str, Any]:
    """One row as the API shows it, with its place in the chain: its hash and the one before it, so a
    reader can check it against `hccpay audit verify` or a copy of the log."""
    return {"id": entry.id, "at": ensure_aware_utc(entry.at).isoformat(), "actor": entry.actor,
            "action": entry.action, "subject_type": entry.subject_type, "subject_id": entry.subject_id,
            "reason": entry.reason, "data": json.loads(entry.data), "prev_hash": entry.prev_hash,
            "hash": entry.hash}


@dataclass(frozen=True)
class ChainReport:
    rows: int
    broken_at: int | None  # id of the first row that does not verify

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in id order; report the first row that does not match."""
    prev, rows = GENESIS, 0
    for entry in session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    ).scalars():
        rows += 1
        expected = _digest(prev, entry.at, entry.actor, entry.action, entry.subject_type,
                           entry.subject_id, entry.reason, entry.data)
        if entry.prev_hash != prev or entry.hash != expected:
            return ChainReport(rows=rows, broken_at=entry.id)
        prev = entry.hash
    return ChainReport(rows=rows, broken_at=None)
