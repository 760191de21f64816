"""Tables of reconciliation: imports, statement lines, day balances, closes, resolutions, files."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import PK, Base, BigIntPK

# Line statuses (contract: GET /reconciliation/lines)
MATCHED, PROPOSED, UNMATCHED, IGNORED = "matched", "proposed", "unmatched", "ignored"
# Where a credit line's payment came from: a callback saw it first, or the statement created it.
FROM_CALLBACK, FROM_STATEMENT = "callback", "statement"
# Day states
OPEN, CLOSE_REQUESTED, CLOSED = "open", "close_requested", "closed"


class StoredFile(Base):
    """A file kept byte for byte (raw statements, closed-day reports), content-addressed."""

    __tablename__ = "recon_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class StoredFileChunk(Base):
    """1 MiB pieces of a stored file: written and read as a stream, never whole in memory."""

    __tablename__ = "recon_file_chunks"

    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("recon_files.sha256"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StatementImport(Base):
    __tablename__ = "statement_imports"

    id: Mapped[PK]
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))
    profile: Mapped[str | None] = mapped_column(String(20))
    account_number: Mapped[str] = mapped_column(String(40))
    clearing_account: Mapped[str] = mapped_column(String(80), index=True)
    period_from: Mapped[date | None]
    period_to: Mapped[date | None]
    file_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("recon_files.sha256"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # processing | done | failed
    lines_total: Mapped[int]
    lines_processed: Mapped[int] = mapped_column(default=0)
    lines_new: Mapped[int] = mapped_column(default=0)
    lines_duplicate: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    finished_at: Mapped[datetime | None]


# A part of a camt.053 batch entry, keyed `<entry key>/<n>`: the lines `links.known_batch_parts` reads
# by day, through a partial index holding only them.
BATCH_PART = text("line_key LIKE '%/%'")
# A line keyed by its fingerprint (no bank reference): the lines `links.known_by_fingerprint` reads by day for a
# referenced line, through a partial index holding only them (without it, every line of the account, per chunk).
UNREFERENCED = text("line_key LIKE 'f:%'")


class StatementLine(Base):
    """One bank transaction, once per account whatever how many files carried it."""

    __tablename__ = "statement_lines"
    __table_args__ = (
        UniqueConstraint("clearing_account", "line_key", name="uq_statement_lines_account_key"),
        Index("ix_statement_lines_recon_date_status", "recon_date", "status"),
        Index("ix_statement_lines_import_line_no", "import_id", "line_no"),
        Index("ix_statement_lines_batch_parts", "clearing_account", "booking_date",
              postgresql_where=BATCH_PART, sqlite_where=BATCH_PART),
        Index("ix_statement_lines_unreferenced", "clearing_account", "booking_date",
              postgresql_where=UNREFERENCED, sqlite_where=UNREFERENCED),
    )

    id: Mapped[PK]
    import_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("statement_imports.id"))
    line_no: Mapped[int]  # position in the file of the import that brought it
    clearing_account: Mapped[str] = mapped_column(String(80))
    line_key: Mapped[str] = mapped_column(String(80))  # r:<date>:<bank ref> or f:<fingerprint>#<n>
    booking_date: Mapped[date]
    recon_date: Mapped[date]  # the day it is reconciled in: its booking day, or the next open one
    booked_at: Mapped[datetime]
    value_date: Mapped[date | None]  # the day the bank gives the money its value, when the file says
    amount_vnd: Mapped[int]
    direction: Mapped[str] = mapped_column(String(6))
    is_reversal: Mapped[bool] = mapped_column(default=False)
    bank_ref: Mapped[str | None] = mapped_column(String(100))
    memo: Mapped[str] = mapped_column(Text)
    payer_name: Mapped[str | None] = mapped_column(String(200))
    payer_account: Mapped[str | None] = mapped_column(String(40))
    balance_after_vnd: Mapped[int | None]
    payment_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("payments.id"), unique=True)
    source: Mapped[str | None] = mapped_column(String(10))  # callback | statement (credits only)
    status: Mapped[str] = mapped_column(String(10))
    closed_status: Mapped[str | None] = mapped_column(String(10))  # `status` when its day closed (frozen)
    score: Mapped[int]
    reasons: Mapped[list[Any]]
    proposal: Mapped[dict[str, Any] | None]
    version: Mapped[int] = mapped_column(default=1)  # bumped by every resolution (optimistic checks)
    created_at: Mapped[datetime]


class StatementLineRepeat(Base):
    """A line seen again by a later import (same or overlapping file): listed, not added."""

    __tablename__ = "statement_line_repeats"

    import_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("statement_imports.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("statement_lines.id"), index=True)


class StatementBalance(Base):
    """Opening/closing balance the bank states for one account and day (latest import wins)."""

    __tablename__ = "statement_balances"

    clearing_account: Mapped[str] = mapped_column(String(80), primary_key=True)
    business_date: Mapped[date] = mapped_column(primary_key=True)
    opening_vnd: Mapped[int | None]
    closing_vnd: Mapped[int | None]
    import_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("statement_imports.id"))


class ReconDay(Base):
    """A business day's reconciliation: open, close requested by finance, closed by an approver."""

    __tablename__ = "recon_days"

    business_date: Mapped[date] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any] | None]  # frozen at close
    reports: Mapped[dict[str, Any] | None]  # {"csv": {"sha256", "size_bytes"}, ...} frozen at close


class Resolution(Base):
    """A person's decision on a line or an exception: reason mandatory, undoable while its day is open."""

    __tablename__ = "recon_resolutions"

    id: Mapped[PK]
    recon_date: Mapped[date] = mapped_column(index=True)  # the day it counts in
    line_id: Mapped[int | None] = mapped_column(BigIntPK, ForeignKey("statement_lines.id"), index=True)
    exception_key: Mapped[str | None] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]
    adjustment: Mapped[bool] = mapped_column(default=False)  # a correction to a closed day
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    undone_by: Mapped[str | None] = mapped_column(String(200))
    undone_at: Mapped[datetime | None]
    undo_reason: Mapped[str | None] = mapped_column(Text)


class SweepFinding(Base):
    """What the missed-callback sweep found: a statement credit no callback announced, or a
    callback that no statement line showed after N working days."""

    __tablename__ = "recon_sweep_findings"
    __table_args__ = (UniqueConstraint("kind", "subject_id", name="uq_recon_sweep_findings_kind_subject"),)

    id: Mapped[PK]
    kind: Mapped[str] = mapped_column(String(30))  # missed_callback | callback_without_statement
    subject_id: Mapped[int]  # statement line id or payment id
    business_date: Mapped[date] = mapped_column(index=True)
    amount_vnd: Mapped[int]
    found_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]  # e.g. the statement line turned up later
