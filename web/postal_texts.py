"""What the postal board says: Vietnamese labels and error sentences, and their English translations.

The names of statuses, slots and directions come from `postal.manifests` (the same words as on
the printed paperwork); the services' error codes are mapped to Vietnamese sentences here,
because their messages are English for API clients.
"""
from __future__ import annotations

from kernel.clock import as_people_read
from kernel.money import format_vnd
from postal import manifests, planner, scheduling, states
from postal.validation import WINDOW_HORIZON_DAYS

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

EVENT_LABELS = {
    (states.PICKUP, states.PICKED_UP): "Đã nhận hồ sơ",
    (states.PICKUP, states.DELIVERED): "Đã chuyển hồ sơ đến Trung tâm",
    (states.DELIVERY, states.OUT_FOR_DELIVERY): "Đang đi phát",
    (states.DELIVERY, states.DELIVERED): "Đã phát cho người nhận",
}
FAILED = "Không thành công"
FAILURE_REASONS = {
    states.NOT_HOME: "Người nhận vắng nhà",
    states.WRONG_ADDRESS: "Sai địa chỉ",
    states.REFUSED: "Người nhận từ chối nhận",
}
# A pickup's failure is the citizen's who hands the dossier over, not a recipient's.
PICKUP_FAILURE_REASONS = {
    states.NOT_HOME: "Người dân vắng nhà",
    states.WRONG_ADDRESS: "Sai địa chỉ",
    states.REFUSED: "Người dân không giao hồ sơ",
}


def failure_reasons(direction: str) -> dict[str, str]:
    return PICKUP_FAILURE_REASONS if direction == states.PICKUP else FAILURE_REASONS


# Whom the postman meets: on a pickup the citizen hands the dossier over (the sender), on a delivery
# the citizen receives the result. The shipment's `recipient_*` fields hold that citizen either way.
PARTY = {states.PICKUP: "Người gửi", states.DELIVERY: "Người nhận"}
HOLDER_NAME = {states.PICKUP: "Họ tên người gửi", states.DELIVERY: "Họ tên người nhận"}

# What the ID check offers (postal.validation.ID_DOCUMENT_TYPES), and the names of every document an ID check
# may have recorded: one of 2024 may name a chứng minh nhân dân, no longer offered (invalid since 01/01/2025).
ID_DOCUMENTS = {"cccd": "Thẻ căn cước / Căn cước công dân", "passport": "Hộ chiếu"}
ID_DOCUMENT_NAMES = {**ID_DOCUMENTS, "cmnd": "Chứng minh nhân dân (CMND)"}
UNPLANNED_REASONS = {
    planner.NO_ROUTE: "Chưa có tuyến nào phục vụ phường/xã này",
    planner.SLOT_FULL: "Buổi người dân hẹn đã hết chỗ",
    planner.ROUTES_FULL: "Các tuyến phục vụ địa bàn đã hết chỗ",
    planner.SLOT_PASSED: "Buổi đi trong ngày đã bắt đầu: xếp sang ngày sau",
    planner.OUT_OF_PROVINCE: "Địa chỉ ngoài tỉnh: không tuyến nào của Trung tâm phục vụ",
}
# Why a waiting shipment is in the queue no plan will place (`scheduling.unserved_shipments`), and what to do.
NO_ROUTE_QUEUE = "Bưu gửi không có tuyến phục vụ"
UNSERVED = {
    planner.OUT_OF_PROVINCE: "Địa chỉ ở {province}, ngoài {home_unit}: các tuyến của Trung tâm chỉ phục vụ phường/xã "
                             "trong tỉnh nên kế hoạch không xếp được bưu gửi này. Bưu điện nhận, phát liên tỉnh "
                             "theo đơn đã đặt ({tracking}): theo dõi trạng thái bưu điện báo; nếu bưu tá cần đến "
                             "Trung tâm, chuyển thủ công vào một tuyến.",
    planner.NO_ROUTE: "Chưa có tuyến nào phục vụ {ward}: đề nghị quản trị viên thêm phường/xã này vào một tuyến để "
                      "kế hoạch xếp được; trong khi chờ, có thể chuyển thủ công vào một tuyến.",
}


def unserved_text(shipment, *, home_province: int, translate=lambda text: text) -> str:
    """Why no plan places `shipment` (in a ward no route serves), in the visitor's language."""
    from postal.addresses import province_name

    home = province_name(home_province)
    kind = scheduling.unplanned_reason(shipment, planner.NO_ROUTE, province_code=home_province)  # as the plan and the API say
    tracking = (f"{translate('mã vận đơn')} {shipment.tracking_number}" if shipment.tracking_number
                else translate("chưa có mã vận đơn"))
    return translate(UNSERVED[kind]).format(
        province=shipment.province_name, home=home, ward=shipment.ward_name, tracking=tracking,
        home_unit=home if home.startswith("Thành phố") else f"tỉnh {home}")


# Courier reports people must look at (postal.checks.events_to_check), by kind; amounts come formatted.
CHECKS = {
    "cod_already_collected": "Bưu điện báo đã thu tiền COD ({collected}) lần nữa, sau báo cáo {first_event_id}: "
                             "chưa ghi nhận, cần đối chiếu với bưu điện.",
    "cod_amount_out_of_range": "Bưu điện báo thu tiền COD {collected}, vượt mức có thể ghi nhận ({limit}): "
                               "chưa ghi nhận, cần đối chiếu với bưu điện.",
    "cod_amount_differs": "Bưu điện báo thu tiền COD {collected}, khác số đã đặt thu ({booked}): đã ghi nhận "
                          "theo số bưu điện báo, cần đối chiếu.",
    "cod_owed_less_than_booked": "Bưu điện báo thu tiền COD {collected} nhưng hồ sơ chỉ còn nợ {owed} (đã đặt thu "
                                 "{booked}; người dân đã thanh toán cách khác trong lúc chờ): đã ghi nhận, phần thu "
                                 "thừa cần hoàn trả cho người dân và đối chiếu với bưu điện.",
    "cod_amount_changed": "Bưu điện gửi lại thông báo {event_id} với số tiền COD {claimed}, khác số đã ghi nhận "
                          "{recorded}: không ghi nhận lại, cần đối chiếu với bưu điện.",
    "cod_not_collectable": "Bưu điện báo đã thu tiền COD {collected} (thông báo {courier_event_id}) cho một bưu gửi "
                           "không thu hộ lúc này (trạng thái: {status}): chưa ghi nhận, cần đối chiếu với bưu điện.",
    "step_after_cancellation": "Bưu điện báo “{step}” (thông báo {event_id}) cho bưu gửi đã hủy: hồ sơ hoặc kết quả "
                               "có thể đang ở bưu điện, cần liên hệ bưu điện và người dân.",
    "attempt_after_cancellation": "Bưu điện báo giao không thành công ({reason}; thông báo {event_id}) cho đơn chuyển "
                                  "phát đã hủy: bưu tá có thể đã đến nhà người dân, kết quả có thể đang ở bưu điện; "
                                  "cần liên hệ bưu điện và người dân.",
    "courier_conflict": "Thông báo {event_id} trùng mã với một thông báo đã ghi nhận nhưng khác nội dung: "
                        "không áp dụng.",
    # Also a check the post made with a document that proves nothing (a CMND, invalid since 2025).
    "delivered_without_id_check": "Bưu điện báo đã phát kết quả (thông báo {event_id}) nhưng không có kiểm tra giấy "
                                  "tờ tùy thân hợp lệ của người nhận: chưa ghi nhận là đã giao; cần liên hệ bưu điện "
                                  "và người dân.",
    "delivered_to_other_id": "Bưu điện báo đã phát kết quả (thông báo {event_id}) cho người có giấy tờ tùy thân "
                             "không phải của người nhận đã đăng ký: chưa ghi nhận là đã giao; kết quả có thể đã đến "
                             "tay người khác, cần liên hệ bưu điện và người dân.",
    "dated_before_shipment": "Bưu điện báo thông báo {event_id} xảy ra lúc {stated}, trước khi bưu gửi được tạo "
                             "({created}): đã ghi nhận tính từ lúc tạo bưu gửi; cần kiểm tra với bưu điện (đồng hồ "
                             "sai, hoặc thông báo của đơn khác).",
    "fees_cancelled_with_courier": "Yêu cầu thanh toán {payment_code} đã bị hủy khi bưu gửi đang ở bưu điện (trạng "
                                   "thái: {status}): bưu gửi không tự hủy được; cần liên hệ bưu điện để thu hồi hoặc "
                                   "không thu tiền.",
}


def check_text(kind: str, data: dict, translate=lambda text: text) -> str:
    """The sentence for a courier report listed for people, in the visitor's language."""
    def vnd(value) -> str:
        return format_vnd(value) if type(value) is int else "?"

    claimed = data.get("claimed") or {}
    return translate(CHECKS[kind]).format(
        collected=vnd(data.get("collected_vnd")), booked=vnd(data.get("booked_vnd")), limit=vnd(data.get("limit_vnd")),
        owed=vnd(data.get("owed_vnd")), recorded=vnd(data.get("recorded_cod_vnd")),
        claimed=vnd(claimed.get("cod_amount_vnd")), first_event_id=data.get("first_event_id", "?"),
        event_id=claimed.get("event_id", "?"), payment_code=data.get("payment_code", "?"), stated=as_people_read(claimed.get("occurred_at", "?")),
        created=as_people_read(data.get("shipment_created_at", "?")), courier_event_id=data.get("courier_event_id", "?"),
        status=translate(manifests.status_name(data.get("direction"), data["shipment_status"])
                         if data.get("shipment_status") in manifests.STATUS_NAMES else "?"),
        step=translate(EVENT_LABELS.get((data.get("direction"), data.get("step")), "?")),
        reason=translate(failure_reasons(data.get("direction")).get(data.get("reason") or "", "?")))


def outcome_label(event: str, *, direction: str, reason: str | None = None) -> tuple[str, str]:
    """The outcome as the postman names it, and the failure reason when there is one."""
    if event == states.FAILED_ATTEMPT:
        return FAILED, failure_reasons(direction).get(reason or "", "")
    return EVENT_LABELS.get((direction, event), event), ""


# The sentence for each code the postal services (and the board's own reading of its forms) can raise:
# every code is here, so staff never meet a machine code (a test walks postal/ for them). `{field_name}`
# and `{max_len}` come from the error's details; `<code>_<value>` is the sentence for one value of a detail
# in VARIANT_DETAILS (a pickup's `direction`: the parties differ; an expired `document_type`).
ERRORS = {
    # days and slots
    "not_a_working_day": "Ngày đã chọn không phải ngày làm việc.",
    "invalid_date": "Ngày không hợp lệ.",
    "date_in_past": "Ngày đã qua: chỉ xếp lịch từ hôm nay trở đi.",
    "date_too_far": "Ngày quá xa: chỉ xếp lịch đến ngày {latest}. Vui lòng kiểm tra lại ngày (năm) đã nhập.",
    "invalid_slot": "Vui lòng chọn buổi sáng hoặc buổi chiều.",
    "slot_passed": "Buổi này hôm nay đã hết giờ nhận hẹn (trước giờ bưu tá xuất phát): vui lòng chọn buổi hoặc "
                   "ngày sau.",
    "window_in_past": "Ngày hẹn của người dân đã qua.",
    "window_not_working_day": "Ngày hẹn rơi vào ngày nghỉ hoặc ngày lễ: bưu điện không đi nhận, trả hôm đó.",
    "window_too_far": f"Ngày hẹn quá xa: chỉ hẹn trong vòng {WINDOW_HORIZON_DAYS} ngày và trong những năm đã có lịch "
                      "nghỉ lễ (muộn nhất {latest}).",
    # moves and outcomes
    "cannot_move": "Bưu gửi ở trạng thái này không thể chuyển tuyến.",
    "round_departed": "Bưu tá đã xuất phát đi buổi này: vui lòng chọn buổi hoặc ngày sau.",
    "too_early_for_retry": "Chưa đến ngày được đi lại (ít nhất 2 ngày làm việc sau lần không thành công).",
    "route_not_found": "Không tìm thấy tuyến.",
    "shipment_not_found": "Không tìm thấy bưu gửi.",
    "check_not_found": "Không tìm thấy báo cáo cần kiểm tra này.",
    "missing_field": "Vui lòng điền đủ thông tin bắt buộc (lý do, số giấy tờ, họ tên...).",
    "missing_field_named": "Vui lòng điền {field_name}.",
    "text_too_long": "{field_name} quá dài: tối đa {max_len} ký tự.",
    "validation_error": "Thông tin nhập chưa hợp lệ.",
    "invalid_event": "Kết quả không hợp lệ.",
    "failure_reason_required": "Vui lòng chọn lý do không thành công.",
    "invalid_reason": "Lý do không hợp lệ.",
    "id_check_required": "Cần kiểm tra giấy tờ tùy thân của người nhận (loại giấy tờ, số, họ tên).",
    "id_check_required_pickup": "Cần kiểm tra giấy tờ tùy thân của người giao hồ sơ (loại giấy tờ, số, họ tên).",
    "invalid_id_document": ("Giấy tờ tùy thân chưa hợp lệ: thẻ căn cước/căn cước công dân 12 chữ số, hộ chiếu "
                            "6–20 chữ hoặc số; họ tên chỉ gồm chữ cái."),
    "invalid_id_document_cmnd": ("Chứng minh nhân dân đã hết giá trị sử dụng từ 01/01/2025; dùng thẻ căn cước/căn "
                                 "cước công dân hoặc hộ chiếu."),
    "invalid_id_number": ("Số căn cước phải gồm 12 chữ số (chứng minh nhân dân 9 số đã hết giá trị sử dụng từ "
                          "01/01/2025)."),
    "id_mismatch": "Số giấy tờ không phải của người nhận đã đăng ký: không được giao kết quả.",
    "illegal_transition": "Không thể ghi kết quả này ở trạng thái hiện tại của bưu gửi.",
    "cannot_cancel": "Bưu gửi đã được nhận nên không thể hủy.",
    "invalid_status": "Trạng thái bưu gửi không hợp lệ.",
    "concurrent_update": "Có thay đổi khác cùng lúc trên bưu gửi này; chưa có gì được ghi. Vui lòng thực hiện lại.",
    "invalid_parameter": "Giá trị trong đường dẫn không hợp lệ.",
    # shipments and addresses
    "shipment_exists": "Hồ sơ này đã có một bưu gửi cùng chiều đang thực hiện.",
    "dossier_cancelled": "Yêu cầu thanh toán của hồ sơ đã bị hủy: không đặt bưu gửi cho hồ sơ này.",
    "invalid_direction": "Vui lòng chọn nhận hồ sơ hoặc trả kết quả.",
    "invalid_province_code": "Mã tỉnh, thành phố không hợp lệ.",
    "unknown_province": "Không có tỉnh, thành phố với mã này (theo 34 đơn vị từ năm 2025).",
    "invalid_ward_code": "Mã phường, xã không hợp lệ (tối đa 5 chữ số, ví dụ 06685).",
    "unknown_ward": "Không có phường, xã với mã này (theo đơn vị hành chính từ năm 2025).",
    "ward_not_in_province": "Phường, xã này không thuộc tỉnh, thành phố của Trung tâm.",
    "invalid_legacy_ward": "Vui lòng ghi tên phường, xã cũ (trước năm 2025).",
    "unknown_legacy_ward": "Không tìm thấy phường, xã cũ với tên này trong tỉnh, thành phố.",
    "legacy_ward_split": "Phường, xã cũ này đã được chia tách năm 2025: vui lòng chọn phường, xã mới của địa chỉ.",
    "legacy_ward_mismatch": "Phường, xã mới không phải đơn vị mà phường, xã cũ đã sáp nhập vào.",
    "unprocessable": "Thông tin hợp lệ nhưng không dùng được cho bưu gửi này.",
    # routes
    "invalid_route_code": "Mã tuyến gồm 1–20 chữ in hoa, chữ số, dấu '-' hoặc '_' (ví dụ HL-01).",
    "route_exists": "Mã tuyến này đã có.",
    "duplicate_ward": "Một phường, xã được ghi hai lần trong tuyến.",
    "invalid_capacity": f"Số chỗ mỗi buổi phải là số nguyên từ 0 đến {scheduling.MAX_CAPACITY}.",
    "nothing_to_change": "Không có thông tin nào thay đổi.",
    # the courier's callbacks (what a person may see when one is looked into)
    "invalid_signature": "Chữ ký của thông báo từ đơn vị vận chuyển không hợp lệ.",
    "malformed_event": "Thông báo từ đơn vị vận chuyển không đúng định dạng.",
    "payload_too_large": "Thông báo từ đơn vị vận chuyển quá lớn nên không được đọc.",
    "event_conflict": "Thông báo này đã được ghi nhận trước đó với nội dung khác.",
    "shipment_mismatch": "Số vận đơn và mã tham chiếu thuộc hai bưu gửi khác nhau.",
    "courier_event_processing_failed":
        "Chưa áp dụng được thông báo từ đơn vị vận chuyển; thông báo đã được lưu để xử lý lại.",
    "tracking_number_taken": "Đơn vị vận chuyển trả về số vận đơn đã thuộc một bưu gửi khác: chưa ghi nhận đơn này.",
}
UNKNOWN_ERROR = "Không thực hiện được thao tác."
NO_ROUTES = ("Chưa có tuyến nào. Tuyến (mã tuyến, các phường/xã phục vụ, số chỗ mỗi buổi) do quản trị viên hệ thống "
             "thiết lập: vui lòng đề nghị quản trị viên tạo tuyến.")
# What each form field is called in a sentence ("Lý do quá dài: tối đa 1000 ký tự.").
VARIANT_DETAILS = ("direction", "document_type")
FIELDS = {"reason": "lý do", "route": "mã tuyến", "note": "ghi chú", "slot": "buổi", "date": "ngày",
          "event": "kết quả"}


def error_text(code: str, details: dict | None = None, translate=lambda text: text) -> str:
    """The sentence for a service error code in the visitor's language (never the code itself)."""
    details = {name: as_people_read(value) for name, value in (details or {}).items()}
    field = FIELDS.get(details.get("field", ""))
    if field and f"{code}_named" in ERRORS:
        code = f"{code}_named"
    else:
        code = next((f"{code}_{details[name]}" for name in VARIANT_DETAILS
                     if f"{code}_{details.get(name)}" in ERRORS), code)
    template = translate(ERRORS.get(code, UNKNOWN_ERROR))
    try:
        sentence = template.format(**{**details, "field_name": translate(field or "nội dung nhập")})
    except (KeyError, IndexError):  # details without what the sentence names: say it plainly
        sentence = translate(ERRORS["validation_error"])
    return sentence[:1].upper() + sentence[1:]


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
    "Xếp sau hạn hoàn thành": "Planned after their due date",
    "cần ưu tiên hoặc báo người dân.": "give them priority or tell the citizens.",
    "Quá hạn": "Past due",
    "Tuyến": "Route",
    "Buổi": "Slot",
    "Sáng": "Morning",
    "Chiều": "Afternoon",
    "Điểm": "Stop",
    "Hạn": "Due",
    "Lý do": "Reason",
    NO_ROUTE_QUEUE: "Shipments no route serves",
    UNSERVED[planner.OUT_OF_PROVINCE]: "Address in {province}, outside {home}: the centre's routes serve the "
                                       "province's wards only, so no plan places this shipment. The post collects "
                                       "or delivers it across provinces on the order booked ({tracking}): follow "
                                       "what the post reports; if a postman must come to the centre, move it onto "
                                       "a route by hand.",
    UNSERVED[planner.NO_ROUTE]: "No route serves {ward} yet: ask the administrator to add this ward to a route so "
                                "the plan can place it; meanwhile it can be moved onto a route by hand.",
    "mã vận đơn": "tracking number", "chưa có mã vận đơn": "no tracking number yet",
    "Địa chỉ ngoài tỉnh: không tuyến nào của Trung tâm phục vụ": "Address outside the province: no route of the "
                                                                 "centre serves it",
    NO_ROUTES: "No routes yet. Routes (code, wards served, places per slot) are set up by the system administrator: "
               "please ask them to create the routes.",
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
    "Biên bản giao nhận hồ sơ, tất cả các tuyến (PDF)": "Handover record, every route (PDF)",
    "Bưu gửi đang thực hiện ngoài kế hoạch": "Shipments under way outside the plan",
    "Bưu điện đã nhận hoặc đang phát các bưu gửi này mà không theo lịch đã xếp.":
        "The post collected or is delivering these shipments without following the plan.",
    "Danh sách cả ngày (CSV)": "The whole day (CSV)",
    "Phiếu gửi hồ sơ (PDF)": "Consignment note (PDF)",
    # courier reports to check
    "Báo cáo của bưu điện cần kiểm tra": "Courier reports to check",
    "Không có báo cáo nào cần kiểm tra.": "No report to check.",
    "Các báo cáo chưa xử lý, cũ nhất trước; một báo cáo ở lại đây cho đến khi được đánh dấu là đã xử lý.":
        "Reports not yet dealt with, oldest first; a report stays here until it is marked as dealt with.",
    "Xử lý": "Action",
    "Đánh dấu đã xử lý": "Mark as dealt with",
    "Ghi chú: đã làm gì (bắt buộc, được ghi nhật ký)": "Note: what was done (required, kept in the audit log)",
    "Còn": "There are",
    "báo cáo cần kiểm tra khác chưa hiển thị: xử lý các báo cáo trên để xem tiếp.":
        "more reports to check not shown: deal with those above to see them.",
    "Đã đánh dấu báo cáo": "Marked report",
    "là đã xử lý": "as dealt with",
    "Báo cáo": "Report",
    "đã được xử lý trước đó": "was already dealt with",
    "Thời điểm": "When",
    "Nội dung": "What",
    CHECKS["cod_already_collected"]: "The post reports collecting the COD money ({collected}) again, after report "
                                     "{first_event_id}: not credited, check with the post.",
    CHECKS["cod_amount_out_of_range"]: "The post reports collecting {collected} COD, more than can be credited "
                                       "({limit}): not credited, check with the post.",
    CHECKS["cod_amount_differs"]: "The post reports collecting {collected} COD, not the {booked} booked: credited as "
                                  "reported, to be checked.",
    CHECKS["cod_owed_less_than_booked"]: "The post reports collecting {collected} COD but the dossier only owed "
                                         "{owed} ({booked} booked; the citizen paid another way meanwhile): "
                                         "credited, the excess is to be refunded to the citizen and checked with "
                                         "the post.",
    CHECKS["cod_amount_changed"]: "The post sent notification {event_id} again with a COD amount of {claimed}, not "
                                  "the {recorded} recorded: not credited again, check with the post.",
    CHECKS["cod_not_collectable"]: "The post reports collecting {collected} COD (notification {courier_event_id}) "
                                   "for a shipment not collecting now (status: {status}): not credited, check with "
                                   "the post.",
    CHECKS["step_after_cancellation"]: "The post reports “{step}” (notification {event_id}) for a cancelled "
                                       "shipment: the dossier or result may be with the post; contact the post and "
                                       "the citizen.",
    CHECKS["attempt_after_cancellation"]: "The post reports a failed delivery ({reason}; notification {event_id}) "
                                          "for a cancelled delivery: the postman may have visited the citizen and "
                                          "the result may be with the post; contact the post and the citizen.",
    CHECKS["courier_conflict"]: "Notification {event_id} reuses the id of one recorded with other content: "
                                "not applied.",
    CHECKS["delivered_without_id_check"]: "The post reports the result delivered (notification {event_id}) without "
                                          "a valid check of the recipient's ID: not recorded as delivered; contact "
                                          "the post and the citizen.",
    CHECKS["delivered_to_other_id"]: "The post reports the result delivered (notification {event_id}) to someone "
                                     "whose ID is not the recipient's recorded one: not recorded as delivered; the "
                                     "result may be in someone else's hands, contact the post and the citizen.",
    CHECKS["dated_before_shipment"]: "The post dates notification {event_id} {stated}, before the shipment was "
                                     "created ({created}): recorded as of the shipment's creation; check with the "
                                     "post (a wrong clock, or another order's notification).",
    CHECKS["fees_cancelled_with_courier"]: "Payment request {payment_code} was cancelled while the shipment is "
                                           "with the post (status: {status}): the shipment cannot be cancelled by "
                                           "itself; contact the post to call it back or collect nothing.",
    # a shipment
    "Bưu gửi": "Shipment",
    "Nhận hồ sơ": "Pickup",
    "Trả kết quả": "Delivery",
    "Người nhận": "Recipient",
    "Người gửi": "Sender",
    "Điện thoại": "Phone",
    "Địa chỉ": "Address",
    "Giấy tờ": "Documents",
    "Cước": "Postage",
    "Thu hộ": "Collect",
    "Hồ sơ hiện còn phải nộp": "The dossier now owes",
    "khác số bưu điện thu, cần kiểm tra": "not what the post collects: to be checked",
    "Hẹn": "Window",
    "Đi lại từ": "Next attempt from",
    "Lần không thành công": "Failed attempts",
    "Đã kiểm tra giấy tờ": "ID checked",
    "Chờ đặt": "Waiting to book", "Đã đặt": "Booked", "Đã xếp lịch": "Scheduled", "Đã nhận hồ sơ": "Picked up",
    "Đang giao": "Out for delivery", "Đã giao": "Delivered", "Giao không thành công": "Failed attempt",
    "Đã chuyển đến Trung tâm": "At the centre",
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
    "Đã chuyển hồ sơ đến Trung tâm": "Brought the dossier to the centre",
    "Đang đi phát": "Out for delivery",
    "Đã phát cho người nhận": "Delivered to the recipient",
    "Kiểm tra giấy tờ tùy thân": "ID check",
    "Loại giấy tờ": "Document type",
    "Thẻ căn cước / Căn cước công dân": "Identity card (căn cước / CCCD)",
    "Chứng minh nhân dân (CMND)": "Former ID card (CMND, invalid since 01/01/2025)",
    "Hộ chiếu": "Passport",
    "Số giấy tờ": "Document number",
    "Họ tên người nhận": "Recipient's name",
    "Họ tên người gửi": "Sender's name",
    "Ghi chú": "Note",
    "Không thành công": "Failed attempt",
    "Lý do không thành công": "Reason it failed",
    "Người nhận vắng nhà": "Recipient not at home",
    "Người dân vắng nhà": "Citizen not at home", "Người dân không giao hồ sơ": "Citizen did not hand over the dossier",
    "Nhận hồ sơ không thành công": "Pickup failed",
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
    "Ngày đã chọn không phải ngày làm việc.": "The chosen day is not a working day.",
    "Ngày không hợp lệ.": "Invalid date.",
    "Ngày đã qua: chỉ xếp lịch từ hôm nay trở đi.": "That day is over: plans start from today.",
    "Ngày quá xa: chỉ xếp lịch đến ngày {latest}. Vui lòng kiểm tra lại ngày (năm) đã nhập.":
        "That day is too far ahead: plans go up to {latest}. Check the day (and year) typed.",
    "Vui lòng chọn buổi sáng hoặc buổi chiều.": "Choose morning or afternoon.",
    "Bưu gửi ở trạng thái này không thể chuyển tuyến.": "A shipment in this state cannot be moved.",
    "Bưu tá đã xuất phát đi buổi này: vui lòng chọn buổi hoặc ngày sau.":
        "The postman has already left on this round: choose a later round or day.",
    "Chưa đến ngày được đi lại (ít nhất 2 ngày làm việc sau lần không thành công).":
        "Too early for another attempt (at least 2 working days after a failed one).",
    "Không tìm thấy tuyến.": "Route not found.",
    "Không tìm thấy bưu gửi.": "Shipment not found.",
    "Không tìm thấy báo cáo cần kiểm tra này.": "This report to check was not found.",
    "Vui lòng điền đủ thông tin bắt buộc (lý do, số giấy tờ, họ tên...).":
        "Fill in every required field (reason, document number, name...).",
    "Thông tin nhập chưa hợp lệ.": "Some input is not valid.",
    "Kết quả không hợp lệ.": "Invalid outcome.",
    "Vui lòng chọn lý do không thành công.": "Choose why the attempt failed.",
    "Lý do không hợp lệ.": "Invalid reason.",
    "Cần kiểm tra giấy tờ tùy thân của người nhận (loại giấy tờ, số, họ tên).":
        "The recipient's ID must be checked (document type, number, name).",
    "Cần kiểm tra giấy tờ tùy thân của người giao hồ sơ (loại giấy tờ, số, họ tên).":
        "The ID of the person handing over the dossier must be checked (document type, number, name).",
    "Giấy tờ tùy thân chưa hợp lệ: thẻ căn cước/căn cước công dân 12 chữ số, hộ chiếu 6–20 chữ hoặc số; họ tên chỉ "
    "gồm chữ cái.":
        "Invalid ID: an identity card (căn cước / CCCD) is 12 digits, a passport 6–20 letters or digits; the name is "
        "letters only.",
    "Chứng minh nhân dân đã hết giá trị sử dụng từ 01/01/2025; dùng thẻ căn cước/căn cước công dân hoặc hộ chiếu.":
        "The former ID card (CMND) is no longer valid since 01/01/2025: use an identity card (căn cước / CCCD) or a "
        "passport.",
    "Số giấy tờ không phải của người nhận đã đăng ký: không được giao kết quả.":
        "This ID number is not the registered recipient's: the result cannot be handed over.",
    "Không thể ghi kết quả này ở trạng thái hiện tại của bưu gửi.":
        "This outcome cannot be recorded in the shipment's current state.",
    "Không thực hiện được thao tác.": "The action could not be done.",
    "Buổi này hôm nay đã hết giờ nhận hẹn (trước giờ bưu tá xuất phát): vui lòng chọn buổi hoặc ngày sau.":
        "Today's round of this slot takes no more bookings (they close before the postman leaves): choose a "
        "later slot or day.",
    "Ngày hẹn của người dân đã qua.": "The citizen's appointment day is over.",
    "Ngày hẹn rơi vào ngày nghỉ hoặc ngày lễ: bưu điện không đi nhận, trả hôm đó.":
        "The appointment falls on a weekend or public holiday: the post does not collect or deliver then.",
    f"Ngày hẹn quá xa: chỉ hẹn trong vòng {WINDOW_HORIZON_DAYS} ngày và trong những năm đã có lịch nghỉ lễ (muộn "
    "nhất {latest}).":
        f"The appointment is too far ahead: at most {WINDOW_HORIZON_DAYS} days, within the years whose holidays are "
        "known ({latest} at the latest).",
    "Vui lòng điền {field_name}.": "Please fill in the {field_name}.",
    "{field_name} quá dài: tối đa {max_len} ký tự.": "{field_name} is too long: at most {max_len} characters.",
    "Số căn cước phải gồm 12 chữ số (chứng minh nhân dân 9 số đã hết giá trị sử dụng từ 01/01/2025).":
        "A citizen identity card number has 12 digits (the 9-digit CMND is no longer valid since 01/01/2025).",
    "Bưu gửi đã được nhận nên không thể hủy.": "The shipment was already picked up: it cannot be cancelled.",
    "Có thay đổi khác cùng lúc trên bưu gửi này; chưa có gì được ghi. Vui lòng thực hiện lại.":
        "Another change to this shipment ran at the same moment; nothing was written. Please do it again.",
    "Trạng thái bưu gửi không hợp lệ.": "Not a valid shipment status.",
    "Giá trị trong đường dẫn không hợp lệ.": "A value in the address is not valid.",
    "Hồ sơ này đã có một bưu gửi cùng chiều đang thực hiện.":
        "This dossier already has a shipment in the same direction under way.",
    "Yêu cầu thanh toán của hồ sơ đã bị hủy: không đặt bưu gửi cho hồ sơ này.":
        "The dossier's payment request was cancelled: no shipment can be booked for it.",
    "Vui lòng chọn nhận hồ sơ hoặc trả kết quả.": "Choose pickup or delivery.",
    "Mã tỉnh, thành phố không hợp lệ.": "Not a valid province code.",
    "Không có tỉnh, thành phố với mã này (theo 34 đơn vị từ năm 2025).":
        "No province has this code (among the 34 of 2025).",
    "Mã phường, xã không hợp lệ (tối đa 5 chữ số, ví dụ 06685).": "Not a valid ward code (up to 5 digits, e.g. 06685).",
    "Không có phường, xã với mã này (theo đơn vị hành chính từ năm 2025).": "No ward has this code (2025 units).",
    "Phường, xã này không thuộc tỉnh, thành phố của Trung tâm.": "This ward is not in the centre's province.",
    "Vui lòng ghi tên phường, xã cũ (trước năm 2025).": "Write the name of the former (pre-2025) ward.",
    "Không tìm thấy phường, xã cũ với tên này trong tỉnh, thành phố.":
        "No former ward of this name is known in the province.",
    "Phường, xã cũ này đã được chia tách năm 2025: vui lòng chọn phường, xã mới của địa chỉ.":
        "This former ward was split in 2025: choose the new ward the address is in.",
    "Phường, xã mới không phải đơn vị mà phường, xã cũ đã sáp nhập vào.":
        "The new ward is not one the former ward became.",
    "Thông tin hợp lệ nhưng không dùng được cho bưu gửi này.":
        "The input is valid but cannot be used for this shipment.",
    "Mã tuyến gồm 1–20 chữ in hoa, chữ số, dấu '-' hoặc '_' (ví dụ HL-01).":
        "A route code has 1–20 capital letters, digits, '-' or '_' (e.g. HL-01).",
    "Mã tuyến này đã có.": "This route code is taken.",
    "Một phường, xã được ghi hai lần trong tuyến.": "A ward is listed twice on the route.",
    f"Số chỗ mỗi buổi phải là số nguyên từ 0 đến {scheduling.MAX_CAPACITY}.":
        f"Places per slot are a whole number from 0 to {scheduling.MAX_CAPACITY}.",
    "Không có thông tin nào thay đổi.": "Nothing to change.",
    "Chữ ký của thông báo từ đơn vị vận chuyển không hợp lệ.": "The courier's notification has an invalid signature.",
    "Thông báo từ đơn vị vận chuyển không đúng định dạng.": "The courier's notification is malformed.",
    "Thông báo từ đơn vị vận chuyển quá lớn nên không được đọc.": "The courier's notification is too large to be read.",
    "Thông báo này đã được ghi nhận trước đó với nội dung khác.":
        "This notification was recorded before with other content.",
    "Số vận đơn và mã tham chiếu thuộc hai bưu gửi khác nhau.":
        "The tracking number and the reference belong to different shipments.",
    "Chưa áp dụng được thông báo từ đơn vị vận chuyển; thông báo đã được lưu để xử lý lại.":
        "The courier's notification could not be applied yet; it is kept to be processed again.",
    "Đơn vị vận chuyển trả về số vận đơn đã thuộc một bưu gửi khác: chưa ghi nhận đơn này.":
        "The courier answered with a tracking number another shipment already has: the order was not recorded.",
    "lý do": "reason", "mã tuyến": "route code", "ghi chú": "note", "ngày": "day",
    "kết quả": "outcome", "nội dung nhập": "input",
}
