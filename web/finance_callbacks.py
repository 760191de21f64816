"""The finance workspace's callbacks that need a person (`/staff/finance/callbacks`): conflicts (verified
callbacks contradicting what was recorded, failures set aside), failures (processing failed) and refusals
(bad signature, malformed…), as the API's `/finance/conflicts`, `/failed-callbacks` and `/rejected-callbacks`
list them, with the same readers, and the conflicts finance has handled (`/finance/conflicts?handled=true`); an
admin queues a failure again or sets it aside (`inbox.MENDERS`), finance marks a conflict handled
(`inbox.HANDLERS`), as the API does, through the same audited service calls.

A stored body may hold a payer's name, account or (before redaction) card: the page never shows the body or
the query, only the provider, the transaction id and the reason our code wrote, which is English technical
text and so is shown as detail under a sentence saying what it means and what to do.
"""
from __future__ import annotations

from flask import abort, request, url_for

from kernel import inbox
from kernel.clock import now_utc
from kernel.errors import ValidationError
from kernel.http import actor, current_principal, transaction
from payments.channels.pos import mask_card_numbers
from web.auth import AREAS, page_requires
from web.finance import READERS, _render, chosen_day, finance_pages
from web.finance_actions import _reason, _run
from web.finance_text import CALLBACK_LISTS, CALLBACK_MEANING
from web.paging import PAGE_SIZE, offset_arg, page_start

# An admin mends failures but is no finance reader: the staff navigation takes them straight to the failures.
AREAS.append(("finance_pages.callbacks", "Thông báo cần xử lý", frozenset(inbox.MENDERS)))
# list -> (stored status, handled, who may read it: the API's `requires` of the matching list)
LISTS = {"conflicts": (inbox.CONFLICT, False, frozenset(READERS)),
         "failed": (inbox.RECEIVED, False, frozenset((*READERS, *inbox.MENDERS))),
         "rejected": (inbox.REJECTED, False, frozenset(READERS)),
         "handled": (inbox.CONFLICT, True, frozenset(READERS))}


def _chosen_list(roles: frozenset[str]) -> str:
    """`?list=`: one of LISTS (else 400, as the workspace's filters); blank is the first the visitor may read."""
    chosen = request.args.get("list", "")
    if chosen and chosen not in LISTS:
        raise ValidationError("list is not one of the page's choices", code="invalid_parameter",
                              details={"parameter": "list"})
    return chosen or next(name for name, (_, _, readers) in LISTS.items() if roles & readers)


def _row(row: inbox.InboundCallback, listed: str) -> dict:
    """What the page shows of a stored callback: never its body or query (PII). Reasons are written by our code
    and name no card, but one quoting what it refused must not show one either: masked as the POS bodies are."""
    meaning = "set_aside" if row.set_aside_at is not None and listed == "conflicts" else listed
    return {"id": row.id, "received_at": row.received_at.isoformat(), "provider": row.provider,
            "external_id": row.external_id, "status": meaning, "meaning": CALLBACK_MEANING[meaning],
            "reason": _masked(row.reason),
            "set_aside": _decided(row.set_aside_at, row.set_aside_by, row.set_aside_reason),
            "handled": _decided(row.handled_at, row.handled_by, row.handled_reason)}


def _masked(text: str | None) -> str | None:
    return mask_card_numbers(text.encode()).decode() if text else None


def _decided(at, by: str | None, why: str | None) -> dict | None:
    """Who set a callback aside or handled it, when and why: people's words, shown as they wrote them (masked
    as a reason is, should one quote a card)."""
    return None if at is None else {"at": at.isoformat(), "by": by, "reason": _masked(why)}


@finance_pages.get("/callbacks")
@page_requires(*{role for _, _, readers in LISTS.values() for role in readers})
def callbacks():
    """Callbacks that need a person, a list at a time; the lists the visitor may not read are not offered."""
    roles = current_principal().roles
    listed = _chosen_list(roles)
    status, handled, readers = LISTS[listed]
    if not roles & readers:
        abort(403)
    with transaction() as session:
        total = inbox.count_needing_people(session, status, handled=handled)
        offset = page_start(offset_arg(), total)
        rows = inbox.needing_people(session, status, limit=PAGE_SIZE, offset=offset, handled=handled)
        offered = [(name, CALLBACK_LISTS[name]) for name, (_, _, who) in LISTS.items() if roles & who]
        return _render("staff/finance_callbacks.html", session, chosen_day(), "callbacks", listed=listed, lists=offered,
                       rows=[_row(r, listed) for r in rows], total=total, offset=offset,
                       can_mend=bool(roles & set(inbox.MENDERS)), can_handle=bool(roles & set(inbox.HANDLERS)),
                       finance_reader=bool(roles & set(READERS)))


def _failed_list() -> str:
    return url_for("finance_pages.callbacks", list="failed")


@finance_pages.post("/callbacks/<int:inbox_id>/handle")
@page_requires(*inbox.HANDLERS)
def handle_callback(inbox_id: int):
    """Mark a conflict handled, with a reason (audited, as the API's handle)."""
    def work() -> str:
        reason = _reason()
        with transaction() as session:
            inbox.handle_audited(session, inbox_id, actor=actor(), now=now_utc(), reason=reason)
        return "Đã đánh dấu thông báo là đã xử lý."
    return _run(work, url_for("finance_pages.callbacks", list="conflicts"))


@finance_pages.post("/callbacks/<int:inbox_id>/retry")
@page_requires(*inbox.MENDERS)
def retry_callback(inbox_id: int):
    """Queue a failed callback again once its fault is mended (audited, as the API's retry)."""
    def work() -> str:
        with transaction() as session:
            inbox.requeue_audited(session, inbox_id, actor=actor(), now=now_utc())
        return "Đã xếp thông báo vào hàng xử lý lại."
    return _run(work, _failed_list())


@finance_pages.post("/callbacks/<int:inbox_id>/set-aside")
@page_requires(*inbox.MENDERS)
def set_callback_aside(inbox_id: int):
    """Set aside a failed callback that cannot be mended, with a reason (audited, as the API's set-aside)."""
    def work() -> str:
        reason = _reason()
        with transaction() as session:
            inbox.set_aside_audited(session, inbox_id, actor=actor(), now=now_utc(), reason=reason)
        return "Đã gác lại thông báo; khoản tiền (nếu có) được đối soát theo sao kê."
    return _run(work, _failed_list())
