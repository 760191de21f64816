"""The one code path through which money is credited (moved and reversed afterwards: `corrections`).

Every channel (bank transfer callbacks, POS, VNPay, cash, and reconciliation's statement
lines) turns what it received into an `IncomingCredit` and calls `record_credits`. It is
idempotent per (provider, provider_ref): the unique constraint on `payments` is the final
guard, so the same callback twenty times at once still makes one payment. A bank callback
for a transfer the statement already credited is linked to that payment instead
(`announcements`): the money counts once whichever side comes first. Money is never
refused: what cannot be credited to a live request waits in suspense for finance. A batch
of one (a callback) and a batch of thousands (a statement) run the same statements.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config import Settings
from kernel import inbox
from kernel.books import books_stamp, hold_books
from kernel.bulk import insert_rows
from kernel.clock import business_date
from kernel.db import advisory_lock, reserve_ids
from kernel.errors import Conflict
from kernel.keysets import among
from payments import codes, in_time, states
from payments.announcements import (STATEMENT_PROVIDER, Twin, advisory_locks, is_bank_callback, link_late_callbacks,
                                    repeat_differs)
from payments.corrections import ACTIVE, reverse_payment
from payments.ledger import Accounts, Entry, Line, post_many
from payments.models import Payment, PaymentRequest, PendingReversal
from payments.moves import Book, RequestState, load_requests
from payments.payment_references import remember

APPLIED, SUSPENSE, DUPLICATE, CONFLICT = "applied", "suspense", "duplicate", "conflict"
LINKED = "linked"  # a late callback: the statement already credited its transfer (payment_id)
# Providers whose transactions can be voided by a later message that may arrive first.
REVERSIBLE_PROVIDERS = frozenset({"pos"})
# Providers whose transactions are numbered per terminal: known by `<terminal>:<transaction id>`.
# Sales recorded before that were keyed by the transaction id alone (the terminal in `details`);
# they are still found as that terminal's (`_legacy_sales`), so their repeats and voids still count once.
TERMINAL_KEYED_PROVIDERS = frozenset({"pos"})


# Transaction numbers lose their leading zeros in keys since round 18 (`channels.pos._number`); a sale stored
# before kept the terminal's zeros (`000123`). Terminals pad a STAN or invoice number to 6 digits, some hosts to
# 8 or 12: a key's number is also looked for written with zeros up to this many digits.
PADDED_WIDTH = 12


def terminal_ref(terminal_id: str, transaction_id: str) -> str:
    """The provider_ref of a terminal's transaction (the terminal id holds no ':')."""
    return f"{terminal_id}:{transaction_id}"


def padded_keys(ref: str) -> list[str]:
    """The keys a terminal's transaction `ref` (`<terminal>[:<batch>]:<number>`) was stored under before
    numbers lost their leading zeros: its number written with zeros, up to `PADDED_WIDTH` digits."""
    head, _, number = ref.rpartition(":")
    if not head or not (number.isascii() and number.isdigit()) or number.startswith("0"):
        return []
    return [f"{head}:{number.rjust(width, '0')}" for width in range(len(number) + 1, PADDED_WIDTH + 1)]


def number_key(ref: str) -> str:
    """`ref` with its transaction number written without leading zeros (the key a sale has since round 18)."""
    head, _, number = ref.rpartition(":")
    if head and number.isascii() and number.isdigit():
        return f"{head}:{int(number)}"
    return ref


class ConcurrentCredit(Exception):
    """Another transaction recorded some of this batch's transactions first: retry the batch."""


@dataclass(frozen=True)
class IncomingCredit:
    """Money a channel says has arrived, in the channel-independent form."""

    provider: str
    provider_ref: str
    channel: str
    amount_vnd: int
    booked_at: datetime
    clearing_account: str
    memo: str | None = None
    payment_code: str | None = None  # given explicitly (POS, VNPay, cash): no memo scanning
    bank_reference: str | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    details: dict[str, Any] | None = None
    # Statement lines (reconciliation) accept a mistyped code only when the amount is exactly
    # what the corrected request(s) still owe; otherwise their share waits in suspense and the
    # correction is only proposed to finance (verified codes beside it are paid as usual).
    # Callbacks keep the default (any amount).
    corrections_need_exact_amount: bool = False
    inbox_id: int | None = None  # the stored callback it came from
    # A statement line's booking instant (`in_time.judged_at`): its request's expiry is judged then, and an
    # expiry that came after it is undone. None: judged at `now` (a callback's arrival).
    judged_at: datetime | None = None


@dataclass
class CreditResult:
    outcome: str  # applied | suspense | duplicate | conflict | linked
    payment_id: int | None  # None only for a conflict naming no payment (`Twin.payment_id`)
    reason: str | None = None
    allocated: list[tuple[str, int, str]] = field(default_factory=list)  # (payment code, amount, how)


@dataclass
class _Planned:
    credit: IncomingCredit
    targets: list[tuple[RequestState, str]]
    reason: str | None
    moves: list[tuple[RequestState, str, int]]
    lines: list[Line] = field(default_factory=list)
    key: tuple[str, str] = field(init=False)
    leftover: int = field(init=False)  # what goes to suspense

    def __post_init__(self) -> None:
        self.key = (self.credit.provider, self.credit.provider_ref)
        self.leftover = self.credit.amount_vnd - sum(amount for _, _, amount in self.moves)


def record_credit(session: Session, credit: IncomingCredit, *, settings: Settings, actor: str,
                  now: datetime) -> CreditResult:
    """Record one credit (see `record_credits`)."""
    return record_credits(session, [credit], settings=settings, actor=actor, now=now)[0]


def record_credits(session: Session, credits: list[IncomingCredit], *, settings: Settings, actor: str,
                   now: datetime) -> list[CreditResult]:
    """Record each credit once and put it onto the request(s) its code names, else into suspense.

    Decisions (a request's expiry, what is open) are taken at `now` (for a callback, its arrival);
    the payment and its entry are stamped with `books_stamp`, after any close this waited for."""
    stamp = books_stamp(session, now)  # before any other lock (announcements', sales', requests')
    session.flush()  # pending ORM changes must precede the Core statements below
    conn = session.connection()
    fresh = _drop_known(conn, credits) if len(credits) > 1 else _unique(credits)
    twins = link_late_callbacks(session, fresh, settings=settings, actor=actor, now=now)
    fresh = [c for c in fresh if (c.provider, c.provider_ref) not in twins]
    legacy = _legacy_sales(conn, [(c.provider, c.provider_ref) for c in fresh])
    fresh = [c for c in fresh if (c.provider, c.provider_ref) not in legacy]  # repeats of sales stored before
    advisory_locks(session, [sale_lock(c.provider, c.provider_ref) for c in fresh
                             if c.provider in REVERSIBLE_PROVIDERS])
    book = Book(conn, actor=actor, now=now, settings=settings)
    plans = _plan(conn, fresh, settings, book, voided=_voided_before_arrival(conn, fresh))
    ids = _claim(conn, plans, stamp)
    lost = [p for p in plans if p.key not in ids]
    if any(p.moves for p in lost):
        if len(plans) > 1:
            raise ConcurrentCredit(f"{len(lost)} transaction(s) were recorded concurrently")
        book = Book(conn, actor=actor, now=now, settings=settings)  # our only credit lost the race: nothing to write
    results = {key: _linked(twin) for key, twin in twins.items()}
    entries = []
    for plan in plans:
        if plan.key not in ids:
            continue
        payment_id = ids[plan.key]
        entries.append(Entry("payment", plan.lines, stamp, actor, f"{plan.credit.provider} {plan.credit.provider_ref}",
                             payment_id, plan.moves[0][0].id if len(plan.moves) == 1 else None))
        results[plan.key] = CreditResult(SUSPENSE if plan.leftover else APPLIED, payment_id,
                                         _suspense_reason(plan) if plan.leftover else None,
                                         [(s.payment_code, amount, how) for s, how, amount in plan.moves])
    book.flush(payment_ids=ids)
    post_many(conn, entries)
    for plan in plans:
        if plan.credit.provider in REVERSIBLE_PROVIDERS and plan.key in ids:
            _apply_early_reversal(session, plan.credit, settings, actor, now)
    for credit in credits:
        key = (credit.provider, credit.provider_ref)
        if key not in results:
            results[key] = _repeat(conn, credit, settings.payment_code_prefix)
    session.expire_all()  # ORM objects loaded earlier in this session may describe the old state
    return [results[(c.provider, c.provider_ref)] for c in credits]


def _linked(twin: Twin) -> CreditResult:
    """A late callback: nothing credited, its transfer is the statement's (or another feed's) payment."""
    if twin.contradiction is not None:
        return CreditResult(CONFLICT, twin.payment_id, twin.contradiction)
    if twin.provider != STATEMENT_PROVIDER:
        return CreditResult(LINKED, twin.payment_id, f"{twin.provider} already reported this transfer (payment "
                                                     f"{twin.payment_id}, same bank reference, account and amount): "
                                                     f"linked to it, not credited again")
    if twin.amount_differs:
        return CreditResult(CONFLICT, twin.payment_id,
                            f"the bank statement credited this transfer with {twin.statement_vnd} VND (payment "
                            f"{twin.payment_id}), the callback claims {twin.callback_vnd} VND: not applied, left to "
                            f"finance")
    return CreditResult(LINKED, twin.payment_id, f"the bank statement already credited this transfer (payment "
                                                 f"{twin.payment_id}): linked to it, not credited again")


def _unique(credits: list[IncomingCredit]) -> list[IncomingCredit]:
    seen, unique = set(), []
    for credit in credits:
        if (credit.provider, credit.provider_ref) not in seen:
            seen.add((credit.provider, credit.provider_ref))
            unique.append(credit)
    return unique


# Statements a batch runs once per 1,000 keys, built once with the keys as one parameter (`kernel.keysets`):
# building and coercing a 1,000-value IN each time cost more than the lookup itself.
_KNOWN_REFS = select(Payment.provider_ref).where(  # provider = ... AND ref IN (...): the unique index
    Payment.provider == bindparam("provider"), among(Payment.provider_ref, "refs"))
_OPEN_AMONG = select(PaymentRequest.payment_code).where(
    among(PaymentRequest.payment_code, "codes"), PaymentRequest.status.in_(states.OPEN))


def _drop_known(conn: Connection, credits: list[IncomingCredit]) -> list[IncomingCredit]:
    """Leave out transactions already recorded (a re-imported statement), a query per 1,000."""
    refs_by_provider: dict[str, list[str]] = {}
    for credit in credits:
        refs_by_provider.setdefault(credit.provider, []).append(credit.provider_ref)
    known = set()
    for provider, refs in refs_by_provider.items():
        refs = sorted(set(refs))
        for start in range(0, len(refs), 1000):
            known |= {(provider, ref) for ref in conn.execute(
                _KNOWN_REFS, {"provider": provider, "refs": refs[start:start + 1000]}).scalars()}
    return [c for c in _unique(credits) if (c.provider, c.provider_ref) not in known]


def _suspense_reason(plan: _Planned) -> str:
    return plan.reason or ("multi_code_excess" if plan.targets else "no_code")


def _wanted_codes(credit: IncomingCredit, settings: Settings) -> tuple[list[codes.ResolvedCode] | None,
                                                                        list[codes.CodeFound]]:
    """Exact codes to look up now, or the memo's tokens whose typos need the open-code lookup."""
    if credit.payment_code and codes.is_valid_code(credit.payment_code, settings.payment_code_prefix):
        return [codes.ResolvedCode(credit.payment_code, "explicit")], []
    # A mistyped code keyed in at a terminal is read like a memo: typo recovery applies.
    found = codes.scan_memo(credit.payment_code or credit.memo or "", settings.payment_code_prefix)
    return None, found


def sale_lock(provider: str, sale_ref: str) -> str:
    """The advisory lock a reversible sale and every void/reversal naming it take before looking
    for each other: under READ COMMITTED neither sees the other's uncommitted row, so without it
    a void filed as "waiting" while its sale was being recorded would wait forever."""
    return f"payments.sale:{provider}:{sale_ref}"


def _voided_before_arrival(conn: Connection, credits: list[IncomingCredit]) -> set[tuple[str, str]]:
    """Sales whose void or reversal (of the same amount) came first: recorded and undone at once, they
    never reach a request (no receipt, no "paid" SMS for money the citizen was given back)."""
    sales = {(c.provider, c.provider_ref): c.amount_vnd for c in credits if c.provider in REVERSIBLE_PROVIDERS}
    if not sales:
        return set()
    refs = {ref for _, ref in sales}
    waiting = conn.execute(select(PendingReversal.provider, PendingReversal.original_ref, PendingReversal.amount_vnd)
                           .where(PendingReversal.original_ref.in_(sorted(refs.union(*map(padded_keys, refs)))),
                                  PendingReversal.applied_at.is_(None)))
    return {(provider, number_key(ref)) for provider, ref, amount in waiting
            if sales.get((provider, number_key(ref))) == amount}


def _plan(conn: Connection, credits: list[IncomingCredit], settings: Settings, book: Book, *,
          voided: set[tuple[str, str]] = frozenset()) -> list[_Planned]:
    """Find each credit's requests (locked) and how much goes to each, in arrival order.

    A batch reads each memo as one-by-one processing would: a mistyped code is corrected
    among the requests open *at that credit*, so one paid earlier in the batch no longer
    counts (and a statement's result does not depend on where its chunks begin)."""
    scans = [_wanted_codes(c, settings) for c in credits]
    neighbours = set().union(*(t.neighbours for _, found in scans for t in found if t.code is None))
    open_at_start = _open_codes(conn, neighbours) if neighbours else set()
    named = {w.code for explicit, _ in scans if explicit for w in explicit} | \
        {t.code for _, found in scans for t in found if t.code}
    lapsed = _lapsed_in_time(conn, credits, scans, book.now)  # before the requests' locks: dossiers first
    states_by_code = {s.payment_code: s for s in load_requests(conn, codes=named | open_at_start)}
    reopenable = in_time.reopenable(conn, lapsed)

    def open_now(asked: set[str]) -> set[str]:
        return {code for code in asked & open_at_start
                if code not in states_by_code or states_by_code[code].status in states.OPEN}

    plans = []
    for credit, (explicit, found) in zip(credits, scans):
        resolved = explicit if explicit is not None else codes.resolve_codes(found, open_now)
        at = credit.judged_at or book.now
        for w in resolved:
            if w.code in states_by_code:
                book.expire_if_due(states_by_code[w.code], at)
        reason = None if resolved else ("no_code" if explicit is None and not found else "unresolved_code")
        if (credit.provider, credit.provider_ref) in voided:
            resolved, reason = [], "voided_before_sale"  # undone as soon as it is recorded
        targets = []
        for w in resolved:
            state = states_by_code.get(w.code)
            if state is None:
                reason = "unknown_code"
            elif not state.creditable and not in_time.reopens(state, at, reopenable):
                reason = "request_closed"
            else:
                targets.append((state, w.how))
        if targets and credit.corrections_need_exact_amount and any(how == "corrected" for _, how in targets) \
                and credit.amount_vnd != sum(state.outstanding_vnd for state, _ in targets):
            # Only the corrections wait (proposed to finance): a code the memo names with verifying check
            # digits is read as without the mistyped one beside it, never dropped with it.
            targets, reason = [(s, how) for s, how in targets if how != "corrected"], "correction_amount_differs"
        if explicit is None and len(found) > len(resolved):
            reason = reason or "unresolved_code"  # a code-shaped token nobody's request could be read from
        # Several codes named: each takes what it owes, whether or not the others could take money.
        # The share of a code that cannot (unknown, closed, unreadable) must not become another's overpayment.
        several = len(resolved) > 1 or (explicit is None and len(found) > 1)
        plan = _Planned(credit, targets, reason, _split(credit.amount_vnd, targets, several=several))
        plan.lines = [Line(credit.clearing_account, debit_vnd=credit.amount_vnd)]
        for state, how, amount in plan.moves:  # later credits in the batch see what earlier ones paid
            if in_time.reopens(state, at, reopenable):  # only once it takes money: a share of 0 leaves it expired
                book.undo_expiry(state, at)
            plan.lines += book.credit(state, payment_id=plan.key, amount_vnd=amount, how=how, channel=credit.channel)
        if plan.leftover:
            plan.lines.append(Line(Accounts.SUSPENSE, credit_vnd=plan.leftover))
        plans.append(plan)
    return plans


def _lapsed_in_time(conn: Connection, credits: list[IncomingCredit], scans: list, now: datetime) -> list[int]:
    """The requests statement lines name whose deadline passed after the earliest line's booking (their
    dossiers locked: `in_time.lapsed_after`); each line is then judged at its own instant (`in_time.reopens`)."""
    judged = [(c.judged_at, explicit, found) for c, (explicit, found) in zip(credits, scans) if c.judged_at]
    if not judged:
        return []
    named = {w.code for _, explicit, _ in judged if explicit for w in explicit} | \
        {t.code for _, _, found in judged for t in found if t.code}
    return in_time.lapsed_after(conn, named, min(at for at, _, _ in judged), now)


def _split(amount_vnd: int, targets: list[tuple[RequestState, str]], *,
           several: bool) -> list[tuple[RequestState, str, int]]:
    """One code takes it all (over-payment included); several codes are filled in memo order up
    to what each owes, and the rest waits in suspense for a person to decide."""
    if len(targets) == 1 and not several:
        state, how = targets[0]
        return [(state, how, amount_vnd)]
    moves, remaining = [], amount_vnd
    for state, how in targets:
        amount = min(remaining, state.outstanding_vnd)
        if amount > 0:
            moves.append((state, how, amount))
            remaining -= amount
    return moves


def _open_codes(conn: Connection, candidates: set[str]) -> set[str]:
    ordered, found = sorted(candidates), set()
    for start in range(0, len(ordered), 1000):
        found |= set(conn.execute(_OPEN_AMONG, {"codes": ordered[start:start + 1000]}).scalars())
    return found


_CLAIM_PAYMENT = {
    name: dialect.insert(Payment).on_conflict_do_nothing(index_elements=["provider", "provider_ref"])
    .returning(Payment.provider, Payment.provider_ref, Payment.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _claim(conn: Connection, plans: list[_Planned], stamp: datetime) -> dict[tuple[str, str], int]:
    """Insert the payments whose (provider, provider_ref) is new, recorded at `stamp`, each known by its
    bank reference (`payment_references`); returns their ids.

    For one credit (a callback), INSERT ... ON CONFLICT DO NOTHING waits for a concurrent insert
    of the same key to commit and then inserts nothing, so exactly one transaction records it.
    """
    if not plans:
        return {}
    rows = [{
        "provider": p.credit.provider, "provider_ref": p.credit.provider_ref, "channel": p.credit.channel,
        "amount_vnd": p.credit.amount_vnd, "unallocated_vnd": p.leftover, "status": ACTIVE,
        "booked_at": p.credit.booked_at, "recorded_at": stamp, "clearing_account": p.credit.clearing_account,
        "memo": p.credit.memo, "bank_reference": p.credit.bank_reference, "payer_name": p.credit.payer_name,
        "payer_account": p.credit.payer_account, "suspense_reason": _suspense_reason(p) if p.leftover else None,
        "details": p.credit.details, "inbox_id": p.credit.inbox_id,
    } for p in plans]
    if len(rows) > 1:
        # A batch already left out what was recorded before (_drop_known): a plain insert is
        # several times faster than ON CONFLICT ... RETURNING, and a concurrent import that got
        # there first still trips the unique constraint, so the caller retries the chunk.
        ids = reserve_ids(conn, "payments", len(rows))
        for row, payment_id in zip(rows, ids):
            row["id"] = payment_id
        try:
            insert_rows(conn, Payment.__table__, rows)
        except IntegrityError as exc:
            raise ConcurrentCredit("a transaction of this batch was recorded concurrently") from exc
        claimed = {(row["provider"], row["provider_ref"]): row["id"] for row in rows}
    else:
        statement = _CLAIM_PAYMENT[conn.dialect.name]
        claimed = {(provider, ref): payment_id for provider, ref, payment_id in conn.execute(statement, rows)}
    remember(conn, [(claimed[key], row["bank_reference"], row["provider"]) for row in rows
                    if (key := (row["provider"], row["provider_ref"])) in claimed], new_payments=True)
    return claimed


def find_payment(session: Session, provider: str, provider_ref: str) -> Payment | None:
    """The payment a provider's transaction id already made, if any."""
    return session.execute(select(Payment).where(Payment.provider == provider,
                                                 Payment.provider_ref == provider_ref)).scalar_one_or_none()


def _repeat(conn: Connection, credit: IncomingCredit, prefix: str) -> CreditResult:
    """A transaction id seen before: the same amount and payment code(s) (named by the channel, or
    by the memo of a bank transfer) is a harmless duplicate; anything else is a conflict."""
    found = conn.execute(select(Payment.id, Payment.amount_vnd, Payment.details, Payment.memo, Payment.booked_at)
                         .where(Payment.provider == credit.provider, Payment.provider_ref == credit.provider_ref)
                         ).one_or_none()
    if found is not None:
        payment_id, amount, details, memo, booked_at = found
    else:
        payment_id, amount, details = _legacy_sales(conn, [(credit.provider, credit.provider_ref)])[
            (credit.provider, credit.provider_ref)]
        memo = booked_at = None
    if amount != credit.amount_vnd:
        return CreditResult(CONFLICT, payment_id,
                            f"transaction {credit.provider_ref} was recorded with {amount} VND, "
                            f"now claims {credit.amount_vnd} VND: not applied, left to finance")
    if credit.provider in TERMINAL_KEYED_PROVIDERS and booked_at is not None:
        # A resend carries the sale's own time. A terminal that numbers again each settlement batch but
        # gives no batch number (`pos.parse`) reuses a number another day for another card: never a
        # silent duplicate, whose money would go uncredited; finance sees both.
        first, now_said = _terminal_day(booked_at, details), _terminal_day(credit.booked_at, credit.details)
        if first != now_said:
            return CreditResult(CONFLICT, payment_id,
                                f"transaction {credit.provider_ref} was recorded for a sale of {first:%d/%m/%Y}, "
                                f"now names one of {now_said:%d/%m/%Y}: the terminal numbered a new sale alike "
                                f"(it sends no batch_number); not applied, left to finance")
    code = (details or {}).get("payment_code")
    if code is not None and code != credit.payment_code:
        return CreditResult(CONFLICT, payment_id,
                            f"transaction {credit.provider_ref} was recorded for payment code {code}, "
                            f"now names {credit.payment_code}: not applied, left to finance")
    if is_bank_callback(credit):  # a transfer's codes are in its memo
        differs = repeat_differs(replace(credit, memo=memo), credit, prefix)
        if differs is not None:
            return CreditResult(CONFLICT, payment_id, f"transaction {credit.provider_ref} was recorded {differs}: "
                                                      f"not applied, left to finance")
    return CreditResult(DUPLICATE, payment_id)


def _terminal_day(booked_at: datetime, details: dict[str, Any] | None) -> date:
    """The business day a terminal said its sale was made (`claimed_booked_at` when it was booked at
    arrival instead: `channels.common.booked_by_arrival`)."""
    claimed = (details or {}).get("claimed_booked_at")
    return business_date(datetime.fromisoformat(claimed) if claimed else booked_at)


def _legacy_sales(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """(provider, `<terminal>:<id>`) -> (id, amount, details) of a sale recorded under an older key by the same
    terminal: before terminal keys, under its transaction id alone; before round 18, with its number's leading
    zeros (`padded_keys`). The first recorded when several are (a sale credited twice before the fix)."""
    # A bare id may come from several terminals in one batch (they number alike): keep them all.
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for provider, key in keys:
        if provider in TERMINAL_KEYED_PROVIDERS and ":" in key:
            terminal = key.split(":", 1)[0]
            for form in padded_keys(key):
                wanted.setdefault((provider, form), {})[terminal] = key
            for form in [key, *padded_keys(key)]:
                wanted.setdefault((provider, form.split(":", 1)[1]), {})[terminal] = key
    found = {}
    for provider in sorted({provider for provider, _ in wanted}):
        refs = sorted(ref for p, ref in wanted if p == provider)
        for start in range(0, len(refs), 1000):
            for row in conn.execute(select(Payment.id, Payment.amount_vnd, Payment.details, Payment.provider_ref)
                                    .where(Payment.provider == provider,
                                           Payment.provider_ref.in_(refs[start:start + 1000]))
                                    .order_by(Payment.id)):
                key = wanted[(provider, row.provider_ref)].get((row.details or {}).get("terminal_id"))
                if key is not None:
                    found.setdefault((provider, key), (row.id, row.amount_vnd, row.details))
    return found


# --- reversals, suspense and releases: the same book, one payment at a time ----------

def record_reversal(session: Session, *, provider: str, provider_ref: str, original_ref: str, amount_vnd: int,
                    settings: Settings, actor: str, now: datetime, any_batch: bool = False) -> str:
    """A void/reversal of `original_ref`: applied now, or kept until the original arrives.

    Its id received again must say the same: another sale or amount raises a Conflict (the stored
    callback waits for finance), so one void id never undoes two sales. `any_batch`: the terminal sent
    the void without its batch (`original_ref` is `<terminal>:<number>`) while the sale may carry one
    (`_unbatched_sale`)."""
    hold_books(session)  # first: the locks below are taken under it, as by the sale's side
    advisory_lock(session, f"payments.reversal:{provider}:{provider_ref}")  # the same id twice at once
    advisory_lock(session, sale_lock(provider, original_ref))  # the sale's side holds it until it commits
    earlier = _earlier_reversal(session, provider, provider_ref)
    if earlier is not None and (number_key(earlier[0]), earlier[1]) != (original_ref, amount_vnd):
        raise Conflict(f"reversal {provider_ref} was received for transaction {earlier[0]} of {earlier[1]} VND, "
                       f"now names {original_ref} of {amount_vnd} VND: not applied, left to finance",
                       code="reversal_repeat_differs")
    original = find_payment(session, provider, original_ref) or _legacy_sale(session, provider, original_ref)
    if original is None and any_batch:
        original = _unbatched_sale(session, provider, original_ref, amount_vnd, now)
    if original is not None:
        mismatch = _reversal_mismatch(amount_vnd, original.amount_vnd)
        if mismatch is not None:
            raise mismatch
        undone = reverse_payment(session, payment_id=original.id, reversal_ref=provider_ref, settings=settings,
                                 actor=actor, now=now)
        if earlier is None:  # kept, applied, so that a repeat of this id is compared with it
            session.add(PendingReversal(provider=provider, provider_ref=provider_ref, original_ref=original_ref,
                                        amount_vnd=amount_vnd, received_at=now, applied_at=now))
        return APPLIED if undone else DUPLICATE
    if earlier is not None:
        return DUPLICATE
    session.add(PendingReversal(provider=provider, provider_ref=provider_ref, original_ref=original_ref,
                                amount_vnd=amount_vnd, received_at=now))
    return "pending"


# A void is the same batch's undoing of a sale: hosts settle each batch daily, after which a sale is
# refunded, not voided. A sale older than this is no void's without a batch to name it.
UNBATCHED_VOID_WINDOW = timedelta(hours=24)


def _unbatched_sale(session: Session, provider: str, ref: str, amount_vnd: int, now: datetime) -> Payment | None:
    """The sale a void sent without its batch number (`ref`: `<terminal>:<number>`) means, when the sale was
    recorded with one (`<terminal>:<batch>:<number>`): the one sale of that terminal and number, for the same
    amount, not voided yet and booked within `UNBATCHED_VOID_WINDOW`. None when there is none (the void waits
    for its sale, as any). More than one: which was voided is a guess, so it is a conflict for finance."""
    terminal, number = ref.split(":", 1)
    rows = session.execute(select(Payment).where(
        Payment.provider == provider, Payment.provider_ref.startswith(f"{terminal}:", autoescape=True),
        Payment.provider_ref.endswith(number, autoescape=True), Payment.amount_vnd == amount_vnd,
        Payment.status == ACTIVE, Payment.booked_at >= now - UNBATCHED_VOID_WINDOW)).scalars().all()
    # `<terminal>:<batch>:<number>` exactly (a sale stored before round 18 with its number's zeros too): a batch is
    # letters and digits, never ':' (channels.pos._batch)
    found = [p for p in rows if len(parts := number_key(p.provider_ref).split(":", 2)) == 3
             and parts[2] == number and parts[1].isalnum()]
    if len(found) > 1:
        raise Conflict(f"void without batch_number of transaction {ref} ({amount_vnd} VND) may mean "
                       f"{len(found)} open sales of that terminal and number "
                       f"({', '.join(p.provider_ref for p in found)}): not applied, left to finance",
                       code="reversal_ambiguous")
    if found:
        advisory_lock(session, sale_lock(provider, found[0].provider_ref))
    return found[0] if found else None


def _legacy_sale(session: Session, provider: str, ref: str) -> Payment | None:
    """The sale `ref` names, when it was recorded before terminal keys (see `_legacy_sales`)."""
    found = _legacy_sales(session.connection(), [(provider, ref)]).get((provider, ref))
    return session.get(Payment, found[0]) if found is not None else None


def _earlier_reversal(session: Session, provider: str, reversal_ref: str) -> tuple[str, int] | None:
    """(original transaction, amount) a void/reversal id was first received with, None when it is
    new. Every void is kept in `pending_reversals` (waiting for its sale, or `applied_at` set):
    voids applied before that rule held left no row there and are not compared. One kept before round 18 with
    its number's leading zeros is found too (`padded_keys`; compare its sale by `number_key`)."""
    earlier = session.execute(select(PendingReversal.original_ref, PendingReversal.amount_vnd).where(
        PendingReversal.provider == provider,
        PendingReversal.provider_ref.in_([reversal_ref, *padded_keys(reversal_ref)]))
        .order_by(PendingReversal.id)).first()
    return (earlier.original_ref, earlier.amount_vnd) if earlier is not None else None


def _reversal_mismatch(reversal_vnd: int, original_vnd: int) -> Conflict | None:
    """A void/reversal undoes exactly its sale; another amount is a contradiction for finance."""
    if reversal_vnd == original_vnd:
        return None
    return Conflict(f"reversal of {reversal_vnd} VND does not match the original {original_vnd} VND",
                    code="reversal_amount_mismatch")


def _apply_early_reversal(session: Session, credit: IncomingCredit, settings: Settings, actor: str,
                          now: datetime) -> None:
    """Undo a sale whose void/reversal arrived first. One for another amount ends as it would
    have had it come after the sale: not applied, its stored callback a conflict for finance."""
    waiting = session.execute(select(PendingReversal).where(
        PendingReversal.provider == credit.provider,
        PendingReversal.original_ref.in_([credit.provider_ref, *padded_keys(credit.provider_ref)]),
        PendingReversal.applied_at.is_(None)).order_by(PendingReversal.id)).scalars().all()
    payment = None
    for pending in waiting:  # in order of arrival, as if each had come after the sale
        mismatch = _reversal_mismatch(pending.amount_vnd, credit.amount_vnd)
        if mismatch is not None:
            inbox.flag_reversal_conflict(session, provider=pending.provider, reversal_ref=pending.provider_ref,
                                         reason=f"{mismatch.code}: {mismatch.message}", now=now)
            continue
        pending.applied_at = now
        payment = payment or find_payment(session, credit.provider, credit.provider_ref)
        # The first undoes the sale; a second void or reversal of it is a harmless repeat.
        reverse_payment(session, payment_id=payment.id, reversal_ref=pending.provider_ref, settings=settings,
                        actor=actor, now=now)
        # Its stored callback said it waited for the sale: it says now that the sale came and was undone.
        came = f" (callback #{credit.inbox_id})" if credit.inbox_id is not None else ""
        inbox.note_reversal(session, provider=pending.provider, reversal_ref=pending.provider_ref, actor=actor,
                            now=now, note=f"its sale {credit.provider_ref} arrived at {now.isoformat()}{came}: "
                                          f"applied to it then")
