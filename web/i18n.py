"""Vietnamese first, English on request: page texts are written in Vietnamese and translated here.

`{{ "Đã thanh toán"|t }}` shows the Vietnamese text, or its English translation when the
visitor chose English (`?lang=en`, remembered in a cookie). A text missing here stays Vietnamese.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import g, request
from jinja2 import pass_context

LANGS = ("vi", "en")
COOKIE = "hccpay_lang"

EN = {
    "Trung tâm Phục vụ Hành chính công": "Public Administration Service Centre",
    "Thanh toán phí, lệ phí hồ sơ": "Pay the fees of your dossier",
    "Mã thanh toán": "Payment code",
    "Hồ sơ": "Dossier",
    "Thủ tục": "Procedure",
    "Người nộp": "Applicant",
    "Khoản thu": "Item",
    "Loại": "Kind",
    "Số tiền": "Amount",
    "Phí": "Fee",
    "Lệ phí": "Charge",
    "Cước bưu chính": "Postage",
    "Phải nộp": "Amount due",
    "Đã nộp": "Paid",
    "Còn lại": "Outstanding",
    "Đã hoàn trả": "Refunded",
    "Trạng thái": "Status",
    "Chờ thanh toán": "Awaiting payment",
    "Đã nộp một phần": "Partly paid",
    "Đã thanh toán": "Paid",
    "Nộp thừa": "Overpaid",
    "Đã hết hạn": "Expired",
    "Đã hủy": "Cancelled",
    "Đã hoàn một phần": "Partly refunded",
    "Đã hoàn tiền": "Refunded",
    "Đang hoàn một phần": "Partly being refunded",
    "Đang hoàn tiền": "Being refunded",
    "Đang hoàn trả": "Being refunded",
    "Quét mã VietQR bằng ứng dụng ngân hàng": "Scan the VietQR code with any banking app",
    "Hoặc chuyển khoản với thông tin sau": "Or transfer with these details",
    "Ngân hàng": "Bank",
    "Số tài khoản": "Account number",
    "Chủ tài khoản": "Account name",
    "Nội dung chuyển khoản": "Transfer memo",
    "Sao chép": "Copy",
    "Đã sao chép": "Copied",
    "Thanh toán bằng thẻ / ngân hàng điện tử": "Pay by card / internet banking",
    "Tải biên lai điện tử": "Download the e-receipt",
    "In trang thanh toán": "Print this page",
    "Hạn thanh toán": "Pay before",
    "Khoản phí này do nhân viên bưu điện thu khi giao kết quả (thu hộ). Vui lòng nộp cho bưu tá; không chuyển "
    "khoản hoặc thanh toán trực tuyến cho mã này để tránh nộp hai lần.":
        "The postman collects this fee on delivery of the result (cash on delivery). Please pay the postman; do "
        "not transfer money or pay online for this code, so that you do not pay twice.",
    "Trạng thái được cập nhật tự động.": "This status updates by itself.",
    "Không tìm thấy mã thanh toán": "Payment code not found",
    "Mã thanh toán không hợp lệ": "Invalid payment code",
    "Vui lòng kiểm tra lại mã trên giấy hẹn hoặc tin nhắn.": "Please check the code on your appointment slip or SMS.",
    "Yêu cầu thanh toán đã hết hạn. Vui lòng liên hệ bộ phận một cửa để được cấp mã mới.":
        "This payment request has expired. Please ask the one-stop desk for a new code.",
    "Yêu cầu thanh toán đã bị hủy. Không chuyển tiền cho mã này.":
        "This payment request was cancelled. Do not transfer money for this code.",
    "Cảm ơn! Hồ sơ đã được thanh toán đủ.": "Thank you! The dossier is fully paid.",
    "Đăng nhập": "Log in",
    "Đăng xuất": "Log out",
    "Tên đăng nhập": "Username",
    "Mật khẩu": "Password",
    "Sai tên đăng nhập hoặc mật khẩu.": "Wrong username or password.",
    "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau 15 phút.":
        "Account locked after repeated failures. Try again in 15 minutes.",
    "Khu vực cán bộ": "Staff area",
    "Kế toán": "Finance",
    "Bưu điện": "Postal",
    "Quản trị": "Administration",
    "Bạn không có quyền xem trang này.": "You may not see this page.",
    "Vai trò của bạn chưa có trang làm việc ở đây: hồ sơ và tiền nộp tại quầy được ghi nhận qua hệ thống "
    "một cửa của Trung tâm (kết nối bằng API).":
        "Your role has no workspace here: dossiers and money paid at the counter are recorded through the "
        "centre's one-stop system (connected by the API).",
    "Có lỗi xảy ra": "Something went wrong",
    "Trang không tồn tại": "Page not found",
    "Quay lại": "Back",
    "Bỏ qua, tới nội dung chính": "Skip to main content",
    "Trang đăng nhập đã cũ (có thể do đã mở ở thẻ khác); vui lòng đăng nhập lại.":
        "This login page was out of date (perhaps opened in another tab); please log in again.",
    "Phiên làm việc đã hết hạn": "Your session has expired",
    "Thông tin chưa hợp lệ": "Something is not valid",
    "Bạn thao tác quá nhanh": "Too many requests",
    "Tệp quá lớn": "File too large",
    "Mỗi lần gửi tối đa {size}; vui lòng chọn tệp nhỏ hơn.": "At most {size} per upload; please choose a smaller file.",
    "Chưa thể phục vụ lúc này": "We cannot serve you right now",
    "Chưa lưu được thay đổi": "The change was not saved",
    "Mã yêu cầu (cho bộ phận hỗ trợ)": "Request id (for support)",
    "Điều hướng": "Navigation",
    "Mã VietQR để chuyển": "VietQR code to transfer", "vào tài khoản": "to account",
    "Vui lòng đăng nhập để tiếp tục.": "Please log in to continue.",
    "Mỗi hồ sơ có một mã thanh toán (2 chữ cái và 11 chữ số, ví dụ HS12345678978), in trên giấy hẹn trả kết quả và "
    "gửi trong tin nhắn. Nhập mã để xem số tiền phải nộp, mã VietQR và thông tin chuyển khoản.":
        "Each dossier has a payment code (2 letters and 11 digits, e.g. HS12345678978), printed on the appointment "
        "slip and sent by SMS. Type it to see the amount due, the VietQR code and the transfer details.",
    "Xem trang thanh toán": "Open the pay page",
    "Nhập lại mã thanh toán": "Type the payment code again",
    "Cán bộ Trung tâm": "Centre staff",
    "Số tiền nộp thừa": "Paid in excess",
    "không còn thu": "no longer charged",
    "Trung tâm sẽ hoàn trả phần nộp thừa cho người nộp; nếu cần, vui lòng liên hệ bộ phận một cửa.":
        "The centre will refund the excess to the payer; if needed, please contact the one-stop desk.",
    "Khoản phí đã được hoàn trả cho người nộp. Yêu cầu thanh toán này đã đóng; không chuyển thêm tiền cho mã này.":
        "The fees were refunded to the payer. This payment request is closed; do not transfer money for this code.",
    "Một phần số tiền đã nộp đã được hoàn trả; hồ sơ cần nộp số còn lại ở trên.":
        "Part of what was paid was refunded; the amount outstanding above is due again.",
    "Khoản phí đang được hoàn trả cho người nộp. Yêu cầu thanh toán này đã đóng; không chuyển thêm tiền cho mã này.":
        "The fees are being refunded to the payer. This payment request is closed; do not transfer money for this "
        "code.",
    "Một phần số tiền đã nộp đang được hoàn trả; hồ sơ cần nộp số còn lại ở trên.":
        "Part of what was paid is being refunded; the amount outstanding above is due again.",
    "Khoản phí của biên lai này đã được hoàn trả cho người nộp": "The fees of this receipt were refunded to the payer",
    "Một phần khoản phí của biên lai này đang được hoàn trả cho người nộp":
        "Part of the fees of this receipt is being refunded to the payer",
    "Chưa có biên lai": "No receipt yet",
    "Biên lai điện tử được phát hành khi hồ sơ đã thanh toán đủ.": "The e-receipt is issued once the fees are fully paid.",
    "Không có biên lai": "No receipt",
    "Yêu cầu thanh toán đã hết hạn trước khi được thanh toán đủ nên không có biên lai; không chuyển tiền cho mã này.":
        "The payment request expired before it was fully paid, so there is no receipt. Do not transfer money for this code.",
    "Yêu cầu thanh toán đã bị hủy trước khi được thanh toán đủ nên không có biên lai; không chuyển tiền cho mã này.":
        "The payment request was cancelled before it was fully paid, so there is no receipt. Do not transfer money for "
        "this code.",
    "Vui lòng liên hệ bộ phận một cửa để được cấp mã mới.": "Please ask the one-stop desk for a new code.",
    "Về trang thanh toán": "Back to the pay page",
    "vui lòng thử lại sau.": "please try again later.",
    "Biên lai không hợp lệ": "Receipt not valid",
    "Biên lai đã hủy (đã hoàn tiền)": "Receipt cancelled (refunded)",
    "Biên lai hợp lệ": "Receipt is genuine",
    "Không tìm thấy biên lai với số và mã kiểm tra này. Vui lòng quét lại mã QR trên biên lai hoặc liên hệ Trung tâm.":
        "No receipt has this number and check code. Scan the receipt's QR code again or contact the centre.",
    "Biên lai đã hủy (khoản thanh toán bị hủy)": "Receipt cancelled (payment reversed)",
    "Khoản phí của biên lai này đã được hoàn trả toàn bộ cho người nộp.":
        "The fees of this receipt were refunded in full to the payer.",
    "Khoản thanh toán của biên lai này đã bị hủy hoặc trả lại (giao dịch thẻ hoặc tiền mặt tại quầy bị hủy, "
    "khoản tiền được tách khỏi hồ sơ); hồ sơ không còn được thanh toán đủ.":
        "The payment of this receipt was cancelled or returned (card or counter cash transaction voided, "
        "money taken off the dossier); the dossier is no longer fully paid.",
    "Biên lai không còn giá trị.": "The receipt is no longer valid.",
    "Ngày hủy": "Cancelled on",
    "Khoản phí của biên lai này đang được hoàn trả cho người nộp": "The fees of this receipt are being refunded to the payer",
    "Một phần khoản phí của biên lai này đã được hoàn trả cho người nộp":
        "Part of the fees of this receipt was refunded to the payer",
    "Biên lai do Trung tâm phát hành, thông tin trùng khớp với dữ liệu thu.":
        "Issued by the centre; it matches the centre's records.",
    "Kết quả thanh toán trực tuyến": "Online payment result",
    "Không xác thực được kết quả giao dịch (sai chữ ký). Vui lòng kiểm tra lại trạng thái hồ sơ.":
        "The payment result could not be verified (bad signature). Please check the dossier's status.",
    "Giao dịch đã được cổng thanh toán chấp nhận. Hệ thống sẽ ghi nhận khi nhận được xác nhận từ VNPAY.":
        "The gateway accepted the payment. It is recorded when VNPAY confirms it to us.",
    "Giao dịch không thành công hoặc đã bị hủy": "The payment failed or was cancelled",
    "mã": "code", "Chưa có khoản tiền nào được trừ.": "No money was taken.",
    "mã trạng thái giao dịch": "transaction status code",
    "Chưa xác định được kết quả giao dịch": "The payment result is not known yet",
    "Kết quả đang được kiểm tra với VNPAY. Vui lòng xem trạng thái thanh toán của hồ sơ trước khi thanh toán lại.":
        "The result is being checked with VNPAY. Please check the payment status of the dossier before paying again.",
    "Xem trạng thái thanh toán của mã": "See the payment status of code",
    "Mẫu số": "Form", "Ký hiệu": "Series", "Số": "Number", "Ngày phát hành": "Issued",
    "ngày/tháng/năm": "day/month/year",
    "Hồ sơ đã được thanh toán lại, biên lai thay thế": "The dossier was paid again; the replacing receipt",
    "Thay thế biên lai": "Replaces receipt", "ký hiệu": "series", "số": "number", "phát hành": "issued",
    "đã hủy": "cancelled", "cũng đã hủy": "also cancelled",
}


def current_lang() -> str:
    if "lang" not in g:
        wanted = request.args.get("lang") or request.cookies.get(COOKIE) or "vi"
        g.lang = wanted if wanted in LANGS else "vi"
    return g.lang


def other_lang() -> str:
    return "en" if current_lang() == "vi" else "vi"


def other_lang_query() -> str:
    """The language link: this page in the other language. What the page was opened with stays in the query
    (a receipt check's code, a VNPay return's signed result, a staff page's day)."""
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return "?" + urlencode([*kept, ("lang", other_lang())])


def translate(text: str) -> str:
    return EN.get(text, text) if current_lang() == "en" else text


@pass_context
def translate_filter(_context, text: str) -> str:
    """The `|t` filter. Taking the context stops Jinja from folding `"text"|t` into a constant when it
    compiles a template, which would freeze the language of the first visitor for everyone."""
    return translate(text)
