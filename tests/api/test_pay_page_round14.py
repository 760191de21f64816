"""The citizen's pay pages for a request that is closed unpaid, or paid in several payments."""
import io
import re
import html as html_lib

import pytest
from pypdf import PdfReader

from tests.api.test_closed_requests import cancelled, expired
from tests.factories import dossier_body, make_request, send_callback


def _text(response) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


@pytest.mark.parametrize("state", ["cancelled", "expired"])
def test_a_request_closed_unpaid_says_it_has_no_receipt_rather_than_promising_one(client, auth, db, state):
    code = cancelled(client, auth) if state == "cancelled" else expired(client, auth, db)
    r = client.get(f"/pay/{code}/receipt.pdf")
    assert r.status_code == 404 and r.mimetype == "text/html"
    text = _text(r)
    # "Chưa có biên lai … được phát hành khi hồ sơ đã thanh toán đủ" told the citizen to pay a closed request
    assert "Chưa có biên lai" not in text and "được phát hành khi" not in text
    assert "Không có biên lai" in text and "không chuyển tiền cho mã này" in text
    english = _text(client.get(f"/pay/{code}/receipt.pdf?lang=en"))
    assert "No receipt" in english and "Do not transfer money for this code" in english


def test_a_request_waiting_for_money_still_says_its_receipt_comes_once_paid(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=40_000)
    text = _text(client.get(f"/pay/{code}/receipt.pdf"))
    assert "Chưa có biên lai" in text and "Biên lai điện tử được phát hành khi hồ sơ đã thanh toán đủ." in text


def test_a_request_paid_in_two_transfers_has_one_receipt_for_its_amount_with_long_names_whole(
        client, auth, test_settings):
    name = "Tôn Nữ Hoàng Khánh Huyền Trang Nguyễn Phước Bửu Chánh Công Tằng Tôn Nữ Thị Ngọc Diệp Huỳnh"
    fee = ("Lệ phí cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất "
           "(trường hợp đặc biệt)")
    body = dossier_body((fee, "charge", 150_000), ("Phí thẩm định hồ sơ", "fee", 1_000_001))
    body["applicant"]["name"] = name
    code = client.post("/api/v1/dossiers", json=body, headers=auth("intake")).json["payment_request"]["payment_code"]
    assert send_callback(client, test_settings, "bank", code=code, amount=500_000).status_code == 200
    assert send_callback(client, test_settings, "sepay", code=code, amount=650_001).status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"
    r = client.get(f"/pay/{code}/receipt.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    words = set(text.split())
    assert all(word in words for word in (name + " " + fee).split())  # wrapped between words, never within one
    assert "1.150.001 ₫" in text and "Một triệu một trăm năm mươi nghìn không trăm linh một đồng" in text
    assert "Chuyển khoản (VietQR)" in text and text.count("BIÊN LAI THU PHÍ, LỆ PHÍ") == 1
