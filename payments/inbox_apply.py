"""Apply verified payment callbacks from the inbox: the workers' half of every callback.

The callback route verifies in memory, stores the raw request with its event (`queued`) and
answers; here the workers take queued rows in arrival order (SKIP LOCKED, so several workers
share the queue) and apply them in batches through the one crediting path, `record_credits`.
A batch is one transaction; if it fails (a race with another worker, a deadlock, a bug on one
row), its rows are applied one by one so that one bad callback cannot hold the others back:
that one keeps status `received` with the reason, for a person to look at.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from kernel import inbox
from kernel.books import hold_books
from kernel.clock import now_utc
from kernel.db import lost_race, unavailable_reason, unit_of_work
from kernel.errors import DomainError
from kernel.worker import InboundQueue
from payments.announcements import is_bank_callback
from payments.channels.common import Credit, Reversal, event_from_json
from payments.credits import CONFLICT, DUPLICATE, LINKED, IncomingCredit, record_credits, record_reversal
from payments.references import normalise_ref
from payments.service import waiting_callbacks

log = logging.getLogger("hccpay.inbox")

BATCH = 500
# Rows applied together share one "now" (the first row's arrival): expiry is judged at arrival,
# to within this much.
SAME_MOMENT = timedelta(seconds=1)

Outcome = tuple[int, str, str | None, str | None]  # inbox id, status, reason, external id


def apply_queued(sessions: sessionmaker[Session], settings: Settings, *, limit: int = BATCH) -> int:
    """Apply up to `limit` queued callbacks; returns how many rows were taken."""
    taken: list[int] = []
    try:
        with unit_of_work(sessions) as session:
            hold_books(session)  # first, as every writer of money: a close in progress commits before
            stored = [(r.id, r.received_at, r.event) for r in inbox.take_queued(session, limit)]
            taken = [inbox_id for inbox_id, _, _ in stored]
            if stored:
                _apply_rows(session, [(inbox_id, received_at, event_from_json(event))
                                      for inbox_id, received_at, event in stored], settings)
    except Exception as exc:
        # A lost race with another worker (their batches lock requests and the receipt counter in
        # different orders) is retried row by row, where the rows still go through; the database
        # being away is not: the worker waits and retries.
        if not taken or unavailable_reason(exc) is not None and not lost_race(exc):
            raise
        for inbox_id in taken:  # retried row by row, where the culprit is named
            _apply_one(sessions, settings, inbox_id)
    return len(taken)


def drain(sessions: sessionmaker[Session], settings: Settings, *, timeout: float = 60.0) -> int:
    """Apply until nothing is queued, waiting for rows other workers hold (tests, benches);
    returns how many rows this call took."""
    total, deadline = 0, time.monotonic() + timeout
    while True:
        taken = apply_queued(sessions, settings)
        total += taken
        if taken:
            continue
        with sessions() as session:
            if not inbox.queued_count(session):
                return total
        if time.monotonic() > deadline:
            raise TimeoutError("callbacks are still queued")
        time.sleep(0.02)  # another worker holds them: its commit is what we wait for


def apply_waiting_for(sessions: sessionmaker[Session], settings: Settings, payment_code: str, *,
                      now: datetime) -> None:
    """Apply now, each in its own transaction, the queued callbacks that arrived before `now` and may pay
    `payment_code`: what staff do to a request (take cash for what it owes) must see a transfer already
    answered 2xx, as it would had the workers been quicker. A row a worker holds is waited for: it may
    not have locked the request yet, and the caller would act on it first."""
    with sessions() as session:
        ids = [inbox_id for inbox_id, status, _, may_pay in waiting_callbacks(session, settings, now)
               if status == inbox.QUEUED and payment_code in may_pay]
    for inbox_id in ids:
        _apply_one(sessions, settings, inbox_id, wait=True)


def _apply_one(sessions: sessionmaker[Session], settings: Settings, inbox_id: int, *, wait: bool = False) -> None:
    try:
        with unit_of_work(sessions) as session:
            hold_books(session)
            row = inbox.take_one_queued(session, inbox_id, wait=wait)
            if row is None:  # another worker has it, or had it
                return
            _apply_rows(session, [(inbox_id, row.received_at, event_from_json(row.event))], settings)
    except DomainError as exc:
        # A verified callback we cannot apply (e.g. a void that contradicts its sale): kept for finance.
        _mark_alone(sessions, inbox_id, inbox.CONFLICT, f"{exc.code}: {exc.message}")
    except OperationalError:
        # A deadlock with another worker, a lock timeout, the database going away: still queued,
        # taken again on a later tick.
        log.warning("callback left queued after a transient database error", extra={"inbox_id": inbox_id})
    except Exception as exc:
        log.exception("callback could not be applied", extra={"inbox_id": inbox_id})
        _mark_alone(sessions, inbox_id, inbox.RECEIVED, f"processing failed ({type(exc).__name__})")


def _mark_alone(sessions: sessionmaker[Session], inbox_id: int, status: str, reason: str) -> None:
    with unit_of_work(sessions) as session:
        row = inbox.take_one_queued(session, inbox_id)
        if row is not None:
            inbox.mark(session, inbox_id, status=status, reason=reason, now=now_utc())


def _apply_rows(session: Session, rows: list[tuple[int, datetime, Credit | Reversal]], settings: Settings) -> None:
    """Apply in arrival order and record each outcome on its row: runs of credits go through
    `record_credits` together; a run ends at a reversal (it may void a sale of the run), at a
    repeated transaction id or bank reference (the repeat, or another feed's report of the same
    transfer, must see the first) and when arrival times drift apart. A run's outcomes are written
    before the next run starts: a linked callback leaves no payment, so its repeat is compared
    with its stored row (`announcements._linked_before`)."""
    run: list[tuple[int, datetime, Credit]] = []
    seen: set = set()  # transaction ids and transfers (account, bank reference) in the run

    def flush() -> None:
        if run:
            inbox.mark_many(session, _credit_run(session, run, settings), now=now_utc())
            run.clear()
            seen.clear()

    for inbox_id, received_at, event in rows:
        if isinstance(event, Reversal):
            flush()
            inbox.mark_many(session, [_reverse(session, inbox_id, received_at, event, settings)], now=now_utc())
            continue
        keys = _keys(event.credit)
        if run and (received_at - run[0][1] > SAME_MOMENT or keys & seen):
            flush()
        run.append((inbox_id, received_at, event))
        seen.update(keys)
    flush()


def _keys(credit: IncomingCredit) -> set[tuple[str, ...]]:
    """What a later credit of the same run must not share with this one."""
    keys: set[tuple[str, ...]] = {("id", credit.provider, credit.provider_ref)}
    reference = normalise_ref(credit.bank_reference)
    if reference and is_bank_callback(credit):
        keys.add(("transfer", credit.clearing_account, reference))
    return keys


# A late callback (LINKED) added nothing: the statement had credited its transfer; its reason
# names that payment, whose `inbox_id` names this stored callback.
_STATUS = {DUPLICATE: inbox.DUPLICATE, CONFLICT: inbox.CONFLICT, LINKED: inbox.DUPLICATE}


def _credit_run(session: Session, run: list[tuple[int, datetime, Credit]], settings: Settings) -> list[Outcome]:
    credits = [dataclasses.replace(event.credit, inbox_id=inbox_id) for inbox_id, _, event in run]
    by_provider = {c.provider for c in credits}
    actor = f"system:{by_provider.pop()}" if len(by_provider) == 1 else "system:callbacks"
    results = record_credits(session, credits, settings=settings, actor=actor, now=run[0][1])
    return [(c.inbox_id, _STATUS.get(r.outcome, inbox.APPLIED), r.reason, c.provider_ref)
            for c, r in zip(credits, results)]


def _reverse(session: Session, inbox_id: int, received_at: datetime, event: Reversal, settings: Settings) -> Outcome:
    outcome = record_reversal(session, provider=event.provider, provider_ref=event.provider_ref,
                              original_ref=event.original_ref, amount_vnd=event.amount_vnd, settings=settings,
                              actor=f"system:{event.provider}", now=received_at, any_batch=event.any_batch)
    if outcome == "duplicate":
        return inbox_id, inbox.DUPLICATE, None, event.provider_ref
    reason = inbox.WAITING_FOR_SALE if outcome == "pending" else None
    return inbox_id, inbox.APPLIED, reason, event.provider_ref


def worker_queue(sessions: sessionmaker[Session], settings: Settings) -> InboundQueue:
    """The worker's inbound queue: one batch of verified callbacks per take."""
    return InboundQueue(take=lambda: apply_queued(sessions, settings), batch=BATCH)
