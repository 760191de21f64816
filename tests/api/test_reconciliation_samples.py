"""The three sample statements (camt.053, MT940, Vietcombank CSV) produce the truth file."""
import pytest

from tests.factories import assert_ledger_ok
from tests.recon_factories import all_lines, open_truth_requests, truth, upload_sample

SAMPLES = ["statement_sample.camt053.xml", "statement_sample.mt940", "statement_vcb_sample.csv"]


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_statement_reproduces_the_truth_line_by_line(client, auth, monkeypatch, db, name):
    open_truth_requests(client, auth, monkeypatch)
    r = upload_sample(client, auth, name)
    assert r.status_code == 201, r.json
    body = r.json
    expected = truth()["lines"]
    assert body["lines_total"] == len(expected) and body["lines_new"] == len(expected)
    assert body["lines_duplicate"] == 0 and body["account_number"] == "0071001234567"
    assert body["period"] == {"from": "2026-11-24", "to": "2026-11-24"}
    lines = all_lines(client, auth, body["import_id"])
    assert [line["line_no"] for line in lines] == list(range(1, len(expected) + 1))
    for line, want in zip(lines, expected):
        assert [a["payment_code"] for a in line["allocations"]] == want["codes"], (line, want)
        assert (line["status"] == "matched") == want["auto"], (line, want)
    assert_ledger_ok(db)
