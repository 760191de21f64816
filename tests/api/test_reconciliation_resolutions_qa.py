"""Finance's decisions on statement lines, found wanting by QA: partial refunds, undoing refunds,
undo restoring exactly what was there before, and what `ignore` may be used for."""
import pytest
from sqlalchemy import func, select, update

from kernel.audit import verify_chain
from payments.models import Payment
from payments.refunds import Refund
from tests.factories import assert_ledger_ok, make_request
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
