"""Importing a bank statement: parse → store → match → credit → store.

Two phases. `parse_upload` reads the whole file once (streaming, no database): a file that
does not parse is refused before anything is written. It spools the lines, compactly
marshalled, to a temporary file and notes which line identities repeat inside the file.
`run_import` then stores the raw file and works through the spool in chunks of `CHUNK`
lines, one transaction per chunk (memory stays flat and progress is visible to other
requests): known lines are counted as duplicates, new credit lines are linked to the
payment a callback already made or credited through `payments.credits.record_credits`
(the one crediting path), and every line is stored with its status, score and reasons.
A chunk that loses a race with a concurrent credit is retried; an import that dies half-way
can simply be run again: what it stored is recognised as duplicate.
"""
from __future__ import annotations

import marshal
import re
import tempfile
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import IO, BinaryIO

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from kernel import audit, books
from kernel.bulk import insert_rows
from kernel.clock import business_date, now_utc, start_of_business_day
from kernel.db import advisory_lock, unit_of_work
from kernel.heap import collection_paused
from kernel.logs import without_row_values
from kernel.errors import ValidationError
from kernel.text import clean_text
from payments import in_time
from payments.announcements import statement_lock
from payments.credits import ConcurrentCredit, IncomingCredit, record_credits
from payments.ledger import Accounts
from payments.payment_references import remember
from reconciliation import counting, files, links, reversals
from reconciliation.matching import PaymentFacts, base_key, classify, key_hash
from reconciliation.models import (FROM_CALLBACK, FROM_STATEMENT, StatementBalance, StatementImport,
                                   StatementLine, StatementLineRepeat)
from reconciliation.profiles import PROFILE_NAMES
from reconciliation.statements import (CREDIT, FORMATS, DayBalance, StatementInfo, StatementLine as ParsedLine,
                                       normalise_account, parse_statement, same_account, statement_error)

CHUNK = 5000
# A big import grows the tables faster than autovacuum re-plans for them: without fresh
# statistics PostgreSQL keeps the plans of a small table (sequential scans) and every chunk
# gets slower than the last. So the import refreshes them itself whenever what it wrote has
# doubled (after chunks 1, 2, 4, 8…: eight times in a million lines, never after the last chunk).
# Only the tables the import reads back (the ledger, events and outbox are only written).
ANALYZED_TABLES = ("payments", "payment_references", "payment_allocations", "payment_requests", "statement_lines",
                   "receipts")
STATEMENT_PROVIDER = "statement"
RETRIES = 5
Progress = Callable[[int, int], None]
FILENAME_MAX = 255  # StatementImport.filename's width
DEFAULT_FILENAME = "statement"


@dataclass
class Parsed:
    """A statement that parsed completely, waiting to be stored."""

    source: BinaryIO
    info: StatementInfo
    spool: IO[bytes]
    lines_total: int
    repeated: set[int]
    sha256: str
    size_bytes: int
    offsets: list[int]  # where each chunk starts in the spool
    last_chunk: dict[int, int]  # day (ordinal) -> the last chunk holding a line of it
    latest: tuple[date, int] | None = None  # the latest booking day, and the first line booked on it

    def chunks(self) -> Iterator[list[tuple]]:
        for offset in self.offsets:
            self.spool.seek(offset)
            yield marshal.load(self.spool)

    def rows_after(self, chunk: int, day: date) -> Iterator[tuple]:
        """The day's spooled lines in the chunks after `chunk` (0-based), read back one chunk at a time."""
        ordinal = day.toordinal()
        for index in range(chunk + 1, self.last_chunk.get(ordinal, -1) + 1):
            self.spool.seek(self.offsets[index])
            yield from (packed for packed in marshal.load(self.spool) if packed[1] == ordinal)

    def close(self) -> None:
        self.spool.close()


def check_choices(fmt: str | None, profile: str | None) -> str | None:
    """The format and bank layout asked for, if any, are ones we read (API, page and CLI alike); the format
    as we name it. It is taken as people write it, any case, with or without punctuation (`camt.053`,
    `camt.053.001.08`, `MT-940`, `CSV`); a layout by its name as listed."""
    if fmt is not None:
        plain = re.sub(r"[^0-9a-z]", "", fmt.lower())
        fmt = "camt053" if plain.startswith("camt053") else plain
        if fmt not in FORMATS:
            raise ValidationError(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    if profile is not None and profile not in PROFILE_NAMES:
        raise ValidationError(f"profile must be one of {', '.join(PROFILE_NAMES)}", code="invalid_profile")
    return fmt


def parse_upload(source: BinaryIO, *, fmt: str | None = None, profile: str | None = None,
                 account: str | None = None) -> Parsed:
    """Phase 1: parse and validate the whole file; raises StatementError on anything unreadable. `account`:
    the account named for the import, if any (of a file of several accounts' statements, its own is read)."""
    fmt = check_choices(fmt, profile)
    sha256, size = files.sha256_of(source)
    if size == 0:
        raise statement_error("empty_file", "the file is empty")
    info, lines = parse_statement(source, fmt, profile=profile, account=account)
    spool = tempfile.TemporaryFile()
    hashes = array("q")
    references = array("q")  # the credits' (day, bank reference) identities, to find one with two amounts
    offsets: list[int] = []
    last_chunk: dict[int, int] = {}
    batch: list[tuple] = []
    latest: tuple[date, int] | None = None
    try:
        for line in lines:
            _check_text(line)
            day = line.booking_date
            if latest is None or day > latest[0]:
                latest = (day, line.line_no)
            base = base_key(line) if line.batch is None else _batch_key(line) or base_key(line)
            hashes.append(key_hash(base))
            identity = _reference_identity(base, line.direction, line.is_reversal)
            if identity is not None:
                references.append(hash(identity))  # compared within this process only: the fast hash
            packed = _pack(line, base)
            batch.append(packed)
            last_chunk[packed[1]] = len(offsets)
            if len(batch) == CHUNK:
                offsets.append(spool.tell())
                marshal.dump(batch, spool)
                batch = []
        if batch:
            offsets.append(spool.tell())
            marshal.dump(batch, spool)
        _refuse_empty(info, len(hashes))
        parsed = Parsed(source, info, spool, len(hashes), _repeated(hashes), sha256, size, offsets, last_chunk, latest)
        _refuse_conflicting_references(parsed, _repeated(references))
    except BaseException:
        spool.close()
        raise
    return parsed


def _refuse_empty(info: StatementInfo, lines: int) -> None:
    """One rule for a statement without transactions, whatever its format. A day without transactions is real,
    and its statement says so with the day's balance: imported, with no line. A file with neither a transaction
    nor a day's balance (a CSV header and nothing under it, a camt.053 `Stmt` or an MT940 message of no entry and
    no booked balance) carries nothing: refused, as an MT940 of nothing was. A CSV's or a camt.053's was an
    import of 0 lines, which told finance the day was quiet when the file said nothing at all."""
    if lines == 0 and not info.balances:
        raise statement_error("empty_statement", "the file holds no transaction and no balance of a day: nothing "
                              "to import (a day without transactions is imported from a statement stating its "
                              "balance)")


# C0 control characters but tab, LF and CR: no bank writes them in a memo, and PostgreSQL cannot store NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
TEXT_FIELDS = ("memo", "bank_ref", "payer_name", "payer_account")


def _check_text(line: ParsedLine) -> None:
    """Refuse a line whose text holds a control character, here in phase 1: found while storing, it
    would fail the import half-way, after earlier chunks were committed and credited."""
    text = f"{line.memo}{line.bank_ref}{line.payer_name}{line.payer_account}"
    # One test a line, and the usual line's in C: printable text holds no control character (a tab, a line
    # break or a rarer character is not printable: searched for). The field is looked for only in a file about
    # to be refused.
    if text.isprintable() or not _CONTROL.search(text):
        return
    for name in TEXT_FIELDS:
        value = getattr(line, name)
        if value and (found := _CONTROL.search(value)):
            raise statement_error("invalid_text", f"the {name.replace('_', ' ')} holds the control character "
                                  f"U+{ord(found.group()):04X}, which no statement text may", line_no=line.line_no,
                                  field=name)


def _pack(line: ParsedLine, base: str) -> tuple:
    return (line.line_no, line.booking_date.toordinal(), line.booked_at.timestamp() if line.booked_at else None,
            line.amount_vnd, line.direction, line.memo[:4000], (line.bank_ref or "")[:100] or None,
            (line.payer_name or "")[:200] or None, (line.payer_account or "")[:40] or None,
            line.balance_after_vnd, line.is_reversal, base,
            # a batch part's key before parts were keyed under their entry, or a line's under the references
            # earlier readings gave it (an MT940 reference cut short, a customer's reference): stored so by
            # earlier imports
            (base_key(line),) if "/" in base else _earlier_keys(line, base) if line.earlier_refs else None,
            line.value_date.toordinal() if line.value_date else None)


def _earlier_keys(line: ParsedLine, base: str) -> tuple[str, ...] | None:
    """The keys earlier imports stored the line under, by the references earlier readings gave it (None: its
    fingerprint), with its memo as they read it: without the MT940 customer's reference round 17 put in front."""
    then = line
    if line.customer_ref and line.memo.startswith(line.customer_ref):
        then = replace(line, memo=line.memo[len(line.customer_ref):])
    keys = dict.fromkeys(base_key(replace(then, bank_ref=ref)) for ref in line.earlier_refs)
    keys.pop(base, None)
    return tuple(keys) or None


def _repeated(hashes: array) -> set[int]:
    """Line identities that occur more than once in the file (sorted scan: 8 bytes a line)."""
    ordered = sorted(hashes)
    return {a for a, b in zip(ordered, ordered[1:]) if a == b}


def _batch_key(line: ParsedLine) -> str | None:
    """A part of a batch entry is keyed under the entry, `<the entry's key>/<part>`: the entry from
    another format (one MT940 :61:, one CSV row of its reference and total) is then found as its
    parts, and the parts as it (`links.known_lines`). None when the entry's reference cannot key it."""
    if line.batch is None:
        return None
    reference, total, part = line.batch
    entry = base_key(replace(line, bank_ref=reference, amount_vnd=total))
    return f"{entry}/{part}" if entry.startswith("r:") else None


def _reference_identity(base: str, direction: str, is_reversal: bool) -> str | None:
    """A credit's bank reference on its day (its key without the amount; a batch part's whole key);
    None for a line keyed by its fingerprint, and for debits and reversals (a fee and its VAT may
    share the transfer's reference)."""
    if not base.startswith("r:") or direction != CREDIT or is_reversal:
        return None
    return base if "/" in base else base.rpartition(":")[0]


def _refuse_conflicting_references(parsed: Parsed, repeated: set[int]) -> None:
    """A bank's reference names one transfer: twice in a file with the same amount it is the same
    line listed twice (an intraday and a final statement, a page's repeated row), with another amount
    the file contradicts itself and is refused. Only the repeated references are kept, read back
    from the spool."""
    if not repeated:
        return
    first: dict[str, int] = {}
    for packed in parsed.chunks():
        for line_no, _, _, amount, direction, _, ref, _, _, _, reversal, base, _, _ in packed:
            identity = _reference_identity(base, direction, reversal)
            if identity is None or hash(identity) not in repeated:
                continue
            if first.setdefault(identity, amount) != amount:
                raise statement_error("conflicting_reference", f"bank reference {ref} is listed twice on one day "
                                      f"with different amounts ({first[identity]:,} and {amount:,} VND)",
                                      line_no=line_no, bank_ref=ref, first_vnd=first[identity], amount_vnd=amount)


@dataclass(slots=True)
class Row:
    """A spooled line on its way into the database."""

    line_no: int
    booking_date: date
    booked_at: datetime
    amount_vnd: int
    direction: str
    memo: str
    bank_ref: str | None
    payer_name: str | None
    payer_account: str | None
    balance_after_vnd: int | None
    is_reversal: bool
    key: str
    # a batch part's key before parts were keyed under their entry; a line's under earlier readings' references
    earlier_keys: tuple[str, ...] | None = None
    value_date: date | None = None

    @property
    def is_credit(self) -> bool:
        return self.direction == CREDIT and not self.is_reversal

    def other_keys(self) -> tuple[str, ...]:
        """The keys under which this line may already be stored otherwise: a batch part as it was keyed
        before, or as its whole entry from another format; an entry as the first of its parts, or under the
        references earlier readings of its file gave it; a line keyed by its fingerprint under those (an MT940
        customer's reference keyed it until round 17: each of its equal transfers is that one stored line, so
        a file stored then adds nothing when imported again, rather than crediting a transfer twice)."""
        earlier = self.earlier_keys or ()
        if not self.key.startswith("r:"):
            return earlier
        if "/" in self.key:
            return (*earlier, self.key.rpartition("/")[0])
        return (f"{self.key}/1", *earlier)


@dataclass
class ImportContext:
    import_id: int
    account_number: str
    clearing_account: str
    settings: Settings
    actor: str
    now: datetime
    closed: set[date]
    callbacks: links.CallbackWatch
    parsed: Parsed | None = None
    chunk_index: int = 0  # the chunk being stored (0-based)
    occurrences: dict[str, int] = field(default_factory=dict)
    repeated: set[int] = field(default_factory=set)
    linked_payments: set[int] = field(default_factory=set)  # callback payments linked by this import
    # A bank reference the file lists more than once -> the line its first listing became (stored, or
    # an earlier import's): its later listings are that line again, in whichever chunk they come.
    listed: dict[str, int] = field(default_factory=dict)
    since: date | None = None  # the statement's first day: closed days from it on are read per chunk
    # per day of the file: its earliest and latest line time, and whether it brought a new line
    spans: dict[date, tuple[datetime, datetime]] = field(default_factory=dict)
    days_with_new_lines: set[date] = field(default_factory=set)
    started: datetime = field(init=False)  # the import's own time; `now` is the current chunk's stamp

    def __post_init__(self) -> None:
        self.started = self.now

    def begin_chunk(self, session: Session) -> None:
        """Under `kernel.books.hold_books`: which days are closed now, and the chunk's stamp. A close
        that committed since the import began moves the chunk's lines of that day to the next open
        day, and its money too (stamped after that close), the one rule of `counting`."""
        self.closed = counting.closed_days(session, self.since)
        self.now = books.stamp_after_closes(session, self.started)

    def row(self, packed: tuple) -> Row:
        (line_no, ordinal, stamp, amount, direction, memo, ref, name, account, balance, reversal, base, earlier,
         value_ordinal) = packed
        day = date.fromordinal(ordinal)
        key = base
        # Only a fingerprint repeats as another transfer (two equal payments of a day): numbered. A
        # bank reference repeated names the same transfer again (`_refuse_conflicting_references`).
        if base.startswith("f:") and key_hash(base) in self.repeated:
            n = self.occurrences[base] = self.occurrences.get(base, 0) + 1
            key = base if n == 1 else f"{base}#{n}"
        at = datetime.fromtimestamp(stamp, timezone.utc) if stamp is not None else start_of_business_day(day)
        return Row(line_no, day, at, amount, direction, memo, ref, name, account, balance, reversal, key, earlier,
                   date.fromordinal(value_ordinal) if value_ordinal is not None else None)

    def later_rows(self, day: date) -> Iterator[tuple]:
        """The file's lines of `day` in the chunks still to come (spooled, as packed)."""
        return self.parsed.rows_after(self.chunk_index, day) if self.parsed is not None else iter(())

    def recon_date(self, day: date) -> date:
        return counting.next_open_day(day, self.closed, self.settings.holidays) if day in self.closed else day


def resolve_account(settings: Settings, from_file: str | None, given: str | None) -> tuple[str, str]:
    """(account number, clearing account) of the statement: one of our collection accounts.

    The file's number may carry a prefix (`VCB/…`, an IBAN) or have lost its leading zeros (a
    spreadsheet cell holding the account as a number: `71001234567` for `0071001234567`)."""
    given = normalise_account(given)
    if given and from_file and not (same_account(from_file, given) or same_account(given, from_file)):
        raise ValidationError(f"the file is a statement of account {from_file}, not {given}",
                              code="account_mismatch", details={"file": from_file, "given": given})
    wanted = given or from_file
    ours = {normalise_account(a.account_number): a for a in settings.collection_accounts.values()}
    if wanted is None:
        if len(ours) != 1:
            raise ValidationError("the file does not name its account: send account_number",
                                  code="account_number_required")
        wanted = next(iter(ours))
    for number, account in ours.items():
        if same_account(wanted, number):
            return account.account_number, Accounts.bank(account.bin, account.account_number)
    raise ValidationError(f"account {wanted} is not one of our collection accounts", code="unknown_account",
                          status=422, details={"account_number": wanted})


def refuse_future_dates(parsed: Parsed, now: datetime) -> None:
    """A statement tells what was booked: a line or a balance dated after tomorrow (Hà Nội; a bank may
    book a late transfer on the next day) is a misread or mistyped date (`24/11/99` is 2099), and its
    money would wait in a business day that is years away, where no reconciliation or report sees it."""
    latest = business_date(now) + timedelta(days=1)
    if parsed.latest is not None and parsed.latest[0] > latest:
        day, line_no = parsed.latest
        raise statement_error("invalid_date", f"the line is booked on {day.isoformat()}, after {latest.isoformat()}",
                              line_no=line_no, date=day.isoformat(), latest=latest.isoformat())
    for day in sorted(parsed.info.balances):
        if day > latest:
            raise statement_error("invalid_date", f"a balance is dated {day.isoformat()}, after {latest.isoformat()}",
                                  date=day.isoformat(), latest=latest.isoformat())


def stored_filename(name: str | None) -> str:
    """The name an import keeps of its file: without control characters, trimmed, single-spaced, NFC (as
    `clean_text` leaves any text), at most the column's width; `statement` when nothing readable is left.

    Cleaned rather than refused: the name is a label the sender's browser or file system chose, not part of
    the statement, and the file itself is kept byte for byte. Refusing a good statement for it would have
    staff rename files for nothing. But it is shown, listed and written back in Content-Disposition, so it
    must be text PostgreSQL can store (a NUL was a 500 there, kept as is on SQLite) and the CLI can encode
    (a name that is not UTF-8 on disk reaches Python with lone surrogates); an invisible character such as
    a right-to-left override (`hoa\u202edon.csv`) would also let a name disguise itself."""
    readable = "".join(ch for ch in unicodedata.normalize("NFC", name or "") if ch.isprintable() or ch.isspace())
    # Whitespace controls (tab, newline) stay, for clean_text to turn into one space: `a\tb` reads `a b`.
    return clean_text(readable[:FILENAME_MAX], "filename", max_len=FILENAME_MAX, required=False) \
        or DEFAULT_FILENAME


def run_import(sessions: sessionmaker[Session], parsed: Parsed, *, filename: str | None, account_number: str | None,
               settings: Settings, actor: str, now: datetime, on_progress: Progress | None = None,
               clock: Callable[[], datetime] = now_utc) -> int:
    """Phase 2: store the file and its lines, match and credit them; returns the import id.
    `now` is when it began (`created_at`); `clock` tells when it finished (`finished_at`)."""
    refuse_future_dates(parsed, now)
    number, clearing = resolve_account(settings, parsed.info.account, account_number)
    info = parsed.info
    with unit_of_work(sessions) as session:
        files.store(session, parsed.source, content_type=_content_type(info.format), now=now, sha256=parsed.sha256)
        import_id = session.execute(insert(StatementImport).values(
            filename=stored_filename(filename), format=info.format, profile=info.profile, account_number=number,
            clearing_account=clearing, period_from=info.first_date, period_to=info.last_date,
            file_sha256=parsed.sha256, status="processing", lines_total=parsed.lines_total, lines_processed=0,
            lines_new=0, lines_duplicate=0, created_at=now, created_by=actor,
        ).returning(StatementImport.id)).scalar_one()
        ctx = ImportContext(import_id, number, clearing, settings, actor, now,
                            closed=counting.closed_days(session, info.first_date),
                            callbacks=links.CallbackWatch.of(clearing, info.first_date, info.last_date,
                                                             settings.holidays),
                            parsed=parsed, repeated=parsed.repeated, since=info.first_date)
    try:
        processed = 0
        for number_of_chunk, packed in enumerate(parsed.chunks(), start=1):
            ctx.chunk_index = number_of_chunk - 1
            with collection_paused():
                _store_chunk_with_retries(sessions, ctx, packed)
            processed += len(packed)
            if on_progress:
                on_progress(processed, parsed.lines_total)
            if number_of_chunk & (number_of_chunk - 1) == 0 and processed < parsed.lines_total:
                refresh_statistics(sessions)
        with unit_of_work(sessions) as session:
            _finish(session, ctx, info, max(now, clock()))
    except Exception as exc:
        # Shown on the import (API, finance pages): without the DETAIL line in which PostgreSQL quotes a
        # refused line's values (a payer's name and account), as the logs keep it out.
        with unit_of_work(sessions) as session:
            session.execute(update(StatementImport).where(StatementImport.id == import_id).values(
                status="failed", error=without_row_values(f"{type(exc).__name__}: {exc}")[:2000],
                finished_at=max(now, clock())))
        raise
    return import_id


def refresh_statistics(sessions: sessionmaker[Session]) -> None:
    """ANALYZE the tables an import writes (PostgreSQL; SQLite plans well without)."""
    with unit_of_work(sessions) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"ANALYZE {', '.join(ANALYZED_TABLES)}"))


def _content_type(fmt: str) -> str:
    return {"camt053": "application/xml", "mt940": "text/plain", "csv": "text/csv",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]


def _store_chunk_with_retries(sessions: sessionmaker[Session], ctx: ImportContext, packed: list[tuple]) -> None:
    saved, linked, listed = dict(ctx.occurrences), set(ctx.linked_payments), dict(ctx.listed)
    for attempt in range(RETRIES):
        try:
            with unit_of_work(sessions) as session:
                new, repeats = store_chunk(session, ctx, packed)
                session.execute(update(StatementImport).where(StatementImport.id == ctx.import_id).values(
                    lines_processed=StatementImport.lines_processed + len(packed),
                    lines_new=StatementImport.lines_new + new,
                    lines_duplicate=StatementImport.lines_duplicate + repeats))
            return
        except ConcurrentCredit:
            ctx.occurrences, ctx.linked_payments, ctx.listed = dict(saved), set(linked), dict(listed)  # runs again
            if attempt == RETRIES - 1:
                raise


def store_chunk(session: Session, ctx: ImportContext, packed: list[tuple]) -> tuple[int, int]:
    """Store one chunk of lines; returns (new lines, lines already known)."""
    books.hold_books(session)
    advisory_lock(session, statement_lock(ctx.clearing_account))
    ctx.begin_chunk(session)
    ctx.callbacks.refresh(session)  # callbacks that committed while the previous chunk ran
    rows = [ctx.row(p) for p in packed]
    for row in rows:
        first, last = ctx.spans.get(row.booking_date, (row.booked_at, row.booked_at))
        ctx.spans[row.booking_date] = (min(first, row.booked_at), max(last, row.booked_at))
    firsts: dict[str, Row] = {}
    for row in rows:
        firsts.setdefault(row.key, row)  # a reference the chunk lists again is its first listing's line
    unique = list(firsts.values())
    known = {r.key: ctx.listed[r.key] for r in unique if r.key in ctx.listed}
    known.update(links.known_lines(session, ctx.clearing_account, [r.key for r in unique if r.key not in known],
                                   aliases={r.key: r.other_keys() for r in unique if r.key not in known}))
    known.update(links.known_batch_parts(session, ctx.clearing_account, [r for r in unique if r.key not in known]))
    twins = links.known_by_fingerprint(session, ctx, [r for r in unique if r.key not in known])
    known.update(twins)
    fresh = [r for r in unique if r.key not in known]
    ctx.days_with_new_lines.update(r.booking_date for r in fresh)
    credits = [r for r in fresh if r.is_credit]
    linked = links.link_callbacks(session, ctx, credits)
    # The line may name another reference than the callback did, or than the stored line it is (another file of
    # the day that lost the references): a third feed's report naming it is that payment.
    named = {twins[r.key]: r.bank_ref for r in unique if r.key in twins and r.is_credit and r.bank_ref is not None}
    stored = links.payments_of_lines(session, sorted(named)) if named else {}
    remember(session.connection(), [(linked[r.key], r.bank_ref, STATEMENT_PROVIDER) for r in credits if r.key in linked]
             + [(payment_id, named[line_id], STATEMENT_PROVIDER) for line_id, payment_id in stored.items()])
    to_credit = [r for r in credits if r.key not in linked]
    results = record_credits(session, [_incoming(ctx, r) for r in to_credit], settings=ctx.settings,
                             actor=ctx.actor, now=ctx.now) if to_credit else []
    facts = links.payment_facts(session, list(linked.values()))
    outcome: dict[str, tuple[int, str, PaymentFacts]] = {
        key: (payment_id, FROM_CALLBACK, facts[payment_id]) for key, payment_id in linked.items()}
    for row, result in zip(to_credit, results):
        outcome[row.key] = (result.payment_id, FROM_STATEMENT, PaymentFacts(
            "active", row.amount_vnd - sum(a for _, a, _ in result.allocated), result.reason,
            tuple(result.allocated)))
    proposals = links.proposals(session, ctx, [(r, outcome[r.key][2].unallocated_vnd) for r in to_credit
                                               if outcome[r.key][2].suspense_reason == "correction_amount_differs"])
    if fresh:
        insert_rows(session.connection(), StatementLine.__table__, [_line_row(ctx, r, outcome.get(r.key), proposals.get(r.key))
                                                for r in fresh])
        reversals.apply(session, ctx, fresh)
    _list_repeats(session, ctx, rows, firsts, known)
    _fill_value_dates(session, ctx, rows, known)
    return len(fresh), len(rows) - len(fresh)


def _fill_value_dates(session: Session, ctx: ImportContext, rows: list[Row], known: dict[str, int]) -> None:
    """Lines stored before without a value date (their file gave none) take the one this file gives:
    one UPDATE per value date in the chunk, of the lines that still have none. A line's identity has no
    value date, so a stored one that differs is kept (the first file's, as a new line keeps it) and
    the import goes on: the value date is information only, it counts nowhere. A closed day's lines
    stay as the day was closed (closed days are immutable, whatever counts)."""
    by_date: dict[date, set[int]] = {}
    for row in rows:
        if row.value_date is not None and row.key in known:
            by_date.setdefault(row.value_date, set()).add(known[row.key])
    if not by_date:
        return
    table = StatementLine.__table__
    # Locked first, all of them in id order (PostgreSQL; SQLite has no row locks), as a day's other writers
    # take its lines (`service.match_day` flushes them by id): value date by value date, in the file's
    # order, a later line was taken before an earlier one and the import deadlocked with such a writer.
    open_lines = set(session.execute(
        select(table.c.id).where(table.c.id.in_(sorted(set().union(*by_date.values()))), table.c.value_date.is_(None),
                                 table.c.recon_date.not_in(sorted(ctx.closed)))
        .order_by(table.c.id).with_for_update(key_share=True)).scalars())
    for value_date, ids in by_date.items():
        if ids := sorted(ids & open_lines):
            session.execute(update(table).where(table.c.id.in_(ids)).values(value_date=value_date))


def _list_repeats(session: Session, ctx: ImportContext, rows: list[Row], firsts: dict[str, Row],
                  known: dict[str, int]) -> None:
    """Record the chunk's lines that are a line already stored (by an earlier import, or by this one
    for a reference the file lists again) and remember where the file's repeated references went."""
    again = [r for r in rows if r.key in known or firsts[r.key] is not r]
    repeated_refs = [key for key in firsts if key.startswith("r:") and key_hash(key) in ctx.repeated]
    stored_now = {r.key for r in again if r.key not in known} | {key for key in repeated_refs if key not in known}
    if stored_now:  # ids of the lines this chunk has just inserted
        known = {**known, **links.known_lines(session, ctx.clearing_account, sorted(stored_now))}
    ctx.listed.update((key, known[key]) for key in repeated_refs)
    if again:
        insert_rows(session.connection(), StatementLineRepeat.__table__, [
            {"import_id": ctx.import_id, "line_no": r.line_no, "line_id": known[r.key]} for r in again])


def _incoming(ctx: ImportContext, row: Row) -> IncomingCredit:
    return IncomingCredit(
        provider=STATEMENT_PROVIDER, provider_ref=f"{ctx.account_number}:{row.key}", channel="vietqr_transfer",
        amount_vnd=row.amount_vnd, booked_at=row.booked_at, clearing_account=ctx.clearing_account,
        memo=row.memo[:1000] or None, bank_reference=row.bank_ref, payer_name=row.payer_name,
        payer_account=row.payer_account, details={"statement_import_id": ctx.import_id, "line_no": row.line_no},
        corrections_need_exact_amount=True, judged_at=in_time.judged_at(row.booked_at, ctx.now),
    )


def _line_row(ctx: ImportContext, row: Row, outcome: tuple[int, str, PaymentFacts] | None,
              proposal: dict | None) -> dict:
    payment_id, source, facts = outcome if outcome else (None, None, None)
    verdict = classify(direction=row.direction, is_reversal=row.is_reversal, source=source, payment=facts,
                       proposal=proposal)
    return {
        "import_id": ctx.import_id, "line_no": row.line_no, "clearing_account": ctx.clearing_account,
        "line_key": row.key, "booking_date": row.booking_date, "recon_date": ctx.recon_date(row.booking_date),
        "booked_at": row.booked_at, "value_date": row.value_date, "amount_vnd": row.amount_vnd, "direction": row.direction,
        "is_reversal": row.is_reversal, "bank_ref": row.bank_ref, "memo": row.memo, "payer_name": row.payer_name,
        "payer_account": row.payer_account, "balance_after_vnd": row.balance_after_vnd, "payment_id": payment_id,
        "source": source, "status": verdict.status, "score": verdict.score, "reasons": verdict.reasons,
        "proposal": proposal, "version": 1, "created_at": ctx.now,
    }


def _merge_part(session: Session, ctx: ImportContext, existing: StatementBalance, day: date,
                stated: DayBalance) -> None:
    """A day's statement may come in parts (intraday files), imported in any order: the day opens
    with the earliest part's opening and closes with the latest part's closing. Parts are placed
    by their lines' times against the lines earlier imports stored for the day; parts without
    times (or starting or ending at the same time) by their balances: a part that closes where
    the day now opens comes before it. Otherwise, as a part that follows, its closing is taken.
    A part that brought no new line (imported again) moves neither end; it only fills a gap."""
    first, last = ctx.spans.get(day, (None, None))
    earlier = session.execute(select(func.min(StatementLine.booked_at), func.max(StatementLine.booked_at)).where(
        StatementLine.clearing_account == ctx.clearing_account, StatementLine.booking_date == day,
        StatementLine.import_id != ctx.import_id)).one()
    if day not in ctx.days_with_new_lines:  # imported again: it moves neither end
        starts_before = ends_after = False
    elif earlier[0] is None:  # the parts before stated balances without a line: this one follows
        starts_before, ends_after = False, True
    else:
        precedes = stated.closing_vnd is not None and stated.closing_vnd == existing.opening_vnd
        starts_before = first < earlier[0] or first == earlier[0] and precedes
        ends_after = last > earlier[1] or last == earlier[1] and not precedes
    if stated.opening_vnd is not None and (existing.opening_vnd is None or starts_before):
        existing.opening_vnd = stated.opening_vnd
    if stated.closing_vnd is not None and (existing.closing_vnd is None or ends_after):
        existing.closing_vnd = stated.closing_vnd
    existing.import_id = ctx.import_id


def _finish(session: Session, ctx: ImportContext, info: StatementInfo, finished_at: datetime) -> None:
    books.hold_books(session)
    advisory_lock(session, statement_lock(ctx.clearing_account))
    for day, stated in info.balances.items():
        existing = session.get(StatementBalance, (ctx.clearing_account, day))
        if existing is None:
            session.add(StatementBalance(clearing_account=ctx.clearing_account, business_date=day,
                                         opening_vnd=stated.opening_vnd, closing_vnd=stated.closing_vnd,
                                         import_id=ctx.import_id))
        else:
            _merge_part(session, ctx, existing, day, stated)
    imported = session.get(StatementImport, ctx.import_id)
    imported.status = "done"
    imported.finished_at = finished_at
    audit.record(session, actor=ctx.actor, action="statement.import", subject_type="statement_import",
                 subject_id=ctx.import_id, at=finished_at,
                 data={"file_sha256": imported.file_sha256, "format": imported.format,
                       "account_number": ctx.account_number, "lines_total": imported.lines_total,
                       "lines_new": imported.lines_new, "lines_duplicate": imported.lines_duplicate})
