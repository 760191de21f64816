"""Reconciliation, QA round 10: a line without a code is offered the request of the payer its memo names,
however many newer requests owe the same common fee (only the 20 newest owing the amount were ranked, so
the citizen's own request, older than them, was never suggested)."""
import pytest

from payments import suggestions
from tests.factories import dossier_body
from tests.recon_factories import all_lines, upload, vcb_csv

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

FEE = 100_000


def open_request(client, auth, applicant: str) -> str:
    body = dossier_body(("Lệ phí", "charge", FEE))
    body["applicant"]["name"] = applicant
    r = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    assert r.status_code == 201, r.json
    return r.json["payment_request"]["payment_code"]


def test_the_payer_named_in_the_memo_is_suggested_behind_many_newer_requests_of_the_same_fee(client, auth):
    payer = open_request(client, auth, "Trần Thị Bích Ngọc")
    others = [open_request(client, auth, "Nguyễn Văn An") for _ in range(suggestions.CANDIDATES + 2)]
    body = upload(client, auth, vcb_csv(("SG.1", "", "100.000", "TRAN THI BICH NGOC nop le phi ho so"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["status"] == "unmatched" and line["allocations"] == []
    first = line["suggestions"][0]
    assert first["payment_code"] == payer, line["suggestions"]
    assert "payer_name_matches_applicant" in first["reasons"]
    assert len(line["suggestions"]) == suggestions.SHOWN  # the newest others still fill the list
    assert {s["payment_code"] for s in line["suggestions"][1:]} <= set(others)
    suspense = client.get("/api/v1/finance/suspense", headers=auth("finance")).json
    [waiting] = suspense["payments"]
    assert waiting["suggestions"][0]["payment_code"] == payer  # the suspense desk ranks the same way
    assert client.get(f"/api/v1/payment-requests/{payer}").json["paid_vnd"] == 0  # proposed, never applied
