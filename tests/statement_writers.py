"""Writers that turn a list of transactions into each statement format (for round-trip tests
and the benchmark). Deliberately independent of the parsers."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Txn:
    day: date
    amount_vnd: int
    credit: bool
    memo: str
    ref: str


def _dots(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def vcb_csv(txns: list[Txn], *, closing: int | None = None) -> str:
    """Vietcombank export: bilingual headers, dot-grouped amounts, balance on the last line only."""
    out = io.StringIO()
    import csv

    writer = csv.writer(out)
    writer.writerow(["Ngày GD/ TNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit",
                     "Số dư/ Balance", "Nội dung chi tiết/ Transactions in detail"])
    for i, t in enumerate(txns):
        amount = _dots(t.amount_vnd)
        balance = _dots(closing) if closing is not None and i == len(txns) - 1 else ""
        writer.writerow([t.day.strftime("%d/%m/%Y"), t.ref, "" if t.credit else amount, amount if t.credit else "",
                         balance, t.memo])
    return out.getvalue()


def wrapped(memo: str) -> tuple[str, str]:
    """(the memo's first half and a word, the rest): `vietin_csv` writes the rest on a row of its own."""
    words = memo.split(" ")
    return " ".join(words[: len(words) // 2 + 1]), " ".join(words[len(words) // 2 + 1:])


def vietin_csv(txns: list[Txn], *, account: str) -> str:
    """Another bank's layout: preamble with the account, `;`-separated, one signed comma-grouped
    amount column, date and time, counterparty columns, memos wrapped over continuation rows."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["SAO KÊ TÀI KHOẢN"])
    writer.writerow([f"Số tài khoản: {account}", "", "Loại tiền: VND"])
    writer.writerow([])
    writer.writerow(["STT", "Thời gian giao dịch", "Số tham chiếu", "Tên đối ứng", "Số tiền", "Nội dung giao dịch"])
    for i, t in enumerate(txns, start=1):
        head, tail = wrapped(t.memo)
        signed = t.amount_vnd if t.credit else -t.amount_vnd
        writer.writerow([i, t.day.strftime("%d/%m/%Y") + " 10:15:00", t.ref, "NGUYEN VAN A", f"{signed:,}", head])
        if tail:
            writer.writerow(["", "", "", "", "", tail])
    writer.writerow(["", "Tổng cộng", "", "", "", ""])
    return out.getvalue()


def mt940(txns: list[Txn], *, account: str, opening: int = 0) -> str:
    lines = [":20:HCCTEST", f":25:{account}", ":28C:00001/001",
             f":60F:C{txns[0].day:%y%m%d}VND{opening},"]
    balance = opening
    for t in txns:
        mark = "C" if t.credit else "D"
        balance += t.amount_vnd if t.credit else -t.amount_vnd
        lines.append(f":61:{t.day:%y%m%d}{t.day:%m%d}{mark}{t.amount_vnd},NTRF{t.ref[:16]}//{t.ref}")
        memo = t.memo
        chunks = [memo[i:i + 65] for i in range(0, len(memo), 65)] or [""]
        lines.append(":86:" + chunks[0])
        lines += chunks[1:]
    mark = "C" if balance >= 0 else "D"
    lines.append(f":62F:{mark}{txns[-1].day:%y%m%d}VND{abs(balance)},")
    lines.append("-")
    return "\r\n".join(lines) + "\r\n"


def camt053(txns: list[Txn], *, account: str, opening: int = 0) -> str:
    entries = []
    for t in txns:
        entries.append(
            f"<Ntry><Amt Ccy=\"VND\">{t.amount_vnd}</Amt><CdtDbtInd>{'CRDT' if t.credit else 'DBIT'}</CdtDbtInd>"
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{t.day.isoformat()}</Dt></BookgDt>"
            f"<AcctSvcrRef>{escape(t.ref)}</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>{escape(t.memo)}</Ustrd>"
            f"</RmtInf></TxDtls></NtryDtls></Ntry>")
    closing = opening + sum(t.amount_vnd if t.credit else -t.amount_vnd for t in txns)
    day = txns[0].day.isoformat()
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Id>T</Id>"
            f"<Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>VND</Ccy></Acct>"
            f"<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"VND\">{opening}</Amt>"
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>"
            f"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"VND\">{abs(closing)}</Amt>"
            f"<CdtDbtInd>{'CRDT' if closing >= 0 else 'DBIT'}</CdtDbtInd><Dt><Dt>{txns[-1].day.isoformat()}</Dt></Dt>"
            "</Bal>" + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>")


def xlsx(txns: list[Txn], *, account: str) -> bytes:
    """A spreadsheet export: a title and account above the header, real dates and numbers in cells."""
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["BIDV - SAO KÊ TÀI KHOẢN"])
    sheet.append(["Số tài khoản", account])
    sheet.append([])
    sheet.append(["Ngày hiệu lực", "Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Số dư", "Mô tả"])
    for t in txns:
        when = datetime(t.day.year, t.day.month, t.day.day)
        sheet.append([when, when, t.ref, None if t.credit else t.amount_vnd, t.amount_vnd if t.credit else None, None,
                      t.memo])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook(rows: list[list]) -> bytes:
    """A bare spreadsheet of the given rows (cells as given: text, numbers, dates or None)."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
