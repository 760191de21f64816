"""The e-receipt (biên lai thu phí, lệ phí) as a Vietnamese PDF with a verify QR.

A cancelled receipt stays retrievable, as a cancelled paper document stays on file: the same
document, stamped ĐÃ HỦY across the page, with when and why it was cancelled."""
from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from config import Settings
from kernel.clock import business_date, format_local
from kernel.money import format_vnd
from kernel.pdf import FONT, new_document, render
from kernel.words import amount_in_words
from payments.models import PaymentRequest
from payments.receipts import Receipt, neighbours, receipt_channels, receipt_for_request, verify_url

CHANNEL_NAMES = {"vietqr_transfer": "Chuyển khoản (VietQR)", "pos_card": "Thẻ (POS)",
                 "internet_banking": "Ngân hàng điện tử", "cash": "Tiền mặt",
                 "cod": "Thu hộ qua bưu điện (COD)"}
KIND_NAMES = {"charge": "Lệ phí", "fee": "Phí", "postage": "Cước bưu chính"}
QR_SIZE = 32  # mm: the verify QR's side


def agency_label(agency_code: str, settings: Settings) -> str:
    """The agency's name with its code when configured (HCCPAY_AGENCY_NAMES), else the code alone."""
    name = settings.agency_names.get(agency_code)
    return f"{name} ({agency_code})" if name else agency_code


def receipt_file(session, request: PaymentRequest, settings: Settings) -> tuple[str, bytes]:
    """The request's receipt as a download: its file name and the PDF (NotFound when it has none)."""
    receipt = receipt_for_request(session, request)
    replaces, _ = neighbours(session, receipt)
    body = receipt_pdf(receipt, request, receipt_channels(session, receipt), settings, replaces=replaces)
    return f"bien-lai-{receipt.series}-{receipt.number_text}{'' if receipt.valid else '-da-huy'}.pdf", body


def receipt_pdf(receipt: Receipt, request: PaymentRequest, channels: list[str], settings: Settings,
                replaces: Receipt | None = None) -> bytes:
    """The receipt as issued (`channels`: payments.receipts.receipt_channels), stamped if cancelled;
    `replaces`: the request's cancelled receipt issued before it (payments.receipts.neighbours)."""
    dossier = request.dossier
    cancelled = "" if receipt.valid else " (ĐÃ HỦY)"
    pdf = new_document(title=f"Biên lai {receipt.series} {receipt.number_text}{cancelled}")
    if not receipt.valid:  # on every page, also those the items or the QR run on to (fpdf2 calls it per page)
        pdf.header = lambda: _cancelled_stamp(pdf)
    # Every page names its receipt and counts the pages: a staff member holding page 2 alone can tell which
    # receipt it belongs to, and that a page is missing.
    pdf.footer = lambda: _page_footer(pdf, receipt)
    pdf.add_page()
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 5, "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    if settings.tax_code:  # a legal field of the receipt (Decree 123/2020 Art. 32): the collector's tax code
        pdf.cell(0, 5, f"Mã số thuế: {settings.tax_code}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, f"Mẫu số: {receipt.form_symbol}    Ký hiệu: {receipt.series}    Số: {receipt.number_text}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 9, "BIÊN LAI THU PHÍ, LỆ PHÍ", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, "(Biên lai điện tử)", align="C", new_x="LMARGIN", new_y="NEXT")
    if not receipt.valid:
        _cancelled_notice(pdf, receipt)
    pdf.ln(4)
    for label, value in (
        ("Tên người nộp", dossier.applicant_name),
        ("Mã hồ sơ", dossier.code),
        ("Thủ tục", dossier.procedure_name),
        ("Cơ quan", agency_label(dossier.agency_code, settings)),
        ("Mã thanh toán", request.payment_code),
        ("Hình thức thanh toán", ", ".join(CHANNEL_NAMES.get(c, c) for c in channels) or "—"),
        ("Thời gian", format_local(receipt.issued_at)),
        # Paid again after its money went back: the paper the citizen may still hold is named, so nobody
        # takes the two for two payments (as a replacing e-invoice names the one it replaces).
        *([("Thay thế biên lai", f"Ký hiệu {replaces.series} số {replaces.number_text} "
                                 f"ngày {business_date(replaces.issued_at):%d/%m/%Y} (đã hủy)")] if replaces else []),
    ):
        pdf.set_font(FONT, "B", 10)
        pdf.cell(48, 6, f"{label}:")
        pdf.set_font(FONT, "", 10)
        # Left, wrapped where long: fpdf2's default justifies, and a line broken before a long word (a
        # decision number with its date) was stretched across the page with wide gaps.
        pdf.multi_cell(0, 6, value, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.table(col_widths=(12, 100, 30, 44), text_align=("CENTER", "LEFT", "LEFT", "RIGHT"),
                   line_height=6) as table:
        table.row(["STT", "Nội dung thu", "Loại", "Số tiền"])
        for index, item in enumerate(_receipted(request, receipt), start=1):
            table.row([str(index), item.fee_item.name, KIND_NAMES[item.fee_item.kind], format_vnd(item.amount_vnd)])
        table.row(["", "Tổng cộng", "", format_vnd(receipt.amount_vnd)])
    pdf.ln(3)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 6, f"Số tiền bằng chữ: {amount_in_words(receipt.amount_vnd)}.", align="L",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    url = verify_url(settings, receipt)
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=4)
    qr.add_data(url)
    # An image placed at a given height never breaks the page: with many fee items the QR ran off the
    # paper and its link beside it went on to the next page. The two go to a new page together instead.
    if pdf.get_y() + QR_SIZE > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(qr.make_image().get_image(), x=pdf.l_margin, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_xy(pdf.l_margin + QR_SIZE + 4, top)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 5, "Quét mã QR hoặc truy cập đường dẫn sau để tra cứu, xác thực biên lai:\n" + url, align="L",
                   new_x="LMARGIN", new_y="NEXT")
    return render(pdf)


def _receipted(request: PaymentRequest, receipt: Receipt) -> list:
    """The request's items the receipt was issued for: not those withdrawn before it (a cancelled shipment's
    postage, asked for no more: `payments.service.withdraw_fee_items`), which its amount leaves out."""
    return [item for item in request.items
            if item.fee_item.withdrawn_at is None or item.fee_item.withdrawn_at > receipt.issued_at]


RED = (200, 0, 0)


def _cancelled_stamp(pdf) -> None:
    """ĐÃ HỦY in large red letters across the page, drawn first so the text stays readable over it (the page's
    header: fpdf2 puts the font back after it)."""
    pdf.set_font(FONT, "B", 72)
    pdf.set_text_color(230, 160, 160)
    with pdf.rotation(35, x=pdf.w / 2, y=pdf.h / 2):
        pdf.text((pdf.w - pdf.get_string_width("ĐÃ HỦY")) / 2, pdf.h / 2, "ĐÃ HỦY")
    pdf.set_text_color(0, 0, 0)


def _page_footer(pdf, receipt: Receipt) -> None:
    """"Biên lai ký hiệu … số … - Trang x/y" at the foot of the page ({nb}: fpdf2's total, filled in at the end)."""
    pdf.set_y(-12)
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 5, f"Biên lai ký hiệu {receipt.series} số {receipt.number_text} - Trang {pdf.page_no()}/{{nb}}",
             align="R")


def _cancelled_notice(pdf, receipt: Receipt) -> None:
    pdf.ln(2)
    pdf.set_text_color(*RED)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, "BIÊN LAI ĐÃ HỦY", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, f"Hủy lúc {format_local(receipt.cancelled_at)}. Lý do: {receipt.cancel_reason_text} "
                         "Biên lai không còn giá trị.", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
