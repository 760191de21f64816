"""Writing off part of a line's money in suspense says so: the line keeps waiting for the rest."""
from tests.factories import assert_ledger_ok
from tests.recon_factories import all_lines, upload, vcb_csv

DAY = "2026-11-24"


def write_off(client, auth, line_id: int, amount: int):
    r = client.post(f"/api/v1/reconciliation/lines/{line_id}/write-off", headers=auth("finance"),
                    json={"reason": "phí chuyển tiền", "amount_vnd": amount})
    assert r.status_code == 201, r.json
    return r.json["line"]


def test_a_line_written_off_in_part_is_partly_written_off_and_still_open_for_the_rest(client, auth, db):
    imported = upload(client, auth, vcb_csv(("W1", "", "100.000", "chuyen tien khong ma"))).json
    [line] = all_lines(client, auth, imported["import_id"])
    shown = write_off(client, auth, line["id"], 1)
    assert shown["status"] == "unmatched"
    assert "partly_written_off" in shown["reasons"] and "written_off" not in shown["reasons"]
    assert "no_code" in shown["reasons"]  # why the rest is still in suspense
    queue = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json["exceptions"]
    assert [(e["amount_vnd"], e["open"], e["severity"]) for e in queue
            if e["line_id"] == line["id"] and e["kind"] == "unmatched_credit"] == [(99_999, True, "blocking")]
    from reconciliation.reports import REASON_VI

    assert REASON_VI["partly_written_off"] == "Đã ghi thu khác một phần"  # what the pages and reports print
    # the rest written off too: the whole line is written off
    assert "written_off" in write_off(client, auth, line["id"], 99_999)["reasons"]
    rematched = client.post(f"/api/v1/reconciliation/days/{DAY}/match", headers=auth("finance"))
    assert rematched.status_code == 200
    [again] = all_lines(client, auth, imported["import_id"])
    assert "written_off" in again["reasons"] and "partly_written_off" not in again["reasons"]
    assert_ledger_ok(db)


def test_re_deriving_the_day_keeps_a_partial_write_off_partly_written_off(client, auth):
    imported = upload(client, auth, vcb_csv(("W2", "", "50.000", "chuyen tien khong ma"))).json
    [line] = all_lines(client, auth, imported["import_id"])
    write_off(client, auth, line["id"], 10_000)
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/match", headers=auth("finance")).status_code == 200
    [again] = all_lines(client, auth, imported["import_id"])
    assert "partly_written_off" in again["reasons"] and "written_off" not in again["reasons"]


def test_a_line_matched_in_part_and_written_off_for_the_rest_says_both(client, auth, db):
    # Its report row must account for the whole line: 120,000 to the request and the rest written off,
    # not a "matched" line whose allocations leave 130,000 unexplained.
    from tests.factories import make_request

    code = make_request(client, auth, ("Lệ phí", "charge", 120_000))
    imported = upload(client, auth, vcb_csv(("W3", "", "250.000", "chuyen tien khong ma"))).json
    [line] = all_lines(client, auth, imported["import_id"])
    matched = client.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
                          json={"reason": "khách xác nhận", "allocations": [{"payment_code": code,
                                                                           "amount_vnd": 120_000}]})
    assert matched.status_code == 201, matched.json
    shown = write_off(client, auth, line["id"], 130_000)
    assert shown["status"] == "matched" and "manual_match" in shown["reasons"]
    assert "written_off" in shown["reasons"]
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/match", headers=auth("finance")).status_code == 200
    [again] = all_lines(client, auth, imported["import_id"])
    assert "written_off" in again["reasons"]
    assert_ledger_ok(db)
