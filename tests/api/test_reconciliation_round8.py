"""Eighth QA round of reconciliation after import: lines whose money finance settled, undo chains,
decisions on closed days, closes and reports, probed end to end through the API."""
import hashlib
from dataclasses import replace

import pytest

from tests.factories import make_request
from tests.recon_factories import all_lines, paid_vnd, resolve, undo, upload, vcb_csv

DAY = "2026-11-24"


pytestmark = pytest.mark.usefixtures("ledger_and_audit_checked")


def suspense_line(client, auth, amount=100_000, ref="S.1"):
    body = upload(client, auth, vcb_csv((ref, "", f"{amount:,}".replace(",", "."), "chuyen tien khong ro"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["status"] == "unmatched", line
    return line


def line_now(client, auth, line_id) -> dict:
    r = client.get(f"/api/v1/reconciliation/lines/{line_id}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json


def listed_statuses(client, auth, status) -> list[int]:
    r = client.get(f"/api/v1/reconciliation/lines?date={DAY}&status={status}&limit=1000", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return [line["id"] for line in r.json["lines"]]


def open_line_exceptions(client, auth, line_id) -> list[str]:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions?state=open", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return [e["kind"] for e in r.json["exceptions"] if e["line_id"] == line_id and e["severity"] == "blocking"]


def summary_statuses(client, auth) -> dict:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return {status: bucket["count"] for status, bucket in r.json["lines"]["by_status"].items()}


def rematched_changes(client, auth) -> int:
    """How many lines re-deriving the day changes: none, when a decision read each line as the day does."""
    r = client.post(f"/api/v1/reconciliation/days/{DAY}/match", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["changed"]


def assert_settled(client, auth, line_id, reason) -> None:
    """The line reads as done everywhere: not an open unmatched credit in the list, summary or queue."""
    assert rematched_changes(client, auth) == 0
    line = line_now(client, auth, line_id)
    assert (line["status"], line["score"], line["allocations"]) == ("matched", 100, []), line
    assert reason in line["reasons"] and "no_code" not in line["reasons"], line
    assert line_id not in listed_statuses(client, auth, "unmatched")
    assert line_id in listed_statuses(client, auth, "matched")
    assert summary_statuses(client, auth) == {"matched": 1}
    assert open_line_exceptions(client, auth, line_id) == []


def assert_open_again(client, auth, line_id) -> None:
    assert rematched_changes(client, auth) == 0
    line = line_now(client, auth, line_id)
    assert (line["status"], line["score"]) == ("unmatched", 0), line
    # nothing it says is settled still stands: a refund rejected or failed is no longer asked for
    assert "no_code" in line["reasons"] and "refund_requested" not in line["reasons"], line
    assert line_id in listed_statuses(client, auth, "unmatched")
    assert summary_statuses(client, auth) == {"unmatched": 1}
    assert open_line_exceptions(client, auth, line_id) == ["unmatched_credit"]


# --- a line whose money was wholly refunded or written off is settled --------------------

def test_a_line_written_off_whole_is_settled_and_its_undo_opens_it_again(client, auth, db):
    line = suspense_line(client, auth, 7_000)
    r = resolve(client, auth, line["id"], "write-off", reason="tiền lẻ không rõ người nộp")
    assert r.status_code == 201, r.json
    assert_settled(client, auth, line["id"], "written_off")
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert_open_again(client, auth, line["id"])


def test_a_line_written_off_in_two_parts_is_settled_by_the_second(client, auth, db):
    line = suspense_line(client, auth, 10_000)
    first = resolve(client, auth, line["id"], "write-off", reason="phí", amount_vnd=4_000)
    assert line_now(client, auth, line["id"])["status"] == "unmatched"  # 6,000 still waits
    second = resolve(client, auth, line["id"], "write-off", reason="phần còn lại")
    assert (first.status_code, second.status_code) == (201, 201)
    assert_settled(client, auth, line["id"], "written_off")
    assert undo(client, auth, second.json["resolution"]["id"]).status_code == 200
    line_after = line_now(client, auth, line["id"])
    assert (line_after["status"], line_after["unallocated_vnd"]) == ("unmatched", 6_000)
    assert "partly_written_off" in line_after["reasons"]


def test_a_line_refunded_whole_under_the_threshold_is_settled_and_its_undo_opens_it_again(client, auth, db):
    line = suspense_line(client, auth, 100_000)
    r = resolve(client, auth, line["id"], "refund", reason="chuyển nhầm, trả lại")
    assert r.status_code == 201 and r.json["resolution"]["data"]["refund_status"] == "transfer_ordered", r.json
    assert_settled(client, auth, line["id"], "refund_requested")
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert_open_again(client, auth, line["id"])


def test_a_refund_awaiting_approval_settles_the_line_until_the_approver_rejects_it(client, auth, db):
    line = suspense_line(client, auth, 3_000_000)  # above the approval threshold
    r = resolve(client, auth, line["id"], "refund", reason="chuyển nhầm, trả lại")
    assert r.json["resolution"]["data"]["refund_status"] == "awaiting_approval", r.json
    assert_settled(client, auth, line["id"], "refund_requested")
    rejected = client.post(f"/api/v1/refunds/{r.json['resolution']['data']['refund_id']}/reject",
                           json={"reason": "thiếu giấy tờ"}, headers=auth("approver"))
    assert rejected.status_code == 200, rejected.json
    assert_open_again(client, auth, line["id"])


def test_an_approved_refund_that_fails_opens_the_line_again(client, auth, db):
    line = suspense_line(client, auth, 3_000_000)
    r = resolve(client, auth, line["id"], "refund", reason="chuyển nhầm, trả lại")
    refund_id = r.json["resolution"]["data"]["refund_id"]
    assert client.post(f"/api/v1/refunds/{refund_id}/approve", headers=auth("approver")).status_code == 200
    assert_settled(client, auth, line["id"], "refund_requested")
    failed = client.post(f"/api/v1/refunds/{refund_id}/failed", json={"reason": "tài khoản đã đóng"},
                         headers=auth("finance"))
    assert failed.status_code == 200, failed.json
    assert_open_again(client, auth, line["id"])


# --- undo chains --------------------------------------------------------------------------

def test_match_unmatch_match_elsewhere_then_undo_back_to_the_first_request(client, auth, db):
    first = make_request(client, auth, ("Lệ phí", "charge", 80_000))
    other = make_request(client, auth, ("Lệ phí", "charge", 80_000))
    body = upload(client, auth, vcb_csv(("U.1", "", "80.000", f"nop phi {first}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert [(a["payment_code"], a["how"]) for a in line["allocations"]] == [(first, "exact")], line
    unmatched = resolve(client, auth, line["id"], "unmatch", reason="người nộp nhầm hồ sơ")
    matched = resolve(client, auth, line["id"], "match", reason="đúng hồ sơ kia",
                      allocations=[{"payment_code": other, "amount_vnd": 80_000}])
    assert (unmatched.status_code, matched.status_code) == (201, 201), (unmatched.json, matched.json)
    assert (paid_vnd(client, first), paid_vnd(client, other)) == (0, 80_000)
    # latest first: the unmatch cannot be undone under the match made after it
    early = undo(client, auth, unmatched.json["resolution"]["id"])
    assert (early.status_code, early.json["code"]) == (409, "not_latest_resolution"), early.json
    assert undo(client, auth, matched.json["resolution"]["id"]).status_code == 200
    assert (paid_vnd(client, first), paid_vnd(client, other)) == (0, 0)
    assert line_now(client, auth, line["id"])["status"] == "unmatched"
    assert undo(client, auth, unmatched.json["resolution"]["id"]).status_code == 200
    back = line_now(client, auth, line["id"])
    assert (paid_vnd(client, first), paid_vnd(client, other)) == (80_000, 0)
    assert (back["status"], back["score"], [(a["payment_code"], a["how"]) for a in back["allocations"]]) == (
        "matched", 100, [(first, "exact")]), back
    again = undo(client, auth, unmatched.json["resolution"]["id"])
    assert (again.status_code, again.json["code"]) == (409, "already_undone"), again.json


def test_unmatch_write_off_then_undo_both_gives_the_request_its_money_back(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 25_000))
    body = upload(client, auth, vcb_csv(("W.1", "", "25.000", f"nop {code}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    unmatched = resolve(client, auth, line["id"], "unmatch", reason="không phải hồ sơ này")
    written = resolve(client, auth, line["id"], "write-off", reason="không rõ người nộp")
    assert (unmatched.status_code, written.status_code) == (201, 201)
    assert written.json["line"]["status"] == "matched" and paid_vnd(client, code) == 0
    assert undo(client, auth, written.json["resolution"]["id"]).status_code == 200
    assert line_now(client, auth, line["id"])["status"] == "unmatched"
    assert undo(client, auth, unmatched.json["resolution"]["id"]).status_code == 200
    back = line_now(client, auth, line["id"])
    assert (back["status"], back["score"], back["unallocated_vnd"], paid_vnd(client, code)) == (
        "matched", 100, 0, 25_000), back
    assert "written_off" not in back["reasons"]


def test_a_refund_undone_after_its_approval_leaves_the_money_to_match(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 3_000_000))
    line = suspense_line(client, auth, 3_000_000)
    asked = resolve(client, auth, line["id"], "refund", reason="chuyển nhầm")
    refund_id = asked.json["resolution"]["data"]["refund_id"]
    assert client.post(f"/api/v1/refunds/{refund_id}/approve", headers=auth("approver")).status_code == 200
    assert undo(client, auth, asked.json["resolution"]["id"]).status_code == 200
    assert line_now(client, auth, line["id"])["status"] == "unmatched"
    matched = resolve(client, auth, line["id"], "match", reason="người nộp xác nhận hồ sơ",
                      allocations=[{"payment_code": code, "amount_vnd": 3_000_000}])
    assert matched.status_code == 201 and matched.json["line"]["status"] == "matched", matched.json
    assert paid_vnd(client, code) == 3_000_000


def test_a_decision_needs_a_reason_and_one_on_an_unknown_line_is_a_typed_404(client, auth, db):
    line = suspense_line(client, auth)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        r = client.post(f"/api/v1/reconciliation/lines/{line['id']}/write-off", json=body, headers=auth("finance"))
        assert r.status_code == 400 and r.json["code"], r.json
    missing = resolve(client, auth, 999_999, "write-off", reason="không có")
    assert (missing.status_code, missing.json["code"]) == (404, "line_not_found"), missing.json
    assert line_now(client, auth, line["id"])["resolutions"] == []


# --- closed days -----------------------------------------------------------------------------

def close_day(client, auth, day=DAY):
    asked = client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance"))
    assert asked.status_code == 202, asked.json
    approved = client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))
    assert approved.status_code == 200, approved.json
    return approved.json


def test_every_decision_and_undo_on_a_closed_day_is_a_typed_409_and_moves_nothing(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    body = upload(client, auth, vcb_csv(("C.1", "", "40.000", f"nop {code}"),
                                        ("C.2", "", "12.000", "khong ro"))).json
    paid, waiting = all_lines(client, auth, body["import_id"])
    written = resolve(client, auth, waiting["id"], "write-off", reason="không rõ người nộp")
    assert written.status_code == 201
    close_day(client, auth)
    tries = [resolve(client, auth, paid["id"], "unmatch", reason="sau khóa sổ"),
             resolve(client, auth, waiting["id"], "ignore", reason="sau khóa sổ"),
             undo(client, auth, written.json["resolution"]["id"]),
             client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/line:{waiting['id']}:missed_callback/"
                         "acknowledge", json={"reason": "sau khóa sổ"}, headers=auth("finance"))]
    for r in tries:
        assert (r.status_code, r.json["code"]) == (409, "day_closed"), r.json
    assert paid_vnd(client, code) == 40_000
    assert line_now(client, auth, waiting["id"])["status"] == "matched"  # still the write-off's
    # the correction lands in the next open working day
    moved = resolve(client, auth, paid["id"], "unmatch", reason="điều chỉnh", as_adjustment=True)
    assert moved.status_code == 201 and moved.json["resolution"]["recon_date"] == "2026-11-25", moved.json


# --- the close -------------------------------------------------------------------------------

@pytest.fixture
def tolerant(test_settings, db):
    """A client of an app whose close tolerates open exceptions up to 1,000 VND."""
    from api import create_app

    app = create_app(replace(test_settings, recon_tolerance_vnd=1_000))
    yield app.test_client()
    app.extensions["hccpay"].engine.dispose()


def test_exceptions_within_the_tolerance_do_not_hold_the_close_those_above_do_until_acknowledged(
        tolerant, auth, db):
    client = tolerant
    body = upload(client, auth, vcb_csv(("T.1", "", "1.000", "khong ro"), ("T.2", "", "1.001", "khong ro"))).json
    small, large = all_lines(client, auth, body["import_id"])
    refused = client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))
    assert (refused.status_code, refused.json["code"]) == (409, "open_exceptions"), refused.json
    assert [e["line_id"] for e in refused.json["details"]["exceptions"]] == [large["id"]]
    ack = client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/line:{large['id']}:unmatched_credit/acknowledge",
                      json={"reason": "chờ người nộp liên hệ"}, headers=auth("finance"))
    assert ack.status_code == 201, ack.json
    closed = close_day(client, auth)
    assert (closed["status"], closed["exceptions"]["blocking_open"]) == ("closed", 0), closed["exceptions"]
    # the small one closed open, within the tolerance; the large one as acknowledged
    frozen = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions?state=all", headers=auth("finance")).json
    credits = {e["line_id"]: (e["open"], e["acknowledged"]) for e in frozen["exceptions"]
               if e["kind"] == "unmatched_credit"}
    assert credits == {small["id"]: (True, False), large["id"]: (False, True)}, credits


def test_a_closing_balance_the_lines_do_not_explain_holds_the_close(client, auth, db):
    head = vcb_csv(("H", "", "", "")).splitlines()[0]
    data = (f'{head}\n24/11/2026,B.1,"","50.000","150.000","khong ro"\n'
            '24/11/2026,B.2,"","20.000","170.500","khong ro 2"\n')
    upload(client, auth, data)
    summary = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("finance")).json
    [check] = summary["balances"]
    assert (check["opening_vnd"], check["closing_stated_vnd"], check["difference_vnd"]) == (100_000, 170_500, 500)
    refused = client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))
    assert refused.status_code == 409 and "balance_mismatch" in [e["kind"] for e in refused.json["details"][
        "exceptions"]], refused.json


# --- reports ---------------------------------------------------------------------------------

def test_the_closed_days_totals_and_report_equal_the_ledger_and_its_hash_is_stable(client, auth, db):
    from payments import ledger

    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    body = upload(client, auth, vcb_csv(("R.1", "", "40.000", f"nop {code}"), ("R.2", "", "12.000", "khong ro"),
                                        ("R.3", "", "30.000", "chuyen nham"))).json
    _, written, refunded = all_lines(client, auth, body["import_id"])
    assert resolve(client, auth, written["id"], "write-off", reason="không rõ người nộp").status_code == 201
    assert resolve(client, auth, refunded["id"], "refund", reason="chuyển nhầm").status_code == 201
    closed = close_day(client, auth)
    rows = {row["agency_code"]: row["amount_vnd"] for row in closed["totals"]["by_agency"]}
    with db() as s:
        held = ledger.balances(s)
    revenue = -sum(v for account, v in held.items() if account.startswith("revenue:"))
    assert revenue == 40_000 == sum(v for k, v in rows.items() if k not in ("written_off", "refunded",
                                                                          "suspense", "overpaid"))
    assert (rows["written_off"], rows["refunded"]) == (-held["write_offs"], -held["refunds_payable"]) == (
        12_000, 30_000), rows
    assert "suspense" not in rows and held.get("suspense", 0) == 0
    assert closed["totals"]["received_vnd"] == 82_000 == sum(v for a, v in held.items() if a.startswith("bank:"))
    by_status = {r["status"]: r["amount_vnd"] for r in closed["totals"]["by_status"]}
    assert by_status == {"allocated": 40_000, "settled_by_finance": 42_000}, by_status
    assert closed["lines"]["by_status"] == {"matched": {"count": 3, "amount_vnd": 82_000}}
    text = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance")).data.decode(
        "utf-8-sig")
    assert "Ghi thu khác (xóa sổ tạm treo)" in text and "Hoàn trả người nộp" in text and "Đã khớp" in text
    assert "Chưa khớp" not in text  # no line reads as open
    for fmt in ("csv", "xlsx", "pdf"):
        first = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("finance"))
        second = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("auditor"))
        assert first.status_code == second.status_code == 200
        assert first.data == second.data and hashlib.sha256(first.data).hexdigest() \
            == first.headers["X-Content-SHA256"] == second.headers["X-Content-SHA256"] \
            == closed["reports"][fmt]["sha256"]


# --- parameters ------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=-1", "limit=abc", "limit=1.5", "limit=",
                                   "offset=-1", "offset=x", "limit=10%00", "limit=%EF%BC%91"])
def test_lines_paging_outside_its_bounds_is_a_typed_400(client, auth, db, query):
    body = upload(client, auth, vcb_csv(("P.1", "", "1.000", "khong ro"))).json
    r = client.get(f"/api/v1/reconciliation/lines?import_id={body['import_id']}&{query}", headers=auth("finance"))
    assert (r.status_code, r.json["code"]) == (400, "invalid_parameter"), r.json


def test_lines_paging_at_its_bounds(client, auth, db):
    rows = [(f"Q.{i}", "", f"{1_000 + i}", "khong ro") for i in range(3)]
    body = upload(client, auth, vcb_csv(*rows)).json
    url = f"/api/v1/reconciliation/lines?import_id={body['import_id']}"
    one = client.get(f"{url}&limit=1&offset=2", headers=auth("finance")).json
    assert (one["total"], [line["line_no"] for line in one["lines"]], one["next_offset"]) == (3, [3], None)
    first = client.get(f"{url}&limit=1", headers=auth("finance")).json
    assert ([line["line_no"] for line in first["lines"]], first["next_offset"]) == ([1], 1)
    past = client.get(f"{url}&limit=1000&offset=3", headers=auth("finance")).json
    assert (past["total"], past["lines"], past["next_offset"]) == (3, [], None)


def test_an_unknown_import_is_a_typed_404_and_a_statement_of_an_account_not_ours_is_refused(client, auth, db):
    ours = upload(client, auth, vcb_csv(("A.1", "", "5.000", "khong ro"))).json
    other = upload(client, auth, vcb_csv(("A.1", "", "6.000", "khong ro")), account_number="0071009999999")
    assert (other.status_code, other.json["code"]) == (422, "unknown_account"), other.json
    assert [line["amount_vnd"] for line in all_lines(client, auth, ours["import_id"])] == [5_000]
    for import_id in (ours["import_id"] + 1, 2**62):
        missing = client.get(f"/api/v1/reconciliation/lines?import_id={import_id}", headers=auth("finance"))
        assert (missing.status_code, missing.json["code"]) == (404, "import_not_found"), missing.json
    for bad in ("0", "-1", "abc", str(2**63)):
        refused = client.get(f"/api/v1/reconciliation/lines?import_id={bad}", headers=auth("finance"))
        assert (refused.status_code, refused.json["code"]) == (400, "invalid_parameter"), (bad, refused.json)


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "2026-00-10", "2026-11-31", "2026-1-5", "20261124",
                                 "2026-11-24T00:00", "1999-12-31", "２０２６-11-24"])
def test_impossible_days_are_a_typed_400_everywhere(client, auth, db, day):
    for method, path, role in (("get", "", "finance"), ("get", "/exceptions", "finance"),
                               ("post", "/close", "finance"), ("post", "/close/approve", "approver"),
                               ("post", "/match", "finance"), ("get", "/report.csv", "finance")):
        r = getattr(client, method)(f"/api/v1/reconciliation/days/{day}{path}", headers=auth(role))
        assert (r.status_code, r.json["code"]) == (400, "invalid_date"), (path, r.json)
    listed = client.get(f"/api/v1/reconciliation/lines?date={day}", headers=auth("finance"))
    assert (listed.status_code, listed.json["code"]) == (400, "invalid_date"), listed.json


def test_a_day_in_the_future_reads_empty_and_cannot_be_closed(client, auth, db):
    from datetime import timedelta

    from kernel.clock import business_date, now_utc

    day = (business_date(now_utc()) + timedelta(days=3)).isoformat()
    summary = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("finance"))
    assert summary.status_code == 200 and summary.json["lines"]["count"] == 0, summary.json
    closing = client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance"))
    assert (closing.status_code, closing.json["code"]) == (409, "day_not_over"), closing.json


def test_a_refund_rejected_after_the_close_reopens_the_line_in_the_next_open_day_not_in_the_closed_one(
        client, auth, db):
    line = suspense_line(client, auth, 3_000_000)
    asked = resolve(client, auth, line["id"], "refund", reason="chuyển nhầm, trả lại").json
    closed = close_day(client, auth)
    assert closed["lines"]["by_status"] == {"matched": {"count": 1, "amount_vnd": 3_000_000}}
    rejected = client.post(f"/api/v1/refunds/{asked['resolution']['data']['refund_id']}/reject",
                           json={"reason": "thiếu giấy tờ"}, headers=auth("approver"))
    assert rejected.status_code == 200, rejected.json
    assert line_now(client, auth, line["id"])["status"] == "unmatched"
    frozen = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("finance")).json
    assert (frozen["lines"], frozen["reports"]) == (closed["lines"], closed["reports"])
    csv = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance"))
    assert hashlib.sha256(csv.data).hexdigest() == closed["reports"]["csv"]["sha256"]
    carried = client.get("/api/v1/reconciliation/days/2026-11-25/exceptions", headers=auth("finance")).json
    assert [(e["kind"], e["line_id"], e["amount_vnd"]) for e in carried["exceptions"]] == [
        ("unmatched_credit", line["id"], 3_000_000)], carried


@pytest.mark.parametrize("amount", [True, 1.5, -1, 0, "1000", 10**20, "abc"])
def test_a_write_off_amount_that_is_no_whole_positive_vnd_is_a_typed_400_and_moves_nothing(client, auth, db, amount):
    line = suspense_line(client, auth, 10_000)
    r = resolve(client, auth, line["id"], "write-off", reason="phí", amount_vnd=amount)
    assert r.status_code == 400 and r.json["code"], r.json
    after = line_now(client, auth, line["id"])
    assert (after["unallocated_vnd"], after["resolutions"]) == (10_000, [])


def test_a_write_off_of_more_than_waits_says_how_much_waits_not_that_nothing_does(client, auth, db):
    # (the finance page showed "Dòng này không còn tiền tạm treo." for 10,001 of 10,000 waiting)
    line = suspense_line(client, auth, 10_000)
    more = resolve(client, auth, line["id"], "write-off", reason="phí", amount_vnd=10_001)
    assert (more.status_code, more.json["code"], more.json["details"]) == (
        409, "amount_exceeds_unallocated", {"unallocated_vnd": 10_000}), more.json
    assert resolve(client, auth, line["id"], "write-off", reason="hết").status_code == 201
    none = resolve(client, auth, line["id"], "write-off", reason="lần nữa", amount_vnd=1)
    assert (none.status_code, none.json["code"]) == (409, "nothing_in_suspense"), none.json


def test_a_lines_money_refunded_whole_from_the_refund_desk_settles_the_line_too(client, auth, db):
    line = suspense_line(client, auth, 3_000_000)
    asked = client.post(f"/api/v1/payments/{line['payment_id']}/refunds", headers=auth("finance"), json={
        "amount_vnd": 3_000_000, "expected_refundable_vnd": 3_000_000, "reason": "chuyển nhầm, trả lại"})
    assert asked.status_code == 201 and asked.json["status"] == "awaiting_approval", asked.json
    assert_settled(client, auth, line["id"], "settled_by_finance")
    assert client.post(f"/api/v1/refunds/{asked.json['id']}/approve", headers=auth("approver")).status_code == 200
    assert_settled(client, auth, line["id"], "settled_by_finance")
    failed = client.post(f"/api/v1/refunds/{asked.json['id']}/failed", json={"reason": "tài khoản đã đóng"},
                         headers=auth("finance"))
    assert failed.status_code == 200, failed.json
    assert_open_again(client, auth, line["id"])
