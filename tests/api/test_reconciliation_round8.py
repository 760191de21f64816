"""Eighth QA round of reconciliation after import: lines whose money finance settled, undo chains,
decisions on closed days, closes and reports, probed end to end through the API."""
import hashlib

import pytest

from kernel.audit import verify_chain
from tests.factories import assert_ledger_ok
from tests.recon_factories import all_lines, upload, vcb_csv

DAY = "2026-11-24"


@pytest.fixture(autouse=True)
def ledger_and_audit_checked(db):
    yield
    assert_ledger_ok(db)
    with db() as s:
        assert verify_chain(s).ok


def resolve(client, auth, line_id, action, role="finance", **body):
    return client.post(f"/api/v1/reconciliation/lines/{line_id}/{action}", json=body, headers=auth(role))


def undo(client, auth, resolution_id, reason="nhầm"):
    return client.post(f"/api/v1/reconciliation/resolutions/{resolution_id}/undo", json={"reason": reason},
                       headers=auth("finance"))


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


def assert_settled(client, auth, line_id, reason) -> None:
    """The line reads as done everywhere: not an open unmatched credit in the list, summary or queue."""
    line = line_now(client, auth, line_id)
    assert (line["status"], line["score"], line["allocations"]) == ("matched", 100, []), line
    assert reason in line["reasons"] and "no_code" not in line["reasons"], line
    assert line_id not in listed_statuses(client, auth, "unmatched")
    assert line_id in listed_statuses(client, auth, "matched")
    assert summary_statuses(client, auth) == {"matched": 1}
    assert open_line_exceptions(client, auth, line_id) == []


def assert_open_again(client, auth, line_id) -> None:
    line = line_now(client, auth, line_id)
    assert (line["status"], line["score"]) == ("unmatched", 0), line
    assert "no_code" in line["reasons"], line
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


def close_day(client, auth, day=DAY):
    asked = client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance"))
    assert asked.status_code == 202, asked.json
    approved = client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))
    assert approved.status_code == 200, approved.json
    return approved.json


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
