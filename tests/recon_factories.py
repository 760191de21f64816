"""Factories for reconciliation tests: open requests with given payment codes, statement uploads."""
from __future__ import annotations

import io
import json
from pathlib import Path

from tests.factories import dossier_body

DATA = Path(__file__).parent / "data"


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
