"""Plain functions that build test data through the public API or the services."""
from __future__ import annotations

import itertools
import json

from payments import ledger
from sandbox.bank import callback_request

_seq = itertools.count(1)


def dossier_body(*fees: tuple[str, str, int], code: str | None = None, agency: str = "H40.22") -> dict:
    fees = fees or (("Lệ phí", "charge", 100_000),)
    return {
        "code": code or f"000.00.12.H40-TEST-{next(_seq):05d}", "procedure_code": "1.004227",
        "procedure_name": "Cấp giấy chứng nhận", "agency_code": agency,
        "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678"},
        "fees": [{"name": n, "kind": k, "amount_vnd": a} for n, k, a in fees],
    }


def make_request(client, auth, *fees: tuple[str, str, int]) -> str:
    """A new dossier through the API; returns its payment code."""
    r = client.post("/api/v1/dossiers", json=dossier_body(*fees), headers=auth("intake"))
    assert r.status_code == 201, r.json
    return r.json["payment_request"]["payment_code"]


def send_callback(client, settings, via: str, *, code: str, amount: int, txn_id: str | None = None,
                  memo: str | None = None, at=None, mutate=None):
    """A correctly signed callback of channel `via` through the test client."""
    from kernel.clock import now_utc

    path, headers, body = callback_request(via, settings=settings, payment_code=code, amount_vnd=amount,
                                           txn_id=txn_id or str(next(_seq) + 10**6), at=at or now_utc(), memo=memo)
    if mutate:
        body = mutate(body)
    return client.post(path, data=body, headers=headers)


def signed(settings, secret_name: str, data: dict, at=None) -> tuple[dict, bytes]:
    """Sign an arbitrary JSON body the way the bank/POS push is signed."""
    from kernel.clock import now_utc
    from kernel.signing import HEADER, sign

    body = json.dumps(data).encode()
    at = at or now_utc()
    return {"Content-Type": "application/json",
            HEADER: sign([settings.secret(secret_name)], body, int(at.timestamp()))}, body


def assert_ledger_ok(db) -> None:
    with db() as session:
        report = ledger.check(session)
    assert report.ok, report
