"""Finance's decisions on statement lines, found wanting by QA: partial refunds, undoing refunds,
undo restoring exactly what was there before, and what `ignore` may be used for."""
import pytest
from sqlalchemy import func, select, update

from payments.models import Payment
from payments.refunds import Refund
from tests.factories import make_request
from tests.recon_factories import all_lines, resolve, undo, upload, vcb_csv

DAY = "2026-11-24"


pytestmark = pytest.mark.usefixtures("ledger_and_audit_checked")


def line_of(client, auth, *rows):
    body = upload(client, auth, vcb_csv(*rows)).json
    return all_lines(client, auth, body["import_id"])


def suspense_line(client, auth, amount=100_000, ref="S.1"):
    [line] = line_of(client, auth, (ref, "", f"{amount:,}".replace(",", "."), "chuyen tien khong ro"))
    return line


def paid_line(client, auth, amount=50_000, ref="P.1"):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    [line] = line_of(client, auth, (ref, "", f"{amount:,}".replace(",", "."), f"nop {code}"))
    assert line["status"] == "matched", line
    return code, line


def suspense_total(client, auth):
    return client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"]


def refund_of(client, auth, resolution):
    return client.get(f"/api/v1/refunds/{resolution['data']['refund_id']}", headers=auth("finance")).json


def shown(client, auth, line_id):
    """What finance sees of a line (status, score, reasons, allocations, money left)."""
    line = client.get(f"/api/v1/reconciliation/lines/{line_id}", headers=auth("finance")).json
    return {k: line[k] for k in ("status", "score", "reasons", "allocations", "unallocated_vnd")}


def payment_state(db, payment_id):
    with db() as s:
        p = s.get(Payment, payment_id)
        return p.unallocated_vnd, p.suspense_reason


def refund_count(db):
    with db() as s:
        return s.execute(select(func.count()).select_from(Refund)).scalar_one()


# --- 1. the refund amount ---------------------------------------------------------------

def test_a_refund_of_part_of_the_suspense_refunds_only_that_amount(client, auth, db):
    line = suspense_line(client, auth)
    r = resolve(client, auth, line["id"], "refund", reason="hoàn một phần", amount_vnd=5_000)
    assert r.status_code == 201, r.json
    assert r.json["resolution"]["data"]["amount_vnd"] == 5_000
    refund = refund_of(client, auth, r.json["resolution"])
    assert (refund["amount_vnd"], refund["status"]) == (5_000, "transfer_ordered")
    assert suspense_total(client, auth) == 95_000
    assert r.json["line"]["unallocated_vnd"] == 95_000


def test_a_refund_without_amount_refunds_what_is_in_suspense(client, auth, db):
    line = suspense_line(client, auth, 20_000)
    r = resolve(client, auth, line["id"], "refund", reason="hoàn")
    assert r.status_code == 201 and refund_of(client, auth, r.json["resolution"])["amount_vnd"] == 20_000
    assert suspense_total(client, auth) == 0


@pytest.mark.parametrize("amount, code", [(True, "invalid_amount"), (1.5, "invalid_amount"),
                                          (5000.0, "invalid_amount"), ("5000", "invalid_amount"),
                                          ([5000], "invalid_amount"), (0, "amount_out_of_range"),
                                          (-5_000, "amount_out_of_range"), (10**15, "amount_out_of_range")])
def test_a_refund_amount_that_is_not_a_positive_whole_number_of_dong_is_a_400(client, auth, db, amount, code):
    line = suspense_line(client, auth)
    r = resolve(client, auth, line["id"], "refund", reason="hoàn", amount_vnd=amount)
    assert r.status_code == 400 and r.json["code"] == code, r.json
    assert r.json["details"]["field"] == "amount_vnd"
    assert refund_count(db) == 0 and suspense_total(client, auth) == 100_000


def test_a_refund_above_what_the_line_can_still_refund_is_refused(client, auth, db):
    line = suspense_line(client, auth)
    r = resolve(client, auth, line["id"], "refund", reason="hoàn", amount_vnd=100_001)
    assert r.status_code == 400 and r.json["code"] == "amount_exceeds_refundable", r.json
    assert r.json["details"]["refundable_vnd"] == 100_000
    assert resolve(client, auth, line["id"], "refund", reason="hoàn", amount_vnd=60_000).status_code == 201
    r = resolve(client, auth, line["id"], "refund", reason="hoàn", amount_vnd=40_001)
    assert r.status_code == 400 and r.json["details"]["refundable_vnd"] == 40_000
    assert refund_count(db) == 1 and suspense_total(client, auth) == 40_000


def test_a_line_matched_to_a_request_is_refunded_in_part_from_the_request_when_given_an_amount(client, auth, db):
    code, line = paid_line(client, auth)
    nothing = resolve(client, auth, line["id"], "refund", reason="hoàn")
    assert nothing.status_code == 409 and nothing.json["code"] == "nothing_in_suspense"
    assert "amount_vnd" in nothing.json["message"]
    r = resolve(client, auth, line["id"], "refund", reason="thu thừa", amount_vnd=20_000)
    assert r.status_code == 201, r.json
    refund = refund_of(client, auth, r.json["resolution"])
    assert refund["amount_vnd"] == 20_000 and [p["amount_vnd"] for p in refund["parts"]] == [20_000]
    request = client.get(f"/api/v1/payment-requests/{code}").json
    assert (request["paid_vnd"], request["refunded_vnd"]) == (50_000, 20_000)
    assert suspense_total(client, auth) == 0


# --- 2. undoing a refund ----------------------------------------------------------------

def test_undoing_a_refund_whose_transfer_is_not_executed_cancels_it_and_puts_the_money_back(client, auth, db):
    line = suspense_line(client, auth)
    before = shown(client, auth, line["id"]), payment_state(db, line["payment_id"])
    r = resolve(client, auth, line["id"], "refund", reason="hoàn", amount_vnd=30_000)
    assert refund_of(client, auth, r.json["resolution"])["status"] == "transfer_ordered"
    done = undo(client, auth, r.json["resolution"]["id"], reason="người nộp rút đề nghị")
    assert done.status_code == 200, done.json
    refund = refund_of(client, auth, r.json["resolution"])
    assert refund["status"] == "failed" and "người nộp rút đề nghị" in refund["failure"]
    assert (shown(client, auth, line["id"]), payment_state(db, line["payment_id"])) == before
    assert suspense_total(client, auth) == 100_000
    executed = client.post(f"/api/v1/refunds/{refund['id']}/executed", json={"bank_reference": "FT1"},
                           headers=auth("finance"))
    assert executed.status_code == 409  # a cancelled order can no longer be paid out


def test_undoing_a_refund_from_a_request_gives_the_request_its_money_back(client, auth, db):
    code, line = paid_line(client, auth)
    before = shown(client, auth, line["id"]), client.get(f"/api/v1/payment-requests/{code}").json["status"]
    r = resolve(client, auth, line["id"], "refund", reason="thu thừa", amount_vnd=20_000)
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    request = client.get(f"/api/v1/payment-requests/{code}").json
    assert (request["paid_vnd"], request["refunded_vnd"]) == (50_000, 0)
    assert (shown(client, auth, line["id"]), request["status"]) == before


def test_undoing_a_refund_still_awaiting_approval_rejects_it(client, auth, db):
    line = suspense_line(client, auth, 3_000_000)  # above the approval threshold
    r = resolve(client, auth, line["id"], "refund", reason="hoàn")
    assert refund_of(client, auth, r.json["resolution"])["status"] == "awaiting_approval"
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert refund_of(client, auth, r.json["resolution"])["status"] == "rejected"
    assert suspense_total(client, auth) == 3_000_000


def test_undoing_an_approved_refund_not_yet_paid_out_cancels_it(client, auth, db):
    line = suspense_line(client, auth, 3_000_000)
    r = resolve(client, auth, line["id"], "refund", reason="hoàn")
    refund_id = r.json["resolution"]["data"]["refund_id"]
    assert client.post(f"/api/v1/refunds/{refund_id}/approve", headers=auth("approver")).status_code == 200
    assert suspense_total(client, auth) == 0
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert refund_of(client, auth, r.json["resolution"])["status"] == "failed"
    assert suspense_total(client, auth) == 3_000_000


def test_a_refund_already_paid_out_cannot_be_undone_and_the_answer_says_why(client, auth, db):
    line = suspense_line(client, auth)
    r = resolve(client, auth, line["id"], "refund", reason="hoàn", amount_vnd=10_000)
    refund_id = r.json["resolution"]["data"]["refund_id"]
    assert client.post(f"/api/v1/refunds/{refund_id}/executed", json={"bank_reference": "FT26112400001"},
                       headers=auth("finance")).status_code == 200
    refused = undo(client, auth, r.json["resolution"]["id"])
    assert refused.status_code == 409 and refused.json["code"] == "refund_executed", refused.json
    assert "FT26112400001" in refused.json["message"]
    assert refused.json["details"]["refund_status"] == "executed"
    detail = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert detail["resolutions"][-1]["undone_at"] is None and suspense_total(client, auth) == 90_000


def test_undoing_a_refund_someone_already_rejected_only_withdraws_the_decision(client, auth, db):
    line = suspense_line(client, auth, 3_000_000)
    r = resolve(client, auth, line["id"], "refund", reason="hoàn")
    refund_id = r.json["resolution"]["data"]["refund_id"]
    assert client.post(f"/api/v1/refunds/{refund_id}/reject", json={"reason": "không đủ hồ sơ"},
                       headers=auth("approver")).status_code == 200
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    refund = refund_of(client, auth, r.json["resolution"])
    assert (refund["status"], refund["failure"]) == ("rejected", "không đủ hồ sơ")
    assert suspense_total(client, auth) == 3_000_000


# --- 3. undo restores exactly what was there --------------------------------------------

def test_undoing_a_write_off_restores_the_reason_the_money_was_in_suspense(client, auth, db):
    line = suspense_line(client, auth, 5_000)
    before = shown(client, auth, line["id"]), payment_state(db, line["payment_id"])
    assert before[1] == (5_000, "no_code")
    r = resolve(client, auth, line["id"], "write-off", reason="nhỏ")
    assert r.json["resolution"]["data"]["previous_reason"] == "no_code"
    assert payment_state(db, line["payment_id"]) == (0, "written_off")
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert (shown(client, auth, line["id"]), payment_state(db, line["payment_id"])) == before
    kinds = [(e["kind"], e["details"].get("reason")) for e in client.get(
        f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json["exceptions"]
        if e["line_id"] == line["id"]]
    assert ("unmatched_credit", "no_code") in kinds


def test_a_late_payment_written_off_and_undone_is_late_again(client, auth, db):
    line = suspense_line(client, auth, 5_000)
    with db() as s, s.begin():  # as record_credits leaves money that came for a closed request
        s.execute(update(Payment).where(Payment.id == line["payment_id"]).values(suspense_reason="request_closed"))
    r = resolve(client, auth, line["id"], "write-off", reason="quá hạn, không liên lạc được")
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert payment_state(db, line["payment_id"]) == (5_000, "request_closed")
    kinds = {e["kind"] for e in client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions",
                                           headers=auth("finance")).json["exceptions"] if e["line_id"] == line["id"]}
    assert "late" in kinds and "unmatched_credit" not in kinds


def test_a_partial_write_off_leaves_the_rest_with_its_reason_and_undo_restores_all(client, auth, db):
    line = suspense_line(client, auth, 10_000)
    before = shown(client, auth, line["id"]), payment_state(db, line["payment_id"])
    r = resolve(client, auth, line["id"], "write-off", reason="phí ngân hàng", amount_vnd=3_000)
    assert payment_state(db, line["payment_id"]) == (7_000, "no_code")
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert (shown(client, auth, line["id"]), payment_state(db, line["payment_id"])) == before


def test_undoing_a_manual_match_restores_the_line_as_it_was(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    line = suspense_line(client, auth)
    before = shown(client, auth, line["id"]), payment_state(db, line["payment_id"])
    r = resolve(client, auth, line["id"], "match", reason="khách xác nhận",
                allocations=[{"payment_code": code, "amount_vnd": 100_000}])
    assert r.status_code == 201 and payment_state(db, line["payment_id"]) == (0, None)
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert (shown(client, auth, line["id"]), payment_state(db, line["payment_id"])) == before
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "pending"


def test_undoing_a_partial_manual_match_keeps_the_reason_of_what_stayed_in_suspense(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 60_000))
    line = suspense_line(client, auth)
    before = shown(client, auth, line["id"]), payment_state(db, line["payment_id"])
    r = resolve(client, auth, line["id"], "match", reason="một phần", allocations=[{"payment_code": code,
                                                                                 "amount_vnd": 60_000}])
    assert payment_state(db, line["payment_id"]) == (40_000, "no_code")
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert (shown(client, auth, line["id"]), payment_state(db, line["payment_id"])) == before


def test_undoing_an_unmatch_restores_the_allocations_as_they_were_found(client, auth, db):
    code, line = paid_line(client, auth)
    before = shown(client, auth, line["id"]), payment_state(db, line["payment_id"])
    assert before[0]["allocations"][0]["how"] == "exact" and "code_verified" in before[0]["reasons"]
    r = resolve(client, auth, line["id"], "unmatch", reason="nhầm")
    assert payment_state(db, line["payment_id"]) == (50_000, "released")
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert (shown(client, auth, line["id"]), payment_state(db, line["payment_id"])) == before
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"


def test_a_match_whose_unmatch_was_undone_can_still_be_undone_even_after_two_rounds(client, auth, db):
    first, second = (make_request(client, auth, ("Lệ phí", "charge", amount)) for amount in (40_000, 60_000))
    line = suspense_line(client, auth)
    before = shown(client, auth, line["id"]), payment_state(db, line["payment_id"])
    match = resolve(client, auth, line["id"], "match", reason="khách gọi xác nhận",
                    allocations=[{"payment_code": first, "amount_vnd": 40_000},
                                 {"payment_code": second, "amount_vnd": 60_000}]).json["resolution"]
    for _ in range(2):  # each undone unmatch re-creates the allocations under new ids
        unmatch = resolve(client, auth, line["id"], "unmatch", reason="nhầm").json["resolution"]
        assert undo(client, auth, unmatch["id"], "hoàn tác").status_code == 200
        assert [client.get(f"/api/v1/payment-requests/{c}").json["status"] for c in (first, second)] == \
            ["paid", "paid"]
    r = undo(client, auth, match["id"], "hoàn tác khớp")
    assert r.status_code == 200, r.json
    assert (shown(client, auth, line["id"]), payment_state(db, line["payment_id"])) == before
    assert [client.get(f"/api/v1/payment-requests/{c}").json["status"] for c in (first, second)] == \
        ["pending", "pending"]


def test_undoing_an_ignore_restores_the_line(client, auth, db):
    [line] = line_of(client, auth, ("D.1", "11.000", "", "phi quan ly tai khoan"))
    before = shown(client, auth, line["id"])
    r = resolve(client, auth, line["id"], "ignore", reason="phí ngân hàng")
    assert r.status_code == 201, r.json
    assert undo(client, auth, r.json["resolution"]["id"]).status_code == 200
    assert shown(client, auth, line["id"]) == before


# --- 4. ignore ----------------------------------------------------------------------------

def test_a_line_whose_money_paid_a_request_cannot_be_ignored_until_unmatched(client, auth, db):
    code, line = paid_line(client, auth)
    r = resolve(client, auth, line["id"], "ignore", reason="chuyển nội bộ")
    assert r.status_code == 409 and r.json["code"] == "line_has_allocations", r.json
    assert "unmatch" in r.json["message"]
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"
    assert shown(client, auth, line["id"])["status"] == "matched"
    assert resolve(client, auth, line["id"], "unmatch", reason="không phải tiền lệ phí").status_code == 201
    waiting = resolve(client, auth, line["id"], "ignore", reason="chuyển nội bộ")  # now it waits in suspense
    assert waiting.status_code == 409 and waiting.json["code"] == "money_in_suspense", waiting.json


def test_a_line_is_ignored_once(client, auth, db):
    [line] = line_of(client, auth, ("D.1", "11.000", "", "phi quan ly tai khoan"))
    first = resolve(client, auth, line["id"], "ignore", reason="lãi tiền gửi")
    again = resolve(client, auth, line["id"], "ignore", reason="lần hai")
    assert again.status_code == 409 and again.json["code"] == "already_ignored", again.json
    assert again.json["details"]["resolution_id"] == first.json["resolution"]["id"]
    assert undo(client, auth, first.json["resolution"]["id"]).status_code == 200
    assert resolve(client, auth, line["id"], "ignore", reason="lần hai").status_code == 201


def test_an_ignored_line_is_not_matched_until_the_ignore_is_undone(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    line = suspense_line(client, auth)
    # given back from the refunds desk (not a decision on the line): nothing of it is left in suspense
    refund = client.post(f"/api/v1/payments/{line['payment_id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 100_000, "expected_refundable_vnd": 100_000, "reason": "trả lại"}).json
    ignored = resolve(client, auth, line["id"], "ignore", reason="không phải của trung tâm")
    assert ignored.status_code == 201, ignored.json
    r = resolve(client, auth, line["id"], "match", reason="thật ra là lệ phí",
                allocations=[{"payment_code": code, "amount_vnd": 100_000}])
    assert r.status_code == 409 and r.json["code"] == "line_ignored", r.json
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0
    assert undo(client, auth, ignored.json["resolution"]["id"]).status_code == 200
    assert client.post(f"/api/v1/refunds/{refund['id']}/failed", headers=auth("finance"),
                       json={"reason": "không chuyển được"}).status_code == 200  # the money is back in suspense
    assert resolve(client, auth, line["id"], "match", reason="thật ra là lệ phí",
                   allocations=[{"payment_code": code, "amount_vnd": 100_000}]).status_code == 201


def test_a_debit_line_can_be_ignored(client, auth, db):
    [line] = line_of(client, auth, ("D.1", "11.000", "", "phi quan ly tai khoan"))
    r = resolve(client, auth, line["id"], "ignore", reason="phí ngân hàng")
    assert r.status_code == 201 and r.json["line"]["status"] == "ignored"
