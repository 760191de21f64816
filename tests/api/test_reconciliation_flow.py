"""Reconciliation through the HTTP API: re-imports, callbacks seen first, resolutions, close."""
import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from kernel.audit import verify_chain
from payments.models import Payment
from tests.factories import make_request, send_callback, signed
from tests.recon_factories import (DATA, all_lines, open_truth_requests, resolve, upload, upload_sample,
                                    vcb_csv)

DAY = "2026-11-24"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def on_the_24th(body: bytes) -> bytes:
    """A callback body whose booking time is 24/11/2026 09:00 Hà Nội (signed now)."""
    data = json.loads(body)
    for name, value in (("booked_at", "2026-11-24T09:00:00+07:00"), ("transactionDate", "2026-11-24 09:00:00")):
        if name in data:
            data[name] = value
    return json.dumps(data).encode()


def count_payments(db) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(Payment)).scalar_one()


def test_the_same_file_imported_twice_adds_no_line_and_no_payment(client, auth, monkeypatch, db):
    open_truth_requests(client, auth, monkeypatch)
    first = upload_sample(client, auth, "statement_vcb_sample.csv").json
    payments = count_payments(db)
    again = upload_sample(client, auth, "statement_vcb_sample.csv")
    assert again.status_code == 201
    assert (again.json["lines_total"], again.json["lines_new"], again.json["lines_duplicate"]) == (42, 0, 42)
    assert count_payments(db) == payments
    lines = all_lines(client, auth, again.json["import_id"])
    assert [line["line_no"] for line in lines] == list(range(1, 43)) and all(line["seen_before"] for line in lines)
    assert [line["id"] for line in lines] == [line["id"] for line in all_lines(client, auth, first["import_id"])]


def test_the_same_statement_in_another_format_is_recognised_by_its_bank_references(client, auth, monkeypatch, db):
    open_truth_requests(client, auth, monkeypatch)
    upload_sample(client, auth, "statement_vcb_sample.csv")
    mt940 = upload_sample(client, auth, "statement_sample.mt940").json
    assert (mt940["lines_new"], mt940["lines_duplicate"]) == (0, 42)


def test_an_overlapping_file_adds_only_its_new_lines_and_equal_transfers_stay_two(client, auth, monkeypatch, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    rows = [("", "", "50.000", f"NGUYEN VAN A nop {code}"), ("", "", "20.000", "ung ho"), ("", "", "20.000", "ung ho")]
    first = upload(client, auth, vcb_csv(*rows[:2])).json
    assert (first["lines_new"], first["lines_duplicate"]) == (2, 0)
    second = upload(client, auth, vcb_csv(*rows)).json  # the same day again, one more equal transfer
    assert (second["lines_new"], second["lines_duplicate"]) == (1, 2)
    third = upload(client, auth, vcb_csv(*rows)).json
    assert (third["lines_new"], third["lines_duplicate"]) == (0, 3)


def test_a_line_a_callback_already_credited_is_linked_not_counted_twice(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    headers, raw = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
        "transaction_id": "FT2611240001", "account_number": "0071001234567", "amount_vnd": 100_000,
        "content": f"CT den {code}", "booked_at": "2026-11-24T09:00:00+07:00", "direction": "credit"})
    assert client.post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200
    other = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    assert send_callback(client, test_settings, "sepay", code=other, amount=30_000,
                         mutate=on_the_24th).status_code == 200
    before = count_payments(db)
    csv_text = vcb_csv(("FT2611240001", "", "100.000", f"CT den {code}"),  # same bank reference
                       ("5555.1", "", "30.000", f"MBVCB.123.{other}.CT tu 123"))  # other reference, same code
    body = upload(client, auth, csv_text).json
    assert count_payments(db) == before
    lines = all_lines(client, auth, body["import_id"])
    assert [(line["status"], line["source"], line["allocations"][0]["payment_code"]) for line in lines] == [
        ("matched", "callback", code), ("matched", "callback", other)]
    assert "seen_by_callback" in lines[0]["reasons"]
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000


def test_a_line_a_callback_left_in_suspense_is_linked_by_amount_day_and_memo(client, auth, test_settings, db):
    for ref, memo in (("FT2611240101", "NGUYEN VAN AN ung ho quy"), ("FT2611240102", "TRAN THI BINH nop tien")):
        headers, raw = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
            "transaction_id": ref, "account_number": "0071001234567", "amount_vnd": 70_000, "content": memo,
            "booked_at": "2026-11-24T09:00:00+07:00", "direction": "credit"})
        assert client.post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200
    before = count_payments(db)
    body = upload(client, auth, vcb_csv(("5555.7", "", "70.000", "TRAN THI BINH - nop tien"),  # other reference
                                        ("5555.8", "", "70.000", "LE VAN CUONG chuyen khoan"))).json
    lines = all_lines(client, auth, body["import_id"])
    assert [(line["source"], line["status"]) for line in lines] == [("callback", "unmatched"),
                                                                    ("statement", "unmatched")]
    assert count_payments(db) == before + 1  # the second line's money was announced by no callback
    with db() as session:
        assert session.get(Payment, lines[0]["payment_id"]).bank_reference == "FT2611240102"
        assert session.get(Payment, lines[1]["payment_id"]).provider == "statement"


def test_a_batch_reads_codes_as_one_by_one_would_a_request_paid_earlier_in_the_file_is_no_longer_open(
        client, auth, monkeypatch, db):
    from tests.recon_factories import make_requests_with_codes

    # HS00001000022 is one swap away from both HS00010000022 and HS00301000022.
    make_requests_with_codes(client, auth, monkeypatch, [("HS00010000022", 50_000), ("HS00301000022", 30_000)])
    body = upload(client, auth, vcb_csv(("1", "", "50.000", "nop phi HS00010000022"),
                                        ("2", "", "30.000", "nop phi HS00001000022"))).json
    lines = all_lines(client, auth, body["import_id"])
    assert [(line["status"], [a["payment_code"] for a in line["allocations"]]) for line in lines] == [
        ("matched", ["HS00010000022"]), ("matched", ["HS00301000022"])]
    assert client.get("/api/v1/payment-requests/HS00301000022").json["status"] == "paid"


def test_a_mistyped_code_with_another_amount_is_only_proposed(client, auth, monkeypatch, db):
    from tests.recon_factories import make_requests_with_codes

    make_requests_with_codes(client, auth, monkeypatch, [("HS49035050352", 30_000)])
    body = upload(client, auth, vcb_csv(("1", "", "25.000", "chuyen tien HS40035050352 nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["status"] == "proposed" and line["allocations"] == []
    assert line["proposal"]["payment_code"] == "HS49035050352" and line["score"] < 90
    assert client.get("/api/v1/payment-requests/HS49035050352").json["paid_vnd"] == 0
    # the list and the single line show it as their first suggestion, with the same presenter
    single = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert line["suggestions"] == single["suggestions"] == [
        {"payment_code": "HS49035050352", "amount_vnd": 25_000, "score": 60,
         "reasons": ["code_corrected", "amount_differs_from_outstanding"]}]


def test_exceptions_show_under_and_over_payments_unmatched_credits_and_missed_callbacks(client, auth, monkeypatch, db):
    open_truth_requests(client, auth, monkeypatch)
    upload_sample(client, auth, "statement_sample.camt053.xml")
    queue = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("auditor")).json["exceptions"]
    kinds = {}
    for e in queue:
        kinds.setdefault(e["kind"], []).append(e)
    assert {e["payment_code"] for e in kinds["over_payment"]} == {"HS87020309134", "HS90640798341", "HS70107643565"}
    assert [e["payment_code"] for e in kinds["under_payment"]] == ["HS85662574914"]
    assert sorted(e["amount_vnd"] for e in kinds["unmatched_credit"]) == [50_000, 100_000, 200_000]
    assert len(kinds["missed_callback"]) == 39 and all(e["severity"] == "info" for e in kinds["missed_callback"])
    summary = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("finance")).json
    assert summary["sweep"]["missed_callbacks"]["count"] == 39
    assert summary["lines"]["credit"]["count"] == 39 and summary["lines"]["debit"]["count"] == 3
    assert summary["balances"][0]["difference_vnd"] == 0
    assert summary["exceptions"]["blocking_open"] == 7
    unmatched = next(line for line in all_lines(client, auth, summary["imports"][0]["import_id"])
                     if line["amount_vnd"] == 50_000 and line["status"] == "unmatched")
    assert unmatched["suggestions"][0]["payment_code"] == "HS58281320436"


def unmatched_line(client, auth, amount=100_000):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    body = upload(client, auth, vcb_csv(("77.1", "", f"{amount:,}".replace(",", "."), "chuyen tien le phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    return code, line


def test_a_manual_match_needs_a_reason_moves_the_money_and_can_be_undone(client, auth, db):
    code, line = unmatched_line(client, auth)
    assert resolve(client, auth, line["id"], "match", allocations=[{"payment_code": code, "amount_vnd": 100_000}]
                   ).json["code"] == "missing_field"
    assert resolve(client, auth, line["id"], "match", role="auditor", reason="x").status_code == 403
    r = resolve(client, auth, line["id"], "match", reason="khách gọi điện xác nhận",
                allocations=[{"payment_code": code, "amount_vnd": 100_000}])
    assert r.status_code == 201, r.json
    assert r.json["line"]["status"] == "matched" and "manual_match" in r.json["line"]["reasons"]
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"
    undo = client.post(f"/api/v1/reconciliation/resolutions/{r.json['resolution']['id']}/undo",
                       json={"reason": "nhầm hồ sơ"}, headers=auth("finance"))
    assert undo.status_code == 200 and undo.json["undone_by"]
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0
    detail = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert detail["status"] == "unmatched" and len(detail["resolutions"]) == 1
    with db() as s:
        assert verify_chain(s).ok


def test_one_line_can_be_matched_to_several_requests_and_unmatched_again(client, auth, db):
    first = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    second = make_request(client, auth, ("Phí", "fee", 70_000))
    body = upload(client, auth, vcb_csv(("9.1", "", "100.000", "nop tien 2 ho so"))).json
    [line] = all_lines(client, auth, body["import_id"])
    r = resolve(client, auth, line["id"], "match", reason="hai hồ sơ của cùng một người",
                allocations=[{"payment_code": first, "amount_vnd": 30_000},
                             {"payment_code": second, "amount_vnd": 70_000}])
    assert [a["payment_code"] for a in r.json["line"]["allocations"]] == [first, second]
    r = resolve(client, auth, line["id"], "unmatch", reason="sai")
    assert r.status_code == 201 and r.json["line"]["status"] == "unmatched"
    assert client.get(f"/api/v1/payment-requests/{second}").json["paid_vnd"] == 0


def test_write_off_refund_and_ignore_settle_an_unmatched_credit(client, auth, db):
    _, line = unmatched_line(client, auth, 5_000)
    r = resolve(client, auth, line["id"], "write-off", reason="số tiền nhỏ không xác định được người nộp")
    assert r.status_code == 201 and r.json["line"]["reasons"].count("written_off") == 1
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 0
    client.post(f"/api/v1/reconciliation/resolutions/{r.json['resolution']['id']}/undo", json={"reason": "nhầm"},
                headers=auth("finance"))
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 5_000
    refunded = resolve(client, auth, line["id"], "refund", reason="người nộp đề nghị hoàn")
    assert refunded.status_code == 201
    refund_id = refunded.json["resolution"]["data"]["refund_id"]
    refund = client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json
    assert (refund["amount_vnd"], refund["status"]) == (5_000, "transfer_ordered")  # below the approval threshold
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 0
    queue = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json
    assert all(e["line_id"] != line["id"] or e["severity"] == "info" for e in queue["exceptions"])
    # The refund accounts for the line's money: ignoring it on top would hide that (undo the refund first).
    ignored = resolve(client, auth, line["id"], "ignore", reason="lãi tiền gửi")
    assert (ignored.status_code, ignored.json["code"]) == (409, "line_has_decision")
    assert ignored.json["details"]["action"] == "refund"


def test_a_written_off_line_cannot_be_ignored_over_its_write_off(client, auth, db):
    _, line = unmatched_line(client, auth, 5_000)
    written = resolve(client, auth, line["id"], "write-off", reason="số tiền nhỏ")
    ignored = resolve(client, auth, line["id"], "ignore", reason="bỏ qua")
    assert (ignored.status_code, ignored.json["code"], ignored.json["details"]["action"]) == (
        409, "line_has_decision", "write_off")
    assert client.post(f"/api/v1/reconciliation/resolutions/{written.json['resolution']['id']}/undo",
                       json={"reason": "nhầm"}, headers=auth("finance")).status_code == 200
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 5_000


def test_a_day_closes_only_after_its_exceptions_are_settled_and_an_approver_confirms(client, auth, db):
    code, line = unmatched_line(client, auth)
    close = client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))
    assert close.status_code == 409 and close.json["code"] == "open_exceptions"
    assert resolve(client, auth, line["id"], "match", reason="xác nhận qua điện thoại",
                   allocations=[{"payment_code": code, "amount_vnd": 100_000}]).status_code == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve",
                       headers=auth("finance")).status_code == 403  # finance is not an approver
    closed = client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver"))
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    hashes = closed.json["reports"]
    for fmt in ("csv", "xlsx", "pdf"):
        report = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("auditor"))
        assert report.status_code == 200 and report.headers["X-Content-SHA256"] == hashes[fmt]["sha256"]
        assert hashlib.sha256(report.data).hexdigest() == hashes[fmt]["sha256"]
    assert "BÁO CÁO ĐỐI SOÁT" in client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv",
                                             headers=auth("finance")).data.decode("utf-8-sig")
    edit = resolve(client, auth, line["id"], "unmatch", reason="sửa sau khi khóa sổ")
    assert edit.status_code == 409 and edit.json["code"] == "day_closed"
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/match", headers=auth("finance")).json["code"] == "day_closed"
    adjusted = resolve(client, auth, line["id"], "unmatch", reason="điều chỉnh", as_adjustment=True)
    assert adjusted.status_code == 201 and adjusted.json["resolution"]["adjustment"] is True
    assert adjusted.json["resolution"]["recon_date"] == "2026-11-25"


def test_the_person_who_asks_to_close_cannot_approve(session, test_settings):
    from kernel.clock import now_utc
    from kernel.errors import Forbidden
    from reconciliation import days

    day = date(2026, 11, 24)
    days.request_close(session, day, settings=test_settings, actor="kế toán Lan", now=now_utc())
    with pytest.raises(Forbidden) as refused:
        days.approve_close(session, day, settings=test_settings, actor="kế toán Lan", now=now_utc())
    assert refused.value.code == "same_person"
    assert days.approve_close(session, day, settings=test_settings, actor="trưởng phòng Minh",
                              now=now_utc()).status == "closed"


def test_a_bad_upload_answers_a_typed_error_and_writes_nothing(client, auth, db):
    cases = [(b"", "empty_file"), (b"\x00\x01\x02garbage\x00", "unsupported_format"),
             (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><Document>&a;</Document>", "unsafe_xml"),
             (b"<Document><BkToCstmrStmt>", "malformed_xml"), (b"a,b,c\n1,2,3\n", "missing_columns"),
             (vcb_csv(("1", "", "12,5", "x")).encode(), "invalid_amount"),
             (vcb_csv(("1", "", "10.000", "x")).replace("24/11/2026", "31/02/2026").encode(), "invalid_date"),
             (b":20:X\n:25:0071001234567\n:60F:C261124USD1,\n:61:2611241124C1,NTRF1//1\n-", "unsupported_currency"),
             (b"PK\x03\x04not really a zip", "malformed_xlsx")]
    for data, code in cases:
        r = upload(client, auth, data)
        assert r.status_code in (400, 413, 415) and r.json["code"] == code, (data[:40], r.json)
    assert client.post("/api/v1/reconciliation/statements", headers=auth("finance"), json={}).status_code == 415
    r = client.post("/api/v1/reconciliation/statements", headers=auth("finance"), data={"format": "csv"},
                    content_type="multipart/form-data")
    assert r.json["code"] == "missing_file"
    assert upload(client, auth, vcb_csv(("1", "", "1.000", "x")), format="pdf").json["code"] == "invalid_format"
    r = upload(client, auth, vcb_csv(("1", "", "1.000", "x")), account_number="123456789")
    assert r.status_code == 422 and r.json["code"] == "unknown_account"
    assert count_payments(db) == 0
    listed = client.get("/api/v1/reconciliation/statements", headers=auth("finance")).json["imports"]
    assert listed == []


def test_reads_need_a_finance_role_and_valid_parameters(client, auth, db):
    assert client.get("/api/v1/reconciliation/lines?import_id=1", headers=auth("intake")).status_code == 403
    assert client.get("/api/v1/reconciliation/lines", headers=auth("finance")).json["code"] == "missing_filter"
    assert client.get("/api/v1/reconciliation/lines?import_id=1&limit=5000",
                      headers=auth("finance")).json["code"] == "invalid_parameter"
    assert client.get("/api/v1/reconciliation/days/24-11-2026", headers=auth("finance")).json["code"] == "invalid_date"
    assert client.get("/api/v1/reconciliation/statements/99", headers=auth("finance")).status_code == 404


def test_lines_of_an_import_and_a_day_are_those_of_the_import_on_that_day(client, auth, db):
    two_days = vcb_csv(("A1", "", "10.000", "ung ho"), day="23/11/2026") + \
        vcb_csv(("B1", "", "20.000", "ung ho"), ("B2", "", "30.000", "ung ho")).split("\n", 1)[1]
    import_id = upload(client, auth, two_days).json["import_id"]
    r = client.get(f"/api/v1/reconciliation/lines?import_id={import_id}&date={DAY}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    assert (r.json["total"], [line["bank_ref"] for line in r.json["lines"]]) == (2, ["B1", "B2"])
    assert [line["line_no"] for line in r.json["lines"]] == [2, 3]  # the file's line numbers, as without `date`
    r = client.get(f"/api/v1/reconciliation/lines?import_id={import_id}&date=2026-11-23&status=unmatched",
                   headers=auth("finance"))
    assert [line["bank_ref"] for line in r.json["lines"]] == ["A1"]


def test_import_progress_is_visible_on_the_import_resource(client, auth, db):
    body = upload_sample(client, auth, "statement_vcb_sample.csv").json
    again = client.get(f"/api/v1/reconciliation/statements/{body['import_id']}", headers=auth("auditor")).json
    assert (again["status"], again["lines_processed"], again["progress"]) == ("done", 42, 1.0)
    raw = client.get(f"/api/v1/reconciliation/statements/{body['import_id']}/file", headers=auth("finance"))
    assert raw.data == (DATA / "statement_vcb_sample.csv").read_bytes()


def test_a_statement_named_in_vietnamese_downloads_under_its_name(client, auth, db):
    """Headers are Latin-1 on the wire: a raw `đối soát.csv` broke the response under gunicorn."""
    name = "Sao kê tháng 11 đối soát.csv"
    body = upload(client, auth, vcb_csv(("FT1", "", "10.000", "no code")), filename=name).json
    raw = client.get(f"/api/v1/reconciliation/statements/{body['import_id']}/file", headers=auth("finance"))
    disposition = raw.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what a WSGI server must be able to send
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''Sao%20k%C3%AA%20th%C3%A1ng%2011%20%C4%91%E1%BB%91i%20so%C3%A1t.csv" in disposition


def test_a_memo_written_as_a_formula_is_text_in_the_day_reports(client, auth, db):
    """Anyone can put `=HYPERLINK(...)` in a transfer's memo; the finance reports must show it, not run it."""
    import csv
    import io

    from openpyxl import load_workbook

    memo = '=HYPERLINK("http://evil.example","bấm")'
    upload(client, auth, vcb_csv(("FT9", "", "10.000", memo.replace('"', '""')), ("FT8", "", "20.000", "+cmd|x")))
    data = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance")).data
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]
    assert "'" + memo in cells and "'+cmd|x" in cells and memo not in cells
    book = load_workbook(io.BytesIO(client.get(f"/api/v1/reconciliation/days/{DAY}/report.xlsx",
                                               headers=auth("finance")).data))
    values = [cell for row in book["Chi tiết sao kê"].iter_rows(values_only=True) for cell in row]
    assert "'" + memo in values and memo not in values
