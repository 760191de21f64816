"""Refunds are bounded by what is refundable and by the largest sum of real money (MAX_MONEY_VND), not by
the 500,000,000 VND a payment request may ask: money above it arrives (statement lines, callbacks)."""
from kernel.money import MAX_MONEY_VND, MAX_REQUEST_VND
from tests.factories import assert_ledger_ok
from tests.recon_factories import upload, vcb_csv


def _suspense_payment_of(client, auth, amount_text: str) -> int:
    r = upload(client, auth, vcb_csv(("FT26328000001", "", amount_text, "CONG TY A CHUYEN NHAM")))
    assert r.status_code in (200, 201, 202), r.json
    [payment] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    return payment["id"]


def test_a_payment_above_the_request_cap_can_be_refunded_in_part_then_in_full(client, auth, db):
    payment_id = _suspense_payment_of(client, auth, "600.000.000")
    url = f"/api/v1/payments/{payment_id}/refunds"
    assert client.get(url, headers=auth("finance")).json["refundable_vnd"] == 600_000_000
    part = client.post(url, headers=auth("finance"), json={
        "amount_vnd": 300_000_000, "expected_refundable_vnd": 600_000_000, "reason": "Chuyển nhầm"})
    assert part.status_code == 201, part.json
    assert part.json["amount_vnd"] == 300_000_000
    rest = client.post(url, headers=auth("finance"), json={
        "amount_vnd": 300_000_000, "expected_refundable_vnd": 300_000_000, "reason": "Chuyển nhầm"})
    assert rest.status_code == 201, rest.json
    assert client.get(url, headers=auth("finance")).json["refundable_vnd"] == 0
    for refund in (part.json, rest.json):  # above the threshold: an approver moves it out of suspense
        approved = client.post(f"/api/v1/refunds/{refund['id']}/approve", headers=auth("approver"), json={})
        assert approved.status_code == 200 and approved.json["status"] == "transfer_ordered", approved.json
    suspense = client.get("/api/v1/finance/suspense", headers=auth("finance")).json
    assert suspense["total_vnd"] == 0
    assert_ledger_ok(db)


def test_more_than_is_refundable_is_refused_as_such(client, auth, db):
    payment_id = _suspense_payment_of(client, auth, "600.000.000")
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"), json={
        "amount_vnd": 600_000_001, "expected_refundable_vnd": 600_000_000, "reason": "Chuyển nhầm"})
    assert r.status_code == 400 and r.json["code"] == "amount_exceeds_refundable"


def test_an_amount_no_money_can_be_is_refused_with_the_shared_bound(client, auth, db):
    payment_id = _suspense_payment_of(client, auth, "600.000.000")
    for field, body in (("amount_vnd", {"amount_vnd": MAX_MONEY_VND + 1, "expected_refundable_vnd": 600_000_000}),
                        ("expected_refundable_vnd", {"amount_vnd": 1, "expected_refundable_vnd": MAX_MONEY_VND + 1})):
        r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                        json={**body, "reason": "Chuyển nhầm"})
        assert r.status_code == 400 and r.json["code"] == "amount_out_of_range", r.json
        assert r.json["details"] == {"field": field, "minimum": 1 if field == "amount_vnd" else 0,
                                     "maximum": MAX_MONEY_VND}


def test_the_largest_sum_of_money_is_above_every_bound_money_can_arrive_under():
    assert MAX_REQUEST_VND < MAX_MONEY_VND < 2**53  # exact as a JSON number, far inside BIGINT
