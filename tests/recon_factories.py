"""Factories for reconciliation tests: open requests with given payment codes, statement uploads."""
from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import business_date, is_working_day, now_utc
from tests.factories import dossier_body, signed

DATA = Path(__file__).parent / "data"


def working_days_ago(n: int) -> date:
    """The working day `n` working days before today, whenever the suite runs: for what the sweep
    reads with the clock (a day of 24/11/2026 leaves its 62-day look-back in January 2027)."""
    day = business_date(now_utc())
    while n:
        day -= timedelta(days=1)
        if is_working_day(day, DEFAULT_HOLIDAYS):
            n -= 1
    return day


def truth() -> dict:
    return json.loads((DATA / "statement_sample_truth.json").read_text())


def make_requests_with_codes(client, auth, monkeypatch, requests: list[tuple[str, int]]) -> None:
    """Open one request per (payment code, amount), with exactly that code."""
    from payments import codes

    wanted = iter([code for code, _ in requests])
    monkeypatch.setattr(codes, "new_code", lambda prefix="HS", **_: next(wanted))
    for code, amount in requests:
        r = client.post("/api/v1/dossiers", json=dossier_body(("Lệ phí", "charge", amount)), headers=auth("intake"))
        assert r.status_code == 201 and r.json["payment_request"]["payment_code"] == code, r.json
    monkeypatch.undo()


def open_truth_requests(client, auth, monkeypatch) -> None:
    make_requests_with_codes(client, auth, monkeypatch,
                             [(r["payment_code"], r["amount_vnd"]) for r in truth()["open_requests"]])


def vcb_csv(*rows: tuple[str, str, str, str], closing: str = "", day: str = "24/11/2026") -> str:
    """A Vietcombank-layout CSV: (doc no, debit, credit, memo) rows dated `day` (dd/mm/yyyy)."""
    head = "Ngày GD/ TNX Date,Số CT/ Doc No,Số tiền ghi nợ/ Debit,Số tiền ghi có/ Credit,Số dư/ Balance," \
           "Nội dung chi tiết/ Transactions in detail\n"
    body = "".join(f'{day},{ref},"{debit}","{credit}","{closing if i == len(rows) - 1 else ""}","{memo}"\n'
                   for i, (ref, debit, credit, memo) in enumerate(rows))
    return head + body


def upload(client, auth, data: bytes | str, filename: str = "statement.csv", role: str = "finance", **form):
    if isinstance(data, str):
        data = data.encode()
    return client.post("/api/v1/reconciliation/statements", headers=auth(role),
                       data={"file": (io.BytesIO(data), filename), **form}, content_type="multipart/form-data")


def upload_sample(client, auth, name: str, **form):
    return upload(client, auth, (DATA / name).read_bytes(), name, **form)


def all_lines(client, auth, import_id: int) -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/lines?import_id={import_id}&limit=1000", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["lines"]


def bank_callback(client, settings, ref: str, amount: int, memo: str,
                  booked_at: str = "2026-11-24T09:00:00+07:00") -> None:
    """A signed bank-push callback crediting our collection account, answered 200."""
    headers, raw = signed(settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
        "transaction_id": ref, "account_number": "0071001234567", "amount_vnd": amount, "content": memo,
        "booked_at": booked_at, "direction": "credit"})
    assert client.post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200


def count_payments(db) -> int:
    from sqlalchemy import func, select

    from payments.models import Payment

    with db() as s:
        return s.execute(select(func.count()).select_from(Payment)).scalar_one()


def count_statement_lines(db) -> int:
    from sqlalchemy import func, select

    from reconciliation.models import StatementLine

    with db() as s:
        return s.execute(select(func.count()).select_from(StatementLine)).scalar_one()


def paid_vnd(client, code: str) -> int:
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def resolve(client, auth, line_id: int, action: str, role: str = "finance", **body):
    """A decision on a statement line (match, unmatch, write-off, refund, ignore…) through the API."""
    return client.post(f"/api/v1/reconciliation/lines/{line_id}/{action}", json=body, headers=auth(role))


def undo(client, auth, resolution_id: int, reason: str = "nhầm"):
    return client.post(f"/api/v1/reconciliation/resolutions/{resolution_id}/undo", json={"reason": reason},
                       headers=auth("finance"))


def mt940_references_before_round17(g: dict) -> tuple[str | None, str | None]:
    """`swift._references` as it read a `:61:` until round 17, to store a file as an import then did: without a
    `//` bank reference (or with a filler), the customer's reference keyed the line and stayed out of its memo."""
    from payments.references import normalise_ref

    bank, customer = ((g.get(name) or "").strip() for name in ("bank_reference", "customer_reference"))
    bank, customer = (text if normalise_ref(text) else "" for text in (bank, customer))
    if not bank:
        return customer or None, None
    return bank, customer if customer and normalise_ref(customer) != normalise_ref(bank) else None
