"""Printed paperwork (Vietnamese): the route manifest, the handover record (biên bản giao nhận
hồ sơ), the consignment note (phiếu gửi hồ sơ), and the CSV of a day's plan."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fpdf import FPDF

from kernel.clock import format_local
from kernel.money import format_vnd
from kernel.pdf import FONT, new_document, render
from kernel.text import spreadsheet_safe
from postal import states
from postal.models import Shipment

CENTRE = "Trung tâm Phục vụ Hành chính công"  # as the pages and receipts write it
SLOT_NAMES = {"morning": "Sáng", "afternoon": "Chiều"}
DIRECTION_NAMES = {states.PICKUP: "Nhận hồ sơ", states.DELIVERY: "Trả kết quả"}
STATUS_NAMES = {
    states.REQUESTED: "Chờ đặt", states.BOOKED: "Đã đặt", states.SCHEDULED: "Đã xếp lịch",
    states.PICKED_UP: "Đã nhận hồ sơ", states.OUT_FOR_DELIVERY: "Đang giao", states.DELIVERED: "Đã giao",
    states.FAILED_ATTEMPT: "Giao không thành công", states.RETURNED: "Đã trả về cơ quan",
    states.CANCELLED: "Đã hủy",
}
# A failed attempt is a pickup's or a delivery's: "giao" (deliver) misnames a pickup the citizen missed.
FAILED_PICKUP = "Nhận hồ sơ không thành công"
# A pickup ends when the post brings the citizen's dossier to the centre: "Đã giao" (delivered) read as if a
# result had reached the citizen, on the board, the CSV and the handover record the centre signs.
PICKUP_AT_CENTRE = "Đã chuyển đến Trung tâm"


@dataclass(frozen=True)
class ToCollect:
    """The cash a stop's postman collects: the amount the courier's order carries (`booked_vnd`, told
    at booking: what VNPost asks the citizen for), and, for a cash-on-delivery shipment still to be
    handed over, what the dossier owes now (`owed_vnd`, else None). They differ when the dossier's
    fees changed after the booking (a transfer from a QR saved before it, a fee added or withdrawn):
    the postman still collects the booked amount, and staff must see the difference."""

    booked_vnd: int
    owed_vnd: int | None = None

    @property
    def differs(self) -> bool:
        return self.owed_vnd is not None and self.owed_vnd != self.booked_vnd


NOTHING_TO_COLLECT = ToCollect(0)
FeesToCollect = Callable[[Shipment], ToCollect]


def status_name(direction: str, status: str) -> str:
    """A shipment's status as staff and printed documents name it, for its direction."""
    if direction == states.PICKUP and status == states.FAILED_ATTEMPT:
        return FAILED_PICKUP
    if direction == states.PICKUP and status == states.DELIVERED:
        return PICKUP_AT_CENTRE
    return STATUS_NAMES[status]


# A table row must fit on one page (fpdf2 refuses it otherwise: a 500 for the whole route), and the
# API accepts 30 documents of 200 characters: the printed cell names documents up to about this many
# characters, then counts the rest. The consignment note and the CSV list every document.
DOCUMENTS_CELL_CHARS = 200


def _document_parts(shipment: Shipment) -> list[str]:
    parts = []
    for doc in shipment.documents or []:
        kind = "bản chính" if doc.get("original") else "bản sao"
        copies = f" x{doc['copies']}" if doc.get("copies", 1) > 1 else ""
        parts.append(f"{doc['name']} ({kind}{copies})")
    return parts


def documents_text(shipment: Shipment) -> str:
    """`Đơn đề nghị (bản chính); CCCD (bản sao x2)`."""
    return "; ".join(_document_parts(shipment)) or "Theo hồ sơ"


def documents_cell(shipment: Shipment, max_chars: int = DOCUMENTS_CELL_CHARS) -> str:
    """`documents_text` short enough for a table cell: whole documents while they fit in `max_chars`
    (the first one cut with `…` if it alone is longer), then `… và 12 giấy tờ khác`."""
    parts = _document_parts(shipment)
    if not parts:
        return "Theo hồ sơ"
    shown = [parts[0] if len(parts[0]) <= max_chars else parts[0][:max_chars - 1] + "…"]
    for part in parts[1:]:
        if len("; ".join([*shown, part])) > max_chars:
            break
        shown.append(part)
    rest = len(parts) - len(shown)
    return "; ".join(shown) + (f" … và {rest} giấy tờ khác" if rest else "")


def address_text(shipment: Shipment) -> str:
    return f"{shipment.street}, {shipment.ward_name}, {shipment.province_name}"


# The booking's note is for the postman (call first, a lane, a back gate): his list prints it under the
# address, up to about this many characters (the API takes 1,000, and a row must fit a page).
NOTE_CELL_CHARS = 160


def address_cell(shipment: Shipment, max_note_chars: int = NOTE_CELL_CHARS) -> str:
    """The address, then `Ghi chú: …` when the booking has a note (cut at a word with `…` when long)."""
    note = " ".join((shipment.note or "").split())
    if not note:
        return address_text(shipment)
    if len(note) > max_note_chars:
        note = note[:max_note_chars - 1].rsplit(" ", 1)[0] + "…"
    return f"{address_text(shipment)}\nGhi chú: {note}"


def _title(pdf: FPDF, title: str, subtitle: str) -> None:
    pdf.set_font(FONT, "B", 9)
    pdf.cell(0, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    # Wrapped: a route's name may be 200 characters, and one line centred put both its ends off the paper.
    pdf.multi_cell(0, 6, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: FPDF, headings: Sequence[str], widths: Sequence[int], rows: Sequence[Sequence[str]],
           figures: Sequence[int] = ()) -> None:
    """A table of text, left-aligned but for the columns `figures` (numbers, counts, money): right-aligned,
    so their digits line up as on the receipts."""
    pdf.set_font(FONT, "", 8)
    align = tuple("RIGHT" if i in figures else "LEFT" for i in range(len(widths)))
    with pdf.table(col_widths=widths, text_align=align, line_height=4.5,
                   headings_style=_bold_heading()) as table:
        table.row(headings)
        for values in rows:
            table.row([str(v) for v in values])
    pdf.ln(4)


def _bold_heading():
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(230, 230, 230))


def _signatures(pdf: FPDF, left: str, right: str) -> None:
    pdf.set_font(FONT, "B", 10)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.cell(width, 6, left, align="C")
    pdf.cell(width, 6, right, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.cell(width, 5, "(Ký, ghi rõ họ tên)", align="C")
    pdf.cell(width, 5, "(Ký, ghi rõ họ tên)", align="C", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 2
    pdf.rect(pdf.l_margin + 10, y, width - 20, 25)
    pdf.rect(pdf.l_margin + width + 10, y, width - 20, 25)
    pdf.set_y(y + 28)


DIFFERS_MARK = "(*) chênh lệch"


def cod_difference_text(shipment: Shipment, collect: ToCollect) -> str:
    """The manifest's note under its total for a stop whose dossier owes other than the courier collects."""
    return (f"(*) Điểm {shipment.stop or ''}, hồ sơ {shipment.dossier_code}: bưu điện thu "
            f"{format_vnd(collect.booked_vnd)} theo đơn đã đặt, hồ sơ hiện còn phải nộp "
            f"{format_vnd(collect.owed_vnd or 0)}. Trung tâm kiểm tra khoản chênh lệch trước khi phát.")


def route_manifest_pdf(shipments: Sequence[Shipment], *, day: date, route_code: str, route_name: str,
                       fees_to_collect: FeesToCollect, printed_at: datetime) -> bytes:
    """The postman's list for one route and day, in stop order, with signature boxes per stop."""
    pdf = new_document(orientation="L", title=f"Danh sách phát nhận {route_code} {day.isoformat()}")
    pdf.add_page()
    _title(pdf, "DANH SÁCH NHẬN HỒ SƠ VÀ PHÁT KẾT QUẢ",
           f"Tuyến {route_code} - {route_name} - Ngày {day.strftime('%d/%m/%Y')}")
    collect = {s.id: fees_to_collect(s) for s in shipments}
    rows = [(s.stop or "", SLOT_NAMES.get(s.slot or "", ""), s.tracking_number or "", DIRECTION_NAMES[s.direction],
             s.dossier_code, s.recipient_name, s.recipient_phone, address_cell(s), documents_cell(s),
             format_vnd(collect[s.id].booked_vnd) + (f"\n{DIFFERS_MARK}" if collect[s.id].differs else ""), "")
            for s in shipments]
    # "Thu hộ" is wide enough for 500.000.000 ₫ on one line: a wrapped amount reads as two figures.
    _table(pdf, ("Điểm", "Buổi", "Mã vận đơn", "Loại", "Mã hồ sơ", "Người nhận/gửi", "Điện thoại", "Địa chỉ",
                 "Giấy tờ", "Thu hộ", "Ký nhận"), (11, 11, 26, 18, 30, 28, 20, 40, 39, 26, 24), rows, figures=(0, 9))
    total = sum(c.booked_vnd for c in collect.values())  # what the postman brings back
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, f"Tổng số điểm: {len(shipments)}. Tổng tiền thu hộ: {format_vnd(total)}.",
             new_x="LMARGIN", new_y="NEXT")
    for s in shipments:
        if collect[s.id].differs:
            pdf.multi_cell(0, 5, cod_difference_text(s, collect[s.id]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"In lúc {format_local(printed_at)}.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _signatures(pdf, "NHÂN VIÊN BƯU CHÍNH", "NGƯỜI LẬP DANH SÁCH")
    return render(pdf)


def handover_pdf(shipments: Sequence[Shipment], *, day: date, route_code: str | None, printed_at: datetime) -> bytes:
    """Biên bản giao nhận hồ sơ between the postal service and the centre for one day, of one route
    or of all (`route_code` None)."""
    route = f"Tuyến {route_code}" if route_code else "Tất cả các tuyến"
    pdf = new_document(title=f"Biên bản giao nhận hồ sơ {route_code or ''} {day.isoformat()}")
    pdf.add_page()
    _title(pdf, "BIÊN BẢN GIAO NHẬN HỒ SƠ", f"Ngày {day.strftime('%d/%m/%Y')} - {route}")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, "Căn cứ Quyết định số 45/2016/QĐ-TTg ngày 19/10/2016 của Thủ tướng Chính phủ về việc "
                         "tiếp nhận hồ sơ, trả kết quả giải quyết thủ tục hành chính qua dịch vụ bưu chính công ích, "
                         f"hôm nay, nhân viên bưu chính và {CENTRE} giao nhận các hồ sơ sau:")
    pdf.ln(2)
    sections = ((states.PICKUP, "I. Hồ sơ nhận tại nhà, bưu chính giao cho Trung tâm"),
                (states.DELIVERY, "II. Kết quả giải quyết, Trung tâm giao cho bưu chính để phát"))
    for direction, heading in sections:
        # what changed hands that day (`scheduling.handed_over_on`), whatever happened to it since
        chosen = [s for s in shipments if s.direction == direction]
        pdf.set_font(FONT, "B", 10)
        pdf.cell(0, 6, f"{heading}: {len(chosen)} hồ sơ", new_x="LMARGIN", new_y="NEXT")
        rows = [(i, s.dossier_code, s.tracking_number or "", s.recipient_name, documents_cell(s),
                 status_name(s.direction, s.status)) for i, s in enumerate(chosen, start=1)]
        _table(pdf, ("STT", "Mã hồ sơ", "Mã vận đơn", "Người gửi/nhận", "Thành phần hồ sơ", "Tình trạng"),
               (10, 36, 28, 34, 60, 18), rows, figures=(0,))
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, "Hồ sơ nhận qua bưu chính được coi là đã nộp khi biên bản này được ký. Biên bản lập "
                         f"thành 02 bản, mỗi bên giữ 01 bản. In lúc {format_local(printed_at)}.")
    pdf.ln(3)
    # Named parties, not "bên giao"/"bên nhận": in section I the post hands over, in section II the centre.
    _signatures(pdf, "NHÂN VIÊN BƯU CHÍNH", "ĐẠI DIỆN TRUNG TÂM")
    return render(pdf)


def consignment_note_pdf(shipment: Shipment, *, printed_at: datetime) -> bytes:
    """Phiếu gửi hồ sơ: who, where, which documents (originals vs copies), postage."""
    pdf = new_document(title=f"Phiếu gửi hồ sơ {shipment.dossier_code}")
    pdf.add_page()
    what = "Nhận hồ sơ tại nhà" if shipment.direction == states.PICKUP else "Chuyển phát kết quả"
    _title(pdf, "PHIẾU GỬI HỒ SƠ", f"{what} qua dịch vụ bưu chính công ích")
    pdf.set_font(FONT, "", 10)
    lines = [
        ("Mã hồ sơ", shipment.dossier_code), ("Mã vận đơn", shipment.tracking_number or "(chưa có)"),
        ("Người gửi/nhận", shipment.recipient_name), ("Điện thoại", shipment.recipient_phone),
        ("Địa chỉ", address_text(shipment)), ("Hạn hoàn thành", shipment.due_date.strftime("%d/%m/%Y")),
        ("Khối lượng", f"{shipment.weight_grams} g"), ("Cước bưu chính", format_vnd(shipment.postage_vnd)),
        ("Ghi chú", shipment.note or ""),
    ]
    for label, value in lines:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(40, 6, f"{label}:")
        pdf.set_font(FONT, "", 10)
        # Left, as the receipt's values: fpdf2 justifies by default, stretching a line broken before a long word.
        pdf.multi_cell(0, 6, value, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    rows = [(i, d["name"], "Bản chính" if d.get("original") else "Bản sao", d.get("copies", 1))
            for i, d in enumerate(shipment.documents or [], start=1)] or [(1, "Theo hồ sơ", "", "")]
    _table(pdf, ("STT", "Tên giấy tờ", "Loại", "Số lượng"), (12, 110, 34, 30), rows, figures=(0, 3))
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 6, f"In lúc {format_local(printed_at)}.", new_x="LMARGIN", new_y="NEXT")
    _signatures(pdf, "NGƯỜI GỬI", "NHÂN VIÊN BƯU CHÍNH")
    return render(pdf)


# The machine format (API clients): English column names and codes, ISO dates.
# The booking's note for the postman (call first, a lane, a back gate) follows the address, as on the manifest.
CSV_COLUMNS = ("date", "route", "slot", "stop", "shipment_id", "direction", "status", "tracking_number",
               "dossier_code", "recipient_name", "recipient_phone", "address", "note", "ward_code",
               "documents", "fees_to_collect_vnd", "due_date", "owed_now_vnd", "cod_mismatch")
# The people's format (the board's link): Vietnamese headers, names and dates, the codes in columns of
# their own for whoever sorts or filters by them; money stays a plain number a spreadsheet can add up.
# Our shipment id is "ID bưu gửi (nội bộ)": in VNPost's usage "mã bưu gửi" is the tracking number (our
# "Mã vận đơn"), and a postman or the post office looking up the one by the other would find nothing.
CSV_COLUMNS_VI = ("Ngày", "Tuyến", "Buổi", "Điểm", "ID bưu gửi (nội bộ)", "Loại", "Trạng thái", "Mã vận đơn",
                  "Mã hồ sơ", "Người nhận/gửi", "Điện thoại", "Địa chỉ", "Ghi chú", "Mã phường/xã", "Giấy tờ",
                  "Mã buổi", "Mã loại", "Mã trạng thái", "Thu hộ (đồng)", "Hạn hoàn thành",
                  "Hồ sơ còn phải nộp (đồng)", "Chênh lệch thu hộ")
CSV_LABELS = ("codes", "vi")


def _dmy(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _as_text(value: str) -> str:
    """`="0901234567"`: a spreadsheet shows the digits as written, where it would read the number 901234567."""
    return f'="{value}"'


def _csv_row(s: Shipment, fees_to_collect: FeesToCollect, labels: str) -> tuple:
    # Cells people typed go through spreadsheet_safe (in day_csv); the ward code and the phone number
    # are ours (a phone is stored normalised, digits only): as text, ="06685" and ="0901234567" keep
    # their leading zero where a spreadsheet would read the numbers 6685 and 901234567 (a postman's
    # list of phone numbers without their 0). The amount owed now is empty when there is none to
    # compare (not cash on delivery, or handed over).
    collect = fees_to_collect(s)
    owed = "" if collect.owed_vnd is None else collect.owed_vnd
    if labels == "vi":
        return (_dmy(s.planned_date), s.route_code or "", SLOT_NAMES.get(s.slot or "", ""), s.stop or "", s.id,
                DIRECTION_NAMES[s.direction], status_name(s.direction, s.status), s.tracking_number or "", s.dossier_code,
                s.recipient_name, _as_text(s.recipient_phone), address_text(s), s.note or "",
                _as_text(s.ward_code), documents_text(s),
                s.slot or "", s.direction, s.status, collect.booked_vnd, _dmy(s.due_date), owed,
                "Có" if collect.differs else "")
    return (s.planned_date.isoformat() if s.planned_date else "", s.route_code or "", s.slot or "", s.stop or "",
            s.id, s.direction, s.status, s.tracking_number or "", s.dossier_code, s.recipient_name,
            s.recipient_phone, address_text(s), s.note or "", s.ward_code, documents_text(s), collect.booked_vnd,
            s.due_date.isoformat(), owed, "true" if collect.differs else "false")


def day_csv(shipments: Sequence[Shipment], *, fees_to_collect: FeesToCollect, labels: str = "codes") -> str:
    """The day's plan as CSV (UTF-8 with BOM so spreadsheet programs show the diacritics), for machines
    (`codes`) or for people (`vi`); the names, addresses and documents people typed cannot act as
    formulas (spreadsheet_safe)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS_VI if labels == "vi" else CSV_COLUMNS)
    as_text = {CSV_COLUMNS_VI.index("Điện thoại"), CSV_COLUMNS_VI.index("Mã phường/xã")} if labels == "vi" else set()
    for s in shipments:
        cells = _csv_row(s, fees_to_collect, labels)
        writer.writerow([cell if i in as_text else spreadsheet_safe(cell) for i, cell in enumerate(cells)])
    return out.getvalue()
