"""The callback inbox: every inbound callback is stored raw, in its own committed transaction,
before anything applies it. Rejected ones stay with their reason; processing outcomes are
written back on the same row. So a 2xx is never given for something not durably recorded,
and nothing a bank or courier sent is ever lost, even when our code fails on it.

Payment callbacks are verified in memory and stored once with the verdict: a verified one is
`queued` with its interpreted event and applied by the workers (`take_queued`), in batches.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Request
from sqlalchemy import Connection, Index, LargeBinary, String, Text, bindparam, case, func, insert, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from werkzeug.exceptions import RequestEntityTooLarge

from kernel import audit
from kernel.db import PK, Base, insert_returning_id, unit_of_work
from kernel.errors import Conflict, NotFound

# received: stored, not (or not successfully) processed; queued: verified, waiting for a worker.
RECEIVED, QUEUED, APPLIED, DUPLICATE, CONFLICT, IGNORED, REJECTED = (
    "received", "queued", "applied", "duplicate", "conflict", "ignored", "rejected")
MAX_STORED_BODY = 1024 * 1024
MAX_STORED_QUERY = 8000  # characters: a VNPay IPN's signed parameters are all in it, some 1,000
MAX_REASON = 2000
_ATTENTION = "status = 'conflict' OR status = 'rejected' OR status = 'received'"
_REDACTED_HEADERS = {"authorization", "cookie", "x-api-key"}
# Who may queue a failed callback again or set it aside (the API's and the finance page's forms): mending
# the fault first is an operator's job, so finance reads the failures and an admin acts on them.
MENDERS = ("admin",)
# Who may mark a conflict handled (the API's and the finance page's forms): settling one is money work (a void,
# a refund, a call to the bank), finance's as every other decision on money is; approvers and auditors read.
HANDLERS = ("finance",)


class InboundCallback(Base):
    __tablename__ = "callback_inbox"
    __table_args__ = (
        Index("ix_callback_inbox_provider_external_id", "provider", "external_id"),
        # The workers' queue: only queued rows, in id order. A partial index stays as small as
        # the queue, and its plain index scans skip entries of rows already applied (a bitmap
        # scan of the status index re-read every row applied since the last vacuum).
        Index("ix_callback_inbox_queued", "id", postgresql_where=text("status = 'queued'"),
              sqlite_where=text("status = 'queued'")),
        # What finance looks through (conflicts, refusals, failures): rare rows, so an index of
        # only those costs the normal path (queued, then applied) nothing.
        Index("ix_callback_inbox_attention", "status", "id", postgresql_where=text(_ATTENTION),
              sqlite_where=text(_ATTENTION)),
    )

    id: Mapped[PK]
    provider: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(index=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    query: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    source_ip: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(100))  # the provider's transaction/event id
    processed_at: Mapped[datetime | None]
    # What a verified callback means, for the worker that applies it (a declined card sale's, applied by
    # none, only says it was one: `DECLINED_SALE`).
    event: Mapped[dict[str, Any] | None]
    # What people decided, each a state of its own (never read back from `reason`, which is what our code found):
    # a failure set aside (`set_aside`: it is a conflict since), and a conflict finance has dealt with (`handle`).
    set_aside_at: Mapped[datetime | None]
    set_aside_by: Mapped[str | None] = mapped_column(String(200))
    set_aside_reason: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(200))
    handled_reason: Mapped[str | None] = mapped_column(Text)


def _headers(request: Request) -> dict[str, str]:
    # Secrets in headers (API keys) are not kept at rest; signatures are (they prove nothing later).
    return {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in request.headers.items()}


# Built once: they run for every callback.
_STORE = insert(InboundCallback).returning(InboundCallback.id)
# A conflict stays a conflict: a POS void already taken can be found to contradict its sale later in
# the same batch (flag_reversal_conflict), and the batch's own outcome for it must not hide that.
# The verdict of a void or reversal whose sale is not known yet (`payments.inbox_apply`): superseded, not
# kept, once the sale shows it a conflict (`flag_reversal_conflict`).
WAITING_FOR_SALE = "reversal waits for its original sale"
# The code opening the reason of a void/reversal whose sale has not come after the sweep's wait
# (`payments.waiting_reversals`): a conflict for finance until the sale comes or finance marks it handled.
REVERSAL_WITHOUT_SALE = "reversal_without_sale"


def _noted(note, said=InboundCallback.reason):
    """The row's reason (`said`) with `note` added after it: what storing noted (its body redacted or cut,
    its query cut) is no less true once a verdict is reached, so it is never replaced."""
    return case((note.is_(None), said), (said.is_(None), note), else_=func.substr(said + "; " + note, 1, MAX_REASON))


_MARK = update(InboundCallback).where(InboundCallback.id == bindparam("inbox_id"),
                                      InboundCallback.status != CONFLICT).values(
    status=bindparam("new_status"), processed_at=bindparam("at"),
    reason=_noted(bindparam("new_reason", type_=Text())),
    external_id=func.coalesce(bindparam("new_external_id", type_=String()), InboundCallback.external_id))


def store_raw(sessions: sessionmaker[Session] | Session, *, provider: str, request: Request, now: datetime,
              status: str = RECEIVED, reason: str | None = None, external_id: str | None = None,
              event: dict[str, Any] | None = None, redact_body: Callable[[bytes], bytes] | None = None) -> int:
    """Commit the raw callback (with a verdict already reached in memory, if any); returns its id.
    Given a session rather than its factory, the row is written in that session's transaction, which
    commits it (a verdict that reads other rows is then reached and stored at one moment).

    `redact_body` masks what a channel must never keep at rest (card numbers at the POS); the row
    says so in its reason, so nobody mistakes the copy for the exact bytes received (nor expects its
    stored signature to verify it). A body over the size limit is not read: the row keeps an empty
    body and its reason says why (`readable_body`)."""
    body = readable_body(request)
    if body is None:
        body, reason = b"", f"{reason}; body not read" if reason else f"body not read: {too_large(request)}"
    if redact_body is not None:
        kept = redact_body(body)
        if kept != body:
            body, reason = kept, "; ".join(filter(None, [reason, "body redacted before storing"]))
    if len(body) > MAX_STORED_BODY:
        reason = "; ".join(filter(None, ["body truncated: too large", reason]))
    query = request.query_string.decode("latin-1")
    if len(query) > MAX_STORED_QUERY:
        reason = "; ".join(filter(None, [f"query truncated: {len(query):,} characters, the first "
                                         f"{MAX_STORED_QUERY:,} kept", reason]))
    row = dict(provider=provider, received_at=now, method=request.method, path=request.path[:500],
               query=query[:MAX_STORED_QUERY], headers=_headers(request),
               body=body[:MAX_STORED_BODY], source_ip=(request.remote_addr or "")[:64], status=status,
               reason=reason[:MAX_REASON] if reason is not None else None,
               external_id=external_id[:100] if external_id is not None else None, event=event)
    if isinstance(sessions, Session):  # the caller's transaction: it commits the row with what it checked
        return sessions.connection().execute(_STORE, row).scalar_one()
    return insert_returning_id(sessions.kw["bind"], _STORE, row)


def readable_body(request: Request) -> bytes | None:
    """The body as received, or None when it is over the app's limit (MAX_CONTENT_LENGTH): werkzeug
    refuses to read it, and the callback must still be kept (its headers, size and the refusal)."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        return None


def too_large(request: Request) -> str:
    size = f"{request.content_length:,} bytes" if request.content_length is not None else "its size not declared"
    limit = request.max_content_length
    return f"the body ({size}) is larger than the {limit:,}-byte limit" if limit else f"the body ({size}) is too large"


def take_queued(session: Session, limit: int) -> list[InboundCallback]:
    """The oldest verified callbacks waiting to be applied, row-locked for this transaction;
    rows another worker holds are skipped (SKIP LOCKED on PostgreSQL; SQLite has one writer)."""
    return list(session.scalars(select(InboundCallback).where(InboundCallback.status == QUEUED)
                                .order_by(InboundCallback.id).limit(limit).with_for_update(skip_locked=True)))


def take_one_queued(session: Session, inbox_id: int, *, wait: bool = False) -> InboundCallback | None:
    """The queued row, row-locked; None when it is not queued (any more), or another worker holds it,
    unless `wait`: then its transaction is waited for, and the row is taken only if still queued after it."""
    return session.scalars(select(InboundCallback).where(InboundCallback.id == inbox_id,
                                                         InboundCallback.status == QUEUED)
                           .with_for_update(skip_locked=not wait)).first()


def requeue(session: Session, inbox_id: int, *, now: datetime) -> InboundCallback:
    """Put a verified callback whose processing failed (`received`, with its event) back in the queue,
    once the fault is mended; the workers then apply it as any other (idempotently)."""
    row = _failed(session, inbox_id)
    if row.event is None:
        # Failed before it was read (its reading crashed), or applied as it arrives (a VNPay IPN, a courier
        # event): there is nothing for a worker to apply. Its sender was answered an error and sends it again.
        raise Conflict(f"callback {inbox_id} failed before it could be queued: its sender was told so and sends it "
                       "again; once it has, set it aside", code="callback_not_requeueable",
                       details={"status": row.status, "queueable": False})
    row.status, row.processed_at = QUEUED, None
    row.reason = f"queued again at {now.isoformat()} after: {row.reason or ''}"[:MAX_REASON]
    return row


def requeue_audited(session: Session, inbox_id: int, *, actor: str, now: datetime) -> InboundCallback:
    """`requeue` as a person does it (the API's retry, the finance page's form): audited, in one transaction."""
    row = requeue(session, inbox_id, now=now)
    audit.record(session, actor=actor, action="callback.requeue", subject_type="callback", subject_id=inbox_id,
                 at=now, data={"provider": row.provider})
    return row


def set_aside_audited(session: Session, inbox_id: int, *, actor: str, now: datetime, reason: str
                      ) -> InboundCallback:
    """A failed callback that cannot be mended (it fails every time) leaves the queue for people: it
    becomes a `conflict` (finance's list), applied by no worker; the transfer it announced is counted
    from the bank statement like any the bank never announced. So does one that failed with nothing to
    queue (no event: see `requeue`) once its sender has sent it again: else it stayed among the failures
    for ever, long after the retry was applied. Who, when and why are kept on the row and audited; its
    `reason` stays what the failure was."""
    row = _failed(session, inbox_id)
    row.status, row.processed_at = CONFLICT, now
    row.set_aside_at, row.set_aside_by, row.set_aside_reason = now, actor, reason
    audit.record(session, actor=actor, action="callback.set_aside", subject_type="callback", subject_id=inbox_id,
                 at=now, reason=reason, data={"provider": row.provider})
    return row


def handle_audited(session: Session, inbox_id: int, *, actor: str, now: datetime, reason: str) -> InboundCallback:
    """Mark a conflict handled once finance has dealt with it (voided the sale, refunded, asked the bank), with
    why: it leaves the open conflicts (and the overview's count) and stays listed among the handled. Once only
    (409 `callback_already_handled`, who and when in its details); only a conflict (409 `callback_not_conflict`)."""
    row = session.get(InboundCallback, inbox_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no stored callback {inbox_id}", code="callback_not_found")
    if row.status != CONFLICT:
        raise Conflict("only a conflict can be marked handled", code="callback_not_conflict",
                       details={"status": row.status})
    if row.handled_at is not None:
        raise Conflict(f"callback {inbox_id} was already marked handled", code="callback_already_handled",
                       details={"handled_at": row.handled_at.isoformat(), "handled_by": row.handled_by})
    row.handled_at, row.handled_by, row.handled_reason = now, actor, reason
    audit.record(session, actor=actor, action="callback.handle", subject_type="callback", subject_id=inbox_id,
                 at=now, reason=reason, data={"provider": row.provider})
    return row


def _listed(status: str, handled: bool):
    """Rows of a list: a conflict is open until handled; the other lists have no handled state."""
    if status != CONFLICT:
        return (InboundCallback.status == status,)
    return (InboundCallback.status == CONFLICT,
            InboundCallback.handled_at.is_not(None) if handled else InboundCallback.handled_at.is_(None))


def needing_people(session: Session, status: str, *, limit: int, offset: int, handled: bool = False
                   ) -> list[InboundCallback]:
    """Conflicts (open, or `handled`), refusals or failures (`status`), newest first, a page at a time (the
    attention index)."""
    return list(session.scalars(select(InboundCallback).where(*_listed(status, handled))
                                .order_by(InboundCallback.id.desc()).offset(offset).limit(limit)))


def count_needing_people(session: Session, status: str, *, handled: bool = False) -> int:
    return session.scalar(select(func.count()).select_from(InboundCallback)
                          .where(*_listed(status, handled))) or 0


def _failed(session: Session, inbox_id: int) -> InboundCallback:
    row = session.get(InboundCallback, inbox_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no stored callback {inbox_id}", code="callback_not_found")
    if row.status != RECEIVED:
        raise Conflict("only a callback whose processing failed can be queued again or set aside",
                       code="callback_not_requeueable", details={"status": row.status})
    return row


def stored_credit(session: Session, *, provider: str, external_id: str) -> int | None:
    """The id of a verified credit stored under this provider's transaction id (queued, applied, a
    repeat, a conflict or a failure: whatever became of it), None when there is none."""
    return session.scalar(select(func.min(InboundCallback.id)).where(
        InboundCallback.provider == provider, InboundCallback.external_id == external_id,
        InboundCallback.status.not_in((REJECTED, IGNORED)), InboundCallback.event["type"].as_string() == "credit"))


# What a declined card sale's row keeps as its event (stored `ignored`, applied by no worker): the mark a
# later approval of the same transaction looks for (`flag_declined_sale`).
DECLINED_SALE = "declined_sale"


def flag_declined_sale(session: Session, *, provider: str, external_id: str, note: str, now: datetime) -> int:
    """Make every decline of this card sale stored `ignored` a conflict for finance (in the caller's
    transaction), `note` (why: the approval that came after it) added to its reason; returns how many."""
    return session.connection().execute(update(InboundCallback).where(
        InboundCallback.provider == provider, InboundCallback.external_id == external_id,
        InboundCallback.status == IGNORED, InboundCallback.event["type"].as_string() == DECLINED_SALE,
    ).values(status=CONFLICT, reason=_noted(bindparam("note", note[:MAX_REASON], type_=Text())),
             processed_at=now)).rowcount


def queued_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InboundCallback)
                          .where(InboundCallback.status == QUEUED)) or 0


def mark(session: Session, inbox_id: int, *, status: str, now: datetime, reason: str | None = None,
         external_id: str | None = None) -> None:
    """Record what became of a callback (in the caller's transaction)."""
    mark_many(session, [(inbox_id, status, reason, external_id)], now=now)


def mark_many(session: Session, outcomes: list[tuple[int, str, str | None, str | None]], *, now: datetime) -> None:
    """`mark` for (inbox id, status, reason, external id) tuples, in one executemany."""
    session.connection().execute(_MARK, [
        {"inbox_id": inbox_id, "new_status": status, "at": now,
         "new_reason": reason[:MAX_REASON] if reason is not None else None,
         "new_external_id": external_id[:100] if external_id is not None else None}
        for inbox_id, status, reason, external_id in outcomes])


def flag_reversal_conflict(session: Session, *, provider: str, reversal_ref: str, reason: str,
                           now: datetime) -> int:
    """Make the stored void/reversal `reversal_ref` a conflict for finance (in the caller's
    transaction): taken while its sale was unknown, it turned out to contradict the sale, or the sale never
    came (`payments.waiting_reversals`). Its verdict then, waiting for the sale, is replaced; what storing it
    noted is kept. Returns how many rows became conflicts (0: one already)."""
    return session.connection().execute(update(InboundCallback).where(
        InboundCallback.provider == provider, InboundCallback.external_id == reversal_ref,
        InboundCallback.status.in_((QUEUED, APPLIED)), InboundCallback.event["type"].as_string() == "reversal",
    ).values(status=CONFLICT, reason=_noted(bindparam("new_reason", reason[:MAX_REASON], type_=Text()), func.nullif(
        func.replace(func.replace(InboundCallback.reason, f"; {WAITING_FOR_SALE}", ""), WAITING_FOR_SALE, ""), "")),
        processed_at=now)).rowcount


def add_note(conn: Connection, inbox_id: int, note: str) -> None:
    """Add `note` after a stored callback's reason (in the caller's transaction), never replacing it: what
    storing noted, a retry's history and the verdict stay as they were written (e.g. a claim that moved to
    another statement line, `announcements._move_claim`, says so after the verdict that named the first)."""
    conn.execute(update(InboundCallback).where(InboundCallback.id == inbox_id).values(
        reason=_noted(bindparam("note", note[:MAX_REASON], type_=Text()))))


def note_reversal(session: Session, *, provider: str, reversal_ref: str, note: str, actor: str,
                  now: datetime) -> None:
    """Add `note` to the stored void/reversal `reversal_ref` applied while its sale was unknown (`WAITING_FOR_SALE`)
    once the sale came and it undid it (in the caller's transaction): the reason said it waited. One shown to
    finance meanwhile as overdue (`payments.waiting_reversals`), still open, is marked handled by `actor` with
    that note: nothing is left to do (a handled one keeps finance's own words)."""
    connection, noted = session.connection(), _noted(bindparam("note", note[:MAX_REASON], type_=Text()))
    mine = (InboundCallback.provider == provider, InboundCallback.external_id == reversal_ref,
            InboundCallback.event["type"].as_string() == "reversal")
    connection.execute(update(InboundCallback).where(*mine, InboundCallback.status == APPLIED).values(reason=noted))
    connection.execute(update(InboundCallback).where(
        *mine, InboundCallback.status == CONFLICT, InboundCallback.reason.contains(f"{REVERSAL_WITHOUT_SALE}: "),
    ).values(reason=noted, handled_at=func.coalesce(InboundCallback.handled_at, now),
             handled_by=func.coalesce(InboundCallback.handled_by, actor),
             handled_reason=func.coalesce(InboundCallback.handled_reason, note[:MAX_REASON])))


def mark_alone(sessions: sessionmaker[Session], inbox_id: int, **kwargs) -> None:
    """`mark` in a transaction of its own (for rejections, where nothing else is written)."""
    with unit_of_work(sessions) as session:
        mark(session, inbox_id, **kwargs)
