"""Use cases of reconciliation that routes and the CLI call (reads, the day's re-match, imports).

Imports are the one exception to "one transaction per request": a statement can hold a
million lines, so `import_statement` validates the whole file first (nothing is written for
a bad file) and then commits chunk by chunk (see `importer`).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import BinaryIO

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from kernel import books
from kernel.audit import AuditEntry
from kernel.errors import NotFound, ValidationError
from payments.models import PaymentAllocation, PaymentRequest
from reconciliation import days, importer, links, resolutions
from reconciliation.matching import PaymentFacts, request_reasons
from reconciliation.models import Resolution, StatementImport, StatementLine, StatementLineRepeat
from reconciliation.statements import CREDIT

MAX_LIMIT = 1000


def import_statement(sessions: sessionmaker[Session], source: BinaryIO, *, filename: str | None, fmt: str | None,
                     account_number: str | None, profile: str | None, settings: Settings, actor: str,
                     now: datetime, on_progress: importer.Progress | None = None) -> int:
    """Parse, then store, match and credit a statement; returns the import id."""
    parsed = importer.parse_upload(source, fmt=fmt, profile=profile, account=account_number)
    try:
        importer.resolve_account(settings, parsed.info.account, account_number)  # refuse before writing
        return importer.run_import(sessions, parsed, filename=filename, account_number=account_number,
                                   settings=settings, actor=actor, now=now, on_progress=on_progress)
    finally:
        parsed.close()


def get_import(session: Session, import_id: int) -> StatementImport:
    found = session.get(StatementImport, import_id)
    if found is None:
        raise NotFound(f"no statement import {import_id}", code="import_not_found")
    return found


def list_imports(session: Session, *, limit: int = 50) -> list[StatementImport]:
    return list(session.execute(select(StatementImport).order_by(StatementImport.id.desc()).limit(limit)).scalars())


def get_line(session: Session, line_id: int) -> StatementLine:
    line = session.get(StatementLine, line_id)
    if line is None:
        raise NotFound(f"no statement line {line_id}", code="line_not_found")
    return line


def list_lines(session: Session, *, import_id: int | None = None, day: date | None = None,
               status: str | None = None, limit: int = 100, offset: int = 0
               ) -> tuple[list[tuple[int, StatementLine, bool]], int]:
    """((line_no, line, seen before) for one page, total) of an import's file or of a day, or of an
    import's file on a day when both are given."""
    if import_id is None and day is None:
        raise ValidationError("give import_id or date", code="missing_filter")
    if import_id is not None:
        get_import(session, import_id)
        own = select(StatementLine.line_no.label("n"), StatementLine.id.label("line_id"),
                     literal(False).label("seen")).where(StatementLine.import_id == import_id)
        again = select(StatementLineRepeat.line_no.label("n"), StatementLineRepeat.line_id.label("line_id"),
                       literal(True).label("seen")).where(StatementLineRepeat.import_id == import_id)
        wanted = ([StatementLine.status == status] if status else []) + \
            ([StatementLine.recon_date == day] if day is not None else [])
        if wanted:
            own = own.where(*wanted)
            again = again.join(StatementLine, StatementLine.id == StatementLineRepeat.line_id).where(*wanted)
        both = union_all(own, again).subquery()
        total = session.execute(select(func.count()).select_from(both)).scalar_one()
        page = session.execute(select(both.c.n, both.c.line_id, both.c.seen).order_by(both.c.n)
                               .limit(limit).offset(offset)).all()
    else:
        query = select(StatementLine.line_no, StatementLine.id, literal(False)).where(StatementLine.recon_date == day)
        if status:
            query = query.where(StatementLine.status == status)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        page = session.execute(query.order_by(StatementLine.id).limit(limit).offset(offset)).all()
    by_id = {line.id: line for line in session.execute(
        select(StatementLine).where(StatementLine.id.in_([row[1] for row in page]))).scalars()} if page else {}
    return [(n, by_id[line_id], bool(seen)) for n, line_id, seen in page], total


def request_states(session: Session, codes: set[str]) -> dict[str, tuple[str, int]]:
    """payment code -> (status, how many payments pay it now)."""
    if not codes:
        return {}
    rows = session.execute(
        select(PaymentRequest.payment_code, PaymentRequest.status, func.count(func.distinct(PaymentAllocation.payment_id)))
        .outerjoin(PaymentAllocation, (PaymentAllocation.payment_request_id == PaymentRequest.id)
                   & PaymentAllocation.released_at.is_(None))
        .where(PaymentRequest.payment_code.in_(sorted(codes)))
        .group_by(PaymentRequest.payment_code, PaymentRequest.status))
    return {code: (status, count) for code, status, count in rows}


def derived_reasons(allocations, states: dict[str, tuple[str, int]]) -> list[str]:
    reasons: list[str] = []
    for code, _, _ in allocations:
        status, paying = states.get(code, ("", 0))
        reasons += [r for r in request_reasons(status, paying) if r not in reasons]
    return reasons


def shown_reasons(stored: list[str] | None, paid: PaymentFacts | None, states: dict[str, tuple[str, int]]
                  ) -> list[str]:
    """A line's reasons as people read them (the API, the finance pages and the day's reports alike): those
    stored when it was last matched, with what its row does not hold: a callback linked after the statement
    (`seen_by_callback`, where a line whose callback came first has it: the same transfer reads the same
    whichever came first) and the state of the requests it paid (under, over or split payment)."""
    reasons = list(stored or [])
    if paid is not None and paid.announced and "seen_by_callback" not in reasons:
        reasons.insert(1 if reasons[:1] == ["reversal"] else 0, "seen_by_callback")
    allocations = paid.allocations if paid else ()
    return reasons + [r for r in derived_reasons(allocations, states) if r not in reasons]


def resolutions_of(session: Session, line_id: int) -> list[Resolution]:
    return list(session.execute(select(Resolution).where(Resolution.line_id == line_id)
                                .order_by(Resolution.id)).scalars())


def audit_of(session: Session, line_id: int, decisions: list[Resolution]) -> list[AuditEntry]:
    """The audit rows of a line, oldest first: its decisions, their undoing, the acknowledgements of its
    exceptions and the refunds its decisions asked for (who, when, why; hash-chained)."""
    refund_ids = sorted({str(r.data["refund_id"]) for r in decisions
                         if isinstance(r.data, dict) and r.data.get("refund_id") is not None})
    return list(session.execute(select(AuditEntry).where(or_(
        and_(AuditEntry.subject_type == "statement_line", AuditEntry.subject_id == str(line_id)),
        and_(AuditEntry.subject_type == "resolution", AuditEntry.subject_id.in_([str(r.id) for r in decisions])),
        and_(AuditEntry.subject_type == "exception", AuditEntry.subject_id.like(f"line:{line_id}:%")),
        and_(AuditEntry.subject_type == "refund", AuditEntry.subject_id.in_(refund_ids))))
        .order_by(AuditEntry.id)).scalars())


def match_day(session: Session, day: date, *, settings: Settings, now: datetime) -> dict:
    """Re-derive every line of the day from the ledger as it is now (e.g. after money in
    suspense was assigned from the finance screens) and report the counts."""
    books.hold_books(session)  # a close in progress commits first: lines of a closed day stay as frozen
    days.ensure_open(session, day, lock=True)
    lines = session.execute(select(StatementLine).where(StatementLine.recon_date == day)
                            .order_by(StatementLine.id)).scalars().all()
    facts = links.payment_facts(session, [line.payment_id for line in lines if line.payment_id])
    settled = resolutions.standing_decisions(session, [line.id for line in lines])
    changed = 0
    counts: dict[str, int] = {}
    for line in lines:
        paid = facts.get(line.payment_id) if line.payment_id else None
        verdict = resolutions.line_verdict(line, paid, settled.get(line.id, ()))
        if (verdict.status, verdict.score, verdict.reasons) != (line.status, line.score, line.reasons):
            line.status, line.score, line.reasons = verdict.status, verdict.score, verdict.reasons
            line.version += 1
            changed += 1
        counts[verdict.status] = counts.get(verdict.status, 0) + 1
    return {"date": day.isoformat(), "lines": len(lines), "changed": changed, "by_status": counts,
            "credits": sum(1 for line in lines if line.direction == CREDIT)}
