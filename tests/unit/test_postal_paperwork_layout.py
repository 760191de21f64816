"""How the postal paperwork lays figures out: money and counts right-aligned in their cells, an amount
the postman collects on one line, and a handover record whose signatures name the two parties."""
import io
from datetime import date, datetime, timezone

from pypdf import PdfReader

from postal import manifests
from postal.models import Shipment

PRINTED = datetime(2026, 11, 27, 4, 0, tzinfo=timezone.utc)


def shipment(n: int, **changes) -> Shipment:
    values = dict(id=n, stop=n, slot="morning", tracking_number=f"EB10000000{n}VN", direction="delivery",
                  dossier_code=f"D-{n}", recipient_name="Lê Văn Bình", recipient_phone="0912345678", street="Số 9",
                  ward_name="Phường Hồng Gai", province_name="Quảng Ninh", status="scheduled",
                  due_date=date(2026, 12, 1), weight_grams=500, postage_vnd=22000, note=None,
                  documents=[{"name": "Giấy phép", "original": True, "copies": 1 if n == 1 else 12}])
    return Shipment(**{**values, **changes})


def runs(pdf: bytes) -> list[tuple[str, float, float]]:
    """Every text run of the first page with where it starts (x, y)."""
    found = []

    def visit(text, _cm, tm, _font, _size):
        if text.strip():
            found.append((text.strip(), tm[4], tm[5]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def x_of(found, text: str) -> float:
    [x] = [x for t, x, _ in found if t == text]
    return x


def test_the_amounts_to_collect_on_a_manifest_are_right_aligned_and_on_one_line():
    fees = {1: 0, 2: 1_432_000, 3: 500_000_000}
    pdf = manifests.route_manifest_pdf([shipment(1), shipment(2), shipment(3)], day=date(2026, 11, 30),
                                       route_code="HL1", route_name="Hạ Long", printed_at=PRINTED,
                                       fees_to_collect=lambda s: manifests.ToCollect(fees[s.id]))
    found = runs(pdf)
    small, large, largest = x_of(found, "0 ₫"), x_of(found, "1.432.000 ₫"), x_of(found, "500.000.000 ₫")
    assert largest < large < small  # right-aligned: the longer figure starts further left
    assert x_of(found, "1") > x_of(found, "Điểm")  # the stop number too, under its heading's right end


def test_counts_on_the_consignment_note_and_the_handover_record_are_right_aligned():
    note = runs(manifests.consignment_note_pdf(shipment(2), printed_at=PRINTED))
    assert x_of(note, "12") > x_of(note, "Số lượng")
    handover = runs(manifests.handover_pdf([shipment(n, direction="pickup") for n in range(1, 11)],
                                           day=date(2026, 11, 30), route_code="HL1", printed_at=PRINTED))
    assert x_of(handover, "10") < x_of(handover, "9")  # row numbers end at the same place


def test_the_handover_records_signatures_name_the_post_and_the_centre_not_a_giver_and_a_taker():
    # One record carries both directions (the post hands dossiers in, the centre hands results out):
    # "bên giao" would be the post for section I and the centre for section II.
    text = " ".join(t for t, _, _ in runs(manifests.handover_pdf(
        [shipment(1, direction="pickup"), shipment(2)], day=date(2026, 11, 30), route_code=None,
        printed_at=PRINTED)))
    assert "NHÂN VIÊN BƯU CHÍNH" in text and "ĐẠI DIỆN TRUNG TÂM" in text
    assert "BÊN GIAO" not in text and "BÊN NHẬN" not in text


def test_the_consignment_notes_values_are_left_aligned_not_stretched():
    """fpdf2 justifies by default: a note broken before a long word had its first line stretched wide."""
    from tests.integration.test_receipt_pdf_alignment_round16 import widest_extra_gap

    note = manifests.consignment_note_pdf(shipment(1, note="Gọi trước khi đến, giao tại "
                                                           "Phòng-Tiếp-nhận-và-Trả-kết-quả-Ủy-ban-nhân-dân-xã-Đông-Anh"),
                                          printed_at=PRINTED)
    assert widest_extra_gap(note) < 1, "a value of the consignment note is justified"
