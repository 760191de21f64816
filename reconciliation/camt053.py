"""ISO 20022 camt.053 (BankToCustomerStatement), any version 001.02-001.13. Pure, streaming.

`defusedxml`'s iterparse refuses DTDs and entities (no billion laughs, no external fetches);
each `<Ntry>` is read at its end tag and then dropped from the tree, so memory stays flat
whatever the file size. Only booked entries (`Sts` BOOK) are statement lines; pending and
informational ones are skipped (`_booked`), and so is an entry of zero (as a zero CSV row is). An entry
with several `TxDtls` that carry their own amounts (a batch booking) gives one line per
transaction, each knowing the entry it is part of (`StatementLine.batch`: the same entry from
MT940 or a CSV is one line, and must be known as these parts); when they carry none, the entry is one line whose memo joins every `TxDtls`'s
remittance information (each may name another payment code), keyed by the entry's reference, never by one of
its transfers' (`_shared_reference`). Other ISO 20022 messages (camt.052 reports, camt.054 notifications, pain
payment orders) are refused: their entries are not a statement's.
"""
from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from payments.references import normalise_ref
from reconciliation.statements import (CREDIT, DEBIT, StatementInfo, StatementLine, parse_decimal,
                                       parse_local_date, single_spaced, statement_error)

STATEMENT_ROOT = "BkToCstmrStmt"
# Booked balances (ISO 20022 ExternalBalanceType1Code). Available ones (OPAV, CLAV, FWAV) may differ
# from the booked by holds, interim ones (ITBD, ITAV) are intraday: neither is a day's balance.
OPENING_CODES = {"OPBD"}
CLOSING_CODES = {"CLBD"}
# PreviouslyClosedBooked: the closing of the previous report, dated that report's day. It equals the
# opening of this statement's first day (after a weekend or a holiday, that is not its date + 1), so
# it is that opening, never an opening of its own date (which would check the previous day against
# the wrong balance) and not written into the previous day (which may be closed already).
PREVIOUS_CLOSING_CODES = {"PRCD"}
USTRD_WIDTH = 140  # the longest an Ustrd may be (Max140Text)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(elem: Element | None, *path: str) -> Element | None:
    for name in path:
        if elem is None:
            return None
        elem = next((c for c in elem if _local(c.tag) == name), None)
    return elem


def _text(elem: Element | None, *path: str) -> str | None:
    found = _child(elem, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def parse(source: BinaryIO, info: StatementInfo) -> Iterator[StatementLine]:
    """Yield the booked entries of every `<Stmt>` in the document."""
    line_no = 0
    seen_root = False
    statements = 0
    period = _Period()
    accounts: dict[bool, list[str | None]] = {False: [], True: []}  # the statements' accounts: read, read past
    _skip_blanks_before_declaration(source)
    try:
        stack: list[Element] = []
        for event, elem in iterparse(source, events=("start", "end"), forbid_dtd=True):
            name = _local(elem.tag)
            if event == "start":
                if not seen_root:
                    seen_root = True
                    _check_document(elem)
                elif len(stack) == 1 and name != STATEMENT_ROOT:
                    raise _not_camt053(f"its message is {name}, not {STATEMENT_ROOT}")
                stack.append(elem)
                continue
            stack.pop()
            if name == "Acct" and stack and _local(stack[-1].tag) == "Stmt":
                period.skipped = not _account(elem, info)
                accounts[period.skipped].append(_account_number(elem))
            elif period.skipped:
                if name == "Ntry" and stack:
                    stack[-1].remove(elem)  # another account's entry: read past, memory stays flat
                elif name == "Stmt":
                    period = _Period()
            elif name == "Bal":
                _balance(elem, info, period)
            elif name == "FrToDt":
                period.first_day = _period_start(elem)
            elif name == "Ntry":
                for line in _entry(elem, line_no + 1):
                    line_no = line.line_no
                    period.see(line.booking_date)
                    info.see(line)
                    yield line
                if stack:
                    stack[-1].remove(elem)  # drop the entry: memory stays flat
            elif name == "Stmt":
                period.finish(info)
                period = _Period()
                statements += 1
    except (ParseError, SyntaxError, LookupError, UnicodeError) as exc:
        # LookupError: an XML declaration naming an encoding that does not exist.
        raise statement_error("malformed_xml", f"the XML is not well formed: {exc}") from exc
    except DefusedXmlException as exc:
        raise statement_error("unsafe_xml", "the XML uses DTDs or entities, which statements never need; "
                              "refused for safety") from exc
    if not seen_root:
        raise statement_error("malformed_xml", "the XML has no document element")
    if accounts[True] and not accounts[False]:
        found = ", ".join(dict.fromkeys(filter(None, accounts[True])))
        raise statement_error("account_mismatch", f"the file is a statement of account {found}, not "
                              f"{info.wanted_account}", file=found, given=info.wanted_account)
    if not statements:  # as an MT940 without a statement: not an empty import of the account, a wrong file
        raise statement_error("empty_camt053", "the camt.053 document holds no statement (Stmt): nothing to import")


_BLANKS = b" \t\r\n"


def _skip_blanks_before_declaration(source: BinaryIO) -> None:
    """Start the file at its `<?xml` declaration when only blank lines (after a UTF-8 byte-order mark or not)
    come before it, as in files written by scripts or saved from a bank's portal. XML wants the declaration
    first, and such a file was refused whole; the declaration still names the encoding, and the mark before
    the blanks says nothing it does not. Anything else before a declaration stays malformed."""
    start = source.tell()
    head = source.read(4096)
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    stripped = body.lstrip(_BLANKS)
    if len(stripped) < len(body) and stripped.startswith(b"<?xml"):
        source.seek(start + len(head) - len(stripped))
    else:
        source.seek(start)


def _not_camt053(why: str):
    return statement_error("not_camt053", f"the XML is not an ISO 20022 camt.053 bank statement: {why}")


def _check_document(root: Element) -> None:
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "Document":
        raise _not_camt053(f"its root element is {_local(root.tag)}, not Document")
    if namespace and "camt.053." not in namespace:
        raise _not_camt053(f"its namespace is {namespace}")


def _account(acct: Element, info: StatementInfo) -> bool:
    """Whether the statement of this `Acct` is to be read: a file may hold each of a customer's accounts'
    statements, and an import named for one reads that one's only (two read are `mixed_accounts`)."""
    number = _account_number(acct)
    if not info.wants(number):
        return False
    info.set_account(number)
    info.set_currency(_text(acct, "Ccy"))
    return True


def _account_number(acct: Element) -> str | None:
    return _text(acct, "Id", "IBAN") or _text(acct, "Id", "Othr", "Id")


@dataclass
class _Period:
    """What one `<Stmt>` says about its days, to place its OPBD and PRCD once the statement has been read."""

    first_day: date | None = None  # FrToDt/FrDtTm
    first_entry: date | None = None
    closing_day: date | None = None
    openings: list[tuple[date, int]] = field(default_factory=list)  # OPBD: (its date, amount), in order
    previous_closing: tuple[date, int] | None = None  # PRCD: (its date, amount)
    skipped: bool = False  # another account's statement, read past

    def see(self, day: date) -> None:
        if self.first_entry is None or day < self.first_entry:
            self.first_entry = day

    def finish(self, info: StatementInfo) -> None:
        """The statement's first day is its period's start, else its earliest entry, else the day its
        closing is stated for. An OPBD opens its own date, but one dated before that first day, as many
        banks date it (MT940's :60F: way: the previous statement's closing day), opens the first day:
        written on its own date it would be a second opening of a day another file states, checked
        against the wrong balance. It wins over PRCD, which opens the first day too (some banks date
        PRCD that day itself); a PRCD with no first day is the closing of its own date. One dated after
        the statement began is no opening of it, and is left out rather than guessed."""
        first = self.first_day or self.first_entry or self.closing_day
        for dated, amount in self.openings:
            info.opening(first if first is not None and dated < first else dated, amount)
        if self.previous_closing is None:
            return
        dated, amount = self.previous_closing
        if first is None:
            info.closing(dated, amount)
        elif first >= dated:
            info.opening(first, amount)


def _period_start(period: Element) -> date | None:
    text = _text(period, "FrDtTm") or _text(period, "FrDt")
    return parse_local_date(_iso(text), field_name="FrDtTm")[0] if text else None


def _balance(bal: Element, info: StatementInfo, period: _Period) -> None:
    code = _text(bal, "Tp", "CdOrPrtry", "Cd") or _text(bal, "Tp", "CdOrPrtry", "Prtry")
    amount_elem = _child(bal, "Amt")
    if code not in OPENING_CODES | CLOSING_CODES | PREVIOUS_CLOSING_CODES or amount_elem is None:
        return
    info.set_currency(amount_elem.get("Ccy"))
    amount = _amount(amount_elem.text, field_name="balance")
    if amount is None:
        return
    if _text(bal, "CdtDbtInd") == "DBIT":
        amount = -amount
    day_text = _text(bal, "Dt", "Dt") or _text(bal, "Dt", "DtTm")
    if day_text is None:
        return
    day, _ = parse_local_date(_iso(day_text), field_name="balance date")
    if code in PREVIOUS_CLOSING_CODES:
        period.previous_closing = (day, amount)
    elif code in OPENING_CODES:
        period.openings.append((day, amount))
    else:
        period.closing_day = day
        info.closing(day, amount)


def _entry(ntry: Element, first_line_no: int) -> Iterator[StatementLine]:
    if not _booked(ntry):
        return
    amount_elem = _child(ntry, "Amt")
    if amount_elem is None:
        raise statement_error("malformed_camt053", "an entry has no Amt", line_no=first_line_no)
    indicator = _text(ntry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise statement_error("malformed_camt053", "CdtDbtInd must be CRDT or DBIT", line_no=first_line_no)
    reversal = (_text(ntry, "RvslInd") or "").strip().lower() in ("true", "1")  # xs:boolean
    direction = CREDIT if indicator == "CRDT" else DEBIT
    value_text = _date_or_time(ntry, "ValDt")
    when = _date_or_time(ntry, "BookgDt") or value_text
    if when is None:
        raise statement_error("malformed_camt053", "an entry has no booking date", line_no=first_line_no)
    day, at = parse_local_date(_iso(when), line_no=first_line_no, field_name="BookgDt")
    value_day = parse_local_date(_iso(value_text), line_no=first_line_no, field_name="ValDt")[0] if value_text else None
    # NtryDtls may repeat (one per batch, or one per transaction): the entry's transactions are all of theirs.
    details = [d for dtls in ntry if _local(dtls.tag) == "NtryDtls" for d in dtls if _local(d.tag) == "TxDtls"]
    entry_ref = _reference(ntry, "AcctSvcrRef")
    total = _amount(amount_elem.text, line_no=first_line_no)
    # A batch is split into its transactions only when their amounts account for the entry's:
    # otherwise the entry stays one line of what the bank booked (its memos joined), so no đồng of
    # it can go missing between the parts. Each part takes the entry's side, so a part that names the
    # other (a net entry of money in and out) keeps the entry whole: split, its debit became a credit.
    split = len(details) > 1 and all(_tx_amount(d) is not None for d in details) and \
        all(_text(d, "CdtDbtInd") in (None, indicator) for d in details) and \
        sum(_amount(_tx_amount(d)[0], line_no=first_line_no) or 0 for d in details) == total
    parts = [[tx] for tx in details] if split else [details]
    line_no = first_line_no
    part = 0
    for offset, txs in enumerate(parts):
        tx = txs[0] if txs else None
        amount_text, currency = _tx_amount(tx) if split else (amount_elem.text, amount_elem.get("Ccy"))
        if currency and currency.upper() != "VND":
            raise statement_error("unsupported_currency", f"only VND statements are supported, not {currency}",
                                  line_no=line_no, currency=currency)
        amount = _amount(amount_text, line_no=line_no)
        if amount is None or amount < 0:
            raise statement_error("invalid_amount", "an entry amount must be positive", line_no=line_no)
        if amount == 0:
            continue  # an informational entry (zero amount): not a transaction
        part += 1
        if split:
            ref = _reference(tx, "Refs", "AcctSvcrRef") or (f"{entry_ref}/{offset + 1}" if entry_ref else None)
        else:
            ref = entry_ref or _shared_reference(txs)
        yield StatementLine(
            line_no=line_no, booking_date=day, booked_at=at, value_date=value_day, amount_vnd=amount,
            direction=direction, bank_ref=ref, memo=_memo(ntry, txs), is_reversal=reversal,
            payer_name=_first(_party_name(t, direction) for t in txs),
            payer_account=_first(_party_account(t, direction) for t in txs),
            batch=(entry_ref, total, part) if split and entry_ref else None,
        )
        line_no += 1


# A booked entry's status as banks write it: ISO's code, or a proprietary word for it (`<Prtry>BOOKED</Prtry>`).
BOOKED_STATUSES = {"BOOK", "BOOKED"}


def _booked(ntry: Element) -> bool:
    """Whether an entry is booked: its `Sts` is a code of its own (001.02-001.07: `<Sts>BOOK</Sts>`) or an
    EntryStatus1Choice of a code or a proprietary one (001.08 on), any case. A proprietary status was compared
    as a code, so a bank writing `<Prtry>BOOKED</Prtry>` had every entry skipped: a statement of nothing.
    Pending (PDNG), information (INFO), future (FUTR) and any other word stay out; an entry with no status
    written is the statement's, as it was."""
    status = _text(ntry, "Sts", "Cd") or _text(ntry, "Sts", "Prtry") or _text(ntry, "Sts")
    return status is None or status.upper() in BOOKED_STATUSES


def _reference(elem: Element, *path: str) -> str | None:
    """A bank reference, or None for a filler (NOTPROVIDED, NONREF, 0): read as one, it would name every
    batch's parts alike (NOTPROVIDED/1) and hide a transaction's own reference."""
    text = _text(elem, *path)
    return text if normalise_ref(text) else None


def _shared_reference(txs: list[Element]) -> str | None:
    """The reference of an entry kept as one line, when the entry gives none of its own: its transaction's, or the
    one every transaction of it names. A transfer's reference is no name for a batch of several: the line (all the
    batch's money) was keyed by its first transfer's, so the same entry from another file of the day, under the
    entry's own reference, was not found as it (a referenced line's twin is looked for among unreferenced ones)
    and was credited again. Without one, the line is keyed by its fingerprint, and found so."""
    refs = {_reference(tx, "Refs", "AcctSvcrRef") for tx in txs}
    return refs.pop() if len(refs) == 1 else None


def _date_or_time(elem: Element, name: str) -> str | None:
    """A `DateAndDateTime2Choice` (BookgDt, ValDt): its `DtTm`, else its `Dt`."""
    return _text(elem, name, "DtTm") or _text(elem, name, "Dt")


def _iso(text: str) -> str | datetime:
    """An ISO date stays text; an ISO date-time becomes a datetime (aware when it has an offset)."""
    if "T" not in text:
        return text[:10]
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text


def _amount(text: str | None, **where) -> int | None:
    """An `Amt`: an xs:decimal, whose dot is always the decimal point."""
    return parse_decimal(text, mark=".", **where)


def _tx_amount(tx: Element | None) -> tuple[str | None, str | None] | None:
    """A transaction's own amount: its `Amt` (001.03 on), else `AmtDtls/TxAmt`, else the amount instructed
    (`AmtDtls/InstdAmt`, all 001.02 often gives) when in đồng: in another currency it is no part of a VND
    entry (the entry then stays one line)."""
    if tx is None:
        return None
    elem = _child(tx, "Amt")
    if elem is None:
        elem = _child(tx, "AmtDtls", "TxAmt", "Amt")
    if elem is None:
        instructed = _child(tx, "AmtDtls", "InstdAmt", "Amt")
        if instructed is not None and (instructed.get("Ccy") or "VND").strip().upper() == "VND":
            elem = instructed
    if elem is None:
        return None
    return elem.text, elem.get("Ccy")


def _memo(ntry: Element, txs: list[Element]) -> str:
    """The remittance information of every transaction of the line (each `RmtInf`'s `Ustrd`, and its
    `Strd`s' creditor reference and additional text, else its `AddtlTxInf`), in order, a text repeated
    only once; else the entry's `AddtlNtryInf`. Every `RmtInf`, though the schema allows one: banks
    that write the memo over several put the payment code in any of them."""
    parts: list[str] = []
    for tx in txs:
        mine: list[str] = []
        for info in (c for c in tx if _local(c.tag) == "RmtInf"):
            mine += [t for t in [_unstructured(info)] if t]
            for structured in (c for c in info if _local(c.tag) == "Strd"):
                mine += [t for t in [_text(structured, "CdtrRefInf", "Ref")] if t]
                mine += [t for t in (_text(c) for c in structured if _local(c.tag) == "AddtlRmtInf") if t]
        parts += mine or [t for t in [_text(tx, "AddtlTxInf")] if t]
    if not parts:
        parts += [t for t in [_text(ntry, "AddtlNtryInf")] if t]
    # Single-spaced before a repeat is told: a text wrapped over lines is the same text as on one.
    return " ".join(dict.fromkeys(filter(None, map(single_spaced, parts))))


def _unstructured(info: Element) -> str:
    """The `Ustrd` pieces of a `RmtInf` as one text. A piece of the element's full length (140) was cut
    there, mid-word perhaps, and goes on in the next without a separator (as a full MT940 :86: line);
    other pieces are joined by a space."""
    text, cut = "", False
    for piece in (c.text for c in info if _local(c.tag) == "Ustrd" and c.text and c.text.strip()):
        text = text + piece if cut else f"{text.rstrip()} {piece.lstrip()}"
        cut = len(piece.strip()) >= USTRD_WIDTH
    return text.strip()


def _first(values: Iterable[str | None]) -> str | None:
    """The first party named. A line has one payer; when the transactions of a batch without their
    own amounts name several, the first is kept: the name is only a hint beside the memo (which
    carries every transaction's codes), and such a batch is mostly one payer's (a company or a
    post office paying for several dossiers at once)."""
    return next((value for value in values if value), None)


def _party_name(tx: Element | None, direction: str) -> str | None:
    role = "Dbtr" if direction == CREDIT else "Cdtr"
    parties = _child(tx, "RltdPties") if tx is not None else None
    return single_spaced(_text(parties, role, "Nm") or _text(parties, role, "Pty", "Nm"))


def _party_account(tx: Element | None, direction: str) -> str | None:
    role = "DbtrAcct" if direction == CREDIT else "CdtrAcct"
    parties = _child(tx, "RltdPties") if tx is not None else None
    return _text(parties, role, "Id", "IBAN") or _text(parties, role, "Id", "Othr", "Id")
