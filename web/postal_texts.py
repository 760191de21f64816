"""What the postal board says: Vietnamese labels and error sentences, and their English translations.

The names of statuses, slots and directions come from `postal.manifests` (the same words as on
the printed paperwork); the services' error codes are mapped to Vietnamese sentences here,
because their messages are English for API clients.
"""
from __future__ import annotations

from postal import planner, states

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

EVENT_LABELS = {
    (states.PICKUP, states.PICKED_UP): "Đã nhận hồ sơ",
    (states.PICKUP, states.DELIVERED): "Đã giao hồ sơ về Trung tâm",
    (states.DELIVERY, states.OUT_FOR_DELIVERY): "Đang đi phát",
    (states.DELIVERY, states.DELIVERED): "Đã phát cho người nhận",
}
FAILED = "Không thành công"
FAILURE_REASONS = {
    states.NOT_HOME: "Người nhận vắng nhà",
    states.WRONG_ADDRESS: "Sai địa chỉ",
    states.REFUSED: "Người nhận từ chối nhận",
}
ID_DOCUMENTS = {"cccd": "Căn cước / CCCD", "cmnd": "CMND", "passport": "Hộ chiếu"}
UNPLANNED_REASONS = {
    planner.NO_ROUTE: "Chưa có tuyến nào phục vụ phường/xã này",
    planner.SLOT_FULL: "Buổi người dân hẹn đã hết chỗ",
    planner.ROUTES_FULL: "Các tuyến phục vụ địa bàn đã hết chỗ",
    planner.SLOT_PASSED: "Buổi đi trong ngày đã bắt đầu: xếp sang ngày sau",
}



def outcome_label(event: str, *, direction: str, reason: str | None = None) -> tuple[str, str]:
    """The outcome as the postman names it, and the failure reason when there is one."""
    if event == states.FAILED_ATTEMPT:
        return FAILED, FAILURE_REASONS.get(reason or "", "")
    return EVENT_LABELS.get((direction, event), event), ""


ERRORS = {
    "not_a_working_day": "Ngày đã chọn không phải ngày làm việc.",
    "invalid_date": "Ngày không hợp lệ.",
    "date_in_past": "Ngày đã qua: chỉ xếp lịch từ hôm nay trở đi.",
    "invalid_slot": "Vui lòng chọn buổi sáng hoặc buổi chiều.",
    "cannot_move": "Bưu gửi ở trạng thái này không thể chuyển tuyến.",
    "too_early_for_retry": "Chưa đến ngày được đi lại (ít nhất 2 ngày làm việc sau lần không thành công).",
    "route_not_found": "Không tìm thấy tuyến.",
    "shipment_not_found": "Không tìm thấy bưu gửi.",
    "missing_field": "Vui lòng điền đủ thông tin bắt buộc (lý do, số giấy tờ, họ tên...).",
    "validation_error": "Thông tin nhập chưa hợp lệ.",
    "invalid_event": "Kết quả không hợp lệ.",
    "failure_reason_required": "Vui lòng chọn lý do không thành công.",
    "invalid_reason": "Lý do không hợp lệ.",
    "id_check_required": "Cần kiểm tra giấy tờ tùy thân của người nhận (loại giấy tờ, số, họ tên).",
    "invalid_id_document": ("Giấy tờ tùy thân chưa hợp lệ: CCCD 12 chữ số, CMND 9 hoặc 12 chữ số, hộ chiếu 6–20 "
                            "chữ hoặc số; họ tên chỉ gồm chữ cái."),
    "id_mismatch": "Số giấy tờ không phải của người nhận đã đăng ký: không được giao kết quả.",
    "illegal_transition": "Không thể ghi kết quả này ở trạng thái hiện tại của bưu gửi.",
}
UNKNOWN_ERROR = "Không thực hiện được thao tác."


def error_text(code: str) -> str:
    """The Vietnamese sentence for a service error code (the code itself is shown next to it)."""
    return ERRORS.get(code, UNKNOWN_ERROR)


EN = {
    # the page
    "Bảng điều phối bưu điện": "Postal board",
    "Ngày": "Day",
    "ngày/tháng/năm, ví dụ": "day/month/year, e.g.",
    "Xem": "Show",
    "Ngày làm việc trước": "Previous working day",
    "Ngày làm việc sau": "Next working day",
    "Hôm nay": "Today",
    "Không phải ngày làm việc": "Not a working day",
    "Thứ Hai": "Monday", "Thứ Ba": "Tuesday", "Thứ Tư": "Wednesday", "Thứ Năm": "Thursday",
    "Thứ Sáu": "Friday", "Thứ Bảy": "Saturday", "Chủ nhật": "Sunday",
    "Chạy xếp lịch": "Run the planner",
    "Xếp các bưu gửi đang chờ vào tuyến theo hạn, rồi theo địa bàn, trong giới hạn công suất.":
        "Assigns waiting shipments to routes by deadline, then area, within capacity.",
    "Kết quả xếp lịch": "Planner result",
    "Đã xếp": "Assigned",
    "Không xếp được": "Did not fit",
    "Không có bưu gửi nào được xếp thêm.": "No shipment was assigned.",
    "Tuyến": "Route",
    "Buổi": "Slot",
    "Sáng": "Morning",
    "Chiều": "Afternoon",
    "Điểm": "Stop",
    "Hạn": "Due",
    "Lý do": "Reason",
    "Chưa có tuyến nào. Tạo tuyến qua API /api/v1/postal/routes.":
        "No routes yet. Create them through the API /api/v1/postal/routes.",
    "chỗ": "places",
    "Còn trống": "Free",
    "Hết chỗ": "Full",
    "Vượt công suất": "Over capacity",
    "Chưa có bưu gửi.": "No shipments.",
    "Thả bưu gửi vào đây để chuyển": "Drop a shipment here to move it",
    "Bưu gửi chờ xếp lịch": "Shipments waiting for a place",
    "Không có bưu gửi nào đang chờ.": "No shipment is waiting.",
    "và còn nữa: xếp lịch hoặc chuyển bớt để xem tiếp.": "and more: plan or move some to see the rest.",
    "In ấn": "Print",
    "Danh sách tuyến (PDF)": "Route manifest (PDF)",
    "Biên bản giao nhận hồ sơ (PDF)": "Handover record (PDF)",
    "Danh sách cả ngày (CSV)": "The whole day (CSV)",
    "Phiếu gửi hồ sơ (PDF)": "Consignment note (PDF)",
    # a shipment
    "Bưu gửi": "Shipment",
    "Nhận hồ sơ": "Pickup",
    "Trả kết quả": "Delivery",
    "Người nhận": "Recipient",
    "Điện thoại": "Phone",
    "Địa chỉ": "Address",
    "Giấy tờ": "Documents",
    "Cước": "Postage",
    "Thu hộ": "Collect",
    "Hẹn": "Window",
    "Đi lại từ": "Next attempt from",
    "Lần không thành công": "Failed attempts",
    "Đã kiểm tra giấy tờ": "ID checked",
    "Chờ đặt": "Waiting to book", "Đã đặt": "Booked", "Đã xếp lịch": "Scheduled", "Đã nhận hồ sơ": "Picked up",
    "Đang giao": "Out for delivery", "Đã giao": "Delivered", "Giao không thành công": "Failed attempt",
    "Đã trả về cơ quan": "Returned to the agency",
    # moving
    "Chuyển tuyến / buổi": "Move to another route or slot",
    "Chuyển": "Move",
    "Hủy": "Cancel",
    "Chuyển bưu gửi": "Move a shipment",
    "Lý do chuyển (được ghi nhật ký)": "Reason for the move (audited)",
    "Đã chuyển bưu gửi": "Moved shipment",
    "sang tuyến": "to route",
    "buổi": "slot",
    "vượt công suất": "over capacity",
    "tuyến không phục vụ phường/xã này": "the route does not serve this ward",
    # outcomes
    "Ghi kết quả": "Record the outcome",
    "Đã giao hồ sơ về Trung tâm": "Handed to the centre",
    "Đang đi phát": "Out for delivery",
    "Đã phát cho người nhận": "Delivered to the recipient",
    "Kiểm tra giấy tờ tùy thân": "ID check",
    "Loại giấy tờ": "Document type",
    "Căn cước / CCCD": "Citizen ID card",
    "CMND": "Old ID card (CMND)",
    "Hộ chiếu": "Passport",
    "Số giấy tờ": "Document number",
    "Họ tên người nhận": "Holder's name",
    "Ghi chú": "Note",
    "Không thành công": "Failed attempt",
    "Lý do không thành công": "Reason it failed",
    "Người nhận vắng nhà": "Recipient not at home",
    "Sai địa chỉ": "Wrong address",
    "Người nhận từ chối nhận": "Recipient refused",
    "Ghi nhận": "Record",
    "Đã ghi nhận": "Recorded",
    "hồ sơ": "dossier",
    "Không còn thao tác nào cho bưu gửi này.": "Nothing more to record for this shipment.",
    "Chỉ xem (kiểm toán).": "Read only (audit).",
    # the planner's reasons and errors
    "Chưa có tuyến nào phục vụ phường/xã này": "No route serves this ward yet",
    "Buổi người dân hẹn đã hết chỗ": "The slot the citizen asked for is full",
    "Các tuyến phục vụ địa bàn đã hết chỗ": "The routes serving this area are full",
    "Buổi đi trong ngày đã bắt đầu: xếp sang ngày sau": "The day's round has already left: plan another day",
    "mã lỗi": "error code",
    "Ngày đã chọn không phải ngày làm việc.": "The chosen day is not a working day.",
    "Ngày không hợp lệ.": "Invalid date.",
    "Ngày đã qua: chỉ xếp lịch từ hôm nay trở đi.": "That day is over: plans start from today.",
    "Vui lòng chọn buổi sáng hoặc buổi chiều.": "Choose morning or afternoon.",
    "Bưu gửi ở trạng thái này không thể chuyển tuyến.": "A shipment in this state cannot be moved.",
    "Chưa đến ngày được đi lại (ít nhất 2 ngày làm việc sau lần không thành công).":
        "Too early for another attempt (at least 2 working days after a failed one).",
    "Không tìm thấy tuyến.": "Route not found.",
    "Không tìm thấy bưu gửi.": "Shipment not found.",
    "Vui lòng điền đủ thông tin bắt buộc (lý do, số giấy tờ, họ tên...).":
        "Fill in every required field (reason, document number, name...).",
    "Thông tin nhập chưa hợp lệ.": "Some input is not valid.",
    "Kết quả không hợp lệ.": "Invalid outcome.",
    "Vui lòng chọn lý do không thành công.": "Choose why the attempt failed.",
    "Lý do không hợp lệ.": "Invalid reason.",
    "Cần kiểm tra giấy tờ tùy thân của người nhận (loại giấy tờ, số, họ tên).":
        "The recipient's ID must be checked (document type, number, name).",
    "Giấy tờ tùy thân chưa hợp lệ: CCCD 12 chữ số, CMND 9 hoặc 12 chữ số, hộ chiếu 6–20 chữ hoặc số; họ tên chỉ gồm "
    "chữ cái.":
        "Invalid ID: a CCCD is 12 digits, a CMND 9 or 12 digits, a passport 6–20 letters or digits; the name is "
        "letters only.",
    "Số giấy tờ không phải của người nhận đã đăng ký: không được giao kết quả.":
        "This ID number is not the registered recipient's: the result cannot be handed over.",
    "Không thể ghi kết quả này ở trạng thái hiện tại của bưu gửi.":
        "This outcome cannot be recorded in the shipment's current state.",
    "Không thực hiện được thao tác.": "The action could not be done.",
}
