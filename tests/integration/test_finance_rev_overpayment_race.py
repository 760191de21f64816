"""Two finance users matching two lines onto one request at once, each for what it owes: the second is
asked to confirm the overpayment (the check reads the request under the lock the credit takes), never
overpaid silently (run on PostgreSQL with real row locks; SQLite serialises writers)."""
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_reconciliation_concurrency import at_once
from tests.recon_factories import all_lines, upload, vcb_csv


def test_the_second_of_two_simultaneous_exact_matches_asks_for_confirmation(app, client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("81.1", "", "100.000", "tien 1"), ("81.2", "", "100.000", "tien 2"))).json
    lines = all_lines(client, auth, body["import_id"])

    def match(line):
        return lambda c: c.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
                                json={"reason": "đối chiếu", "payment_code": code, "amount_vnd": 100_000})

    responses = at_once(app, [match(line) for line in lines])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json["code"] == "confirmation_required" and refused.json["details"]["outstanding_vnd"] == 0
    request = client.get(f"/api/v1/payment-requests/{code}").json
    assert (request["paid_vnd"], request["status"]) == (100_000, "paid")
    assert_ledger_ok(db)
