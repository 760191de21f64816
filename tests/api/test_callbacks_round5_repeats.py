"""A transaction id received again must say what it said the first time. A repeat with another
amount, or whose memo names other payment codes, contradicts the first report: it is a conflict for
finance, never new money and never a silent duplicate, also when the first report was linked to a
payment another feed (or the bank statement) had already made for the same transfer."""
import json
import threading

import pytest
from sqlalchemy import func, select

from kernel.books import hold_books
from kernel.clock import VN_TZ, now_utc
from kernel.db import unit_of_work
from kernel.inbox import InboundCallback, take_one_queued
from payments import inbox_apply
from payments.channels import payos
from payments.channels.common import event_from_json
from payments.inbox_apply import apply_queued
from payments.models import Payment
from tests.factories import make_request, signed
from tests.locks import wait_until_blocked
from tests.recon_factories import bank_callback, upload, vcb_csv


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def local_now():
    return now_utc().astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")


def sepay(client, settings, *, id_, memo, amount=100_000, ref="FT26330000002"):
    data = {"id": id_, "gateway": "Vietcombank", "transactionDate": local_now(),
            "accountNumber": settings.collection_account("*").account_number, "code": None, "content": memo,
            "transferType": "in", "transferAmount": amount, "accumulated": 0, "subAccount": None,
            "referenceCode": ref, "description": ""}
    r = client.post("/api/v1/callbacks/sepay", data=json.dumps(data).encode(), headers={
        "Content-Type": "application/json", "Authorization": f"Apikey {settings.secret('HCCPAY_SEPAY_API_KEY')}"})
    assert r.status_code == 200, r.json
    return r


def payos_report(client, settings, *, memo, amount=100_000, ref="FT26330000002"):
    data = {"orderCode": 5001, "amount": amount, "description": memo,
            "accountNumber": settings.collection_account("*").account_number, "reference": ref,
            "transactionDateTime": local_now(), "currency": "VND", "paymentLinkId": "124c33293c43417ab7879e14c8d9eb18",
            "code": "00", "desc": "success", "counterAccountName": "NGUYEN VAN AN"}
    body = {"code": "00", "desc": "success", "success": True, "data": data,
            "signature": payos.sign(data, settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))}
    r = client.post("/api/v1/callbacks/payos", data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.json
    return r


def bank(client, settings, *, txn, memo, amount=100_000):
    data = {"transaction_id": txn, "account_number": settings.collection_account("*").account_number,
            "amount_vnd": amount, "content": memo, "booked_at": now_utc().isoformat(), "direction": "credit"}
    headers, body = signed(settings, "HCCPAY_BANK_WEBHOOK_SECRET", data)
    r = client.post("/api/v1/callbacks/bank", data=body, headers=headers)
    assert r.status_code == 200, r.json
    return r


def stored(db):
    with db() as s:
        return [(row.provider, row.status, row.reason)
                for row in s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars()]


def money(db):
    with db() as s:
        return s.execute(select(func.count(), func.coalesce(func.sum(Payment.amount_vnd), 0))
                         .select_from(Payment)).one()


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]


# --- finding 1: a repeat of a callback linked to another feed's payment ---------------------

def test_a_linked_report_repeated_with_another_amount_is_a_conflict_not_new_money(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    payos_report(client, test_settings, memo=f"{code} nop phi")
    sepay(client, test_settings, id_=5002, memo=f"{code} nop phi")
    assert stored(db)[-1][1] == "duplicate"  # linked to payOS's payment
    sepay(client, test_settings, id_=5002, memo=f"{code} nop phi", amount=90_000)
    provider, status, reason = stored(db)[-1]
    assert (provider, status) == ("sepay", "conflict")
    assert "5002" in reason and "100000" in reason and "90000" in reason
    assert money(db) == (1, 100_000) and paid(client, code) == 100_000
    assert [c["reason"] for c in conflicts(client, auth)] == [reason]


def test_a_linked_report_repeated_with_another_amount_and_reference_is_still_a_conflict(
        client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    payos_report(client, test_settings, memo=f"{code} nop phi")
    sepay(client, test_settings, id_=5002, memo=f"{code} nop phi")
    sepay(client, test_settings, id_=5002, memo=f"{code} nop phi", amount=90_000, ref="FT26330000777")
    assert stored(db)[-1][1] == "conflict"
    assert money(db) == (1, 100_000)


def test_a_linked_report_repeated_as_it_was_is_still_a_harmless_duplicate(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    payos_report(client, test_settings, memo=f"{code} nop phi")
    for _ in range(3):
        sepay(client, test_settings, id_=5002, memo=f"{code} nop phi")
    assert [status for _, status, _ in stored(db)] == ["applied", "duplicate", "duplicate", "duplicate"]
    assert "payment" in stored(db)[-1][2]
    assert money(db) == (1, 100_000) and conflicts(client, auth) == []


def test_a_linked_report_and_its_altered_repeat_in_one_worker_batch(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    payos_report(client, test_settings, memo=f"{code} nop phi")
    plain = client.queued_only()
    sepay(plain, test_settings, id_=5002, memo=f"{code} nop phi")
    sepay(plain, test_settings, id_=5002, memo=f"{code} nop phi", amount=90_000)
    runtime = client.application.extensions["hccpay"]
    assert apply_queued(runtime.sessions, runtime.settings) == 2
    assert [status for _, status, _ in stored(db)] == ["applied", "duplicate", "conflict"]
    assert money(db) == (1, 100_000)


def test_an_altered_repeat_applied_while_its_first_report_is_being_linked_waits_for_it(
        client, auth, test_settings, db, engine):
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    payos_report(client, test_settings, memo=f"{code} nop phi")
    plain = client.queued_only()
    sepay(plain, test_settings, id_=5002, memo=f"{code} nop phi")
    sepay(plain, test_settings, id_=5002, memo=f"{code} nop phi", amount=90_000, ref="FT26330000777")
    with db() as s:
        first_id, repeat_id = s.execute(select(InboundCallback.id).where(InboundCallback.status == "queued")
                                        .order_by(InboundCallback.id)).scalars().all()
    other = threading.Thread(target=inbox_apply._apply_one, args=(db, test_settings, repeat_id))
    with unit_of_work(db) as s:  # one worker links the first report, not yet committed
        hold_books(s)
        row = take_one_queued(s, first_id)
        inbox_apply._apply_rows(s, [(first_id, row.received_at, event_from_json(row.event))], test_settings)
        other.start()  # another worker takes the repeat (another reference: no reference lock in common)
        wait_until_blocked(engine, other)
    other.join()
    assert [status for _, status, _ in stored(db)] == ["applied", "duplicate", "conflict"]
    assert money(db) == (1, 100_000)


def test_a_report_linked_to_a_statement_payment_repeated_with_another_amount_is_a_conflict(
        client, auth, test_settings, db):
    upload(client, auth, vcb_csv(("5555.2", "", "45.000", "TRAN THI BINH - nop tien")))
    bank_callback(client, test_settings, "CB-SUSP", 45_000, "TRAN THI BINH nop tien")
    assert stored(db)[-1][1] == "duplicate"  # linked to the statement's payment, by amount and memo
    bank_callback(client, test_settings, "CB-SUSP", 40_000, "TRAN THI BINH nop tien")
    provider, status, reason = stored(db)[-1]
    assert status == "conflict" and "45000" in reason and "40000" in reason
    assert money(db) == (1, 45_000)


def test_a_second_feeds_report_of_a_statement_payment_repeated_with_another_amount_names_that_payment(
        client, auth, test_settings, db):
    """SePay announced the line's payment first; the bank's report, by code, is its feed's claim on it
    (`other_feeds`): repeated with another amount it is a conflict naming that payment."""
    code = make_request(client, auth)
    today = now_utc().astimezone(VN_TZ).strftime("%d/%m/%Y")  # the callbacks below are booked now
    upload(client, auth, vcb_csv(("5555.3", "", "100.000", f"{code} nop phi"), day=today))
    sepay(client, test_settings, id_=5010, memo=f"{code} nop phi", ref="5555.3")
    bank(client, test_settings, txn="BK5010", memo=f"{code} nop phi")
    assert [status for _, status, _ in stored(db)] == ["duplicate", "duplicate"]
    with db() as s:
        [payment_id] = s.execute(select(Payment.id)).scalars()
    bank(client, test_settings, txn="BK5010", memo=f"{code} nop phi", amount=90_000)
    provider, status, reason = stored(db)[-1]
    assert status == "conflict" and f"linked to payment {payment_id}" in reason, reason
    assert money(db) == (1, 100_000) and paid(client, code) == 100_000


# --- finding 7: a repeat whose memo names other payment codes -------------------------------

@pytest.mark.parametrize("via", ["bank", "sepay"])
def test_a_repeat_naming_another_payment_code_is_a_conflict(client, auth, test_settings, db, via):
    first, other = make_request(client, auth), make_request(client, auth)
    send = (lambda memo: bank(client, test_settings, txn="BK5003", memo=memo)) if via == "bank" else \
        (lambda memo: sepay(client, test_settings, id_=5003, memo=memo))
    send(f"{first} nop phi")
    send(f"{other} nop phi")
    provider, status, reason = stored(db)[-1]
    assert status == "conflict" and first in reason and other in reason
    assert paid(client, first) == 100_000 and paid(client, other) == 0
    assert len(conflicts(client, auth)) == 1


@pytest.mark.parametrize("via", ["bank", "sepay"])
def test_a_repeat_whose_memo_reads_differently_but_names_the_same_code_is_a_duplicate(
        client, auth, test_settings, db, via):
    code = make_request(client, auth)
    send = (lambda memo: bank(client, test_settings, txn="BK5004", memo=memo)) if via == "bank" else \
        (lambda memo: sepay(client, test_settings, id_=5004, memo=memo))
    send(f"{code} nop phi")
    send(f"MBVCB.123.{code.lower()}.CT tu 0123")
    assert [status for _, status, _ in stored(db)] == ["applied", "duplicate"]
    assert conflicts(client, auth) == []


def test_a_repeat_of_a_linked_report_naming_another_code_is_a_conflict(client, auth, test_settings, db):
    code, other = make_request(client, auth), make_request(client, auth)
    payos_report(client, test_settings, memo=f"{code} nop phi")
    sepay(client, test_settings, id_=5002, memo=f"{code} nop phi")
    sepay(client, test_settings, id_=5002, memo=f"{other} nop phi")
    assert stored(db)[-1][1] == "conflict"
    assert paid(client, other) == 0 and money(db) == (1, 100_000)
