"""E-receipts: issued on full payment, numbered without gaps, restarting each year, a Vietnamese PDF."""
import io
import threading
from datetime import datetime, timezone

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import select

from kernel.clock import now_utc
from payments.credits import IncomingCredit, record_credit
from payments.ledger import Accounts
from payments.receipts import Receipt
from tests.factories import assert_ledger_ok, dossier_body, make_request, send_callback


def receipts(db):
    with db() as s:
        return s.execute(select(Receipt).order_by(Receipt.number)).scalars().all()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_fully_paid_request_gets_a_receipt_in_vietnamese_with_the_amount_in_words(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí cấp giấy chứng nhận", "charge", 100_000),
                        ("Phí thẩm định hồ sơ", "fee", 250_000))
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    partial = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert partial.status_code == 404 and partial.json["code"] == "receipt_not_issued"
    send_callback(client, test_settings, "sepay", code=code, amount=250_000)
    r = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    for words in ("BIÊN LAI THU PHÍ, LỆ PHÍ", "Nguyễn Văn An", "Lệ phí cấp giấy chứng nhận", "Phí thẩm định hồ sơ",
                  "Ba trăm năm mươi nghìn đồng", "350.000 ₫", "Chuyển khoản (VietQR)", code, "Số tiền bằng chữ"):
        assert words in text, words
    [receipt] = receipts(db)
    assert receipt.series == f"BL-HCC-{now_utc().year % 100:02d}" and receipt.number_text == "0000001"
    assert f"{receipt.series}" in text and "0000001" in text


def test_the_verify_link_confirms_a_genuine_receipt_and_refuses_a_guess(client, auth, test_settings, db):
    from payments.receipts import verification_code

    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    [receipt] = receipts(db)
    good = client.get(f"/api/v1/receipts/{receipt.series}/{receipt.number_text}",
                      query_string={"code": verification_code(test_settings, receipt)})
    assert good.status_code == 200 and good.json["valid"] and good.json["amount_vnd"] == 100_000
    assert good.json["payer"] == "N***** V** A*"
    guess = client.get(f"/api/v1/receipts/{receipt.series}/{receipt.number_text}", query_string={"code": "0" * 16})
    assert guess.status_code == 404 and guess.json["code"] == "receipt_not_found"
    for number in ("¹", "٣"):  # Unicode digits are not receipt numbers (found by schemathesis)
        odd = client.get(f"/api/v1/receipts/{receipt.series}/{number}", query_string={"code": "0" * 16})
        assert odd.status_code == 404 and odd.json["code"] == "receipt_not_found"


def _credit(code: str, amount: int, at: datetime, ref: str) -> IncomingCredit:
    return IncomingCredit(provider="bank", provider_ref=ref, channel="vietqr_transfer", amount_vnd=amount, booked_at=at,
                          clearing_account=Accounts.bank("970436", "0071001234567"), payment_code=code)


def test_the_first_receipt_of_a_new_year_is_number_one(test_settings, db):
    from datetime import timedelta

    from payments.service import create_dossier
    from payments.validation import parse_dossier

    settings = test_settings.with_overrides(request_ttl=timedelta(days=60))  # still payable at the new year
    with db() as s, s.begin():
        codes = [create_dossier(s, data=parse_dossier(dossier_body()), settings=settings, actor="t",
                                now=now_utc())[1].payment_code for _ in range(3)]
    new_year_eve = datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc)  # 23:30 in Hà Nội
    new_year = datetime(2026, 12, 31, 17, 10, tzinfo=timezone.utc)  # 00:10 on 1 January in Hà Nội
    for i, (code, at) in enumerate(zip(codes, (new_year_eve, new_year_eve, new_year))):
        with db() as s, s.begin():
            record_credit(s, _credit(code, 100_000, at, f"NY{i}"), settings=test_settings, actor="test", now=at)
    got = [(r.series, r.number_text) for r in receipts(db)]
    assert sorted(got) == [("BL-HCC-26", "0000001"), ("BL-HCC-26", "0000002"), ("BL-HCC-27", "0000001")]


def test_a_rolled_back_payment_consumes_no_receipt_number(client, auth, test_settings, db):
    first, second = make_request(client, auth), make_request(client, auth)
    with pytest.raises(RuntimeError):
        with db() as s, s.begin():
            record_credit(s, _credit(first, 100_000, now_utc(), "RB1"), settings=test_settings, actor="t",
                          now=now_utc())
            raise RuntimeError("something after the payment failed")
    with db() as s, s.begin():
        record_credit(s, _credit(second, 100_000, now_utc(), "RB2"), settings=test_settings, actor="t", now=now_utc())
    assert [r.number for r in receipts(db)] == [1]



def test_fifty_concurrent_full_payments_get_fifty_consecutive_numbers(served, tokens, test_settings, db):
    """VNPay IPNs are applied while the gateway waits for the reply, so ten at once really
    allocate receipt numbers at the same time (transfer callbacks are applied by the workers)."""
    from sandbox.bank import pay

    headers = {"Authorization": f"Bearer {tokens['intake']}"}
    codes = [requests.post(f"{served.url}/api/v1/dossiers", json=dossier_body(), headers=headers, timeout=10)
             .json()["payment_request"]["payment_code"] for _ in range(50)]
    barrier = threading.Barrier(10)

    def payer(chunk):
        with requests.Session() as http:
            barrier.wait()
            for code in chunk:
                assert pay(served.url, code, settings=test_settings, amount_vnd=100_000, via="vnpay",
                           http=http).status_code == 200

    threads = [threading.Thread(target=payer, args=(codes[i::10],)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = [r.number for r in receipts(db)]
    assert numbers == list(range(1, 51))
    assert_ledger_ok(db)
