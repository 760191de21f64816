"""QA round 13, two finance users at once (PostgreSQL row locks; SQLite serialises writers and passes the
same assertions): one request matched from two lines, a write-off racing a match, one exception
acknowledged twice, a decision racing the close."""
from sqlalchemy import func, select

from payments.models import PaymentAllocation
from reconciliation.models import Resolution
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_reconciliation_concurrency import at_once
from tests.recon_factories import all_lines, upload, vcb_csv

DAY = "2026-11-24"


def decide(auth, line_id: int, action: str, **body):
    return lambda c: c.post(f"/api/v1/reconciliation/lines/{line_id}/{action}", headers=auth("finance"),
                            json={"reason": "đối chiếu", **body})


def test_one_request_matched_from_two_lines_at_once_is_paid_once(app, client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("A", "", "100.000", "chuyen tien"), ("B", "", "100.000", "nop phi"))).json
    first, second = all_lines(client, auth, body["import_id"])
    allocations = [{"payment_code": code, "amount_vnd": 100_000}]
    responses = at_once(app, [decide(auth, first["id"], "match", allocations=allocations),
                              decide(auth, second["id"], "match", allocations=allocations)])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    assert next(r for r in responses if r.status_code == 409).json["code"] == "confirmation_required"
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000
    assert_ledger_ok(db)


def test_a_write_off_and_a_match_of_one_line_at_once_move_its_money_once(app, client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("A", "", "100.000", "chuyen tien"))).json
    [line] = all_lines(client, auth, body["import_id"])
    responses = at_once(app, [decide(auth, line["id"], "match",
                                     allocations=[{"payment_code": code, "amount_vnd": 100_000}]),
                              decide(auth, line["id"], "write-off")])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    paid = client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]
    with db() as s:
        decisions = s.execute(select(func.count()).select_from(Resolution)).scalar_one()
        allocated = s.execute(select(func.count()).select_from(PaymentAllocation).where(
            PaymentAllocation.released_at.is_(None))).scalar_one()
    assert decisions == 1 and (paid, allocated) in ((100_000, 1), (0, 0))
    assert_ledger_ok(db)


def test_one_exception_acknowledged_by_two_people_at_once_is_acknowledged_once(app, client, auth, db):
    body = upload(client, auth, vcb_csv(("A", "", "100.000", "chuyen tien"))).json
    [line] = all_lines(client, auth, body["import_id"])
    key = f"line:{line['id']}:unmatched_credit"

    def acknowledge(c):
        return c.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{key}/acknowledge", headers=auth("finance"),
                      json={"reason": "chờ ngân hàng xác minh"})

    responses = at_once(app, [acknowledge, acknowledge])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    assert next(r for r in responses if r.status_code == 409).json["code"] == "already_acknowledged"


def test_a_decision_racing_the_approval_lands_before_the_close_or_is_refused(app, client, auth, db):
    body = upload(client, auth, vcb_csv(("A", "", "100.000", "chuyen tien"), ("B", "", "50.000", "lai"))).json
    first, second = all_lines(client, auth, body["import_id"])
    for line in (first, second):
        assert client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/line:{line['id']}:unmatched_credit/"
                           "acknowledge", headers=auth("finance"), json={"reason": "chờ xác minh"}).status_code == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    approve = lambda c: c.post(f"/api/v1/reconciliation/days/{DAY}/close/approve",  # noqa: E731
                               headers=auth("approver"))
    approved, written = at_once(app, [approve, decide(auth, first["id"], "write-off")])
    assert approved.status_code == 200, approved.json
    frozen = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("finance")).json
    written_off = {r["agency_code"]: r["amount_vnd"] for r in frozen["totals"]["by_agency"]}.get("written_off", 0)
    if written.status_code == 201:  # before the close: in the frozen day
        assert written_off == 100_000
    else:
        assert written.json["code"] == "day_closed" and written_off == 0
    assert_ledger_ok(db)
