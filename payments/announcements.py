"""One bank transfer, seen twice: announced by a callback, shown on the bank's statement.

Either may come first, and the money must count once. When the callback comes first, the
statement import links its line to the callback's payment (`reconciliation.links`). When the
statement comes first, its line made a payment (provider `statement`), and the late callback
is linked to that payment here, from the one crediting path (`credits.record_credits`): no
second payment, allocation, ledger entry, receipt or SMS. Both directions use the rules below:

- the same bank reference, on a day the bank may book the transfer (`may_book`): the same
  amount links; another amount only when the memo names the codes the payment paid (the
  difference is a conflict for finance, never a credit);
- else the same amount, banking-day window and a payment code the payment paid;
- else, for money no code put on a request (in suspense, or assigned by finance since), the same
  amount, banking-day window and memo.
Candidates are taken earliest first. A statement payment is announced by at most one
callback of each feed: the first claim is written on it (`details.callback_*`, and `inbox_id`
names the stored callback), another feed's under `details.other_feeds`, under a row lock, so of
two callbacks of one feed for one transfer only the first claims it (the second is linked too
only when it names a reference the payment is known by: `_reported_elsewhere`). A feed's claim
on a payment another feed announced needs no other reference than its own named for it
(`_Statement.open_to`).
Imports of an account and callbacks onto it are serialised (`statement_lock`): each sees
what the other committed, whichever commits first.

The same transfer may also be reported by two feeds watching one account (SePay and payOS): a
callback whose bank reference another provider already recorded for the same account and amount
(a callback's payment, or a statement payment another callback announced) is linked to that
payment too (`_reported_elsewhere`). A payment is known by every reference a report of it named
(`payment_references`): the statement's "Số CT" and the API's FT… of one transfer linked by its
code both find it, so a third feed naming either is not credited again; with another amount but the same payment codes it is a
conflict for finance (one of the two reports is wrong about the one transfer). Callbacks naming
one reference are serialised (`reference_lock`), so the second of two at once sees the first.

A linked callback owns no payment, so only its stored callback (`duplicate`) remembers its
transaction id: a repeat of that id is compared with what the stored callback said
(`_linked_before`). Saying the same, it is linked again as the first was; saying otherwise
(another amount, bank reference or payment codes), it is a conflict for finance, never new money.
Callbacks naming one transaction id are serialised too (`callback_lock`).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, exists, select, text, update

from config import Settings
from kernel import audit
from kernel.clock import add_working_days, business_date, business_day_bounds
from kernel.db import advisory_lock, is_postgres
from kernel.inbox import DUPLICATE as STORED_DUPLICATE
from kernel.inbox import InboundCallback, add_note
from payments import codes
from payments.models import Payment, PaymentAllocation, PaymentReference, PaymentRequest
from payments.payment_references import keys_of, remember
from payments.references import normalise_ref

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from payments.credits import IncomingCredit

STATEMENT_PROVIDER = "statement"
# details key of a statement payment: {provider: its callback's claim} of feeds that announced it after
# the first (whose claim is `callback_*`), one claim a feed.
OTHER_FEEDS = "other_feeds"
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_CHUNK = 1000


def statement_lock(clearing_account: str) -> str:
    """The advisory lock an import of the account holds (exclusively) and callbacks onto it share."""
    return f"reconciliation.import:{clearing_account}"


def advisory_locks(session: Session, keys: Collection[str]) -> None:
    """`kernel.db.advisory_lock` (exclusive) on each key, in one round trip however many (a batch
    of callbacks would otherwise pay one per callback), taken in one order so that batches never
    wait on each other in a cycle."""
    ordered = sorted(set(keys))
    if len(ordered) == 1 or not is_postgres(session):
        for key in ordered:
            advisory_lock(session, key)
        return
    if ordered:  # PostgreSQL evaluates volatile output expressions after the sort
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
                             "FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k COLLATE \"C\""), {"keys": ordered})


def reference_lock(clearing_account: str, reference: str) -> str:
    """The advisory lock every callback naming this bank reference on the account holds (exclusively)."""
    return f"payments.bank_reference:{clearing_account}:{reference}"


def callback_lock(credit: IncomingCredit) -> str:
    """The advisory lock every callback naming this transaction id holds (exclusively): a repeat
    waits for its first report's outcome, which it is compared with."""
    return f"payments.callback:{credit.provider}:{credit.provider_ref}"


def may_book(callback_day: date, booking_day: date, holidays: Collection[date]) -> bool:
    """Whether a bank may book on `booking_day` a transfer a callback announced on `callback_day`:
    the same day, the next working day (a late-evening, weekend or holiday transfer), or the
    day before (clocks either side of midnight)."""
    latest = add_working_days(callback_day + timedelta(days=1), 0, holidays)
    return callback_day - timedelta(days=1) <= booking_day <= latest


def codes_in(memo: str | None, prefix: str) -> set[str]:
    """Every code a memo may mean: verified ones and the valid neighbours of mistyped ones."""
    return codes.codes_it_may_mean(None, memo, prefix)


def credit_codes(credit: IncomingCredit, prefix: str) -> set[str]:
    """Every code a callback may pay, as crediting reads it: the code its channel read (SePay's
    `code`, taken only when its memo names no other) or else those of its memo."""
    return codes.codes_it_may_mean(credit.payment_code, credit.memo, prefix)


def memo_signature(memo: str | None) -> str:
    """Memo compared across a callback and a statement: no accents, no spaces, no punctuation."""
    return _NOT_ALNUM.sub("", codes.normalise_memo(memo or ""))


def same_memo(a: str, b: str) -> bool:
    """Two memo signatures of one transfer: one holds the other (banks prepend their own text)."""
    return bool(a and b and (a in b or b in a))


# --- what reconciliation reads back ----------------------------------------------------

def announced():
    """SQL: a statement payment a late callback was linked to (its line counts as announced)."""
    return Payment.details["callback_ref"].as_string().is_not(None)


def announced_amounts(session: Session, payment_ids: Iterable[int]) -> dict[int, int]:
    """statement payment id -> the amount its late callback announced, for those that have one."""
    found: dict[int, int] = {}
    ids = sorted(set(payment_ids))
    for start in range(0, len(ids), _CHUNK):
        for payment_id, details in session.execute(select(Payment.id, Payment.details).where(
                Payment.id.in_(ids[start:start + _CHUNK]), Payment.provider == STATEMENT_PROVIDER, announced())):
            found[payment_id] = details["callback_vnd"]
    return found


# --- linking a late callback ------------------------------------------------------------

@dataclass(frozen=True)
class Twin:
    """The payment a callback turned out to announce: a statement's, or another feed's."""

    payment_id: int | None  # None only for a contradicting repeat whose first report's payment is gone
    statement_vnd: int
    callback_vnd: int
    provider: str = STATEMENT_PROVIDER  # who recorded the payment
    # A repeat of a linked callback that contradicts its first report: how (for finance).
    contradiction: str | None = None

    @property
    def amount_differs(self) -> bool:
        return self.statement_vnd != self.callback_vnd


@dataclass
class _Statement:
    payment_id: int
    amount_vnd: int
    unallocated_vnd: int
    day: date
    account: str
    references: set[str]  # every one it is known by (`payment_references`)
    reported_as: set[str]  # those a callback named, not the line
    signature: str
    details: dict
    paid_codes: set[str] = field(default_factory=set)
    arrived_in_suspense: bool = False

    @property
    def claimed(self) -> bool:
        return bool(_claims(self.details))

    def open_to(self, credit: IncomingCredit) -> bool:
        """Whether the callback may announce this payment: no callback of its feed has, and no callback
        named another reference than the callback's for it (the line's own, "Số CT", may differ from a
        callback's FT…; two callbacks' FT… that differ are two transfers). The bank's API and SePay (or
        payOS) watching one account each report every transfer once, so each feed announces a
        statement payment once. (With one claim a payment for all feeds, the second feed's report of
        a transfer, finding only another transfer's payment unclaimed, took it, and its report of that
        other transfer was credited a second time.)"""
        return self.open_to_report(credit.provider, normalise_ref(credit.bank_reference))

    def open_to_report(self, provider: str, reference: str | None) -> bool:
        """`open_to` for a report of `provider` naming `reference` (a key, or None)."""
        if not self.claimed:
            return True
        return provider not in _claims(self.details) and (
            not self.reported_as or reference is None or reference in self.references)

    def claim_by_code(self) -> str | None:
        """The feed whose claim is the payment's only one and was made by a code or memo rule (it named
        no reference, or one nothing else knows the payment by but the line's own), else None: such a
        claim could as well have been made on another line of the same code and amount."""
        claims = _claims(self.details)
        if len(claims) != 1:
            return None
        provider = next(iter(claims))
        reference = _claim_of(self.details, provider).get("reference")
        own = self.references - self.reported_as
        soft = not self.reported_as if reference is None else self.reported_as == {reference}
        return provider if soft and own else None


def _claims(details: dict) -> dict[str, str]:
    """provider -> the transaction id of its callback that announced a statement payment, per its
    details: the first claim (`callback_*`), then other feeds' (`OTHER_FEEDS`); empty when unclaimed."""
    first = {details["callback_provider"]: details["callback_ref"]} if details.get("callback_ref") is not None else {}
    return first | {provider: claim["ref"] for provider, claim in details.get(OTHER_FEEDS, {}).items()}


def _claim_of(details: dict, provider: str) -> dict:
    """The claim `provider`'s callback wrote on a statement payment (`_claim`'s dict: ref, vnd, at and,
    when given, reference and inbox_id)."""
    if details.get("callback_provider") == provider and details.get("callback_ref") is not None:
        return {name.removeprefix("callback_"): value for name, value in details.items()
                if name.startswith("callback_") and name != "callback_provider"}
    return dict(details[OTHER_FEEDS][provider])


def _claim_keys(details: dict) -> set[str]:
    """"provider:ref" of every callback linked to a statement payment."""
    return {f"{provider}:{ref}" for provider, ref in _claims(details).items()}


def _key(credit: IncomingCredit) -> str:
    return f"{credit.provider}:{credit.provider_ref}"


def is_bank_callback(credit: IncomingCredit) -> bool:
    """A credit a statement of ours may also show (and may already have credited)."""
    return credit.provider != STATEMENT_PROVIDER and credit.clearing_account.startswith("bank:")


def link_late_callbacks(session: Session, credits: list[IncomingCredit], *, settings: Settings, actor: str,
                        now: datetime) -> dict[tuple[str, str], Twin]:
    """(provider, ref) -> the statement payment each late callback announces, claimed for it, or
    the payment another feed recorded for the same transfer. A claim moved to another line to free
    one (`_free_by_moving`) is audited as `actor`'s.

    Callbacks already recorded as payments of their own are left out (they are repeats). A batch
    must not carry one bank reference twice (`inbox_apply` ends a run there): neither would see
    the other's payment."""
    late = [c for c in credits if is_bank_callback(c)]
    if not late:
        return {}
    for account in sorted({c.clearing_account for c in late}):  # one order: no deadlock between batches
        advisory_lock(session, statement_lock(account), shared=True)
    advisory_locks(session, [reference_lock(c.clearing_account, normalise_ref(c.bank_reference)) for c in late
                             if normalise_ref(c.bank_reference)] + [callback_lock(c) for c in late])
    conn = session.connection()
    recorded = _recorded(conn, late)
    late = [c for c in late if (c.provider, c.provider_ref) not in recorded]
    contradicted = _linked_before(conn, late, settings)
    late = [c for c in late if (c.provider, c.provider_ref) not in contradicted]
    twins, moves = _link(conn, late, settings, now)
    for move in moves:
        _audit_move(session, move, actor=actor, now=now)
    twins.update(contradicted)
    return twins


@dataclass(frozen=True)
class _Move:
    """A callback's claim moved from one statement payment to another (`_move_claim`), and why."""

    provider: str
    ref: str
    inbox_id: int | None
    from_payment_id: int
    to_payment_id: int
    moved_by: str  # "provider:ref" of the report that freed the payment
    note: str  # added to the stored callback's reason


def _audit_move(session: Session, move: _Move, *, actor: str, now: datetime) -> None:
    """The stored callback's record changed (its reason gained `note`): audited on it, or, for a credit
    recorded without one, on the payment the claim left."""
    subject = ("callback", move.inbox_id) if move.inbox_id is not None else ("payment", move.from_payment_id)
    audit.record(session, actor=actor, action="callback.claim_moved", subject_type=subject[0],
                 subject_id=subject[1], at=now, reason=move.note,
                 data={"provider": move.provider, "external_id": move.ref, "from_payment_id": move.from_payment_id,
                       "to_payment_id": move.to_payment_id, "moved_by": move.moved_by})


def repeat_differs(first: IncomingCredit, again: IncomingCredit, prefix: str) -> str | None:
    """How a callback repeating a transaction id contradicts the first report of it (the amount, or
    the payment codes its memo names); None when it says the same."""
    if first.amount_vnd != again.amount_vnd:
        return f"with {first.amount_vnd} VND, now claims {again.amount_vnd} VND"
    before, now = codes_in(first.memo, prefix), codes_in(again.memo, prefix)
    if before != now:
        return f"for payment code(s) {_listed(before)}, now names {_listed(now)}"
    return None


def _listed(found: set[str]) -> str:
    """Codes for a reason finance reads: a mistyped code may stand for many neighbours."""
    if not found:
        return "none"
    shown = sorted(found)
    return ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")


def _linked_before(conn: Connection, late: list[IncomingCredit],
                   settings: Settings) -> dict[tuple[str, str], Twin]:
    """Repeats of callbacks that were linked (stored `duplicate`, no payment of their own) and now
    contradict that first report: another amount, bank reference or payment codes. A repeat saying
    the same is left to the rules, which link it again as they linked the first."""
    first: dict[tuple[str, str], tuple[int, dict]] = {}
    for provider in sorted({c.provider for c in late}):
        for chunk in _chunks(sorted({c.provider_ref for c in late if c.provider == provider})):
            for inbox_id, ref, event in conn.execute(
                    select(InboundCallback.id, InboundCallback.external_id, InboundCallback.event)
                    .where(InboundCallback.provider == provider, InboundCallback.external_id.in_(chunk),
                           InboundCallback.status == STORED_DUPLICATE).order_by(InboundCallback.id)):
                if (event or {}).get("type") == "credit":
                    first.setdefault((provider, ref), (inbox_id, event))
    found = {}
    for credit in late:
        key = (credit.provider, credit.provider_ref)
        if key not in first:
            continue
        inbox_id, event = first[key]
        earlier = replace(
            credit, amount_vnd=event["amount_vnd"], memo=event.get("memo"), bank_reference=event.get("bank_reference"),
            clearing_account=event["clearing_account"], booked_at=datetime.fromisoformat(event["booked_at"]),
            inbox_id=inbox_id)
        differs = repeat_differs(earlier, credit, settings.payment_code_prefix)
        if differs is None and normalise_ref(earlier.bank_reference) != normalise_ref(credit.bank_reference):
            differs = f"with bank reference {earlier.bank_reference}, now names {credit.bank_reference}"
        if differs is None:
            continue
        payment_id, provider = _payment_linked_to(conn, earlier, settings)
        linked = f"payment {payment_id}" if payment_id is not None else "a payment not found again"
        found[key] = Twin(payment_id, earlier.amount_vnd, credit.amount_vnd, provider, contradiction=(
            f"transaction {credit.provider_ref} was reported before {differs} (stored callback {inbox_id}, "
            f"linked to {linked}): not applied, left to finance"))
    return found


def _payment_linked_to(conn: Connection, earlier: IncomingCredit, settings: Settings) -> tuple[int | None, str]:
    """(payment id, its provider) the first report of a linked callback was linked to: the statement
    payment that names its stored callback (the first feed's claim), else the payment known by its
    reference (another feed's payment, or a statement payment it claimed as a second feed)."""
    start, end = _window([earlier], settings.holidays)
    statement = conn.execute(select(Payment.id).where(
        Payment.provider == STATEMENT_PROVIDER, Payment.booked_at >= start, Payment.booked_at < end,
        Payment.clearing_account == earlier.clearing_account, Payment.inbox_id == earlier.inbox_id)).scalar()
    if statement is not None:
        return statement, STATEMENT_PROVIDER
    twin = _reported_elsewhere(conn, [earlier], settings, active_only=False).get(
        (earlier.provider, earlier.provider_ref))
    return (twin.payment_id, twin.provider) if twin is not None else (None, STATEMENT_PROVIDER)


def _link(conn: Connection, late: list[IncomingCredit], settings: Settings,
          now: datetime) -> tuple[dict[tuple[str, str], Twin], list[_Move]]:
    """The statement payment or other feed's payment each late callback announces. A reference is
    stronger evidence than a code: the statement payments sharing one are paired first, then another
    feed's payments known by one (`_reported_elsewhere`, read after the row locks: what a concurrent
    claim committed is seen), and only then statement payments by code or memo (else one of another
    transfer was taken, and that transfer's own report, finding it claimed, was credited again)."""
    statements = _lock(conn, _candidates(conn, late, settings))
    prefix, holidays = settings.payment_code_prefix, settings.holidays
    found: dict[tuple[str, str], _Statement] = {}
    claimed: dict[str, _Statement] = {}
    for statement in statements:  # earliest first
        for key in _claim_keys(statement.details):
            claimed.setdefault(key, statement)
    for credit in late:  # linked before (a repeat of a late callback): the same payment again
        if _key(credit) in claimed:
            found[(credit.provider, credit.provider_ref)] = claimed[_key(credit)]
    # Each callback is compared only with the statements a rule could pair it with, not with every one
    # the batch locked: a batch of 500 against thousands, rule after rule, took a worker half a minute.
    pairable = _pairable(statements)
    pools = {}
    for credit in late:
        day, wanted = business_date(credit.booked_at), credit_codes(credit, prefix)
        pools[(credit.provider, credit.provider_ref)] = day, wanted, pairable(credit, wanted)

    def pair(rules, skip: Collection[tuple[str, str]] = ()) -> None:
        for rule in rules:
            for credit in late:
                key = (credit.provider, credit.provider_ref)
                if key in found or key in skip:
                    continue
                day, wanted, pool = pools[key]
                for statement in pool:  # earliest first
                    if statement.account == credit.clearing_account and statement.open_to(credit) \
                            and may_book(day, statement.day, holidays) and rule(credit, statement, wanted):
                        _claim(conn, statement, credit, now)
                        found[key] = statement
                        break

    pair((_same_reference_same_amount, partial(_same_reference_same_codes, prefix=prefix)))
    elsewhere = _reported_elsewhere(conn, [c for c in late if (c.provider, c.provider_ref) not in found], settings)
    pair((_same_code, _same_memo_in_suspense), skip=elsewhere)
    moves = []
    for credit in late:
        key = (credit.provider, credit.provider_ref)
        if key not in found and key not in elsewhere:
            day, wanted, pool = pools[key]
            freed = _free_by_moving(conn, credit, day, wanted, pool, holidays, now)
            if freed is not None:
                taken, spare, move = freed
                found[key] = taken
                moves.append(move)
                if found.get((move.provider, move.ref)) is taken:  # the moved claim was made in this batch
                    found[(move.provider, move.ref)] = spare
    amounts = {(c.provider, c.provider_ref): c.amount_vnd for c in late}
    return elsewhere | {key: Twin(s.payment_id, s.amount_vnd, amounts[key]) for key, s in found.items()}, moves


def _pairable(statements: list[_Statement]):
    """(credit, the codes its memo names) -> the statements, earliest first, that share a reference
    with it, paid a code it names or arrived in suspense with its amount: every one a rule may pair."""
    by_reference: dict[str, list[_Statement]] = {}
    by_code: dict[str, list[_Statement]] = {}
    by_amount: dict[int, list[_Statement]] = {}
    for statement in statements:
        for reference in statement.references:
            by_reference.setdefault(reference, []).append(statement)
        for code in statement.paid_codes:
            by_code.setdefault(code, []).append(statement)
        if statement.arrived_in_suspense:
            by_amount.setdefault(statement.amount_vnd, []).append(statement)

    def pairable(credit: IncomingCredit, wanted: set[str]) -> list[_Statement]:
        found = {s.payment_id: s for s in by_reference.get(normalise_ref(credit.bank_reference), ())}
        found.update((s.payment_id, s) for code in wanted for s in by_code.get(code, ()))
        found.update((s.payment_id, s) for s in by_amount.get(credit.amount_vnd, ()))
        return [found[payment_id] for payment_id in sorted(found)]

    return pairable


def _reported_elsewhere(conn: Connection, late: list[IncomingCredit], settings: Settings, *,
                        active_only: bool = True) -> dict[tuple[str, str], Twin]:
    """Callbacks whose transfer another provider already recorded: an active payment of the same
    account known by the same bank reference (its own report's, or that of a report linked to it:
    `payment_references`), booked on a day `may_book` allows. A statement payment counts once a
    callback claimed it (the rules above claim the unclaimed ones). With the same amount the
    callback is linked to it. With another amount, when both memos name the same payment codes,
    one of the two reports is wrong about the one transfer: a conflict for finance, never money
    counted twice (as `_same_reference_same_codes` for a statement); naming other codes or none, a
    reference that merely repeats is another transfer. With `active_only=False` a payment
    reversed since counts too (naming what a report was linked to)."""
    late = [c for c in late if normalise_ref(c.bank_reference)]
    if not late:
        return {}
    start, end = _window(late, settings.holidays)
    rows = []
    for chunk in _chunks(sorted({normalise_ref(c.bank_reference) for c in late})):
        rows += conn.execute(select(Payment.id, Payment.provider, Payment.amount_vnd, Payment.booked_at,
                                    Payment.clearing_account, PaymentReference.key, Payment.details,
                                    Payment.memo)
                             .join(PaymentReference, PaymentReference.payment_id == Payment.id)
                             .where(PaymentReference.key.in_(chunk), Payment.booked_at >= start,
                                    Payment.booked_at < end, *([Payment.status == "active"] if active_only else []))
                             ).all()
    rows.sort(key=lambda row: row.id)  # earliest first
    found = {}
    for credit in late:
        day, reference = business_date(credit.booked_at), normalise_ref(credit.bank_reference)
        same_transfer = [row for row in rows if row.provider != credit.provider
                         and row.clearing_account == credit.clearing_account
                         and row.key == reference
                         and (row.provider != STATEMENT_PROVIDER or _claims(row.details or {}))
                         and may_book(day, business_date(row.booked_at), settings.holidays)]
        twin = next((row for row in same_transfer if row.amount_vnd == credit.amount_vnd), None)
        if twin is not None:
            found[(credit.provider, credit.provider_ref)] = Twin(twin.id, twin.amount_vnd, credit.amount_vnd,
                                                                 twin.provider)
            continue
        named = codes_in(credit.memo, settings.payment_code_prefix)
        other = next((row for row in same_transfer
                      if named and codes_in(row.memo, settings.payment_code_prefix) == named), None)
        if other is not None:
            found[(credit.provider, credit.provider_ref)] = Twin(other.id, other.amount_vnd, credit.amount_vnd,
                                                                 other.provider, contradiction=(
                f"{other.provider} reported this transfer (bank reference {credit.bank_reference}, same account "
                f"and payment codes) with {other.amount_vnd} VND (payment {other.id}), this callback claims "
                f"{credit.amount_vnd} VND: not applied, left to finance"))
    return found


def _same_reference(credit: IncomingCredit, statement: _Statement) -> bool:
    return normalise_ref(credit.bank_reference) in statement.references


def _same_reference_same_amount(credit: IncomingCredit, statement: _Statement, wanted: set[str]) -> bool:
    return credit.amount_vnd == statement.amount_vnd and _same_reference(credit, statement)


def _same_reference_same_codes(credit: IncomingCredit, statement: _Statement, wanted: set[str], *,
                               prefix: str = codes.DEFAULT_PREFIX) -> bool:
    """Another amount under the same reference is the same transfer only when the memo names the
    codes the statement's payment paid (a mistyped one read as the paid code among its neighbours,
    `codes.names_exactly`); otherwise a reference that merely repeats links nothing."""
    return _same_reference(credit, statement) and codes.names_exactly(credit.payment_code, credit.memo,
                                                                       statement.paid_codes, prefix)


def _same_code(credit: IncomingCredit, statement: _Statement, wanted: set[str]) -> bool:
    return credit.amount_vnd == statement.amount_vnd and bool(wanted & statement.paid_codes)


def arrived_in_suspense():
    """SQL: a payment no code put on a request when it arrived (every allocation it has, or had, is
    finance's): the memo is all that can tie it to the other side's record of the same transfer."""
    return ~exists().where(PaymentAllocation.payment_id == Payment.id, PaymentAllocation.how != "manual")


def _same_memo_in_suspense(credit: IncomingCredit, statement: _Statement, wanted: set[str]) -> bool:
    return credit.amount_vnd == statement.amount_vnd and statement.arrived_in_suspense \
        and same_memo(memo_signature(credit.memo), statement.signature)


def _recorded(conn: Connection, credits: list[IncomingCredit]) -> set[tuple[str, str]]:
    found = set()
    for provider in {c.provider for c in credits}:
        refs = sorted({c.provider_ref for c in credits if c.provider == provider})
        for start in range(0, len(refs), _CHUNK):
            found |= {(provider, ref) for ref in conn.execute(select(Payment.provider_ref).where(
                Payment.provider == provider, Payment.provider_ref.in_(refs[start:start + _CHUNK]))).scalars()}
    return found


def _window(credits: list[IncomingCredit], holidays: Collection[date]) -> tuple[datetime, datetime]:
    """From the day before the earliest callback to the latest day `may_book` allows."""
    days = [business_date(c.booked_at) for c in credits]
    latest = add_working_days(max(days) + timedelta(days=1), 0, holidays)
    return business_day_bounds(min(days) - timedelta(days=1))[0], business_day_bounds(latest)[1]


def _candidates(conn: Connection, credits: list[IncomingCredit], settings: Settings) -> set[int]:
    """Ids of active statement payments one of the rules could pair with one of the callbacks
    (the rules themselves are checked on the locked rows)."""
    if not credits:
        return set()
    start, end = _window(credits, settings.holidays)
    statement_payment = (Payment.provider == STATEMENT_PROVIDER, Payment.status == "active",
                         Payment.booked_at >= start, Payment.booked_at < end)
    found: set[int] = set()
    # By every reference a payment is known by, compared as `normalise_ref` keys: "5000.96828" (a CSV's)
    # and "500096828" (MT940's, an API's) find each other whichever of the two was stored.
    for chunk in _chunks(sorted({normalise_ref(c.bank_reference) for c in credits} - {None})):
        found |= set(conn.execute(select(Payment.id).join(PaymentReference, PaymentReference.payment_id == Payment.id)
                                  .where(*statement_payment, PaymentReference.key.in_(chunk))).scalars())
    wanted = set().union(*(credit_codes(c, settings.payment_code_prefix) for c in credits))
    for chunk in _chunks(sorted(wanted)):
        found |= set(conn.execute(
            select(Payment.id).join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
            .join(PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id)
            .where(*statement_payment, PaymentRequest.payment_code.in_(chunk),
                   PaymentAllocation.released_at.is_(None))).scalars())
    # Money in suspense of the batch's amounts is locked only when it may be one of its transfers (a
    # memo never changes, and a payment that arrived in suspense only ever stops being one): its memo
    # is one of the batch's, or a callback of the batch was linked to it before (a repeat, whose memo
    # may be written otherwise). One sharing a reference was found above.
    memos: dict[int, set[str]] = {}
    for credit in credits:
        memos.setdefault(credit.amount_vnd, set()).add(memo_signature(credit.memo))
    keys = {_key(c) for c in credits}
    for chunk in _chunks(sorted(memos)):
        for payment_id, amount, memo, details in conn.execute(
                select(Payment.id, Payment.amount_vnd, Payment.memo, Payment.details)
                .where(*statement_payment, arrived_in_suspense(), Payment.amount_vnd.in_(chunk))):
            signature = memo_signature(memo)
            if any(same_memo(wanted, signature) for wanted in memos[amount]) or keys & _claim_keys(details or {}):
                found.add(payment_id)
    return found


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _lock(conn: Connection, payment_ids: set[int]) -> list[_Statement]:
    """The candidates row-locked, as they are once any concurrent claim has committed (a FOR
    UPDATE that waited reads the row's latest version under READ COMMITTED), earliest first."""
    statements: dict[int, _Statement] = {}
    for chunk in _chunks(sorted(payment_ids)):
        for pid, amount, unallocated, at, account, memo, details, status, waiting in conn.execute(
                select(Payment.id, Payment.amount_vnd, Payment.unallocated_vnd, Payment.booked_at,
                       Payment.clearing_account, Payment.memo, Payment.details,
                       Payment.status, arrived_in_suspense()).where(Payment.id.in_(chunk)).order_by(Payment.id)
                .with_for_update(of=Payment)):
            if status != "active":
                continue
            statements[pid] = _Statement(pid, amount, unallocated, business_date(at), account,
                                         set(), set(), memo_signature(memo), dict(details or {}),
                                         arrived_in_suspense=waiting)
    for pid, keys in keys_of(conn, statements).items():
        statements[pid].references = set(keys)
        statements[pid].reported_as = {key for key, source in keys.items() if source != STATEMENT_PROVIDER}
    for chunk in _chunks(sorted(statements)):
        for pid, code in conn.execute(
                select(PaymentAllocation.payment_id, PaymentRequest.payment_code)
                .join(PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id)
                .where(PaymentAllocation.payment_id.in_(chunk), PaymentAllocation.released_at.is_(None))):
            statements[pid].paid_codes.add(code)
    return [statements[pid] for pid in sorted(statements)]


def _free_by_moving(conn: Connection, credit: IncomingCredit, day: date, wanted: set[str], pool: list[_Statement],
                    holidays: Collection[date], now: datetime) -> tuple[_Statement, _Statement, _Move] | None:
    """A statement payment the callback may announce once another feed's claim on it, made by code, moves
    to another line of the same day, amount and codes that feed has not announced: (the payment, now the
    callback's; the one the claim moved to; the move), or None.

    Two transfers of one code and amount, the statement first: the API's report of transfer 2 takes
    line 1 by code (nothing tells them apart yet), SePay names line 2's "Số CT" and takes it, and SePay's
    report of transfer 1 (naming the FT… the API will name) then finds line 1 claimed under another FT…
    and line 2 claimed by SePay: it would be credited a third time. Lines of one day, amount and codes are
    interchangeable to a code rule, so the code claim moves and every report keeps one payment."""
    for taken in pool:  # earliest first
        provider = taken.claim_by_code()
        if provider is None or taken.account != credit.clearing_account or taken.open_to(credit) \
                or not may_book(day, taken.day, holidays) or not _same_code(credit, taken, wanted):
            continue
        claim = _claim_of(taken.details, provider)
        spare = next((s for s in pool if s is not taken and s.account == taken.account and s.day == taken.day
                      and s.amount_vnd == taken.amount_vnd and s.paid_codes == taken.paid_codes
                      and s.open_to_report(provider, claim.get("reference"))), None)
        if spare is None:
            continue
        move = _move_claim(conn, taken, spare, provider, claim, by=credit, now=now)
        _claim(conn, taken, credit, now)
        return taken, spare, move
    return None


def _move_claim(conn: Connection, taken: _Statement, spare: _Statement, provider: str, claim: dict, *,
                by: IncomingCredit, now: datetime) -> _Move:
    """Move `provider`'s claim (its only one, `claim`) from `taken` to `spare`, with the reference it named;
    its stored callback's reason gains what the move did (what it said before, storing's notes, a retry's
    history, the verdict that named `taken`, is kept: `inbox.add_note`)."""
    first = taken.details.get("callback_provider") == provider
    for name in [name for name in taken.details if name.startswith("callback_")] if first else ():
        del taken.details[name]
    others = {p: c for p, c in taken.details.pop(OTHER_FEEDS, {}).items() if p != provider}
    if others:
        taken.details[OTHER_FEEDS] = others
    values: dict = {"details": dict(taken.details)}
    if first:
        values["inbox_id"] = None
    reference = claim.get("reference")
    if reference is not None:
        conn.execute(delete(PaymentReference).where(PaymentReference.payment_id == taken.payment_id,
                                                    PaymentReference.key == reference))
        taken.references.discard(reference)
        taken.reported_as.discard(reference)
    conn.execute(update(Payment).where(Payment.id == taken.payment_id).values(**values))
    _write_claim(conn, spare, provider, claim, reference)
    move = _Move(provider, claim["ref"], claim.get("inbox_id"), taken.payment_id, spare.payment_id, _key(by), (
        f"claim moved at {now.isoformat()}: linked now to a line of the same day, amount and codes (payment "
        f"{spare.payment_id}), no longer to payment {taken.payment_id}, another transfer's line (as "
        f"{by.provider} {by.provider_ref} showed)"))
    if move.inbox_id is not None:
        add_note(conn, move.inbox_id, move.note)
    return move


def _claim(conn: Connection, statement: _Statement, credit: IncomingCredit, now: datetime) -> None:
    """Write on the statement payment which callback announced it (and the stored callback)."""
    claim = {"ref": credit.provider_ref, "vnd": credit.amount_vnd, "at": now.isoformat()}
    reference = normalise_ref(credit.bank_reference)
    if reference:  # what the callback named, with the rest of its claim (never looked up: `payment_references`)
        claim["reference"] = reference
    if credit.inbox_id is not None:
        claim["inbox_id"] = credit.inbox_id
    _write_claim(conn, statement, credit.provider, claim, credit.bank_reference)


def _write_claim(conn: Connection, statement: _Statement, provider: str, claim: dict,
                 bank_reference: str | None) -> None:
    """`provider`'s claim on the statement payment: the first as `callback_*` (and `inbox_id`), another
    feed's under `OTHER_FEEDS`; the reference it named (as written) is one the payment is known by."""
    values: dict = {}
    if not statement.claimed:
        statement.details.update({f"callback_{name}": value for name, value in claim.items()},
                                 callback_provider=provider)
        if claim.get("inbox_id") is not None:
            values["inbox_id"] = claim["inbox_id"]
    else:
        statement.details[OTHER_FEEDS] = {**statement.details.get(OTHER_FEEDS, {}), provider: claim}
    reference = normalise_ref(bank_reference)
    if reference and reference not in statement.references:
        # The callback may name another reference than the line did (the API's FT330123456, the CSV's
        # 5000.11111): another feed's report naming either is this payment (`_reported_elsewhere`).
        remember(conn, [(statement.payment_id, bank_reference, provider)])
        if not statement.references:  # the line named none (a spreadsheet lost it): show the callback's
            values["bank_reference"] = bank_reference
        statement.references.add(reference)
        statement.reported_as.add(reference)
    values["details"] = dict(statement.details)
    conn.execute(update(Payment).where(Payment.id == statement.payment_id).values(**values))
