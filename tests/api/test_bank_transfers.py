"""Bank-transfer callbacks (SePay, payOS, bank push): verified, applied exactly once, nothing lost."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from payments.ledger import LedgerEntry
from payments.models import Payment
from tests.factories import make_request, send_callback, signed


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def request_status(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json


def payments(db):
    with db() as s:
        return s.execute(select(Payment).order_by(Payment.id)).scalars().all()


def inbox(db):
    with db() as s:
        return s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars().all()


@pytest.mark.parametrize("via,reply", [("bank", {"received": True}), ("sepay", {"success": True}),
                                       ("payos", {"success": True})])
def test_a_full_transfer_pays_the_request(client, auth, test_settings, via, reply):
    code = make_request(client, auth)
    r = send_callback(client, test_settings, via, code=code, amount=100_000)
    assert r.status_code == 200 and r.json == reply
    status = request_status(client, code)
    assert (status["status"], status["paid_vnd"], status["outstanding_vnd"]) == ("paid", 100_000, 0)
    listed = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    assert len(listed) == 1
    p = listed[0]
    assert p["channel"] == "vietqr_transfer" and p["amount_vnd"] == 100_000 and p["status"] == "active"
    assert p["provider_ref"] and p["received_at"] and p["id"]


def test_the_same_callback_twice_counts_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    for _ in range(2):
        r = send_callback(client, test_settings, "bank", code=code, amount=100_000, txn_id="FT26001")
        assert r.status_code == 200
    assert len(payments(db)) == 1
    assert [c.status for c in inbox(db)] == ["applied", "duplicate"]
    assert request_status(client, code)["paid_vnd"] == 100_000


def test_a_repeated_id_with_another_amount_is_a_conflict_for_finance_not_a_payment(client, auth, test_settings, db):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=40_000, txn_id="FT26002")
    r = send_callback(client, test_settings, "bank", code=code, amount=90_000, txn_id="FT26002")
    assert r.status_code == 200
    assert request_status(client, code)["paid_vnd"] == 40_000
    conflicts = client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]
    assert len(conflicts) == 1 and "FT26002" in conflicts[0]["reason"]


def test_a_bad_signature_is_refused_recorded_and_writes_nothing_else(client, auth, test_settings, db):
    code = make_request(client, auth)
    headers, body = signed(test_settings, "HCCPAY_POS_WEBHOOK_SECRET",  # the wrong secret
                           {"transaction_id": "X1", "account_number": "0071001234567", "amount_vnd": 100_000,
                            "content": code, "booked_at": now_utc().isoformat(), "direction": "credit"})
    r = client.post("/api/v1/callbacks/bank", data=body, headers=headers)
    assert r.status_code == 401 and r.json["code"] == "invalid_signature"
    [row] = inbox(db)
    assert row.status == "rejected" and "does not match" in row.reason and row.body == body
    assert payments(db) == []
    rejected = client.get("/api/v1/finance/rejected-callbacks", headers=auth("auditor")).json["callbacks"]
    assert [c["id"] for c in rejected] == [row.id]


def test_a_stale_timestamp_is_refused(client, auth, test_settings, db):
    code = make_request(client, auth)
    r = send_callback(client, test_settings, "bank", code=code, amount=100_000,
                      at=now_utc() - timedelta(seconds=301))
    assert r.status_code == 401 and "tolerance" in r.json["message"]
    assert payments(db) == []


def test_a_wrong_sepay_api_key_is_refused_with_success_false(client, auth, test_settings, db):
    code = make_request(client, auth)
    r = client.post("/api/v1/callbacks/sepay", data=b'{"id": 1}',
                    headers={"Content-Type": "application/json", "Authorization": "Apikey nope"})
    assert r.status_code == 401 and r.json["success"] is False and r.json["code"] == "invalid_api_key"
    assert [c.status for c in inbox(db)] == ["rejected"]
    assert request_status(client, code)["paid_vnd"] == 0


def test_a_forged_payos_signature_is_refused(client, auth, test_settings, db):
    code = make_request(client, auth)

    def forge(body):
        data = json.loads(body)
        data["data"]["amount"] = 1_000_000
        return json.dumps(data).encode()

    r = send_callback(client, test_settings, "payos", code=code, amount=100_000, mutate=forge)
    assert r.status_code == 401 and r.json["success"] is False
    assert payments(db) == []


@pytest.mark.parametrize("amount,code", [(0, "amount_out_of_range"), (-5000, "amount_out_of_range"),
                                         (1.5, "invalid_amount"), ("100000", "invalid_amount"),
                                         (True, "invalid_amount"), (10**12 + 1, "amount_out_of_range")])
def test_impossible_amounts_are_refused_and_kept(client, auth, test_settings, db, amount, code):
    pay_code = make_request(client, auth)
    headers, body = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET",
                           {"transaction_id": "A1", "account_number": "0071001234567", "amount_vnd": amount,
                            "content": pay_code, "booked_at": now_utc().isoformat(), "direction": "credit"})
    r = client.post("/api/v1/callbacks/bank", data=body, headers=headers)
    assert r.status_code == 400 and r.json["code"] == code
    assert [c.status for c in inbox(db)] == ["rejected"] and payments(db) == []


def test_a_malformed_body_is_refused_and_kept_raw(client, test_settings, db):
    headers, _ = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET", {})
    from kernel.signing import HEADER, sign

    body = b"{not json"
    headers[HEADER] = sign([test_settings.secret("HCCPAY_BANK_WEBHOOK_SECRET")], body, int(now_utc().timestamp()))
    r = client.post("/api/v1/callbacks/bank", data=body, headers=headers)
    assert r.status_code == 400 and r.json["code"] == "malformed_json"
    assert inbox(db)[0].body == body


def test_transfers_to_other_accounts_and_debits_are_recorded_and_ignored(client, auth, test_settings, db):
    code = make_request(client, auth)
    for account, direction in (("999999999", "credit"), ("0071001234567", "debit")):
        headers, body = signed(test_settings, "HCCPAY_BANK_WEBHOOK_SECRET",
                               {"transaction_id": f"{account}{direction}", "account_number": account,
                                "amount_vnd": 100_000, "content": code, "booked_at": now_utc().isoformat(),
                                "direction": direction})
        assert client.post("/api/v1/callbacks/bank", data=body, headers=headers).status_code == 200
    assert [c.status for c in inbox(db)] == ["ignored", "ignored"]
    assert payments(db) == [] and request_status(client, code)["paid_vnd"] == 0


def test_partial_payments_accumulate_then_overpayment_makes_it_overpaid(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 60_000), ("Phí", "fee", 40_000))
    send_callback(client, test_settings, "bank", code=code, amount=30_000)
    assert request_status(client, code)["status"] == "partially_paid"
    send_callback(client, test_settings, "sepay", code=code, amount=70_000)
    assert request_status(client, code)["status"] == "paid"
    send_callback(client, test_settings, "payos", code=code, amount=5_000)
    status = request_status(client, code)
    assert (status["status"], status["paid_vnd"], status["outstanding_vnd"]) == ("overpaid", 105_000, 0)
    events = client.get(f"/api/v1/payment-requests/{code}/events", headers=auth("auditor")).json["events"]
    assert [e["to_status"] for e in events] == ["pending", "partially_paid", "paid", "overpaid"]


def test_money_for_an_unknown_code_or_no_code_waits_in_suspense(client, auth, test_settings, db):
    from payments.codes import new_code

    send_callback(client, test_settings, "bank", code=new_code(), amount=50_000)
    send_callback(client, test_settings, "bank", code="-", amount=20_000, memo="chuyen tien le phi ho so dat dai")
    suspense = client.get("/api/v1/finance/suspense", headers=auth("finance")).json
    assert suspense["total_vnd"] == 70_000
    assert sorted(p["suspense_reason"] for p in suspense["payments"]) == ["no_code", "unknown_code"]


def test_a_memo_with_a_typo_pays_the_one_open_request_it_can_mean(client, auth, test_settings):
    code = make_request(client, auth)
    digits = code[2:]
    typo = code[:2] + digits[:3] + str((int(digits[3]) + 1) % 10) + digits[4:]
    r = send_callback(client, test_settings, "bank", code=code, amount=100_000,
                      memo=f"MBVCB.3278907687.{typo[:2]} {typo[2:7]} {typo[7:]}.CT tu 0123 NGUYEN VAN AN")
    assert r.status_code == 200
    assert request_status(client, code)["status"] == "paid"


def test_money_after_expiry_or_cancellation_goes_to_suspense_and_finance_assigns_it(client, auth, test_settings, db):
    cancelled = make_request(client, auth)
    client.post(f"/api/v1/payment-requests/{cancelled}/cancel", json={"reason": "rút hồ sơ"}, headers=auth("intake"))
    send_callback(client, test_settings, "bank", code=cancelled, amount=100_000)
    assert request_status(client, cancelled)["paid_vnd"] == 0
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    assert waiting["suspense_reason"] == "request_closed"
    target = make_request(client, auth)
    refused = client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign",
                          json={"payment_code": target, "reason": "x"}, headers=auth("auditor"))
    assert refused.status_code == 403
    no_reason = client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign",
                            json={"payment_code": target}, headers=auth("finance"))
    assert no_reason.status_code == 400
    r = client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign",
                    json={"payment_code": target, "reason": "Công dân nộp nhầm mã hồ sơ đã hủy"},
                    headers=auth("finance"))
    assert r.status_code == 200 and r.json["unallocated_vnd"] == 0
    assert request_status(client, target)["status"] == "paid"
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["total_vnd"] == 0
    to_cancelled = client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign",
                               json={"payment_code": cancelled, "reason": "x"}, headers=auth("finance"))
    assert to_cancelled.status_code == 409
    from kernel.audit import AuditEntry

    with db() as s:
        [entry] = s.query(AuditEntry).filter(AuditEntry.action == "suspense.assign").all()
    assert entry.reason == "Công dân nộp nhầm mã hồ sơ đã hủy"


def test_a_released_allocation_goes_back_to_suspense(client, auth, test_settings):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    allocation_id = payment["allocations"][0]["id"]
    r = client.post(f"/api/v1/finance/allocations/{allocation_id}/release", json={"reason": "nhầm hồ sơ"},
                    headers=auth("finance"))
    assert r.status_code == 200 and r.json["unallocated_vnd"] == 100_000
    assert request_status(client, code)["status"] == "pending"


def test_every_payment_posts_one_balanced_entry(client, auth, test_settings, db):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    with db() as s:
        assert s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == 1


@pytest.mark.parametrize("other", ["unknown", "cancelled", "mistyped"])
def test_money_a_memo_names_for_a_code_that_cannot_take_it_waits_in_suspense_not_on_the_other_code(
        client, auth, test_settings, other):
    from payments.codes import new_code

    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    if other == "unknown":
        second = new_code()
    elif other == "mistyped":  # one digit off a cancelled request: no open request it can be read as
        cancelled = make_request(client, auth, ("Lệ phí", "charge", 50_000))
        assert client.post(f"/api/v1/payment-requests/{cancelled}/cancel", json={"reason": "Rút hồ sơ"},
                           headers=auth("intake")).status_code == 200
        second = cancelled[:-1] + str((int(cancelled[-1]) + 1) % 10)
    else:
        second = make_request(client, auth, ("Lệ phí", "charge", 50_000))
        assert client.post(f"/api/v1/payment-requests/{second}/cancel", json={"reason": "Rút hồ sơ"},
                           headers=auth("intake")).status_code == 200
    send_callback(client, test_settings, "bank", code=code, amount=100_000, memo=f"{code} {second}")
    request = client.get(f"/api/v1/payment-requests/{code}").json
    assert (request["status"], request["paid_vnd"]) == ("paid", 50_000)
    suspense = client.get("/api/v1/finance/suspense", headers=auth("finance")).json
    assert suspense["total_vnd"] == 50_000
    assert [p["suspense_reason"] for p in suspense["payments"]] == [
        {"unknown": "unknown_code", "cancelled": "request_closed", "mistyped": "unresolved_code"}[other]]


def test_money_in_suspense_comes_with_the_open_requests_it_may_have_paid(client, auth, test_settings):
    owing = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    make_request(client, auth, ("Lệ phí", "charge", 90_000))  # owes another amount: never suggested
    send_callback(client, test_settings, "bank", code="-", amount=70_000, memo="NGUYEN VAN AN chuyen tien le phi")
    send_callback(client, test_settings, "bank", code="-", amount=33_000, memo="chuyen tien")
    suspense = client.get("/api/v1/finance/suspense", headers=auth("finance")).json
    assert (suspense["total_vnd"], suspense["count"]) == (103_000, 2)
    by_amount = {p["amount_vnd"]: p["suggestions"] for p in suspense["payments"]}  # always there, [] for none
    assert by_amount[33_000] == []
    [suggested] = by_amount[70_000]
    assert suggested["payment_code"] == owing and suggested["amount_vnd"] == 70_000
    assert suggested["reasons"] == ["amount_equals_outstanding", "payer_name_matches_applicant",
                                    "paid_while_request_open"]
    oldest = client.get("/api/v1/finance/suspense?limit=1", headers=auth("finance")).json
    assert (oldest["total_vnd"], oldest["count"], len(oldest["payments"])) == (103_000, 2, 1)
    assert oldest["payments"][0]["amount_vnd"] == 70_000
    page = client.get("/staff/finance/suspense", headers=auth("finance")).get_data(as_text=True)
    assert "Gợi ý" in page and owing in page
    assert client.get("/api/v1/finance/suspense?limit=0", headers=auth("finance")).status_code == 400


def test_a_leftover_beside_a_match_has_no_suggestions_but_the_key_is_there(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    make_request(client, auth, ("Lệ phí", "charge", 20_000))  # owes exactly the leftover
    send_callback(client, test_settings, "bank", code=f"{code} HS00000000097", amount=70_000)
    [payment] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    assert payment["unallocated_vnd"] == 20_000 and payment["suggestions"] == []
