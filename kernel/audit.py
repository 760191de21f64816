"""An append-only audit log whose rows are hash-chained.

Each row's hash covers its own content and the previous row's hash, so changing or
deleting any row breaks the chain from that point on; `verify_chain` finds the first
broken row. Appends are serialised with an advisory lock so two nodes never fork the chain.

The chain alone is unkeyed: whoever can write the database can change a row and recompute every
hash after it, or cut the tail off. So the worker seals the chain's head every hour (`seal`): an
HMAC-SHA256, under a key derived from HCCPAY_SECRET_KEY (which the database never holds), over the
last row's id and hash, the number of rows and the previous seal. Rows up to the last seal cannot
then be rewritten, removed or cut off without the key; `verify_chain` with the key checks both.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, func, select
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


class AuditSeal(Base):
    """A keyed seal over the chain's head at `at` (see the module's docstring)."""

    __tablename__ = "audit_seals"

    id: Mapped[PK]
    at: Mapped[datetime]
    last_entry_id: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(BigInteger)  # audit rows up to and including last_entry_id
    last_hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))


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


def _seal_key(secret: str) -> bytes:
    """The sealing key: derived, so the app key itself signs nothing but what it always signed."""
    return hmac.new(secret.encode(), b"hccpay audit seal", hashlib.sha256).digest()


def _seal_mac(key: bytes, prev_mac: str, at: datetime, last_entry_id: int, rows: int, last_hash: str) -> str:
    material = json.dumps([prev_mac, ensure_aware_utc(at).isoformat(), last_entry_id, rows, last_hash],
                          separators=(",", ":"))
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


def seal(session: Session, *, secrets: tuple[str, ...], now: datetime) -> AuditSeal | None:
    """Seal the chain's head with the first key (the others only verify: rotation); None when there is
    nothing new since the last seal (or nothing at all)."""
    advisory_lock(session, "audit_log")  # the head cannot move while it is sealed
    head = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    last = session.execute(select(AuditSeal).order_by(AuditSeal.id.desc()).limit(1)).scalar()
    if head is None or (last is not None and last.last_entry_id == head.id):
        return None
    rows = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    at = ensure_aware_utc(now)
    entry = AuditSeal(at=at, last_entry_id=head.id, rows=rows, last_hash=head.hash,
                      mac=_seal_mac(_seal_key(secrets[0]), last.mac if last else GENESIS, at, head.id, rows,
                                    head.hash))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    rows: int
    broken_at: int | None  # id of the first row that does not verify
    seals: int = 0  # seals checked (none without a key)
    broken_seal: int | None = None  # id of the first seal that does not verify
    unsealed: int = 0  # rows after the last seal checked (all of them when none was)
    last_sealed_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.broken_seal is None


def verify_chain(session: Session, *, secrets: tuple[str, ...] = ()) -> ChainReport:
    """Recompute every hash in id order and report the first row that does not match; with the keys,
    check every seal too: its MAC (under one of the keys, chained to the seal before it) and that the
    row it names is there with the hash and the count of rows up to it that it sealed."""
    seals = list(session.execute(select(AuditSeal).order_by(AuditSeal.id)).scalars()) if secrets else []
    by_entry: dict[int, list[AuditSeal]] = {}
    for sealed in seals:
        by_entry.setdefault(sealed.last_entry_id, []).append(sealed)
    broken_seal = _first_forged(seals, secrets)
    prev, rows, seen = GENESIS, 0, set()
    for entry in session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    ).scalars():
        rows += 1
        expected = _digest(prev, entry.at, entry.actor, entry.action, entry.subject_type,
                           entry.subject_id, entry.reason, entry.data)
        if entry.prev_hash != prev or entry.hash != expected:
            return ChainReport(rows=rows, broken_at=entry.id, seals=len(seals), broken_seal=broken_seal)
        for sealed in by_entry.get(entry.id, ()):
            seen.add(sealed.id)
            if (sealed.last_hash != entry.hash or sealed.rows != rows) and _before(sealed.id, broken_seal):
                broken_seal = sealed.id
        prev = entry.hash
    missing = [s.id for s in seals if s.id not in seen]  # the row it sealed is gone
    if missing and _before(missing[0], broken_seal):
        broken_seal = missing[0]
    sealed_rows = seals[-1].rows if seals else 0
    return ChainReport(rows=rows, broken_at=None, seals=len(seals), broken_seal=broken_seal,
                       unsealed=max(rows - sealed_rows, 0), last_sealed_at=ensure_aware_utc(seals[-1].at)
                       if seals else None)


def _first_forged(seals: list[AuditSeal], secrets: tuple[str, ...]) -> int | None:
    """The first seal whose MAC no key gives (forged, changed, or the one after a removed seal)."""
    keys = [_seal_key(secret) for secret in secrets]
    prev = GENESIS
    for sealed in seals:
        given = sealed.mac.encode()  # bytes: a non-ASCII str would make compare_digest raise
        if not any(hmac.compare_digest(given, _seal_mac(key, prev, sealed.at, sealed.last_entry_id, sealed.rows,
                                                        sealed.last_hash).encode()) for key in keys):
            return sealed.id
        prev = sealed.mac
    return None


def _before(seal_id: int, other: int | None) -> bool:
    return other is None or seal_id < other
