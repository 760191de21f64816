"""A statement whose credit column holds a negative amount is refused whole, naming the line."""
from tests.recon_factories import count_payments, upload, vcb_csv


def test_a_negative_credit_refuses_the_upload_with_a_typed_error_and_stores_nothing(client, auth, db):
    r = upload(client, auth, vcb_csv(("5000.1", "", "30.000", "ung ho"), ("5000.2", "", "-30.000", "hoan")))
    assert r.status_code == 400 and (r.json["code"], r.json["details"]["line_no"]) == ("invalid_amount", 2), r.json
    assert count_payments(db) == 0
    assert client.get("/api/v1/reconciliation/statements", headers=auth("finance")).json["imports"] == []
