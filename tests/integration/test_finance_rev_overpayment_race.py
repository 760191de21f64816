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


def test_of_two_simultaneous_confirmations_of_the_same_amount_the_second_is_stale(app, client, auth, db,
                                                                                  test_settings):
    # Both were shown "owes 30.000 ₫" and confirmed it: the first overpays by what it saw, the second finds the
    # request paid meanwhile (the check reads it under the credit's lock) and is asked again, never overpaying
    # by more than its person confirmed.
    from tests.factories import send_callback
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    assert send_callback(client, test_settings, "bank", code=code, amount=70_000).status_code == 200
    body = upload(client, auth, vcb_csv(("82.1", "", "50.000", "tien 1"), ("82.2", "", "50.000", "tien 2"))).json
    lines = all_lines(client, auth, body["import_id"])

    def match(line):
        return lambda c: c.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
                                json={"reason": "đối chiếu", "payment_code": code, "amount_vnd": 50_000,
                                      "confirm_overpayment": True, "confirmed_outstanding_vnd": {code: 30_000}})

    responses = at_once(app, [match(line) for line in lines])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.json for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json["code"] == "confirmation_stale" and refused.json["details"]["outstanding_by_code"] == {code: 0}
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 120_000
    assert_ledger_ok(db)
