"""Round 18: every page of a long receipt names the receipt (series and number) and counts its pages."""
import io
import re

import pytest
from pypdf import PdfReader

from tests.factories import make_request, send_callback


def receipt_pages(client, auth, settings, items: int, cancel: bool = False) -> list[str]:
    fees = [(f"Lệ phí thẩm định hồ sơ số {i} (Nghị quyết 12/2026/NQ-HĐND)", "charge", 10_000) for i in range(items)]
    code = make_request(client, auth, *fees)
    send_callback(client, settings, "bank", code=code, amount=10_000 * items)
    if cancel:
        [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
        asked = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                            json={"amount_vnd": 10_000 * items, "expected_refundable_vnd": 10_000 * items,
                                  "reason": "Hồ sơ bị từ chối"})
        assert asked.status_code == 201, asked.json
        done = client.post(f"/api/v1/refunds/{asked.json['id']}/executed", headers=auth("finance"),
                           json={"bank_reference": "FT26333000111"})
        assert done.json["status"] == "executed", done.json
    r = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert r.status_code == 200, r.data[:300]
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(r.data)).pages]


@pytest.mark.parametrize("items", [1, 30, 50])
def test_every_page_of_a_receipt_names_its_series_number_and_page(client, auth, test_settings, items):
    pages = receipt_pages(client, auth, test_settings, items)
    series, number = re.search(r"Ký hiệu: (\S+) Số: (\S+)", pages[0]).groups()
    assert (len(pages) > 1) == (items > 1)
    for at, text in enumerate(pages, start=1):
        # a staff member holding this page alone can tell which receipt it belongs to, and that pages are missing
        assert f"Biên lai ký hiệu {series} số {number} - Trang {at}/{len(pages)}" in text, text


def test_a_cancelled_long_receipt_keeps_its_name_on_every_page(client, auth, test_settings):
    pages = receipt_pages(client, auth, test_settings, 40, cancel=True)
    series, number = re.search(r"Ký hiệu: (\S+) Số: (\S+)", pages[0]).groups()
    assert len(pages) > 1 and "BIÊN LAI ĐÃ HỦY" in pages[0]
    for at, text in enumerate(pages, start=1):
        assert "ĐÃ HỦY" in text and f"Biên lai ký hiệu {series} số {number} - Trang {at}/{len(pages)}" in text
