"""Refunds: the 412 guard, approval by someone else, card/transfer/cash payouts, ledger after each."""
import threading

import pytest
import requests

from api import build_worker
from kernel.clock import now_utc
from kernel.errors import Forbidden
from payments import refunds
from sandbox.bank import create_bank_app
from sandbox.server import serve_in_thread
from tests.factories import make_request, send_callback, signed


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def paid(client, auth, settings, amount=100_000, pay=None, via="bank"):
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    send_callback(client, settings, via, code=code, amount=pay or amount)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    return code, payment["id"]


def refund(client, auth, payment_id, amount, expected, role="finance", reason="Hồ sơ bị từ chối"):
    return client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth(role),
                       json={"amount_vnd": amount, "expected_refundable_vnd": expected, "reason": reason})


def request_json(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json


def test_an_overpayment_is_refunded_by_a_transfer_order_finance_marks_executed(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, pay=105_000)
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refundable_vnd"] == 105_000
    r = refund(client, auth, payment_id, 5_000, 105_000, reason="Nộp thừa")
    assert r.status_code == 201 and r.json["status"] == "transfer_ordered" and r.json["method"] == "transfer"
    assert (request_json(client, code)["status"], request_json(client, code)["refunded_vnd"]) == ("paid", 5_000)
    no_ref = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={}, headers=auth("finance"))
    assert no_ref.status_code == 400
    done = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT26330001"},
                       headers=auth("finance"))
    assert done.json["status"] == "executed" and done.json["reference"] == "FT26330001"
    again = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT26330001"},
                        headers=auth("finance"))
    assert again.status_code == 200  # told twice: harmless
    other = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT26339999"},
                        headers=auth("finance"))
    assert other.status_code == 409 and other.json["code"] == "refund_reference_differs"
    assert other.json["details"] == {"reference": "FT26330001"}


def test_a_stale_expected_refundable_amount_is_a_412(client, auth, test_settings):
    _, payment_id = paid(client, auth, test_settings)
    assert refund(client, auth, payment_id, 10_000, 100_000).status_code == 201
    stale = refund(client, auth, payment_id, 10_000, 100_000)
    assert stale.status_code == 412 and stale.json["code"] == "refundable_changed"
    assert stale.json["details"]["refundable_vnd"] == 90_000


def test_more_than_refundable_or_bad_amounts_are_refused(client, auth, test_settings):
    _, payment_id = paid(client, auth, test_settings)
    assert refund(client, auth, payment_id, 100_001, 100_000).json["code"] == "amount_exceeds_refundable"
    assert refund(client, auth, payment_id, 1.5, 100_000).json["code"] == "invalid_amount"
    assert refund(client, auth, payment_id, 0, 100_000).json["code"] == "amount_out_of_range"
    assert refund(client, auth, payment_id, 1_000, 100_000, role="cashier").status_code == 403
    assert refund(client, auth, 999_999, 1_000, 0).status_code == 404


def test_a_full_refund_above_the_threshold_waits_for_an_approver(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, amount=3_000_000)
    r = refund(client, auth, payment_id, 3_000_000, 3_000_000)
    assert r.status_code == 201 and r.json["status"] == "awaiting_approval"
    assert request_json(client, code)["status"] == "paid"  # nothing moved yet
    assert client.post(f"/api/v1/refunds/{r.json['id']}/approve", headers=auth("finance")).status_code == 403
    approved = client.post(f"/api/v1/refunds/{r.json['id']}/approve", headers=auth("approver"))
    assert approved.status_code == 200 and approved.json["status"] == "transfer_ordered"
    assert request_json(client, code)["status"] == "refunded"


def test_an_approver_can_reject_with_a_reason(client, auth, test_settings):
    _, payment_id = paid(client, auth, test_settings, amount=2_500_000)
    r = refund(client, auth, payment_id, 2_500_000, 2_500_000)
    assert client.post(f"/api/v1/refunds/{r.json['id']}/reject", json={}, headers=auth("approver")).status_code == 400
    rejected = client.post(f"/api/v1/refunds/{r.json['id']}/reject", json={"reason": "Chưa đủ căn cứ"},
                           headers=auth("approver"))
    assert rejected.json["status"] == "rejected"
    again = refund(client, auth, payment_id, 1_000, 2_500_000)  # a rejected refund claims nothing
    assert again.status_code == 201


def test_the_person_who_asked_cannot_approve(client, auth, test_settings, db):
    _, payment_id = paid(client, auth, test_settings, amount=3_000_000)
    asked = refund(client, auth, payment_id, 3_000_000, 3_000_000).json
    # A person may hold both roles (finance and approver): the rule is about the person, not the role.
    with db() as s, s.begin():
        with pytest.raises(Forbidden) as err:
            refunds.decide(s, refund_id=asked["id"], approve=True, reason=None, settings=test_settings,
                           actor=asked["requested_by"], now=now_utc())
    assert err.value.code == "same_person"
    assert client.get(f"/api/v1/refunds/{asked['id']}", headers=auth("finance")).json["status"] == "awaiting_approval"


def test_a_bounced_transfer_gives_the_money_back_to_the_request(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings)
    r = refund(client, auth, payment_id, 40_000, 100_000)
    assert request_json(client, code)["status"] == "partially_refunded"
    failed = client.post(f"/api/v1/refunds/{r.json['id']}/failed", json={"reason": "Sai số tài khoản"},
                         headers=auth("finance"))
    assert failed.json["status"] == "failed"
    assert request_json(client, code)["status"] == "paid" and request_json(client, code)["refunded_vnd"] == 0


def test_money_in_suspense_can_be_refunded(client, auth, test_settings):
    send_callback(client, test_settings, "bank", code="-", amount=20_000, memo="chuyen nham")
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    r = refund(client, auth, waiting["id"], 20_000, 20_000, reason="Chuyển nhầm")
    assert r.status_code == 201 and r.json["parts"] == [{"payment_request_id": None, "amount_vnd": 20_000}]
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 0


def test_cash_refunds_are_handed_over_by_a_cashier(client, auth):
    code = make_request(client, auth)
    cash = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000},
                       headers=auth("cashier")).json
    r = refund(client, auth, cash["id"], 100_000, 100_000)
    assert r.json["status"] == "cash_due"
    wrong = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={}, headers=auth("finance"))
    assert wrong.status_code == 403
    done = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={}, headers=auth("cashier"))
    assert done.json["status"] == "executed"
    [drawer] = client.get("/api/v1/cash/drawers", headers=auth("cashier")).json["drawers"]
    assert drawer["balance_vnd"] == 0


def test_a_reversed_payment_has_nothing_to_refund(client, auth, test_settings):
    code = make_request(client, auth)
    for data in ({"transaction_id": "S1", "type": "sale"}, {"transaction_id": "V1", "type": "void",
                                                           "original_transaction_id": "S1"}):
        headers, body = signed(test_settings, "HCCPAY_POS_WEBHOOK_SECRET", {
            "terminal_id": "T1", "amount_vnd": 100_000, "payment_code": code, "card_masked": "970436******1234",
            "occurred_at": now_utc().isoformat(), **data})
        client.post("/api/v1/callbacks/pos", data=body, headers=headers)
    payment_id = client.get("/api/v1/finance/suspense", headers=auth("finance")).json  # nothing in suspense
    assert payment_id["total_vnd"] == 0
    from sqlalchemy import select

    from payments.models import Payment

    with client.application.extensions["hccpay"].sessions() as s:
        reversed_id = s.execute(select(Payment.id)).scalar_one()
    assert refund(client, auth, reversed_id, 1, 0).json["code"] == "amount_exceeds_refundable"


# --- over real HTTP: races and the card acquirer ---------------------------------------


def test_two_refunds_with_the_same_expectation_at_once_one_succeeds_one_412(served, tokens, test_settings, client,
                                                                             auth):
    _, payment_id = paid(client, auth, test_settings)
    url = served.url
    barrier, results = threading.Barrier(2), []

    def ask():
        barrier.wait()
        r = requests.post(f"{url}/api/v1/payments/{payment_id}/refunds", timeout=30,
                          headers={"Authorization": f"Bearer {tokens['finance']}"},
                          json={"amount_vnd": 60_000, "expected_refundable_vnd": 100_000, "reason": "đồng thời"})
        results.append(r.status_code)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 412]


def test_a_card_refund_goes_through_the_acquirer_once_even_when_it_was_down(served, test_settings, client, auth, db):
    url, app = served.url, served.app
    acquirer = serve_in_thread(create_bank_app(test_settings, url))
    try:
        settings = test_settings.with_overrides(pos_gateway_url=f"{acquirer.url}/pos")
        code, payment_id = paid(client, auth, test_settings, via="pos")
        requests.post(f"{acquirer.url}/pos/_control", json={"mode": "down"}, timeout=5)
        r = refund(client, auth, payment_id, 100_000, 100_000)
        assert r.json["status"] == "sending"
        worker = build_worker(settings, db)
        worker.outbox.topics = {"pos.refund": worker.outbox.topics["pos.refund"]}
        worker.outbox.drain()
        assert client.get(f"/api/v1/refunds/{r.json['id']}", headers=auth("finance")).json["status"] == "sending"
        requests.post(f"{acquirer.url}/pos/_control", json={"mode": "ok"}, timeout=5)
        from kernel.outbox import OutboxMessage

        with db() as s, s.begin():  # the retry is due now, not in 30 s
            s.query(OutboxMessage).update({"next_attempt_at": now_utc()})
        worker.outbox.drain()
        done = client.get(f"/api/v1/refunds/{r.json['id']}", headers=auth("finance")).json
        assert done["status"] == "executed" and done["reference"].startswith("RF")
        assert len(requests.get(f"{acquirer.url}/pos/refunds", timeout=5).json()["refunds"]) == 1
        assert request_json(client, code)["status"] == "refunded"
    finally:
        acquirer.stop()


def test_a_card_refund_whose_outcome_the_acquirer_never_told_stays_sending_through_every_retry(
        served, test_settings, client, auth, db):
    from kernel.outbox import OutboxMessage

    acquirer = serve_in_thread(create_bank_app(test_settings, served.url))
    try:
        settings = test_settings.with_overrides(pos_gateway_url=f"{acquirer.url}/pos")
        code, payment_id = paid(client, auth, test_settings, via="pos")
        requests.post(f"{acquirer.url}/pos/_control", json={"mode": "down"}, timeout=5)
        r = refund(client, auth, payment_id, 100_000, 100_000)
        worker = build_worker(settings, db)
        worker.outbox.topics = {"pos.refund": worker.outbox.topics["pos.refund"]}
        for _ in range(8):  # past the whole schedule (5 delays)
            with db() as s, s.begin():
                s.query(OutboxMessage).update({"next_attempt_at": now_utc()})
            worker.outbox.drain()
        assert client.get(f"/api/v1/refunds/{r.json['id']}", headers=auth("finance")).json["status"] == "sending"
        assert request_json(client, code)["status"] == "refunded"  # not payable, nor refundable, a second time
        with db() as s:
            [message] = s.query(OutboxMessage).filter_by(topic="pos.refund").all()
            assert message.status == "pending" and message.attempts == 8
    finally:
        acquirer.stop()


def test_a_card_refund_the_acquirer_refuses_fails_and_the_money_stays(served, test_settings, client, auth, db):
    url = served.url
    acquirer = serve_in_thread(create_bank_app(test_settings, url))
    try:
        settings = test_settings.with_overrides(pos_gateway_url=f"{acquirer.url}/pos")
        code, payment_id = paid(client, auth, test_settings, via="pos")
        requests.post(f"{acquirer.url}/pos/_control", json={"mode": "refuse"}, timeout=5)
        r = refund(client, auth, payment_id, 30_000, 100_000)
        build_worker(settings, db).outbox.drain()
        assert client.get(f"/api/v1/refunds/{r.json['id']}", headers=auth("finance")).json["status"] == "failed"
        assert request_json(client, code)["status"] == "paid"
    finally:
        acquirer.stop()


def test_the_pay_page_shows_what_was_refunded_so_its_amounts_add_up(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, pay=105_000)
    assert '<dt id="refunded-label" hidden>' in client.get(f"/pay/{code}").get_data(as_text=True)
    refund(client, auth, payment_id, 5_000, 105_000, reason="Nộp thừa")
    page = client.get(f"/pay/{code}").get_data(as_text=True)
    assert '<dt id="refunding-label">Đang hoàn trả</dt>' in page and '<dd id="refunding">5.000 ₫</dd>' in page
    assert '<dt id="refunded-label" hidden>' in page  # nothing has left yet
