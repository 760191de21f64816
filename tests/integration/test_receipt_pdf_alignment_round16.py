"""The receipt's procedure line is left-aligned, wrapped where long: justified, a line broken before a long
word (a decision number with its date) was stretched across the page with wide gaps between its words."""
import io

from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.factories import dossier_body, send_callback

# Breaks before its last "word", so the first line holds few words: justified, they stood far apart.
PROCEDURE = ("Cấp giấy phép xây dựng theo Quyết định số "
             "1234/2026/QĐ-UBND-ngày-15-01-2026-của-Ủy-ban-nhân-dân-thành-phố-Hà-Nội")


def receipt_pdf(client, auth, test_settings) -> bytes:
    body = dossier_body() | {"procedure_name": PROCEDURE}
    r = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    assert r.status_code == 201, r.json
    code = r.json["payment_request"]["payment_code"]
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    r = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert r.status_code == 200
    return r.data


def widest_extra_gap(data: bytes) -> float:
    """The widest space a line of text adds between its words (TJ adjustments, thousandths of an em): fpdf2
    justifies a line so; a line set left is drawn as it is (Tj) and adds none."""
    reader = PdfReader(io.BytesIO(data))
    widest = 0.0
    for page in reader.pages:
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"TJ":
                widest = max([widest, *(-float(x) for x in operands[0] if isinstance(x, (int, float)))])
    return widest


def test_the_procedure_line_is_left_aligned_with_normal_word_gaps(client, auth, test_settings):
    data = receipt_pdf(client, auth, test_settings)
    chunks = []
    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=lambda text, *_: chunks.append(text))
    first_line = next(c for c in chunks if c.split()[:3] == ["Cấp", "giấy", "phép"])
    # pypdf reads a stretched gap as a second space; a left-aligned line reads as typed.
    assert first_line.strip() == "Cấp giấy phép xây dựng theo Quyết định số", repr(first_line)
    assert widest_extra_gap(data) < 1, "a line of the receipt is justified"
