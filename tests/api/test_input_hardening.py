"""Hostile or careless input: a clear 4xx with a stable code, never a 500, never a partial write,
and every refused callback kept with its reason."""
import itertools
import json

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from kernel.signing import HEADER, sign
from payments.channels import payos
from payments.models import Payment
from sandbox.bank import callback_request
from tests.factories import make_request, send_callback

_ids = itertools.count(1)
SECRET_OF = {"bank": "HCCPAY_BANK_WEBHOOK_SECRET", "pos": "HCCPAY_POS_WEBHOOK_SECRET"}
DATE_FIELD = {"bank": "booked_at", "sepay": "transactionDate", "payos": "transactionDateTime", "pos": "occurred_at"}
ID_FIELD = {"bank": "transaction_id", "sepay": "id", "pos": "transaction_id"}
DEEP_JSON = "[" * 100_000 + "]" * 100_000


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def inbox(db):
    with db() as s:
        return s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars().all()


def payments(db):
    with db() as s:
        return s.execute(select(Payment).order_by(Payment.id)).scalars().all()


def resign(settings, via: str, headers: dict, body: bytes) -> dict:
    """Headers that authenticate `body` on channel `via` (the signed ones sign the bytes)."""
    if via in SECRET_OF:
        return {**headers, HEADER: sign([settings.secret(SECRET_OF[via])], body, int(now_utc().timestamp()))}
    return headers


def callback(client, settings, via: str, *, code: str = "HS12345678978", amount: int = 100_000, **changes):
    """A correctly authenticated callback of channel `via` with some fields changed."""
    path, headers, body = callback_request(via, settings=settings, payment_code=code, amount_vnd=amount,
                                           txn_id=str(next(_ids) + 10**6), at=now_utc())
    data = json.loads(body)
    if via == "payos":  # payOS signs the `data` object, not the bytes
        data["data"].update(changes)
        data["signature"] = payos.sign(data["data"], settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))
    else:
        data.update(changes)
    body = json.dumps(data).encode()
    return client.post(path, data=body, headers=resign(settings, via, headers, body))


# --- 1. dates out of range ------------------------------------------------------------

@pytest.mark.parametrize("via", sorted(DATE_FIELD))
@pytest.mark.parametrize("when", ["0001-01-01 00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-05:00",
                                  "1970-01-01 07:00:00", "2101-01-01T00:00:00+00:00", "2026-13-45 00:00:00"])
def test_a_callback_dated_outside_2000_to_2100_is_refused_as_an_invalid_field(client, test_settings, db, via, when):
    r = callback(client, test_settings, via, **{DATE_FIELD[via]: when})
    assert r.status_code == 400, r.json
    assert r.json["code"] == "invalid_field" and r.json["details"] == {"field": DATE_FIELD[via]}
    [row] = inbox(db)
    assert row.status == "rejected" and row.reason.startswith("invalid_field")
    assert payments(db) == []


@pytest.mark.parametrize("value,code", [(12345, "invalid_field"), (["2026-11-25"], "invalid_field"),
                                        (None, "missing_field"), ("  ", "missing_field")])
def test_a_date_that_is_not_text_is_invalid_and_only_an_absent_one_is_missing(client, test_settings, db, value, code):
    r = callback(client, test_settings, "bank", booked_at=value)
    assert r.status_code == 400 and r.json["code"] == code
    assert [c.status for c in inbox(db)] == ["rejected"]


def test_a_date_at_the_edges_of_the_plausible_years_is_accepted(client, auth, test_settings):
    code = make_request(client, auth)
    for when in ("2000-01-01T00:00:00+00:00", "2100-12-31T23:59:59+00:00"):
        assert callback(client, test_settings, "bank", code=code, amount=1_000, booked_at=when).status_code == 200


# --- 2. JSON nested too deeply ----------------------------------------------------------

@pytest.mark.parametrize("via", ["bank", "sepay", "payos", "pos"])
def test_json_nested_too_deeply_is_malformed_on_every_callback_and_kept(client, test_settings, db, via):
    path, headers, _ = callback_request(via, settings=test_settings, payment_code="HS12345678978",
                                        amount_vnd=1_000, txn_id="1", at=now_utc())
    body = DEEP_JSON.encode()
    r = client.post(path, data=body, headers=resign(test_settings, via, headers, body))
    assert r.status_code == 400 and r.json["code"] == "malformed_json"
    [row] = inbox(db)
    assert row.status == "rejected" and row.body == body


@pytest.mark.parametrize("path,role", [("/api/v1/dossiers", "intake"), ("/api/v1/payments/cash", "cashier")])
def test_json_nested_too_deeply_is_malformed_on_the_api(client, auth, db, path, role):
    r = client.post(path, data=DEEP_JSON, headers={**auth(role), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "malformed_json"


# --- 5. transaction ids -----------------------------------------------------------------

@pytest.mark.parametrize("via", sorted(ID_FIELD))
@pytest.mark.parametrize("txn_id", ["", "   ", "x" * 101, "tab\there"])
def test_a_transaction_id_that_is_empty_too_long_or_unprintable_is_refused(client, test_settings, db, via, txn_id):
    r = callback(client, test_settings, via, **{ID_FIELD[via]: txn_id})
    assert r.status_code == 400 and r.json["code"] == "invalid_field"
    assert r.json["details"] == {"field": ID_FIELD[via]}
    assert [c.status for c in inbox(db)] == ["rejected"] and payments(db) == []


def test_two_sepay_transfers_with_empty_ids_are_both_refused_not_one_dropped_as_a_duplicate(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    for reference in ("FT1", "FT2"):
        r = callback(client, test_settings, "sepay", code=code, amount=10_000, id="", referenceCode=reference)
        assert r.status_code == 400 and r.json["success"] is False
    assert [c.status for c in inbox(db)] == ["rejected", "rejected"]  # both kept for finance, neither lost


@pytest.mark.parametrize("changes,field", [({"reference": "x" * 101}, "reference"),
                                           ({"reference": None, "orderCode": 1.5}, "orderCode"),
                                           ({"reference": "", "orderCode": "  "}, "orderCode")])
def test_a_payos_reference_or_order_code_that_cannot_be_an_id_is_refused(client, test_settings, db, changes, field):
    r = callback(client, test_settings, "payos", **changes)
    assert r.status_code == 400 and r.json["code"] == "invalid_field" and r.json["details"] == {"field": field}


def test_a_payos_transfer_without_a_reference_is_known_by_its_order_code(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert callback(client, test_settings, "payos", code=code, reference=None, orderCode=987654).status_code == 200
    assert [p.provider_ref for p in payments(db)] == ["order:987654"]


def test_a_payos_order_code_equal_to_another_transfers_reference_is_another_transfer(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert callback(client, test_settings, "payos", code=code, reference="", orderCode=999).status_code == 200
    assert callback(client, test_settings, "payos", code=code, reference="999", orderCode=1).status_code == 200
    assert sorted(p.provider_ref for p in payments(db)) == ["999", "order:999"]


@pytest.mark.parametrize("terminal", ["", "T" * 41])
def test_a_pos_terminal_id_must_fit_its_clearing_account(client, test_settings, db, terminal):
    r = callback(client, test_settings, "pos", terminal_id=terminal)
    assert r.status_code == 400 and r.json["details"] == {"field": "terminal_id"}


# --- 3. card numbers never stored -------------------------------------------------------

PAN = "9704361234561234"


def pos_sale(client, settings, **fields):
    data = {"transaction_id": f"P{next(_ids)}", "terminal_id": "POS-01", "type": "sale", "amount_vnd": 100_000,
            "payment_code": "HS12345678978", "approval_code": "123456", "card_masked": "970436******1234",
            "card_scheme": "NAPAS", "occurred_at": now_utc().isoformat()} | fields
    body = json.dumps(data).encode()
    return client.post("/api/v1/callbacks/pos", data=body, headers=resign(settings, "pos", {}, body)), body


@pytest.mark.parametrize("field", ["card_masked", "approval_code"])
def test_a_pos_callback_with_a_full_card_number_is_refused_and_kept_without_it(client, auth, test_settings, db,
                                                                               field):
    r, sent = pos_sale(client, test_settings, **{field: PAN})
    assert r.status_code == 400 and r.json["details"] == {"field": field}
    [row] = inbox(db)
    assert row.status == "rejected" and "redacted" in row.reason
    assert PAN.encode() not in row.body
    assert row.body == sent.replace(PAN.encode(), b"970436******1234")  # everything else byte for byte
    listed = client.get("/api/v1/finance/rejected-callbacks", headers=auth("finance"))
    assert listed.status_code == 200 and listed.json["callbacks"] and PAN not in listed.get_data(as_text=True)


def test_a_card_number_in_a_field_we_do_not_read_is_masked_in_the_stored_copy_of_an_accepted_sale(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    r, sent = pos_sale(client, test_settings, payment_code=code, receipt_note="card 9704 3612 3456 1234 ok")
    assert r.status_code == 200
    [row] = inbox(db)
    assert row.status == "applied" and "redacted" in row.reason
    assert row.body == sent.replace(b"9704 3612 3456 1234", b"9704 36** **** 1234")
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"


def test_other_channels_keep_long_account_numbers_as_sent(client, auth, test_settings, db):
    code = make_request(client, auth)
    r = callback(client, test_settings, "bank", code=code, counterparty_account="12010000123456789")
    assert r.status_code == 200
    [row] = inbox(db)
    assert b"12010000123456789" in row.body and row.reason is None


# --- 4. cash Idempotency-Key ------------------------------------------------------------

def take_cash(client, headers, code, amount, key):
    return client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                       headers={**headers, "Idempotency-Key": key})


def test_an_idempotency_key_reused_for_another_amount_or_request_is_refused_and_writes_nothing(
        client, auth, db):
    first_code, other_code = make_request(client, auth), make_request(client, auth)
    first = take_cash(client, auth("cashier"), first_code, 10_000, "k1")
    assert first.status_code == 201
    for code, amount in ((first_code, 20_000), (other_code, 10_000)):
        r = take_cash(client, auth("cashier"), code, amount, "k1")
        assert r.status_code == 422 and r.json["code"] == "idempotency_key_reused", r.json
    again = take_cash(client, auth("cashier"), first_code, 10_000, "k1")
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert [p.amount_vnd for p in payments(db)] == [10_000]
    assert client.get(f"/api/v1/payment-requests/{other_code}").json["paid_vnd"] == 0


def test_idempotency_keys_stay_apart_for_a_cashier_with_a_long_name(client, auth, db):
    from kernel.auth import create_token
    from kernel.db import unit_of_work

    with unit_of_work(db) as s:
        _, raw = create_token(s, role="cashier", name="Quầy 1 " + "x" * 190, actor="test", now=now_utc())
    code = make_request(client, auth)
    headers = {"Authorization": f"Bearer {raw}"}
    assert take_cash(client, headers, code, 1_000, "key-one").status_code == 201
    assert take_cash(client, headers, code, 1_000, "key-two").status_code == 201
    assert len(payments(db)) == 2


# --- 6. a POS void for another amount, whichever arrives first --------------------------

def pos_void(client, settings, original: str, amount: int, void_id: str | None = None):
    data = {"transaction_id": void_id or f"V{next(_ids)}", "terminal_id": "POS-01", "type": "void",
            "original_transaction_id": original, "amount_vnd": amount, "occurred_at": now_utc().isoformat()}
    body = json.dumps(data).encode()
    return client.post("/api/v1/callbacks/pos", data=body, headers=resign(settings, "pos", {}, body))


def conflicts(client, auth):
    return [(c["external_id"], c["reason"]) for c in
            client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]]


def test_a_void_for_another_amount_is_the_same_conflict_whether_it_comes_before_or_after_its_sale(
        client, auth, test_settings, db):
    sale_first, void_first = make_request(client, auth), make_request(client, auth)
    pos_sale(client, test_settings, transaction_id="S1", payment_code=sale_first)
    pos_void(client, test_settings, "S1", 5_000, void_id="V1")
    pos_void(client, test_settings, "S2", 5_000, void_id="V2")
    pos_sale(client, test_settings, transaction_id="S2", payment_code=void_first)

    for code in (sale_first, void_first):  # the sale stands in both orders
        assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"
    listed = dict(conflicts(client, auth))
    assert set(listed) == {"POS-01:V1", "POS-01:V2"}  # a sale is known by terminal and id
    assert listed["POS-01:V2"] == listed["POS-01:V1"]
    assert listed["POS-01:V2"].startswith("reversal_amount_mismatch: reversal of 5000 VND")


def test_a_void_and_its_sale_of_another_amount_applied_in_one_batch_still_leave_the_conflict(
        client, auth, test_settings, db):
    from payments.inbox_apply import apply_queued

    code = make_request(client, auth)
    plain = client.queued_only()  # both wait in the queue, then one worker batch takes them
    assert pos_void(plain, test_settings, "S3", 5_000, void_id="V3").status_code == 200
    assert pos_sale(plain, test_settings, transaction_id="S3", payment_code=code)[0].status_code == 200
    runtime = client.application.extensions["hccpay"]
    assert apply_queued(runtime.sessions, runtime.settings) == 2
    assert [(c.external_id, c.status) for c in inbox(db)] == [("POS-01:V3", "conflict"), ("POS-01:S3", "applied")]
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"


def test_a_void_of_itself_is_refused(client, test_settings, db):
    r = pos_void(client, test_settings, "V9", 100_000, void_id="V9")
    assert r.status_code == 400 and r.json["code"] == "invalid_field"
    assert r.json["details"] == {"field": "original_transaction_id"}


# --- 8. Unicode digits -------------------------------------------------------------------

@pytest.mark.parametrize("id_number", ["０１２３４５６７８９０１", "٠١٢٣٤٥٦٧٨"])
def test_an_id_number_in_non_ascii_digits_is_refused(client, auth, db, id_number):
    from tests.factories import dossier_body

    body = dossier_body()
    body["applicant"]["id_number"] = id_number
    r = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    assert r.status_code == 400 and r.json["code"] == "invalid_id_number"


# --- 9. dossier codes are URL path segments -----------------------------------------------

@pytest.mark.parametrize("code", ["A/B-1", "A/../x", "H40 1", "A%2FB", "A?b", "A#1", "HỒSƠ-1"])
def test_a_dossier_code_that_is_not_one_url_path_segment_is_refused_and_writes_nothing(client, auth, db, code):
    from payments.models import Dossier
    from tests.factories import dossier_body

    r = client.post("/api/v1/dossiers", json=dossier_body(code=code), headers=auth("intake"))
    assert r.status_code == 400 and r.json["code"] == "invalid_dossier_code"
    with db() as s:
        assert s.execute(select(Dossier)).first() is None


def test_every_character_a_dossier_code_may_hold_reaches_the_dossier_again(client, auth):
    from tests.factories import dossier_body

    code = "000.00.12_H40-Ab9"
    assert client.post("/api/v1/dossiers", json=dossier_body(code=code), headers=auth("intake")).status_code == 201
    r = client.get(f"/api/v1/dossiers/{code}", headers=auth("intake"))
    assert r.status_code == 200 and r.json["code"] == code


# --- 11. what a declined sale and a foreign VNPay IPN leave behind ------------------------

@pytest.mark.parametrize("fields,reason", [
    ({"status": "declined"}, "card sale declined (status declined)"),
    ({"response_code": "05"}, "card sale declined (response code 05)"),
    ({"status": "declined", "response_code": "51"}, "card sale declined (status declined, response code 51)"),
])
def test_a_declined_sale_is_recorded_with_what_the_terminal_said(client, auth, test_settings, db, fields, reason):
    code = make_request(client, auth)
    r, _ = pos_sale(client, test_settings, payment_code=code, **fields)
    assert r.status_code == 200
    [row] = inbox(db)
    assert (row.status, row.reason) == ("ignored", reason)
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


def test_a_vnpay_ipn_for_another_merchants_terminal_is_refused_as_not_our_order(client, auth, test_settings, db):
    from sandbox.bank import ipn_params
    from payments.channels import vnpay

    code = make_request(client, auth)
    url = client.post(f"/api/v1/payment-requests/{code}/checkout").json["redirect_url"]
    params = ipn_params(test_settings, url) | {"vnp_TmnCode": "OTHERTMN"}
    params["vnp_SecureHash"] = vnpay.secure_hash(params, test_settings.secret("HCCPAY_VNPAY_HASH_SECRET"))
    r = client.get("/api/v1/callbacks/vnpay/ipn", query_string=params)
    assert r.status_code == 200 and r.json["RspCode"] == "01"
    [row] = inbox(db)
    assert row.status == "rejected" and "OTHERTMN" in row.reason
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0 and payments(db) == []


@pytest.mark.parametrize("via", ["sepay", "bank"])
def test_a_nul_in_a_callback_memo_does_not_keep_its_money_from_being_applied(client, auth, test_settings, via):
    code = make_request(client, auth)
    paid_before = client.get(f"/api/v1/payment-requests/{code}").json["amount_vnd"]
    r = send_callback(client, test_settings, via, code=code, amount=paid_before, memo=f"nop\x00 {code}")
    assert r.status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"  # PostgreSQL text has no NUL


def test_a_vnpay_ipn_with_a_nul_is_stored_then_refused(client, db):
    from sqlalchemy import func, select

    from kernel.inbox import InboundCallback

    r = client.get("/api/v1/callbacks/vnpay/ipn?vnp_TxnRef=HS1%00&vnp_SecureHash=00")
    assert r.status_code == 200 and r.json["RspCode"] == "97"  # invalid signature, VNPay's way
    with db() as s:
        assert s.execute(select(func.count()).select_from(InboundCallback)).scalar_one() == 1
