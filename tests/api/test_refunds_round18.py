"""Round 18: refunds name what they refund; amounts at the edges; a cash refund of an earlier day."""
import pytest

from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def paid(client, auth, settings, amount, pay, via="bank"):
    """A payment of `pay` that arrived without a code (in suspense), `amount` of it assigned to a request's
    fee: the rest waits in suspense on the same payment."""
    send_callback(client, settings, via, code="-", amount=pay, memo="nop le phi")
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    assigned = client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign", headers=auth("finance"),
                           json={"payment_code": code, "amount_vnd": amount, "reason": "Của hồ sơ này",
                                 "expected_unallocated_vnd": pay})
    assert assigned.status_code == 200, assigned.json
    return code, waiting["id"]


def refund(client, auth, payment_id, amount, expected, reason="Hồ sơ bị từ chối"):
    return client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"),
                       json={"amount_vnd": amount, "expected_refundable_vnd": expected, "reason": reason})


def request_json(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json


@pytest.mark.parametrize("via", ["bank", "pos"])
def test_a_later_refund_approved_first_does_not_take_the_excess_an_earlier_one_named(client, auth, test_settings,
                                                                                       via):
    # 3,000,000 of fees paid with 6,000,000: the excess waits in suspense. Finance asks back the excess
    # (A), then part of the fee (B); both wait for an approver, who decides B first.
    code, payment_id = paid(client, auth, test_settings, 3_000_000, 6_000_000, via=via)
    a = refund(client, auth, payment_id, 3_000_000, 6_000_000, reason="Nộp thừa")
    b = refund(client, auth, payment_id, 1_000_000, 3_000_000, reason="Rút một phần hồ sơ")
    assert (a.status_code, b.status_code) == (201, 201), (a.json, b.json)
    assert a.json["status"] == b.json["status"] == "awaiting_approval"
    # Each names what it refunds when asked: A the excess (suspense), B the fee (the request).
    assert a.json["parts"] == [{"payment_request_id": None, "amount_vnd": 3_000_000}]
    assert [p["amount_vnd"] for p in b.json["parts"]] == [1_000_000]
    assert b.json["parts"][0]["payment_request_id"] is not None
    approved = client.post(f"/api/v1/refunds/{b.json['id']}/approve", json={}, headers=auth("approver"))
    assert approved.status_code == 200, approved.json
    assert approved.json["parts"] == b.json["parts"]  # the fee, not the excess A named
    view = request_json(client, code)
    assert (view["status"], view["refunded_vnd"]) == ("partially_refunded", 1_000_000)
    rejected = client.post(f"/api/v1/refunds/{a.json['id']}/reject", json={"reason": "Chờ xác minh"},
                           headers=auth("approver"))
    assert rejected.json["status"] == "rejected"
    suspense = client.get("/api/v1/finance/suspense", headers=auth("finance")).json
    assert suspense["total_vnd"] == 3_000_000  # the excess is still there to decide
    left = client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json
    assert left["refundable_vnd"] == 5_000_000


def test_approving_in_the_order_asked_takes_the_same_money(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, 3_000_000, 6_000_000)
    a = refund(client, auth, payment_id, 3_000_000, 6_000_000, reason="Nộp thừa").json
    b = refund(client, auth, payment_id, 1_000_000, 3_000_000, reason="Rút một phần hồ sơ").json
    for r in (a, b):
        assert client.post(f"/api/v1/refunds/{r['id']}/approve", json={}, headers=auth("approver")).status_code == 200
    view = request_json(client, code)
    assert (view["status"], view["refunded_vnd"]) == ("partially_refunded", 1_000_000)
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refundable_vnd"] \
        == 2_000_000


def test_a_refund_asked_before_refunds_named_their_parts_is_named_at_its_approval(client, auth, test_settings, db):
    from sqlalchemy import delete

    from payments.refunds import RefundPart
    code, payment_id = paid(client, auth, test_settings, 3_000_000, 6_000_000)
    a = refund(client, auth, payment_id, 4_000_000, 6_000_000, reason="Nộp thừa").json
    with db() as s, s.begin():  # as stored before round 18: waiting, naming nothing
        s.execute(delete(RefundPart).where(RefundPart.refund_id == a["id"]))
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refundable_vnd"] \
        == 2_000_000
    assigned = client.post(f"/api/v1/finance/suspense/{payment_id}/assign", headers=auth("finance"),
                           json={"payment_code": code, "amount_vnd": 1, "reason": "Thử",
                                 "expected_unallocated_vnd": 3_000_000})
    assert assigned.status_code == 409 and assigned.json["code"] == "suspense_claimed_by_refund"
    approved = client.post(f"/api/v1/refunds/{a['id']}/approve", json={}, headers=auth("approver")).json
    assert [(p["payment_request_id"] is None, p["amount_vnd"]) for p in approved["parts"]] == [
        (True, 3_000_000), (False, 1_000_000)]
    assert request_json(client, code)["refunded_vnd"] == 1_000_000


def test_suspense_beside_a_waiting_refund_that_names_a_fee_can_be_decided(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, 3_000_000, 6_000_000)
    a = refund(client, auth, payment_id, 3_000_000, 6_000_000, reason="Nộp thừa").json
    b = refund(client, auth, payment_id, 2_500_000, 3_000_000, reason="Rút hồ sơ").json
    client.post(f"/api/v1/refunds/{a['id']}/reject", json={"reason": "Không hoàn"}, headers=auth("approver"))
    # B waits and names the fee: the suspense it does not name is free to assign
    other = make_request(client, auth, ("Phí", "fee", 3_000_000))
    assigned = client.post(f"/api/v1/finance/suspense/{payment_id}/assign", headers=auth("finance"),
                           json={"payment_code": other, "amount_vnd": 3_000_000, "reason": "Của hồ sơ khác",
                                 "expected_unallocated_vnd": 3_000_000})
    assert assigned.status_code == 200, assigned.json
    approved = client.post(f"/api/v1/refunds/{b['id']}/approve", json={}, headers=auth("approver"))
    assert approved.status_code == 200 and approved.json["parts"] == b["parts"]
    assert request_json(client, code)["refunded_vnd"] == 2_500_000


@pytest.mark.parametrize("amount, code", [(True, "invalid_amount"), (1.5, "invalid_amount"), (-1, "amount_out_of_range"),
                                          ("1000", "invalid_amount"), (None, "missing_field")])
def test_an_amount_that_is_not_a_positive_whole_number_of_dong_is_refused(client, auth, test_settings, amount, code):
    from tests.api.test_refunds import paid as paid_once
    _, payment_id = paid_once(client, auth, test_settings)
    r = refund(client, auth, payment_id, amount, 100_000)
    assert r.status_code == 400 and r.json["code"] == code, r.json
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refunds"] == []


def test_after_a_partial_refund_no_more_than_the_rest_can_be_refunded(client, auth, test_settings):
    from tests.api.test_refunds import paid as paid_once
    code, payment_id = paid_once(client, auth, test_settings)
    assert refund(client, auth, payment_id, 60_000, 100_000).status_code == 201
    over = refund(client, auth, payment_id, 40_001, 40_000)
    assert over.status_code == 400 and over.json["code"] == "amount_exceeds_refundable"
    assert over.json["details"] == {"refundable_vnd": 40_000}
    assert refund(client, auth, payment_id, 40_000, 40_000).status_code == 201
    assert request_json(client, code)["status"] == "refunded"
    none_left = refund(client, auth, payment_id, 1, 0)
    assert none_left.status_code == 400 and none_left.json["code"] == "amount_exceeds_refundable"
