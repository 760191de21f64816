"""Round 17: the receipt's check page says how much of the receipt's fees was refunded, not how much money
went back: money paid beyond the fees (an overpayment) and refunded is not the receipt's."""
import pytest

from tests.api.test_refunds import paid, refund
from tests.integration.test_receipt_cancellation import BROWSER, receipts, verify

pytestmark = pytest.mark.usefixtures("ledger_checked")


def executed(client, auth, refund_id, reference):
    r = client.post(f"/api/v1/refunds/{refund_id}/executed", json={"bank_reference": reference},
                    headers=auth("finance"))
    assert r.status_code == 200, r.json


def page(client, settings, db) -> str:
    [receipt] = receipts(db)
    return verify(client, settings, receipt, headers=BROWSER).get_data(as_text=True)


def test_the_excess_refunded_first_then_part_of_the_fee_names_only_that_part(client, auth, test_settings, db):
    code, payment_id = paid(client, auth, test_settings, amount=100_000, pay=150_000)
    executed(client, auth, refund(client, auth, payment_id, 50_000, 150_000, reason="Nộp thừa").json["id"], "FT1")
    assert "hoàn trả" not in page(client, test_settings, db)  # the overpayment only: the fee stands whole
    executed(client, auth, refund(client, auth, payment_id, 30_000, 100_000).json["id"], "FT2")
    html = page(client, test_settings, db)
    assert "Một phần khoản phí của biên lai này đã được hoàn trả cho người nộp: 30.000 ₫." in html
    assert "80.000" not in html


def test_everything_refunded_at_once_names_the_fee_not_the_excess(client, auth, test_settings, db):
    code, payment_id = paid(client, auth, test_settings, amount=100_000, pay=150_000)
    assert refund(client, auth, payment_id, 150_000, 150_000).json["status"] == "transfer_ordered"  # on its way
    html = page(client, test_settings, db)
    assert "Khoản phí của biên lai này đang được hoàn trả cho người nộp: 100.000 ₫." in html
    assert "150.000" not in html


def test_part_on_its_way_and_part_paid_back_share_the_fee(client, auth, test_settings, db):
    code, payment_id = paid(client, auth, test_settings, amount=100_000, pay=150_000)
    executed(client, auth, refund(client, auth, payment_id, 70_000, 150_000).json["id"], "FT3")
    refund(client, auth, payment_id, 40_000, 80_000)  # ordered, not yet out of the bank
    html = page(client, test_settings, db)
    # 110,000 back of 150,000 paid: 60,000 of the fee; the newest refund (40,000, on its way) reached into it first
    assert "Một phần khoản phí của biên lai này đang được hoàn trả cho người nộp: 40.000 ₫." in html
    assert "Một phần khoản phí của biên lai này đã được hoàn trả cho người nộp: 20.000 ₫." in html
