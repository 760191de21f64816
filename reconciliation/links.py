"""Reading what the ledger already knows about statement lines. Nothing here moves money.

- `known_lines`: which line identities are already stored (re-imports, overlapping files);
- `known_by_fingerprint`: the stored line a line is when one of the two files lost the reference;
- `known_batch_parts`: the stored batch part a line is when another file listed that part alone;
- `CallbackWatch`: the callbacks of the statement's period, read again before each chunk;
- `link_callbacks`: the payment a callback already made for a line — same bank reference and
  banking day (`may_book`; another amount only with the same payment codes: a difference is an
  exception for finance), else same amount, banking day and payment code, else (for money in
  suspense, or paid by SePay's `code` when the line names no code) same amount, banking day and
  memo — so it is linked instead of being credited a second time (the rules of
  `payments.announcements`, which links a callback that comes after the statement the same way);
- `payment_facts`: a payment's allocations as `matching.classify` needs them;
- `reversed_by`: which credit line a reversal line took back (see `reversals`);
- `proposals`: the request a mistyped code names, for another amount (never applied).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import Session

from kernel.clock import business_date, business_day_bounds, is_working_day
from kernel.keysets import among
from payments import states
from payments.announcements import (STATEMENT_PROVIDER, announced, arrived_in_suspense, codes_in, may_book,
                                    memo_signature, same_memo)
from payments.codes import names_exactly
from payments.models import Payment, PaymentAllocation, PaymentReference, PaymentRequest
from payments.references import normalise_ref
from payments.refunds import suspense_claimed_vnd
from reconciliation.matching import PaymentFacts, base_key
from reconciliation.models import BATCH_PART, UNREFERENCED, StatementLine, StatementLineRepeat
from reconciliation.statements import StatementLine as ParsedLine

if TYPE_CHECKING:
    from reconciliation.importer import ImportContext, Row

IN_CHUNK = 1000


@dataclass(frozen=True)
class Candidate:
    """A callback payment no code in its memo put on a request (in suspense, assigned by finance since, or
    paid by the code its channel read: SePay's `code`) that a statement line may turn out to be."""

    payment_id: int
    amount_vnd: int
    day: date
    signature: str
    # Paid by its channel's code: a line naming a code is not this transfer by memo alone (had it named
    # the code paid, `_by_code` would have linked it), lest the request the bank names go unpaid in silence.
    paid_by_channel: bool = False


def _callback_days(first: date, last: date, holidays: Collection[date]) -> tuple[date, date]:
    """The callback business days that `may_book` can put on statement days first..last."""
    earliest = first - timedelta(days=1)
    for _ in range(31):  # back to the last working day before `first` (Tết is the longest break)
        if is_working_day(earliest, holidays):
            break
        earliest -= timedelta(days=1)
    return earliest, last + timedelta(days=1)


def _chunks(values: Iterable, size: int = IN_CHUNK) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _unlinked():
    return ~exists().where(StatementLine.payment_id == Payment.id)


def _paid_by_channel_code():
    """SQL: a payment the code its channel read put on a request (`explicit`), not its memo. A bank
    callback's only one is SePay's `code`: the content it was sent may name no code at all."""
    return exists().where(PaymentAllocation.payment_id == Payment.id, PaymentAllocation.how == "explicit")


# Built once, the keys one parameter (`kernel.keysets`): these run for every chunk of an import.
_KNOWN_LINES = select(StatementLine.line_key, StatementLine.id).where(
    StatementLine.clearing_account == bindparam("account"), among(StatementLine.line_key, "keys"))
_PAYMENTS_OF_LINES = select(StatementLine.id, StatementLine.payment_id).where(
    among(StatementLine.id, "ids", integers=True), StatementLine.payment_id.is_not(None))


def known_lines(session: Session, clearing_account: str, keys: list[str],
                aliases: dict[str, tuple[str, ...]] | None = None) -> dict[str, int]:
    """line key -> id of the lines already stored for the account, under the key itself or else under
    the first of its `aliases` that is stored (a camt.053 batch part and its whole entry from MT940
    or a CSV are one transfer: each is found as the other)."""
    found: dict[str, int] = {}
    for chunk in _chunks(keys):
        found.update(session.execute(_KNOWN_LINES, {"account": clearing_account, "keys": chunk}).all())
    wanted = {key: others for key, others in (aliases or {}).items() if others and key not in found}
    if wanted:
        stored = known_lines(session, clearing_account, sorted({alias for others in wanted.values() for alias in others}))
        for key, others in wanted.items():
            alias = next((alias for alias in others if alias in stored), None)
            if alias is not None:
                found[key] = stored[alias]
    return found


def known_batch_parts(session: Session, clearing_account: str, rows: list[Row]) -> dict[str, int]:
    """line key -> id, for referenced lines that a camt.053 batch entry brought earlier as one of its
    parts with the part's own reference: such a part is keyed under its entry (`<entry key>/<n>`),
    so another file listing the transfer on its own (MT940, a CSV row) is found here by the part's
    reference (compared across formats: `normalise_ref`), booking day, side and amount. Only the few
    batch parts of those days are read (a partial index), first: most days have none, and then the
    chunk's lines need no reading at all."""
    days = sorted({r.booking_date for r in rows if r.bank_ref is not None and "/" not in r.key})
    parts = {day: found for day in days if (found := session.execute(_BATCH_PARTS_OF_DAY, {
        "account": clearing_account, "day": day}).all())}
    if not parts:
        return {}
    wanted: dict[tuple, str] = {}
    for r in rows:
        if r.booking_date in parts and "/" not in r.key and (ref := normalise_ref(r.bank_ref)):
            wanted.setdefault((ref, r.booking_date, r.amount_vnd, r.direction), r.key)
    found: dict[str, int] = {}
    for day, stored in parts.items():  # days in order, each day's parts by id: the first such part wins
        for line_id, ref, amount, direction in stored:
            key = wanted.get((normalise_ref(ref), day, amount, direction))
            if key is not None:
                found.setdefault(key, line_id)
    return found


_BATCH_PARTS_OF_DAY = (
    select(StatementLine.id, StatementLine.bank_ref, StatementLine.amount_vnd, StatementLine.direction)
    .where(StatementLine.clearing_account == bindparam("account"), StatementLine.booking_date == bindparam("day"),
           BATCH_PART).order_by(StatementLine.id))


def payments_of_lines(session: Session, line_ids: list[int]) -> dict[int, int]:
    """line id -> the payment its money made or was linked to, for those that have one."""
    found: dict[int, int] = {}
    for chunk in _chunks(line_ids):
        found.update(session.execute(_PAYMENTS_OF_LINES, {"ids": chunk}).all())
    return found


def known_by_fingerprint(session: Session, ctx: ImportContext, rows: list[Row]) -> dict[str, int]:
    """line key -> id, for lines that are a stored line although one of the two files lost the bank's
    reference (a spreadsheet saved through Excel): a new line without a reference is a stored
    referenced line, a new referenced line a stored line without one, when they share day, side and
    amount and one memo holds the other. Each line first takes a stored line with its very memo;
    only then do the lines left take one whose memo holds theirs or is held by it, and never one that
    a line in a later chunk of the file has the very memo of: a new transfer "nop le phi" must not
    take the line of "HS… nop le phi" from its twin (that transfer would be credited twice and this
    one lost). A stored line is taken once per import, so equal transfers stay apart; lines this
    import stored itself are not looked at (one file with and without references lists two transfers)."""
    found: dict[str, int] = {}
    for referenced in (False, True):
        wanted = [r for r in rows if (r.bank_ref is not None) == referenced]
        for day in sorted({r.booking_date for r in wanted}):
            _twins_of_day(session, ctx, day, referenced, [r for r in wanted if r.booking_date == day], found)
    return found


def _twins_of_day(session: Session, ctx: ImportContext, day: date, referenced: bool, mine: list[Row],
                  found: dict[str, int]) -> None:
    if referenced:  # stored lines without a reference of the day: "f:<fingerprint>[#n]", read through their
        # partial index (the predicate as the index states it, so both databases use it). Through the recon_date
        # index or the account's keys, every chunk read all the lines stored since the day (this import's own
        # too): a scan that grew with the table and made a big import quadratic.
        other = UNREFERENCED
    else:  # the day's referenced lines, "r:<yyyymmdd>:…", read through the unique index (bounded
        # by the next day, which sorts after them under any collation)
        other = and_(StatementLine.line_key >= f"r:{day:%Y%m%d}",
                     StatementLine.line_key < f"r:{day + timedelta(1):%Y%m%d}")
    claimed = exists().where(StatementLineRepeat.import_id == ctx.import_id,  # by an earlier chunk
                             StatementLineRepeat.line_id == StatementLine.id)
    candidates = session.execute(
        select(StatementLine.id, StatementLine.direction, StatementLine.amount_vnd, StatementLine.memo).where(
            StatementLine.clearing_account == ctx.clearing_account, StatementLine.booking_date == day, other,
            StatementLine.import_id != ctx.import_id, StatementLine.amount_vnd.in_(sorted({r.amount_vnd for r in mine})),
            ~claimed)
        .order_by(StatementLine.id)).all()
    if not candidates:
        return
    by_money: dict[tuple[str, int], list[tuple[int, str, str]]] = {}
    for c in candidates:
        by_money.setdefault((c.direction, c.amount_vnd), []).append((c.id, memo_signature(c.memo), c.memo))
    taken: set[int] = set()
    left: list[tuple[Row, str]] = []
    for row in mine:  # the very memo first
        memo = memo_signature(row.memo)
        free = next((i for i, m, _ in by_money.get((row.direction, row.amount_vnd), ()) if m == memo and i not in taken),
                    None)
        if free is None:
            left.append((row, memo))
        else:
            found[row.key] = free
            taken.add(free)
    if not left:
        return
    kept = _kept_for_later_rows(ctx, day, referenced, by_money, taken)
    for row, memo in left:  # then one memo holding the other, among the lines still free
        free = next((i for i, m, _ in by_money.get((row.direction, row.amount_vnd), ())
                     if i not in taken and i not in kept and same_memo(memo, m)), None)
        if free is not None:
            found[row.key] = free
            taken.add(free)


def _kept_for_later_rows(ctx: ImportContext, day: date, referenced: bool,
                         by_money: dict[tuple[str, int], list[tuple[int, str, str]]], taken: set[int]) -> set[int]:
    """The free stored lines of the day that lines of the file's later chunks have the very memo of
    (as many as there are such lines, first ones first: the order they will take them in). Only the
    day's later chunks are read back from the spool, and only when a line is left for the second pass."""
    groups: dict[tuple[str, int, str], list[tuple[int, str]]] = {}
    for (direction, amount), lines in by_money.items():
        for line_id, signature, memo in lines:
            if line_id not in taken:
                groups.setdefault((direction, amount, signature), []).append((line_id, memo))
    money = {(direction, amount) for direction, amount, _ in groups}
    later: Counter[tuple[str, int, str]] = Counter()
    if referenced:
        for packed in ctx.later_rows(day):
            amount, direction, memo, ref = packed[3:7]
            if ref is not None and (direction, amount) in money:
                later[(direction, amount, memo_signature(memo))] += 1
    else:  # a line without a reference is keyed by its very memo: compared by key, no memo to normalise
        by_key = {base_key(ParsedLine(0, day, amount, direction, memo=lines[0][1])): (direction, amount, signature)
                  for (direction, amount, signature), lines in groups.items()}
        for packed in ctx.later_rows(day):
            if packed[6] is None and packed[11] in by_key:  # (… ref, name, account, balance, reversal, key)
                later[by_key[packed[11]]] += 1
    return {line_id for group, count in later.items() for line_id, _ in groups.get(group, [])[:count]}


@dataclass
class CallbackWatch:
    """The callback payments (not a statement's) an import may link its lines to, kept current.

    A callback that arrives while a long import runs waits only for the chunk in progress (it
    takes the account's statement lock, shared), so each chunk, under that lock, first reads the
    callbacks committed since the last chunk: by payment id, so the whole import reads each payment
    of the account once. Every bank callback of the account has committed by then or has not yet
    written (the lock), so no id below the highest read can appear later."""

    clearing_account: str
    start: datetime | None  # the callback times that may_book can put on the statement's days
    end: datetime | None
    seen_up_to: int = 0
    any: bool = False  # any callback in the period: else an import skips looking line by line
    # No code in their memo took them (announcements), on no line: their memo is what ties them to it.
    by_memo: list[Candidate] = field(default_factory=list)

    @classmethod
    def of(cls, clearing_account: str, first: date | None, last: date | None,
           holidays: Collection[date]) -> CallbackWatch:
        if first is None or last is None:
            return cls(clearing_account, None, None)
        earliest, latest = _callback_days(first, last, holidays)
        return cls(clearing_account, business_day_bounds(earliest)[0], business_day_bounds(latest)[1])

    def refresh(self, session: Session) -> None:
        if self.start is None:
            return
        top = session.execute(select(func.max(Payment.id))).scalar() or 0
        if top <= self.seen_up_to:
            return
        free = (Payment.status == "active") & _unlinked()
        rows = session.execute(select(
            Payment.id, Payment.amount_vnd, Payment.booked_at, Payment.memo,
            free & arrived_in_suspense(), free & _paid_by_channel_code(),
        ).where(Payment.id > self.seen_up_to, Payment.id <= top, Payment.clearing_account == self.clearing_account,
                Payment.provider != STATEMENT_PROVIDER, Payment.booked_at >= self.start,
                Payment.booked_at < self.end).order_by(Payment.id))
        for payment_id, amount, at, memo, waiting, paid_by_channel in rows:
            self.any = True
            if waiting or paid_by_channel:
                self.by_memo.append(Candidate(payment_id, amount, business_date(at), memo_signature(memo),
                                              paid_by_channel=paid_by_channel))
        self.seen_up_to = top


def link_callbacks(session: Session, ctx: ImportContext, rows: list[Row]) -> dict[str, int]:
    """line key -> payment id, for credit lines a callback already recorded."""
    linked: dict[str, int] = {}
    if not ctx.callbacks.any:
        return linked
    _by_reference(session, ctx, rows, linked)
    _by_code(session, ctx, [r for r in rows if r.key not in linked], linked)
    by_amount: dict[int, list[Candidate]] = {}  # in payment order, as they were read
    for candidate in ctx.callbacks.by_memo:
        by_amount.setdefault(candidate.amount_vnd, []).append(candidate)
    prefix = ctx.settings.payment_code_prefix
    for row in rows:
        if row.key in linked:
            continue
        signature, names_a_code = memo_signature(row.memo), None
        for candidate in by_amount.get(row.amount_vnd, ()):
            if candidate.payment_id in ctx.linked_payments:
                continue
            if candidate.paid_by_channel:
                names_a_code = bool(codes_in(row.memo, prefix)) if names_a_code is None else names_a_code
                if names_a_code:
                    continue
            if same_memo(signature, candidate.signature) and may_book(candidate.day, row.booking_date,
                                                                      ctx.settings.holidays):
                _link(ctx, linked, row, candidate.payment_id)
                break
    return linked


def _link(ctx: ImportContext, linked: dict[str, int], row: Row, payment_id: int) -> None:
    linked[row.key] = payment_id
    ctx.linked_payments.add(payment_id)


def _by_reference(session: Session, ctx: ImportContext, rows: list[Row], linked: dict[str, int]) -> None:
    """The bank's reference names the transaction on a day the bank may book it: the line is the
    callback's. Another amount is the same transfer only when the memo names the same payment
    codes the callback paid, a mistyped one read as the paid code among its neighbours
    (`codes.names_exactly`; the difference is an `amount_differs` exception for finance);
    otherwise a reference that merely repeats (a short document number) links nothing. Compared with
    every reference the callback payment is known by (`payment_references`, as `normalise_ref` keys),
    whichever way either side wrote it."""
    by_ref: dict[str, list[Row]] = {}
    for row in rows:
        reference = normalise_ref(row.bank_ref)
        if reference is not None:
            by_ref.setdefault(reference, []).append(row)
    candidates: list[tuple[int, str, int, date]] = []
    for chunk in _chunks(sorted(by_ref)):
        for payment_id, reference, amount, account, at in session.execute(
                select(Payment.id, PaymentReference.key, Payment.amount_vnd, Payment.clearing_account,
                       Payment.booked_at).join(PaymentReference, PaymentReference.payment_id == Payment.id).where(
                    Payment.provider != STATEMENT_PROVIDER, Payment.status == "active",
                    PaymentReference.key.in_(chunk), _unlinked())):
            if account == ctx.clearing_account:  # see _by_code: the account is compared here
                candidates.append((payment_id, reference, amount, business_date(at)))
    candidates.sort()
    paid_codes = _paid_codes(session, [pid for pid, ref, amount, _ in candidates
                                       if any(row.amount_vnd != amount for row in by_ref[ref])])
    prefix = ctx.settings.payment_code_prefix
    for same_amount_only in (True, False):  # a twin with the line's own amount first
        for payment_id, reference, amount, day in candidates:
            for row in by_ref.get(reference, []):
                if row.key in linked or payment_id in ctx.linked_payments:
                    continue
                if not may_book(day, row.booking_date, ctx.settings.holidays):
                    continue
                same = amount == row.amount_vnd
                if same or (not same_amount_only
                            and names_exactly(None, row.memo, paid_codes.get(payment_id, set()), prefix)):
                    _link(ctx, linked, row, payment_id)
                    break


def _paid_codes(session: Session, payment_ids: list[int]) -> dict[int, set[str]]:
    """payment id -> the codes of the requests its active allocations paid."""
    codes_of: dict[int, set[str]] = {}
    for chunk in _chunks(payment_ids):
        for payment_id, code in session.execute(
                select(PaymentAllocation.payment_id, PaymentRequest.payment_code)
                .join(PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id)
                .where(PaymentAllocation.payment_id.in_(chunk), PaymentAllocation.released_at.is_(None))):
            codes_of.setdefault(payment_id, set()).add(code)
    return codes_of


def _by_code(session: Session, ctx: ImportContext, rows: list[Row], linked: dict[str, int]) -> None:
    prefix = ctx.settings.payment_code_prefix
    wanted = {row.key: codes_in(row.memo, prefix) for row in rows}
    every = set().union(*wanted.values()) if wanted else set()
    candidates: dict[int, tuple[int, date, set[str]]] = {}
    for chunk in _chunks(sorted(every)):
        # The account is compared in Python, not in SQL: a province has a handful of collection
        # accounts, and given `clearing_account = ?` a planner without fresh statistics (SQLite
        # always, PostgreSQL before its first ANALYZE) drives the query from that index, i.e.
        # reads every payment of the account for every chunk: quadratic in a big import.
        for payment_id, amount, at, code, account in session.execute(
                select(Payment.id, Payment.amount_vnd, Payment.booked_at, PaymentRequest.payment_code,
                       Payment.clearing_account)
                .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
                .join(PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id)
                .where(PaymentRequest.payment_code.in_(chunk), Payment.provider != STATEMENT_PROVIDER,
                       Payment.status == "active", _unlinked())):
            if account != ctx.clearing_account:
                continue
            candidates.setdefault(payment_id, (amount, business_date(at), set()))[2].add(code)
    by_code: dict[str, set[int]] = {}
    for payment_id, (_, _, paid_codes) in candidates.items():
        for code in paid_codes:
            by_code.setdefault(code, set()).add(payment_id)
    for row in rows:
        paying_a_wanted_code = set().union(*(by_code.get(code, ()) for code in wanted[row.key]))
        for payment_id in sorted(paying_a_wanted_code):  # the earliest payment first
            amount, day, _ = candidates[payment_id]
            if payment_id in ctx.linked_payments or amount != row.amount_vnd:
                continue
            if may_book(day, row.booking_date, ctx.settings.holidays):
                _link(ctx, linked, row, payment_id)
                break


def reversal_ref(line_id: int) -> str:
    """What a payment reversed by a statement line (`reversals`) records as its reversal reference."""
    return f"statement:{line_id}"


def reversed_by(session: Session, reversal_line_ids: list[int]) -> dict[int, int]:
    """reversal line id -> id of the credit line whose payment it reversed."""
    refs = {reversal_ref(line_id): line_id for line_id in reversal_line_ids}
    found: dict[int, int] = {}
    for chunk in _chunks(refs):
        for ref, original in session.execute(select(Payment.reversal_ref, StatementLine.id).join(
                StatementLine, StatementLine.payment_id == Payment.id).where(Payment.reversal_ref.in_(chunk))):
            found[refs[ref]] = original
    return found


def reversal_lines(session: Session, payment_ids: list[int]) -> dict[int, int]:
    """payment id -> id of the statement line whose reversal took it back (`reversed_by`, the other way)."""
    found: dict[int, int] = {}
    for chunk in _chunks(payment_ids):
        for payment_id, ref in session.execute(select(Payment.id, Payment.reversal_ref).where(
                Payment.id.in_(chunk), Payment.reversal_ref.startswith(reversal_ref(0)[:-1]))):
            line_id = ref.split(":", 1)[1]
            if line_id.isascii() and line_id.isdigit():
                found[payment_id] = int(line_id)
    return found


def payment_facts(session: Session, payment_ids: list[int]) -> dict[int, PaymentFacts]:
    """payment id -> its status, suspense, active allocations, refunds awaiting approval and whether a
    callback that came after the statement was linked to it."""
    facts: dict[int, PaymentFacts] = {}
    for chunk in _chunks(payment_ids):
        allocations: dict[int, list[tuple[str, int, str]]] = {}
        for payment_id, code, amount, how in session.execute(
                select(PaymentAllocation.payment_id, PaymentRequest.payment_code, PaymentAllocation.amount_vnd,
                       PaymentAllocation.how)
                .join(PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id)
                .where(PaymentAllocation.payment_id.in_(chunk), PaymentAllocation.released_at.is_(None))
                .order_by(PaymentAllocation.id)):
            allocations.setdefault(payment_id, []).append((code, amount, how))
        awaiting = {pid: vnd for pid, (vnd, _) in suspense_claimed_vnd(session, chunk).items()}
        for payment_id, status, unallocated, reason, late_callback in session.execute(
                select(Payment.id, Payment.status, Payment.unallocated_vnd, Payment.suspense_reason,
                       and_(Payment.provider == STATEMENT_PROVIDER, announced()))
                .where(Payment.id.in_(chunk))):
            facts[payment_id] = PaymentFacts(status, unallocated, reason, tuple(allocations.get(payment_id, ())),
                                             int(awaiting.get(payment_id) or 0), bool(late_callback))
    return facts


def proposals(session: Session, ctx: ImportContext, rows: list[tuple[Row, int]]) -> dict[str, dict]:
    """For lines whose mistyped code has one open neighbour but another amount: that request, proposed, for
    at most what waits in suspense (`rows`: each line with it; codes verified beside the mistyped one may
    have taken the rest)."""
    found: dict[str, dict] = {}
    for row, waiting in rows:
        neighbours = codes_in(row.memo, ctx.settings.payment_code_prefix)
        open_ = session.execute(select(PaymentRequest.payment_code, PaymentRequest.amount_vnd,
                                       PaymentRequest.paid_vnd, PaymentRequest.refunded_vnd).where(
            PaymentRequest.payment_code.in_(sorted(neighbours)), PaymentRequest.status.in_(states.OPEN))).all()
        if len(open_) == 1:
            code, amount, paid, refunded = open_[0]
            outstanding = max(amount - (paid - refunded), 0)
            found[row.key] = {"payment_code": code, "amount_vnd": min(waiting, outstanding) or waiting,
                              "outstanding_vnd": outstanding, "score": 60,
                              "reasons": ["code_corrected", "amount_differs_from_outstanding"]}
    return found
