"""JSON views of reconciliation objects."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kernel.http import settings
from payments import suggestions
from payments.states import OPEN
from reconciliation import links, service
from reconciliation.models import PROPOSED, StatementImport, StatementLine
from reconciliation.statements import CREDIT



def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def import_view(found: StatementImport) -> dict[str, Any]:
    return {
        "import_id": found.id, "filename": found.filename, "format": found.format, "profile": found.profile,
        "account_number": found.account_number, "clearing_account": found.clearing_account,
        "period": {"from": _iso(found.period_from), "to": _iso(found.period_to)},
        "lines_total": found.lines_total, "lines_new": found.lines_new, "lines_duplicate": found.lines_duplicate,
        "lines_processed": found.lines_processed,
        "progress": round(found.lines_processed / found.lines_total, 4) if found.lines_total else 1.0,
        "status": found.status, "error": found.error, "file_sha256": found.file_sha256,
        "created_at": _iso(found.created_at), "created_by": found.created_by, "finished_at": _iso(found.finished_at),
    }


def line_views(session: Session, page: list[tuple[int, StatementLine, bool]], *, suggest: bool = True
               ) -> list[dict[str, Any]]:
    """Lines with their current allocations, the reasons the requests they paid add and, for a
    credit waiting in suspense, suggestions (the one presenter of the list and the single line)."""
    facts = links.payment_facts(session, [line.payment_id for _, line, _ in page if line.payment_id])
    codes = {code for f in facts.values() for code, _, _ in f.allocations}
    codes |= {line.proposal["payment_code"] for _, line, _ in page if line.status == PROPOSED and line.proposal}
    states = service.request_states(session, codes)
    views, waiting = [], []
    for line_no, line, seen in page:
        paid = facts.get(line.payment_id) if line.payment_id else None
        allocations = paid.allocations if paid else ()
        view = {
            "id": line.id, "import_id": line.import_id, "line_no": line_no, "bank_ref": line.bank_ref,
            "booking_date": _iso(line.booking_date), "recon_date": _iso(line.recon_date),
            "booked_at": _iso(line.booked_at), "value_date": _iso(line.value_date), "amount_vnd": line.amount_vnd, "direction": line.direction,
            "memo": line.memo, "payer_name": line.payer_name, "payer_account": line.payer_account,
            "balance_after_vnd": line.balance_after_vnd, "status": line.status,
            "status_at_close": line.closed_status, "score": line.score,
            "reasons": service.shown_reasons(line.reasons, paid, states),
            "allocations": [{"payment_code": c, "amount_vnd": a, "how": h} for c, a, h in allocations],
            "unallocated_vnd": paid.unallocated_vnd if paid else 0, "payment_id": line.payment_id,
            "source": line.source, "proposal": line.proposal, "version": line.version,
            "seen_before": seen, "is_reversal": line.is_reversal,
        }
        if suggest and line.direction == CREDIT and paid is not None and paid.unallocated_vnd > 0 \
                and not allocations:
            waiting.append((view, line, paid.unallocated_vnd))
        views.append(view)
    ranked = suggestions.for_each(session, [suggestions.Money(vnd, line.booking_date, line.memo, line.payer_name)
                                            for _, line, vnd in waiting],
                                  prefix=settings().payment_code_prefix)  # one read for the page
    named = suggestions.named_by_late_callbacks(
        session, [(line.payment_id, vnd) for _, line, vnd in waiting if facts[line.payment_id].announced],
        settings().payment_code_prefix)
    for (view, line, _), found in zip(waiting, ranked):
        view["suggestions"] = _suggestions(line, suggestions.first_each(named.get(line.payment_id, []), found),
                                           states)
    return views


def _suggestions(line: StatementLine, found: list[dict], states: dict[str, tuple[str, int]]) -> list[dict[str, Any]]:
    """The line's proposal first (the request its mistyped code names, for another amount) while
    that request is open, then the requests its callback named, its amount, payer and date point to (`found`),
    each once."""
    proposal = line.proposal if line.status == PROPOSED else None
    if proposal and states.get(proposal["payment_code"], ("", 0))[0] in OPEN:
        first = {key: proposal[key] for key in ("payment_code", "amount_vnd", "score", "reasons")}
        found = suggestions.first_each([first], found)
    return found


def resolution_view(resolution) -> dict[str, Any]:
    return {"id": resolution.id, "recon_date": _iso(resolution.recon_date), "line_id": resolution.line_id,
            "exception_key": resolution.exception_key, "action": resolution.action, "reason": resolution.reason,
            "data": resolution.data, "adjustment": resolution.adjustment, "created_by": resolution.created_by,
            "created_at": _iso(resolution.created_at), "undone_by": resolution.undone_by,
            "undone_at": _iso(resolution.undone_at), "undo_reason": resolution.undo_reason}
