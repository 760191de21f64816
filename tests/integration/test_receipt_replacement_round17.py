"""Round 17: a receipt cancelled because its payment went back, and the receipt issued when the request was
paid again, name each other: on the verify answer (JSON and page) and on the new receipt's PDF."""
import pytest

from payments.receipts import verification_code
from tests.factories import make_request, send_callback
from tests.integration.test_receipt_cancellation import BROWSER, pdf_text, pos, receipts, verify

pytestmark = pytest.mark.usefixtures("ledger_checked")


def voided_then_paid_again(client, auth, settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    pos(client, settings, code, transaction_id="S17", type="sale")
    pos(client, settings, code, transaction_id="V17", type="void", original_transaction_id="S17")
    send_callback(client, settings, "bank", code=code, amount=100_000)
    old, new = receipts(db)
    assert old.cancel_reason == "payment_reversed" and new.cancelled_at is None
    return code, old, new


def test_the_cancelled_receipt_names_the_receipt_that_replaced_it(client, auth, test_settings, db):
    _, old, new = voided_then_paid_again(client, auth, test_settings, db)
    answer = verify(client, test_settings, old).json
    assert answer["valid"] is False
    assert answer["replaced_by"] == {"series": new.series, "number": new.number_text, "valid": True,
                                     "issued_at": new.issued_at.isoformat()}
    assert answer["replaces"] is None
    page = verify(client, test_settings, old, headers=BROWSER).get_data(as_text=True)
    # the holder of the old paper learns the dossier is paid again, and under which receipt
    assert "Hồ sơ đã được thanh toán lại, biên lai thay thế" in page
    assert f"ký hiệu {new.series} số {new.number_text}" in page
    assert "Biên lai không còn giá trị." in page


def test_the_new_receipt_names_the_cancelled_one_it_replaces(client, auth, test_settings, db):
    code, old, new = voided_then_paid_again(client, auth, test_settings, db)
    answer = verify(client, test_settings, new).json
    assert answer["valid"] is True and answer["replaced_by"] is None
    assert answer["replaces"] == {"series": old.series, "number": old.number_text, "valid": False,
                                  "issued_at": old.issued_at.isoformat()}
    page = verify(client, test_settings, new, headers=BROWSER).get_data(as_text=True)
    assert "Biên lai hợp lệ" in page and f"Thay thế biên lai ký hiệu {old.series} số {old.number_text} (đã hủy)" in page
    text = pdf_text(client.get(f"/api/v1/payment-requests/{code}/receipt.pdf").data)
    assert "Thay thế biên lai:" in text and f"Ký hiệu {old.series} số {old.number_text}" in text


def test_a_receipt_without_a_predecessor_or_successor_names_none(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    [only] = receipts(db)
    answer = verify(client, test_settings, only).json
    assert answer["replaces"] is None and answer["replaced_by"] is None
    page = verify(client, test_settings, only, headers=BROWSER).get_data(as_text=True)
    assert "thay thế" not in page.lower()
    assert "Thay thế biên lai" not in pdf_text(client.get(f"/api/v1/payment-requests/{code}/receipt.pdf").data)


def test_the_page_reads_in_english_too(client, auth, test_settings, db):
    _, old, new = voided_then_paid_again(client, auth, test_settings, db)
    page = client.get(f"/api/v1/receipts/{old.series}/{old.number_text}", headers=BROWSER,
                      query_string={"code": verification_code(test_settings, old), "lang": "en"})
    text = page.get_data(as_text=True)
    assert f"The dossier was paid again; the replacing receipt: series {new.series} number {new.number_text}" in text
