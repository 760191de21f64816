"""Text our documents print must be printable in their font: a name with characters the font cannot draw is
refused at input (400 unprintable_characters naming them), and a PDF never drops a character silently."""
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from kernel.pdf import REPLACEMENT, new_document, render, unprintable_characters
from payments.models import Dossier, FeeItem
from tests.factories import dossier_body, send_callback


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_font_draws_vietnamese_and_says_which_characters_it_cannot():
    assert unprintable_characters("Nguyễn Thị Ánh Tuyết, Đặng Hữu Phước — 150.000 ₫ (Lệ phí)") == []
    assert unprintable_characters("李小龍 Lý") == ["李", "小", "龍"]
    assert unprintable_characters("Phạm 𝓐nh 𝓐") == ["𝓐"]


def test_a_document_shows_a_replacement_where_the_font_has_no_glyph():
    pdf = new_document()
    pdf.add_page()
    pdf.cell(0, 6, "Tên: Phạm 𝓐nh", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "\n李小龍\nxong")
    text = pdf_text(render(pdf))
    assert f"Phạm {REPLACEMENT}nh" in text and REPLACEMENT * 3 in text and "xong" in text


@pytest.mark.parametrize("where,field", [
    ("applicant", "applicant.name"), ("fee", "fees[0].name"), ("procedure", "procedure_name")])
def test_a_dossier_whose_printed_text_the_receipt_could_not_show_is_refused(client, auth, where, field):
    body = dossier_body(("Lệ phí", "charge", 100_000))
    if where == "applicant":
        body["applicant"]["name"] = "李小龍"
    elif where == "fee":
        body["fees"][0]["name"] = "Lệ phí 漢字"
    else:
        body["procedure_name"] = "Cấp giấy 𝓐"
    r = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    assert r.status_code == 400, r.json
    assert r.json["code"] == "unprintable_characters"
    assert r.json["details"]["field"] == field and r.json["details"]["characters"]
    assert "cannot be printed" in r.json["message"]


def test_a_name_stored_before_the_check_prints_visibly_replaced_not_dropped(client, auth, test_settings, db):
    body = dossier_body(("Lệ phí", "charge", 100_000))
    r = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    code = r.json["payment_request"]["payment_code"]
    with db() as s, s.begin():
        s.execute(update(Dossier).where(Dossier.code == body["code"]).values(applicant_name="Lý 李小龍"))
        s.execute(update(FeeItem).values(name="Lệ phí 漢字"))
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    pdf = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    assert f"Lý {REPLACEMENT * 3}" in text and f"Lệ phí {REPLACEMENT * 2}" in text
