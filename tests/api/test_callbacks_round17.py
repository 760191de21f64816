"""Round 17: callback verification at its edges, through the API. Every callback is stored as received,
refused or not, with the reason it was refused; a verified one pays once however often it comes."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from kernel.signing import HEADER, sign
from payments.channels import payos
from sandbox.bank import callback_request
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")

SECRETS = {"bank": "HCCPAY_BANK_WEBHOOK_SECRET", "pos": "HCCPAY_POS_WEBHOOK_SECRET"}


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def inbox(db):
    with db() as s:
        return [(row.provider, row.status, row.reason or "", bytes(row.body))
                for row in s.scalars(select(InboundCallback).order_by(InboundCallback.id))]


def bank_body(test_settings, code, txn_id, amount=100_000) -> bytes:
    return callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=amount, txn_id=txn_id,
                            at=now_utc())[2]


def post_bank(client, body: bytes, header_value: str | None, header_name: str = HEADER, **headers):
    if header_value is not None:
        headers[header_name] = header_value
    return client.post("/api/v1/callbacks/bank", data=body, headers={"Content-Type": "application/json", **headers})


def now_t() -> int:
    return int(now_utc().timestamp())


@pytest.mark.parametrize("via", ["bank", "pos"])
@pytest.mark.parametrize("age", [302, 3600, -302, -3600])
def test_a_signature_outside_the_window_is_refused_and_kept_with_its_reason(client, auth, test_settings, db, via,
                                                                             age):
    """302 s either way, not 301: `t` is whole seconds, so only a margin of two seconds is sure to stay outside
    the 300 s window however the clock ticks while the test runs (no timed assertion)."""
    code = make_request(client, auth)
    path, headers, body = callback_request(via, settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="17001", at=now_utc(),
                                           signed_at=now_utc() - timedelta(seconds=age))
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 401 and r.json["code"] == "invalid_signature"
    assert "tolerance" in r.json["message"]
    [(provider, status, reason, stored)] = inbox(db)
    assert (provider, status) == (via, "rejected") and "tolerance window" in reason
    assert stored == body if via == "bank" else b"1234" in stored  # the POS body is stored with the card masked
    assert paid(client, code) == 0


@pytest.mark.parametrize("age", [0, 120, 299, -299])
def test_a_signature_inside_the_window_pays(client, auth, test_settings, db, age):
    code = make_request(client, auth)
    body = bank_body(test_settings, code, "17002")
    t = now_t() - age
    r = post_bank(client, body, sign([test_settings.secret(SECRETS["bank"])], body, t))
    assert r.status_code == 200, r.json
    assert paid(client, code) == 100_000


@pytest.mark.parametrize("name", [HEADER, HEADER.lower(), HEADER.upper(), "x-Hcc-signature"])
def test_the_signature_header_is_found_whatever_its_case(client, auth, test_settings, db, name):
    """HTTP header names are case-insensitive (RFC 9110 5.1): proxies and HTTP/2 lower-case them."""
    code = make_request(client, auth)
    body = bank_body(test_settings, code, "17003")
    r = post_bank(client, body, sign([test_settings.secret(SECRETS["bank"])], body, now_t()), header_name=name)
    assert r.status_code == 200, r.json
    assert paid(client, code) == 100_000


def test_a_replay_of_a_verified_callback_pays_once_and_each_copy_is_kept(client, auth, test_settings, db):
    code = make_request(client, auth)
    body = bank_body(test_settings, code, "17004")
    header = sign([test_settings.secret(SECRETS["bank"])], body, now_t())
    assert [post_bank(client, body, header).status_code for _ in range(3)] == [200, 200, 200]
    assert paid(client, code) == 100_000
    assert [(p, s) for p, s, _, _ in inbox(db)] == [("bank", "applied"), ("bank", "duplicate"), ("bank", "duplicate")]


def test_a_replay_with_the_body_changed_is_refused_and_kept(client, auth, test_settings, db):
    code = make_request(client, auth)
    body = bank_body(test_settings, code, "17005")
    header = sign([test_settings.secret(SECRETS["bank"])], body, now_t())
    forged = body.replace(b"100000", b"900000")
    assert forged != body
    r = post_bank(client, forged, header)
    assert (r.status_code, r.json["code"]) == (401, "invalid_signature")
    [(_, status, reason, stored)] = inbox(db)
    assert (status, stored) == ("rejected", forged) and "does not match" in reason
    assert paid(client, code) == 0


@pytest.mark.parametrize("header", [
    None, "", "t=,v1=", "v1=abc", "t=abc,v1=abc", "t=1e9,v1=abc", "T={t},V1={sig}", "t={t};v1={sig}",
    "t={t}000,v1={sig}", "t={t},v1={sig}\u00e9",
])
def test_a_malformed_signature_header_is_a_401_kept_with_its_reason(client, auth, test_settings, db, header):
    code = make_request(client, auth)
    body = bank_body(test_settings, code, "17006")
    t = now_t()
    sig = sign([test_settings.secret(SECRETS["bank"])], body, t).split("v1=")[1]
    value = None if header is None else header.format(t=t, sig=sig)
    # A header value travels as Latin-1 (RFC 9110 5.5); the test client would refuse to send anything else.
    r = post_bank(client, body, value.encode("utf-8").decode("latin-1") if value else value)
    assert (r.status_code, r.json["code"]) == (401, "invalid_signature")
    [(_, status, reason, stored)] = inbox(db)
    assert status == "rejected" and reason.startswith("invalid_signature: ") and stored == body
    assert paid(client, code) == 0


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("latin-1", "replace"),  # a memo with đ written in Latin-1: not UTF-8
    lambda text: text.encode("cp1258", "replace"),   # the Windows Vietnamese code page
])
def test_a_signed_body_that_is_not_utf_8_is_refused_and_kept_as_received(client, auth, test_settings, db, encode):
    code = make_request(client, auth)
    data = json.loads(bank_body(test_settings, code, "17007"))
    data["content"] = f"{code} nộp lệ phí hồ sơ Đinh Văn Ân"
    body = encode(json.dumps(data, ensure_ascii=False))
    r = post_bank(client, body, sign([test_settings.secret(SECRETS["bank"])], body, now_t()))
    assert (r.status_code, r.json["code"]) == (400, "malformed_json")
    [(_, status, reason, stored)] = inbox(db)
    assert (status, stored) == ("rejected", body) and reason.startswith("malformed_json")
    assert paid(client, code) == 0


def test_a_signed_utf_8_body_with_a_byte_order_mark_pays(client, auth, test_settings, db):
    code = make_request(client, auth)
    body = b"\xef\xbb\xbf" + bank_body(test_settings, code, "17008")
    r = post_bank(client, body, sign([test_settings.secret(SECRETS["bank"])], body, now_t()))
    assert r.status_code == 200, r.json
    assert paid(client, code) == 100_000


@pytest.mark.parametrize("case", ["upper", "lower"])
def test_a_payos_signature_in_either_hex_case_pays(client, auth, test_settings, db, case):
    code = make_request(client, auth)
    path, headers, body = callback_request("payos", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="17009", at=now_utc())
    data = json.loads(body)
    data["signature"] = getattr(data["signature"], case)()
    r = client.post(path, data=json.dumps(data).encode(), headers=headers)
    assert r.status_code == 200, r.json
    assert paid(client, code) == 100_000


def test_a_payos_webhook_signed_with_another_key_is_refused_and_kept(client, auth, test_settings, db):
    code = make_request(client, auth)
    path, headers, body = callback_request("payos", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="17010", at=now_utc())
    data = json.loads(body)
    data["signature"] = payos.sign(data["data"], "not-our-checksum-key")
    forged = json.dumps(data).encode()
    r = client.post(path, data=forged, headers=headers)
    assert (r.status_code, r.json["code"], r.json["success"]) == (401, "invalid_signature", False)
    [(provider, status, reason, stored)] = inbox(db)
    assert (provider, status, stored) == ("payos", "rejected", forged) and "does not match" in reason
    assert paid(client, code) == 0


@pytest.mark.parametrize("authorization", ["apikey {key}", "APIKEY {key}", "Apikey  {key} "])
def test_sepays_api_key_scheme_is_read_whatever_its_case_and_spacing(client, auth, test_settings, db,
                                                                     authorization):
    code = make_request(client, auth)
    path, headers, body = callback_request("sepay", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="17011", at=now_utc())
    headers["Authorization"] = authorization.format(key=test_settings.secret("HCCPAY_SEPAY_API_KEY"))
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 200, r.json
    assert paid(client, code) == 100_000


@pytest.mark.parametrize("authorization", [None, "", "Apikey", "Bearer {key}", "Apikey {key}x", "Basic {key}"])
def test_a_sepay_webhook_without_our_api_key_is_refused_and_kept(client, auth, test_settings, db, authorization):
    code = make_request(client, auth)
    path, headers, body = callback_request("sepay", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="17012", at=now_utc())
    headers.pop("Authorization")
    if authorization is not None:
        headers["Authorization"] = authorization.format(key=test_settings.secret("HCCPAY_SEPAY_API_KEY"))
    r = client.post(path, data=body, headers=headers)
    assert (r.status_code, r.json["code"], r.json["success"]) == (401, "invalid_api_key", False)
    [(provider, status, reason, stored)] = inbox(db)
    assert (provider, status, stored) == ("sepay", "rejected", body) and reason.startswith("invalid_api_key")
    assert paid(client, code) == 0


# --- the account a transfer went to, however the feed writes it ---------------------------------------------

def _account_written(test_settings, via: str, code: str, written: str, txn_id: str) -> bytes:
    path, headers, body = callback_request(via, settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id=txn_id, at=now_utc())
    ours = test_settings.collection_account("*").account_number
    return path, headers, body.replace(f'"{ours}"'.encode(), json.dumps(written.format(ours=ours)).encode())


def _resigned(test_settings, via: str, headers: dict, body: bytes) -> tuple[dict, bytes]:
    if via == "bank":
        return {**headers, HEADER: sign([test_settings.secret(SECRETS["bank"])], body, now_t())}, body
    if via == "payos":
        data = json.loads(body)
        data["signature"] = payos.sign(data["data"], test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))
        return headers, json.dumps(data).encode()
    return headers, body  # SePay's API key does not sign the body


def _grouped(number: str, separator: str) -> str:
    return separator.join(number[i:i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize("via", ["bank", "sepay", "payos"])
@pytest.mark.parametrize("written", ["spaces", "dashes", "dots", "padded"])
def test_a_transfer_to_our_account_written_with_separators_pays(client, auth, test_settings, db, via, written):
    """Statements already read `0071 0012 34567` as our account (`normalise_account`); a feed that groups the
    number the same way was answered 200 and ignored as "not one of our collection accounts", so the
    transfer waited for the day's statement (and the feed never sends it again)."""
    code = make_request(client, auth)
    ours = test_settings.collection_account("*").account_number
    form = {"spaces": _grouped(ours, " "), "dashes": _grouped(ours, "-"), "dots": _grouped(ours, "."),
            "padded": f" {ours} "}[written]
    path, headers, body = _account_written(test_settings, via, code, form, f"1702{len(written)}")
    headers, body = _resigned(test_settings, via, headers, body)
    assert form.encode() in body
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 200, r.json
    assert paid(client, code) == 100_000


@pytest.mark.parametrize("via", ["bank", "sepay", "payos"])
@pytest.mark.parametrize("other", ["longer", "led", "prefixed", "last digit"])
def test_a_transfer_to_another_account_is_still_ignored(client, auth, test_settings, db, via, other):
    code = make_request(client, auth)
    ours = test_settings.collection_account("*").account_number
    written = {"longer": ours + "1", "led": "1" + ours, "prefixed": "VCB" + ours,
               "last digit": ours[:-1] + str((int(ours[-1]) + 1) % 10)}[other]
    path, headers, body = _account_written(test_settings, via, code, written, "17030")
    headers, body = _resigned(test_settings, via, headers, body)
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 200, r.json
    [(_, status, reason, _)] = inbox(db)
    assert status == "ignored" and "not one of our collection accounts" in reason
    assert paid(client, code) == 0
