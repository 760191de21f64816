"""Words of the finance workspace: Vietnamese labels for the codes the services use, the
Vietnamese sentence for each API error code the pages surface, and their English translations.

The English texts are merged into `web.i18n.EN` when the blueprint loads, so the workspace's
strings live here instead of growing the shared dictionary.
"""
from __future__ import annotations

from kernel.clock import as_people_read
from kernel.money import format_signed_vnd, format_vnd
from kernel.users import MIN_PASSWORD
from payments.banks import bank_by_bin
from reconciliation import profiles
from reconciliation.reports import CHANNEL_VI, KIND_VI, PROVIDER_VI, REASON_VI, person_name

CHANNELS = CHANNEL_VI  # one table each: the day report prints the same names
PROVIDERS = PROVIDER_VI
KINDS = dict(KIND_VI)
LINE_STATUS = {"matched": "Đã khớp", "proposed": "Đề xuất", "unmatched": "Chưa khớp", "ignored": "Bỏ qua"}
DAY_STATUS = {"open": "Đang mở", "close_requested": "Chờ phê duyệt khóa sổ", "closed": "Đã khóa sổ"}
IMPORT_STATUS = {"processing": "Đang xử lý", "done": "Hoàn tất", "failed": "Lỗi"}
REFUND_STATUS = {"awaiting_approval": "Chờ phê duyệt", "sending": "Đang gửi", "transfer_ordered": "Chờ chuyển khoản",
                 "cash_due": "Chờ chi tiền mặt", "executed": "Đã hoàn", "rejected": "Bị từ chối",
                 "failed": "Thất bại"}
# A stored callback that needs a person, as the callbacks page shows it (web.finance_callbacks: a list, or a
# failure set aside, which is listed among the conflicts).
CALLBACK_STATUS = {"conflicts": "Mâu thuẫn với dữ liệu đã ghi nhận", "set_aside": "Đã gác lại",
                   "failed": "Xử lý lỗi, chưa ghi nhận", "rejected": "Bị từ chối",
                   "handled": "Mâu thuẫn đã xử lý"}
CALLBACK_LISTS = {"conflicts": "Mâu thuẫn", "failed": "Xử lý lỗi", "rejected": "Bị từ chối",
                  "handled": "Mâu thuẫn đã xử lý"}
# What a row of the callbacks page means and what to do about it, per list (and for a failure set aside, a
# conflict too). Sentences, as the reasons our code stores are English technical text, shown only as detail.
CALLBACK_MEANING = {
    "conflicts": "Trùng mã giao dịch nhưng khác nội dung đã ghi nhận, hoặc thẻ vừa báo thành công vừa báo từ chối: "
                 "chưa ghi nhận theo thông báo này. Kiểm tra với ngân hàng/đơn vị thanh toán rồi hoàn tiền hoặc "
                 "hủy nếu cần.",
    "set_aside": "Thông báo xử lý lỗi đã được gác lại: không ghi nhận theo thông báo này; khoản tiền (nếu có) "
                 "được đối soát theo sao kê ngân hàng.",
    "failed": "Đã xác thực nhưng xử lý bị lỗi hệ thống: chưa ghi nhận tiền và ngày có thông báo này chưa khóa sổ "
              "được. Khi lỗi đã khắc phục, quản trị viên xử lý lại; nếu không xử lý lại được (bên gửi sẽ gửi lại), "
              "gác lại kèm lý do.",
    "handled": "Mâu thuẫn đã được kế toán xử lý (hủy, hoàn tiền hoặc xác minh với ngân hàng): không còn tính vào "
               "số mâu thuẫn cần xử lý; người xử lý, thời điểm và lý do ghi ở trên.",
    "rejected": "Bị từ chối (sai chữ ký, sai định dạng hoặc ngoài phạm vi): không ghi nhận gì. Nếu đó là giao dịch "
                "thật, khoản tiền được đối soát theo sao kê ngân hàng; báo quản trị viên nếu lặp lại nhiều lần.",
}
REFUND_METHOD = {"card": "Thẻ", "transfer": "Chuyển khoản", "cash": "Tiền mặt"}
ACTIONS = {"match": "Khớp", "unmatch": "Bỏ khớp", "refund": "Hoàn tiền", "write_off": "Ghi thu khác (xóa treo)",
           "ignore": "Bỏ qua", "acknowledge": "Chấp nhận", "correct_amount": "Sửa số tiền theo sao kê"}
# An audit row's action (`kernel.audit`'s code) as the line page's trail shows it; a code not here shows as it is.
AUDIT_ACTIONS = {**{f"reconciliation.{code}": label for code, label in ACTIONS.items()},
                 "reconciliation.undo": "Hoàn tác quyết định", "refund.request": "Đề nghị hoàn tiền",
                 "refund.approve": "Phê duyệt hoàn tiền", "refund.reject": "Từ chối hoàn tiền",
                 "refund.executed": "Đã chuyển tiền hoàn", "refund.failed": "Hoàn tiền thất bại",
                 "callback.handle": "Đánh dấu mâu thuẫn đã xử lý"}
REASONS = REASON_VI  # one table: the report prints the same labels
SUSPENSE_REASONS = {key: REASONS[key] for key in (
    "no_code", "unresolved_code", "unknown_code", "request_closed", "correction_amount_differs", "multi_code_excess",
    "released", "statement_surplus")}

# (Vietnamese, English) for each error code the workspace can meet; `{…}` takes values from the error's details.
ERRORS = {
    "missing_field": ("Vui lòng điền đủ thông tin bắt buộc (lý do, mã hồ sơ…).",
                      "Please fill in every required field (reason, payment code…)."),
    "validation_error": ("Thông tin nhập chưa hợp lệ.",
                         "Something you typed is not valid."),
    "csrf_failed": ("Phiên làm việc đã thay đổi; vui lòng tải lại trang và thử lại.",
                    "Your session changed; reload the page and try again."),
    "invalid_payment_code": ("Mã thanh toán không hợp lệ; vui lòng kiểm tra lại.",
                             "Invalid payment code; please check it."),
    "invalid_payment_code_named": ("Mã thanh toán không hợp lệ ({payment_code}); vui lòng kiểm tra lại.",
                                   "Invalid payment code ({payment_code}); please check it."),
    "payment_request_not_found": ("Không tìm thấy yêu cầu thanh toán với mã này.",
                                  "No payment request has this code."),
    "request_not_creditable": ("Yêu cầu thanh toán này không thể nhận thêm tiền.",
                               "This payment request cannot take more money."),
    "invalid_amount": ("Số tiền phải là số nguyên đồng, ví dụ 150000.",
                       "The amount must be a whole number of đồng, e.g. 150000."),
    # a typed `1.000.000,50`: the grouping makes the decimals plain, and đồng have none
    "fractional_amount": ("Số tiền phải là số nguyên đồng, không có phần lẻ dưới một đồng (ví dụ 1.000.000 hoặc "
                          "1.000.000,00).",
                          "The amount must be whole đồng, without a fraction of a đồng (e.g. 1.000.000 or "
                          "1.000.000,00)."),
    "fractional_amount_named": ("{field_name} phải là số nguyên đồng, không có phần lẻ dưới một đồng "
                                "(ví dụ 1.000.000 hoặc 1.000.000,00).",
                                "The {field_name} must be whole đồng, without a fraction of a đồng "
                                "(e.g. 1.000.000 or 1.000.000,00)."),
    "amount_out_of_range": ("Số tiền nằm ngoài giới hạn cho phép.",
                            "The amount is out of the allowed range."),
    "invalid_allocations": ("Cần ít nhất một mã hồ sơ để khớp.",
                            "Give at least one payment code to match."),
    "amount_exceeds_unallocated": ("Số tiền vượt quá phần chưa phân bổ ({unallocated_vnd}).",
                                   "The amount is more than what is unallocated ({unallocated_vnd})."),
    "confirmation_required": ("Hồ sơ {payment_code} còn nợ {outstanding_vnd}: khớp {amount_vnd} sẽ nộp thừa "
                              "{overpayment_vnd} (người nộp nhận tin nhắn, phần thừa phải hoàn lại). Nếu đúng, "
                              "đánh dấu ô xác nhận rồi gửi lại.",
                              "Request {payment_code} owes {outstanding_vnd}: matching {amount_vnd} overpays it by "
                              "{overpayment_vnd} (the payer gets a text message, the excess must be refunded). If "
                              "this is right, tick the confirmation box and send again."),
    "confirmation_required:confirm_difference": (
        "Số tiền đếm được {counted_vnd} chênh lệch {difference_vnd} so với số phải có trong ngăn kéo {expected_vnd}. "
        "Hãy đếm lại; nếu đúng, đánh dấu ô xác nhận rồi gửi lại (ngăn kéo đã đóng thì không mở lại được).",
        "The count {counted_vnd} differs by {difference_vnd} from the {expected_vnd} the drawer should hold. Count "
        "again; if it is right, tick the confirmation box and send again (a closed drawer cannot be reopened)."),
    "confirmation_stale:confirmed_difference_vnd": (
        "Số tiền phải có trong ngăn kéo nay là {expected_vnd} (đã có giao dịch khác): số đếm được {counted_vnd} nay "
        "chênh lệch {difference_vnd}, không phải {confirmed_difference_vnd} như lúc xác nhận. Chưa đóng ngăn kéo; "
        "nếu đúng, đánh dấu lại ô xác nhận rồi gửi lại.",
        "The drawer should now hold {expected_vnd} (something else was booked): the count {counted_vnd} now differs "
        "by {difference_vnd}, not the {confirmed_difference_vnd} confirmed. The drawer is not closed; if this is "
        "right, tick the confirmation box again and send again."),
    "confirmation_stale": ("Hồ sơ {payment_code} nay còn nợ {outstanding_vnd}, không phải {confirmed_vnd} như lúc "
                           "xác nhận (đã có tiền khác vào hoặc ra): khớp {amount_vnd} sẽ nộp thừa {overpayment_vnd}. "
                           "Chưa khớp gì; nếu vẫn đúng, đánh dấu lại ô xác nhận rồi gửi lại.",
                           "Request {payment_code} now owes {outstanding_vnd}, not the {confirmed_vnd} confirmed "
                           "(other money came in or left): matching {amount_vnd} overpays it by {overpayment_vnd}. "
                           "Nothing was matched; if this is still right, tick the confirmation box again and send."),
    "amount_exceeds_suspense": ("Số tiền vượt quá phần đang tạm treo ({unallocated_vnd}).",
                                "The amount is more than what is in suspense ({unallocated_vnd})."),
    "suspense_claimed_by_refund": ("Khoản hoàn {refund_awaiting_vnd} (đề nghị #{refund_id}) của giao dịch này đang chờ "
                                   "phê duyệt và lấy từ tiền tạm treo trước: hãy để người phê duyệt quyết định "
                                   "trước khi xử lý số tiền này.",
                                   "A refund of {refund_awaiting_vnd} (request #{refund_id}) of this payment waits for "
                                   "approval and takes its suspense money first: let the approver decide it before "
                                   "deciding on this money."),
    "statement_shows_less": ("Sao kê chỉ ghi có {statement_vnd} cho giao dịch này, không phải {callback_vnd} như "
                             "thông báo: phần chênh lệch chưa từng về tài khoản nên không thể hoàn trả. Hãy sửa số "
                             "tiền giao dịch theo sao kê trước.",
                             "The statement shows {statement_vnd} for this payment, not the {callback_vnd} its "
                             "callback claimed: the difference never arrived and cannot be refunded. Correct the "
                             "payment to the statement's amount first."),
    "statement_shows_more": ("Sao kê ghi có {statement_vnd} cho giao dịch này, nhiều hơn {callback_vnd} như thông "
                             "báo: hãy sửa số tiền giao dịch theo sao kê trước (phần thừa chuyển vào tạm treo và "
                             "được hoàn trả từ đó), để không lấy vào khoản lệ phí đã nộp.",
                             "The statement shows {statement_vnd} for this payment, more than the {callback_vnd} its "
                             "callback claimed: correct the payment to the statement's amount first (the surplus "
                             "then waits in suspense and is refunded from there), so the paid fee is not taken."),
    "nothing_to_correct": ("Số tiền trên sao kê của dòng này bằng số tiền đã ghi nhận: không có gì để sửa.",
                           "This line's statement amount is the payment's: there is nothing to correct."),
    "payment_has_refunds": ("Đang có đề nghị hoàn trả (#{refund_id}) lấy tiền của giao dịch này: hãy từ chối hoặc "
                            "đánh dấu không thành công trước khi sửa số tiền.",
                            "A refund (#{refund_id}) claims this payment's money: reject it or mark it failed "
                            "before correcting the amount."),
    "amount_exceeds_payment": ("Giao dịch còn giữ ít hơn số tiền cần trừ (một phần đã ghi thu khác): hãy hủy ghi "
                               "thu khác trước.",
                               "The payment holds less than the amount to take out (part was written off): undo "
                               "the write-off first."),
    "nothing_in_suspense": ("Dòng này không còn tiền tạm treo.",
                            "Nothing of this line is in suspense."),
    "money_in_suspense": ("Dòng này còn {unallocated_vnd} tạm treo: hãy khớp, ghi thu khác hoặc hoàn trả, "
                          "không thể bỏ qua.",
                          "{unallocated_vnd} of this line waits in suspense: match, write it off or refund it; "
                          "it cannot be ignored."),
    "nothing_allocated": ("Dòng này chưa được khớp với hồ sơ nào.",
                          "This line is not matched to any request."),
    "not_a_credit_line": ("Chỉ xử lý được dòng ghi có đã ghi nhận khoản thu.",
                          "Only a credit line with its payment can be handled this way."),
    "line_changed": ("Dòng sao kê vừa được người khác xử lý; vui lòng xem lại rồi quyết định.",
                     "Someone else just changed this line; look again before deciding."),
    "line_not_found": ("Không tìm thấy dòng sao kê.",
                       "No such statement line."),
    "day_closed": ("Ngày này đã khóa sổ; không thể thay đổi.",
                   "This day is closed; it cannot change."),
    "already_acknowledged": ("Ngoại lệ này đã được chấp nhận.",
                             "This exception is already acknowledged."),
    "exception_changed": ("Ngoại lệ này nay là {amount_vnd}, không phải {expected_amount_vnd} như khi bạn xem: hãy xem "
                          "lại trước khi chấp nhận.",
                          "This exception is now {amount_vnd}, not the {expected_amount_vnd} you saw: look again "
                          "before accepting it."),
    "exception_not_found": ("Không tìm thấy ngoại lệ này trong ngày.",
                            "No such exception on this day."),
    "resolution_not_found": ("Không tìm thấy quyết định.",
                             "No such decision."),
    "already_undone": ("Quyết định này đã được hoàn tác.",
                       "This decision was already undone."),
    "not_latest_resolution": ("Hãy hoàn tác các quyết định sau trên dòng này trước.",
                              "Undo the later decisions on this line first."),
    "refund_in_progress": ("Khoản hoàn đã được thực hiện; hãy đánh dấu thất bại thay vì hoàn tác.",
                           "The refund has gone ahead; mark it failed instead of undoing."),
    "open_exceptions": ("Còn {count} ngoại lệ chưa xử lý vượt ngưỡng cho phép; xử lý hoặc chấp nhận từng ngoại lệ "
                        "trước khi khóa sổ.",
                        "{count} open exceptions above the tolerance; settle or acknowledge each before closing."),
    "close_not_requested": ("Kế toán chưa đề nghị khóa sổ ngày này.",
                            "Finance has not asked to close this day."),
    "same_person": ("Người đề nghị không thể tự phê duyệt; cần một người phê duyệt khác.",
                    "The requester cannot approve; another approver must."),
    "day_not_over": ("Ngày này chưa kết thúc; chỉ khóa sổ được từ ngày hôm sau.",
                     "This day has not ended; it can be closed from the next day on."),
    "callbacks_pending": ("Còn {count} thông báo thanh toán nhận trước khi khóa sổ chưa được ghi sổ ({queued} đang chờ "
                          "xử lý, {failed} xử lý lỗi chờ quản trị viên đưa lại vào hàng đợi hoặc để riêng cho kế "
                          "toán); số tiền của ngày chưa đầy đủ, hãy khóa sổ sau khi các thông báo này được ghi sổ.",
                          "{count} payment callbacks received before the close are not in the books yet ({queued} "
                          "queued, {failed} failed and waiting for an administrator to queue them again or set them "
                          "aside for finance); the day's money is not complete: close once they are applied."),
    "close_already_requested": ("Ngày này đã được đề nghị khóa sổ ({requested_by}); chờ người phê duyệt quyết định.",
                                "Closing this day was already asked ({requested_by}); an approver decides."),
    "suspense_changed": ("Số tiền tạm treo của khoản này đã thay đổi thành {unallocated_vnd} (có thể biểu mẫu đã "
                         "được gửi hai lần hoặc người khác vừa xử lý); vui lòng kiểm tra lại.",
                         "The money in suspense for this payment is now {unallocated_vnd} (the form may have been "
                         "sent twice, or someone else has just acted); please check again."),
    "refundable_changed": ("Số tiền có thể hoàn đã thay đổi thành {refundable_vnd}; vui lòng kiểm tra lại.",
                           "The refundable amount is now {refundable_vnd}; please check again."),
    "amount_exceeds_refundable": ("Chỉ có thể hoàn tối đa {refundable_vnd}.",
                                  "At most {refundable_vnd} can be refunded."),
    "refund_not_awaiting_approval": ("Khoản hoàn này không còn chờ phê duyệt.",
                                     "This refund no longer awaits approval."),
    "refund_not_executable": ("Khoản hoàn này không ở trạng thái chờ chi.",
                              "This refund is not waiting to be paid out."),
    "refund_already_executed": ("Khoản hoàn tiền mặt này đã được {executed_by} chi trả lúc {executed_at}.",
                                "This cash refund was already handed over by {executed_by} at {executed_at}."),
    "refund_reference_differs": ("Khoản hoàn này đã được chi với số tham chiếu {reference}.",
                                 "This refund was already paid out with reference {reference}."),
    "import_in_progress": ("Sao kê của ngày đang được nhập: khóa sổ sau khi nhập xong.",
                           "The day's statement is still being imported: close the day once the import is done."),
    "insufficient_cash_in_drawer": ("Ngăn kéo tiền mặt chỉ còn {balance_vnd}, không đủ để trả lại số tiền này.",
                                    "The cash drawer holds only {balance_vnd}, not enough to hand this sum back."),
    "refund_not_cash_due": ("Chỉ khoản hoàn tiền mặt đang chờ trả mới đổi được sang chuyển khoản; khoản này đã được "
                            "xử lý (tải lại trang để xem).",
                            "Only a cash refund waiting to be handed over can become a transfer; this one was "
                            "dealt with already (reload the page)."),
    "refund_method_changed": ("Khoản hoàn này vừa được đổi sang hình thức khác ({method}): tải lại trang.",
                              "This refund was just switched to another payout ({method}): reload the page."),
    "unknown_bank": ("Không tìm thấy ngân hàng này: chọn ngân hàng trong danh sách.",
                     "No such bank: choose one from the list."),
    "invalid_account_number": ("Số tài khoản không hợp lệ: 6 đến 19 chữ số hoặc chữ cái, không có dấu cách.",
                               "Invalid account number: 6 to 19 digits or letters, no spaces."),
    "refund_not_cash": ("Thu ngân chỉ chi các khoản hoàn bằng tiền mặt.",
                        "Cashiers hand over cash refunds only."),
    "refund_not_found": ("Không tìm thấy khoản hoàn.",
                         "No such refund."),
    "payment_not_found": ("Không tìm thấy khoản thu.",
                          "No such payment."),
    "wrong_role_for_method": ("Kế toán chỉ xác nhận các khoản hoàn bằng chuyển khoản.",
                              "Finance marks only transfer refunds executed."),
    "allocation_released": ("Phân bổ này đã được bỏ khớp.",
                            "This allocation was already released."),
    "payment_reversed": ("Khoản thu đã bị hủy/đảo.",
                         "The payment was reversed."),
    # the counter's void of cash (payments.cash_voids)
    "drawer_closed": ("Ngăn kéo tiền mặt đã đóng (đã kiểm đếm): không thu thêm hay hủy giao dịch của ngăn kéo này "
                      "được nữa; muốn trả lại tiền, hãy đề nghị hoàn tiền.",
                      "The cash drawer is closed (counted): it takes no more cash and its payments can no longer be "
                      "voided; to give money back, ask for a refund."),
    "drawer_of_another_day": ("Giao dịch thu vào ngày làm việc khác ({business_date}): chỉ hủy được trong ngày; "
                              "hãy đề nghị hoàn tiền.",
                              "The cash was taken on another business day ({business_date}): a void is for the "
                              "same day only; ask for a refund."),
    "not_your_drawer": ("Thu ngân chỉ đóng được ngăn kéo của mình; hãy nhờ kế toán.",
                        "A cashier may close only their own drawer; ask finance."),
    "drawer_not_found": ("Không tìm thấy ngăn kéo tiền mặt.", "No such cash drawer."),
    "not_your_payment": ("Thu ngân chỉ hủy được giao dịch do mình thu; hãy nhờ kế toán.",
                         "A cashier may void only cash they took; ask finance."),
    "payment_not_cash": ("Khoản thu này không phải tiền mặt tại quầy: không hủy được ở đây.",
                         "This payment was not cash at the counter: it cannot be voided here."),
    "payment_refunded": ("Khoản thu này đã có đề nghị hoàn tiền: không hủy được giao dịch nữa.",
                         "A refund was asked for out of this payment: it can no longer be voided."),
    "payment_moved": ("Kế toán đã chuyển một phần khoản thu này (bỏ khớp, tạm treo): không hủy được giao dịch nữa.",
                      "Finance moved some of this payment (released, in suspense): it can no longer be voided."),
    "invalid_date": ("Ngày không hợp lệ.",
                     "Invalid date."),
    # statement uploads
    "missing_file": ("Vui lòng chọn tệp sao kê.",
                     "Choose a statement file."),
    "empty_file": ("Tệp sao kê rỗng.",
                   "The statement file is empty."),
    "unsupported_format": ("Không nhận dạng được định dạng tệp (hỗ trợ camt.053, MT940, CSV, XLSX).",
                           "The file format is not recognised (camt.053, MT940, CSV, XLSX)."),
    "unsupported_media_type": ("Vui lòng gửi tệp sao kê qua biểu mẫu tải lên.",
                               "Send the statement through the upload form."),
    "unsafe_xml": ("Tệp XML có nội dung không an toàn (DTD) và bị từ chối.",
                   "The XML file holds unsafe content (a DTD) and was refused."),
    "malformed_xml": ("Tệp XML bị lỗi cấu trúc.",
                      "The XML file is malformed."),
    "malformed_camt053": ("Tệp camt.053 bị lỗi (dòng {line_no}).",
                          "The camt.053 file is malformed (line {line_no})."),
    "not_camt053": ("Tệp XML không phải sao kê camt.053.",
                    "The XML file is not a camt.053 statement."),
    "malformed_mt940": ("Tệp MT940 bị lỗi.",
                        "The MT940 file is malformed."),
    "truncated_statement": ("Tệp sao kê bị thiếu phần cuối (không có số dư cuối kỳ sau các giao dịch); "
                            "vui lòng xuất lại tệp từ ngân hàng.",
                            "The statement file is cut short (no closing balance after its transactions); "
                            "export it again from the bank."),
    "malformed_csv": ("Tệp CSV bị lỗi.",
                      "The CSV file is malformed."),
    "malformed_xlsx": ("Tệp Excel bị lỗi.",
                       "The Excel file is malformed."),
    "uncalculated_formula": ("Ô {cell} của tệp Excel chứa công thức chưa được tính (chương trình tạo tệp không lưu "
                             "kết quả), nên không đọc được giao dịch: hãy mở tệp bằng Excel rồi lưu lại, hoặc xuất "
                             "lại sao kê từ ngân hàng.",
                             "Cell {cell} of the Excel file holds a formula saved without its value, so the "
                             "transaction cannot be read: open the file in Excel and save it again, or export the "
                             "statement again."),
    "suspicious_archive": ("Tệp Excel bất thường (nghi nén quá mức) và bị từ chối.",
                           "The Excel file looks abnormal (over-compressed) and was refused."),
    "missing_columns": ("Không tìm thấy các cột bắt buộc (ngày, số tiền, nội dung) trong tệp.",
                        "The required columns (date, amount, memo) were not found."),
    "invalid_encoding": ("Không đọc được bảng mã của tệp.",
                         "The file's character encoding could not be read."),
    "unsupported_currency": ("Sao kê không phải bằng VND.",
                             "The statement is not in VND."),
    "mixed_accounts": ("Tệp chứa sao kê của nhiều tài khoản.",
                       "The file holds statements of several accounts."),
    "unknown_account": ("Tài khoản trong sao kê không phải tài khoản thu của Trung tâm.",
                        "The statement's account is not one of the centre's collection accounts."),
    "account_mismatch": ("Số tài khoản nhập không khớp với tài khoản trong tệp.",
                         "The account number given does not match the file's."),
    "account_number_required": ("Tệp không ghi số tài khoản; vui lòng nhập số tài khoản.",
                                "The file names no account; enter the account number."),
    "empty_statement": ("Tệp sao kê không có giao dịch nào và không có số dư của ngày nào: không có gì để nhập. "
                        "Ngày không phát sinh giao dịch được nhập từ sao kê có ghi số dư của ngày đó.",
                        "The statement file holds no statement line and no balance of a day: nothing to import. "
                        "A day without transactions is imported from a statement stating that day's balance."),
    "empty_camt053": ("Tệp camt.053 không có sao kê nào (Stmt): không có gì để nhập; vui lòng xuất lại sao kê từ ngân hàng.",
                      "The camt.053 file holds no statement (Stmt): nothing to import; export the statement from "
                      "the bank again."),
    "ambiguous_header": ("Dòng tiêu đề của tệp trải trên hai dòng nhưng gộp lại vẫn không có cột ngày và cột số tiền "
                         "ghi có (hoặc số tiền); vui lòng sửa dòng tiêu đề hoặc chọn đúng mẫu ngân hàng.",
                         "The file's header runs over two rows and together they still name no date column and no "
                         "credit (or amount) column; fix the header or choose the right bank layout."),
    # The details go in brackets after a clause that stands alone: without its values a template is cut
    # before the bracket holding the first missing one (error_sentence), and still says what went wrong.
    "missing_date": ("Một giao dịch có số tiền nhưng không có ngày (dòng {line_no}), và không có dòng giao dịch nào "
                     "phía trên để lấy ngày.",
                     "A transaction has an amount but no date (line {line_no}), and no transaction row above it "
                     "gives one."),
    "unknown_direction": ("Không đọc được chiều ghi nợ/ghi có (dòng {line_no}): ký hiệu “{marker}” không thuộc các ký "
                          "hiệu đã biết (C/D, Cr/Dr, Có/Nợ, Ghi có/Ghi nợ, Thu/Chi, In/Out) hoặc ghi có cho một số "
                          "tiền âm.",
                          "The debit/credit direction cannot be read (line {line_no}): the mark “{marker}” is none "
                          "of those we know (C/D, Cr/Dr, Có/Nợ, Ghi có/Ghi nợ, Thu/Chi, In/Out) or marks a negative "
                          "amount as a credit."),
    "amount_side_unknown": ("Không xác định được tiền vào hay tiền ra (dòng {line_no}): cột số tiền không ghi dấu "
                            "hay chiều ghi nợ/ghi có, và số dư trước, sau dòng này không cho biết. Vui lòng xuất lại "
                            "sao kê có cột Ghi nợ/Ghi có (hoặc có số dư đầu kỳ và số dư từng dòng).",
                            "Whether the money came in or went out cannot be told (line {line_no}): the amount column "
                            "writes no sign or debit/credit side, and the balances before and after the row do not "
                            "tell it. Export the statement again with debit and credit columns (or with the opening "
                            "balance and each row's balance)."),
    "overlapping_sheets": ("Một giao dịch lặp lại giao dịch của trang tính trước trong cùng tệp Excel (dòng {line_no}); "
                           "vui lòng nhập mỗi trang tính trong một tệp riêng hoặc xóa trang tính trùng.",
                           "A transaction repeats one of an earlier sheet of the same Excel file (line {line_no}); "
                           "import one sheet per file or remove the duplicate sheet."),
    "conflicting_reference": ("Một số tham chiếu ngân hàng xuất hiện hai lần trong cùng một ngày với số tiền khác nhau "
                              "(dòng {line_no}, số tham chiếu {bank_ref}: {first_vnd} và {amount_vnd}); tệp tự mâu "
                              "thuẫn nên bị từ chối, vui lòng xuất lại sao kê từ ngân hàng.",
                              "A bank reference is listed twice on one day with different amounts (line {line_no}, "
                              "reference {bank_ref}: {first_vnd} and {amount_vnd}); the file contradicts itself and "
                              "was refused: export the statement again from the bank."),
    "invalid_text": ("Tệp có ký tự điều khiển, loại ký tự không được có trong sao kê ({field_name}, dòng {line_no}); "
                     "vui lòng xuất lại tệp từ ngân hàng.",
                     "The file holds a control character, which no statement text may ({field_name}, line "
                     "{line_no}); export the file again from the bank."),
    "memo_too_long": ("Nội dung của giao dịch dòng {line_no}, nối qua các dòng bên dưới, dài quá {max_len} ký tự: tệp "
                      "có vẻ bị lỗi; vui lòng xuất lại tệp từ ngân hàng.",
                      "The text of line {line_no}, wrapped over the rows below it, runs over {max_len} characters: "
                      "the file looks damaged; export it again from the bank."),
    "payload_too_large": ("Tệp quá lớn.",
                          "The file is too large."),
    "invalid_format": ("Định dạng đã chọn không hợp lệ.",
                       "The chosen format is not valid."),
    "invalid_profile": ("Mẫu ngân hàng đã chọn không hợp lệ.",
                        "The chosen bank layout is not valid."),
    # lines, decisions and days
    "line_has_allocations": ("Tiền của dòng này đã được khớp cho hồ sơ; hãy bỏ khớp trước rồi mới bỏ qua.",
                             "This line's money paid a request; unmatch it first, then ignore it."),
    "line_has_decision": ("Tiền của dòng này đã được xử lý (ghi thu khác hoặc hoàn trả); bỏ qua sẽ che quyết định "
                          "đó. Hãy hoàn tác quyết định trước.",
                          "This line's money was already decided (written off or refunded); ignoring it would "
                          "hide that. Undo that decision first."),
    "already_ignored": ("Dòng này đã được bỏ qua.",
                        "This line is already ignored."),
    "line_ignored": ("Dòng này đang bị bỏ qua; hãy hoàn tác quyết định bỏ qua trước khi khớp.",
                     "This line is ignored; undo the ignore before matching it."),
    "import_not_found": ("Không tìm thấy lần nhập sao kê này.",
                         "No such statement import."),
    "missing_filter": ("Vui lòng chọn một lần nhập hoặc một ngày.",
                       "Choose an import or a day."),
    "invalid_action": ("Thao tác không hợp lệ.",
                       "Not a valid action."),
    "invalid_parameter": ("Giá trị trong đường dẫn không hợp lệ.",
                          "A value in the address is not valid."),
    # a list's filter no form offers (an edited or forged link): refused, never the list unfiltered
    "invalid_parameter:status": ("Bộ lọc trạng thái dòng không hợp lệ; vui lòng chọn trạng thái trong danh sách.",
                                 "The line status filter is not valid; choose a status from the list."),
    "invalid_parameter:kind": ("Bộ lọc loại ngoại lệ không hợp lệ; vui lòng chọn loại trong danh sách.",
                               "The exception kind filter is not valid; choose a kind from the list."),
    "invalid_parameter:state": ("Bộ lọc trạng thái ngoại lệ không hợp lệ; vui lòng chọn “Đang mở” hoặc "
                                "“Mọi trạng thái”.",
                                "The exception state filter is not valid; choose “Open” or “Any status”."),
    # the admin page's account state, a select of "—", "Hoạt động" and "Khóa"
    "invalid_parameter:active": ("Trạng thái tài khoản không hợp lệ; vui lòng chọn “Hoạt động” hoặc “Khóa” "
                                 "(hoặc “—” để giữ nguyên).",
                                 "The account state is not valid; choose “Active” or “Deactivate” (or “—” to "
                                 "leave it as it is)."),
    # a page's over-payment confirmation (hidden amounts) naming a code the form no longer holds: corrected
    "invalid_parameter:confirmed_outstanding_vnd": (
        "Mã hồ sơ đã đổi sau khi xác nhận nộp thừa nên chưa khớp gì. Hãy gửi lại để xem hồ sơ nào sẽ bị nộp "
        "thừa, rồi xác nhận nếu vẫn đúng.",
        "A payment code changed after the over-payment was confirmed, so nothing was matched. Send again to see "
        "which request would be overpaid, then confirm if it is still right."),
    "invalid_version": ("Trang đã cũ hoặc bị sửa; vui lòng tải lại trang rồi quyết định.",
                        "The page is out of date or was altered; reload it before deciding."),
    "allocation_not_found": ("Không tìm thấy phân bổ này.", "No such allocation."),
    "allocation_refunded": ("Tiền của phân bổ này đã được hoàn (một phần); không thể bỏ khớp.",
                            "Money of this allocation was refunded; it cannot be unmatched."),
    "reversal_amount_mismatch": ("Số tiền giao dịch đảo/hủy không khớp với giao dịch gốc.",
                                 "The reversal's amount does not match the original payment."),
    "reversal_ambiguous": ("Lệnh hủy giao dịch thẻ không ghi số lô có thể ứng với nhiều giao dịch bán cùng số; chưa "
                           "được ghi sổ, cần kế toán kiểm tra.",
                           "A card void without a batch number may mean several sales of that number; it was not "
                           "booked, finance must check it."),
    "reversal_repeat_differs": ("Giao dịch hủy/đảo này đã nhận trước đó với số tiền hoặc giao dịch gốc khác; "
                                "chưa được ghi sổ, cần kế toán kiểm tra.",
                                "This void/reversal was received before with another amount or original sale; "
                                "it was not applied and waits for finance."),
    "unprintable_characters": ("Có ký tự không in được trên biên lai; vui lòng viết bằng chữ tiếng Việt hoặc "
                               "chữ Latinh.",
                               "Some characters cannot be printed on the receipt; write it in Vietnamese or "
                               "other Latin letters."),
    "amount_exceeds_outstanding": ("Số tiền vượt quá số còn phải nộp.",
                                   "The amount is more than what is still owed."),
    "refund_executed": ("Khoản hoàn đã được chi trả; không thể hoàn tác. Nếu nhầm, đề nghị người nhận chuyển "
                        "trả và xử lý khoản đó như một dòng sao kê mới.",
                        "The refund was paid out; it cannot be undone. If it was a mistake, ask the payer to "
                        "return it and resolve that transfer as a new statement line."),
    "void_of_refunded_sale": ("Giao dịch hủy thẻ đến khi khoản hoàn cùng giao dịch đang xử lý; chưa áp dụng, "
                              "cần đối chiếu với ngân hàng thanh toán thẻ.",
                              "A card void arrived while a refund of the same sale is under way; not applied: "
                              "check with the acquirer."),
    "illegal_transition": ("Yêu cầu thanh toán không thể chuyển sang trạng thái này.",
                           "The payment request cannot change to this status."),
    "request_not_payable": ("Yêu cầu thanh toán này không còn thanh toán được (đã hết hạn, bị hủy, đã hoàn "
                            "tiền hoặc đã nộp đủ).",
                            "This payment request can no longer be paid (expired, cancelled, refunded or "
                            "already paid)."),
    "collected_on_delivery": ("Khoản phí này do nhân viên bưu điện thu khi giao kết quả; không thanh toán trực "
                              "tuyến trong thời gian này để tránh nộp hai lần.",
                              "The postman collects this fee on delivery; it cannot be paid online meanwhile, "
                              "so that it is not paid twice."),
    "cannot_cancel": ("Chỉ hủy được yêu cầu thanh toán chưa nhận tiền.",
                      "Only a payment request that received no money can be cancelled."),
    "request_still_open": ("Hồ sơ còn yêu cầu thanh toán đang mở ({payment_code}).",
                           "The dossier still has an open payment request ({payment_code})."),
    "nothing_to_request": ("Hồ sơ không còn khoản phí nào để lập yêu cầu thanh toán.",
                           "The dossier has no fee items left to request."),
    "dossier_not_found": ("Không tìm thấy hồ sơ.", "No such dossier."),
    "dossier_conflict": ("Hồ sơ đã tồn tại với nội dung khác.", "The dossier exists with other content."),
    "receipt_not_issued": ("Chưa có biên lai: biên lai được phát hành khi hồ sơ đã thanh toán đủ.",
                           "No receipt yet: it is issued once the fees are fully paid."),
    "receipt_not_found": ("Biên lai không hợp lệ hoặc không tồn tại.",
                          "The receipt is not valid or does not exist."),
    # callbacks that need a person (the callbacks page's forms): one sentence for both cases the API tells apart
    # by its details (already applied or set aside; failed before anything could be queued)
    "callback_not_requeueable": ("Thông báo này không thể xử lý lại: hoặc đã được xử lý hay gác lại, hoặc bị lỗi "
                                 "trước khi kịp đưa vào hàng chờ (bên gửi sẽ gửi lại; khi đã gửi lại, hãy gác lại "
                                 "thông báo này).",
                                 "This callback cannot be processed again: either it was already processed or set "
                                 "aside, or it failed before it could be queued (its sender sends it again; once it "
                                 "has, set this one aside)."),
    "callback_not_found": ("Không tìm thấy thông báo giao dịch này.", "This callback was not found."),
    "callback_already_handled": ("Thông báo này đã được đánh dấu xử lý trước đó; không cần làm lại.",
                                 "This callback was already marked handled; nothing to do again."),
    "callback_not_conflict": ("Chỉ thông báo mâu thuẫn mới đánh dấu đã xử lý được; thông báo này không phải "
                              "mâu thuẫn (hoặc lỗi cần quản trị viên xử lý lại hay gác lại).",
                              "Only a conflict can be marked handled; this callback is not one (a failure is "
                              "processed again or set aside by an administrator)."),
    # general
    "text_too_long": ("{field_name} quá dài: tối đa {max_len} ký tự.",
                      "{field_name} is too long: at most {max_len} characters."),
    "missing_field_named": ("Vui lòng điền đủ thông tin bắt buộc: {field_name}.",
                            "Please fill in the required field: {field_name}."),
    "unauthenticated": ("Vui lòng đăng nhập để tiếp tục.", "Please log in to continue."),
    "forbidden": ("Bạn không có quyền thực hiện thao tác này.", "You may not do this."),
    "not_found": ("Không tìm thấy nội dung bạn yêu cầu.", "What you asked for was not found."),
    "method_not_allowed": ("Thao tác này không được hỗ trợ tại đây.", "This action is not supported here."),
    "rate_limited": ("Bạn thao tác quá nhanh; vui lòng đợi một lát rồi thử lại.",
                     "Too many attempts; please wait a moment and try again."),
    "service_unavailable": ("Hệ thống tạm thời gián đoạn; vui lòng thử lại sau ít phút.",
                            "The service is briefly unavailable; please try again in a few minutes."),
    "concurrent_update": ("Có thay đổi khác cùng lúc trên cùng dữ liệu; chưa có gì được ghi. Vui lòng thực hiện lại.",
                          "Another change to the same records ran at the same moment; nothing was written. "
                          "Please do it again."),
    "internal_error": ("Có lỗi ngoài ý muốn; vui lòng thử lại sau.",
                       "Something unexpected went wrong; please try again later."),
    # administration
    "invalid_username": ("Tên đăng nhập chỉ gồm chữ, số, dấu chấm và gạch dưới (tối đa 60 ký tự).",
                         "A username has letters, digits, dots and underscores (at most 60)."),
    "invalid_full_name": ("Họ tên tối đa {max_len} ký tự.", "A full name has at most {max_len} characters."),
    "user_exists": ("Tên đăng nhập này đã có người dùng.", "This username is taken."),
    "user_not_found": ("Không tìm thấy tài khoản.", "No such user."),
    "cannot_demote_self": ("Bạn không thể tự khóa tài khoản của mình hoặc tự bỏ vai trò quản trị; hãy nhờ một "
                           "quản trị viên khác.",
                           "You cannot deactivate your own account or remove your own admin role; ask another "
                           "admin."),
    "unknown_role": ("Vui lòng chọn vai trò hợp lệ.", "Choose a valid role."),
    "weak_password": (f"Mật khẩu quá ngắn: cần ít nhất {MIN_PASSWORD} ký tự.",
                      f"The password is too short: at least {MIN_PASSWORD} characters."),
    "invalid_name": ("Tên token phải có từ 1 đến 200 ký tự.", "A token name has 1 to 200 characters."),
    "token_not_found": ("Không tìm thấy token.", "No such token."),
    "token_expired": ("Token API đã hết hạn; vui lòng đề nghị quản trị viên cấp token mới.",
                      "The API token has expired; ask an admin for a new one."),
    "invalid_ttl_days": ("Thời hạn của token là số ngày nguyên từ {min} đến {max}; để trống nếu dùng đến khi thu hồi.",
                         "A token's lifetime is a whole number of days from {min} to {max}; leave it blank for one "
                         "valid until revoked."),
}
# Refusals that name what was typed when they have it: among a match form's codes, the wrong one.
NAMED_BY = {"invalid_payment_code": "payment_code"}
GENERIC_ERROR = ("Không thực hiện được thao tác", "The action could not be done")
# What each form field is called in a sentence ("Vui lòng điền lý do.").
FIELDS = {"reason": ("lý do", "reason"), "amount_vnd": ("số tiền", "amount"),
          "payment_code": ("mã thanh toán", "payment code"),
          "expected_refundable_vnd": ("số tiền có thể hoàn", "refundable amount"),
          "bank_reference": ("số tham chiếu ngân hàng", "bank reference"),
          "counted_vnd": ("tiền mặt đếm được", "cash counted"),
          "full_name": ("họ tên", "full name"), "note": ("ghi chú", "note"),
          # the text fields of a statement line a refused upload names (invalid_text)
          "memo": ("nội dung chuyển khoản", "memo"), "bank_ref": ("số tham chiếu ngân hàng", "bank reference"),
          "payer_name": ("tên người nộp", "payer's name"), "payer_account": ("tài khoản người nộp", "payer's account"),
          # the citizen's account a cash refund is switched to (refund_payees)
          "bank_bin": ("ngân hàng", "bank"), "account_number": ("số tài khoản", "account number"),
          "account_name": ("chủ tài khoản", "account holder")}
# Each bank export profile by the bank's name; the generic one by what it reads.
PROFILES = {p.name: p.bank or "Mẫu chung (cột ngày, số tiền, nội dung)" for p in profiles.PROFILES}
FORMATS = {"camt053": "camt.053 (ISO 20022 XML)", "mt940": "MT940 (SWIFT)", "csv": "CSV", "xlsx": "Excel (XLSX)"}


def account_name(account: str | None) -> str:
    """`bank:970436:0071001234567` (a ledger account) -> `Vietcombank 0071001234567`, as people name accounts."""
    kind, _, rest = (account or "").partition(":")
    bin_, _, number = rest.partition(":")
    bank = bank_by_bin(bin_) if kind == "bank" else None
    if bank is None or not number:
        return account or ""
    return f"{bank.short_name} {number}"


# Errors that may name the file's line, when a statement raised them (an amount out of range also
# comes from forms and callbacks, without a line).
LINE_ERRORS = {"invalid_amount", "invalid_date", "amount_out_of_range"}
# Details that are differences (over +, short −), shown with their sign as the pages' tables show them.
SIGNED = frozenset({"difference_vnd", "confirmed_difference_vnd", "over_short_vnd"})


def error_sentence(code: str, details: dict | None, translate=lambda text: text) -> str:
    """The sentence for an API error in the visitor's language (amounts shown as `150.000 ₫`)."""
    details = details or {}
    field = FIELDS.get(details.get("field"))
    if field and f"{code}_named" in ERRORS:
        code = f"{code}_named"  # "Vui lòng điền số tiền." rather than a list of what it might be
    elif details.get(NAMED_BY.get(code)):
        code = f"{code}_named"
    elif f"{code}:{details.get('parameter')}" in ERRORS:
        code = f"{code}:{details['parameter']}"  # a parameter of a form that says more than "not valid"
    if code not in ERRORS:
        return translate(GENERIC_ERROR[0]) + f" ({code})."
    template = translate(ERRORS[code][0])
    # Days and instants as people read them here (`27/11/2026`, `28/11/2026 14:24`), not as the API's ISO details.
    values = {k: (format_signed_vnd if k in SIGNED else format_vnd)(v) if k.endswith("_vnd") and type(v) is int
              else as_people_read(v) for k, v in details.items()}
    # Who acted (`requested_by`, `decided_by`, `by`…) is the audit actor `user:<id>:<name>` in the API's details:
    # a page names the person, as it does everywhere else, never the id.
    values.update({k: person_name(v) for k, v in details.items()
                   if (k == "by" or k.endswith("_by")) and isinstance(v, str)})
    values["field_name"] = translate(field[0] if field else "Nội dung nhập")
    try:
        sentence = template.format(**values)
    except (KeyError, IndexError):
        head = template.split("{")[0]
        if head.count("(") > head.count(")"):  # the value was inside brackets: drop the bracket it opened
            head = head[:head.rindex("(")]
        sentence = head.rstrip(" (:") + "."
    if sentence[:1].islower():
        sentence = sentence[0].upper() + sentence[1:]
    if code in LINE_ERRORS and "line_no" in details:
        sentence += f" ({translate('Dòng')} {details['line_no']})"
    return sentence

EN = {
    # navigation and headings
    "Dòng lệnh (CLI)": "Command line (CLI)", "Hệ thống": "System",  # reports.NOT_A_PERSON: who acted, not a person
    "Kế toán": "Finance", "Tổng quan": "Overview", "Sao kê": "Statements", "Ngoại lệ": "Exceptions",
    "Tạm treo": "Suspense", "Hoàn tiền": "Refunds", "Khu vực kế toán": "Finance sections",
    "Mã thanh toán này chưa có khoản thu nào.": "No payment has been received for this payment code yet.",
    "Ngày đối soát": "Reconciliation day", "Xem": "Show", "Ngày": "Day", "Chọn ngày": "Choose the day",
    "Ngày hiệu lực": "Value date",
    "Ngày trước": "Previous day", "Ngày sau": "Next day", "Hôm nay": "Today",
    "ngoại lệ không chặn khóa sổ": "not blocking the close",
    "Chỉ xem (kiểm toán)": "Read only (auditor)",
    # KPIs and chart
    "Phải thu": "Expected", "Đã thu": "Received", "Đã khớp": "Matched", "Ngoại lệ đang mở": "Open exceptions",
    "Yêu cầu thanh toán lập trong ngày": "Payment requests issued that day",
    "Mọi kênh, theo thời điểm ghi nhận": "All channels, by booking time",
    "trên sao kê": "on the statement", "cần xử lý trước khi khóa sổ": "to settle before closing",
    "Thu theo kênh, 30 ngày": "Collections by channel, 30 days",
    "Thu theo kênh trong 30 ngày đến": "Collections by channel in the 30 days to",
    "Tổng 30 ngày": "30-day total", "Cao nhất": "Highest", "Bảng số liệu": "Data table",
    "Ngày nhận": "Day", "Cộng": "Total",
    "Chuyển khoản (VietQR)": "Bank transfer (VietQR)", "Thẻ (POS)": "Card (POS)",
    "Ngân hàng điện tử": "Internet banking", "Tiền mặt": "Cash",
    "Thu hộ qua bưu điện (COD)": "Cash on delivery by the post (COD)",
    "Bưu điện thu hộ (VNPost)": "Collected by the post (VNPost)",
    # why a line has its status (reconciliation.reports.REASON_VI)
    "Giao dịch đảo": "Reversal", "Kế toán bỏ qua": "Ignored by finance", "Đã có thông báo": "Seen by a callback",
    "Không có khoản thu": "No payment", "Khoản thu đã hủy": "Payment reversed", "Mã hợp lệ": "Code verified",
    "Mã được sửa lỗi gõ": "Code typo corrected", "Khớp thủ công": "Matched by hand", "Nhiều mã": "Several codes",
    "Một phần tạm treo": "Part in suspense", "Đã hủy trước khi ghi nhận": "Voided before it was recorded",
    "Đã ghi thu khác": "Written off", "Đã ghi thu khác một phần": "Partly written off",
    "Đã đề nghị hoàn": "Refund requested", "Nộp nhiều lần": "Paid in several parts",
    "Đã xử lý (ghi thu khác/hoàn trả)": "Settled by finance (written off/refunded)",
    # close and reports
    "Khóa sổ ngày": "Closing the day", "Đang mở": "Open", "Chờ phê duyệt khóa sổ": "Close awaiting approval",
    "Đã khóa sổ": "Closed", "Ngày chờ phê duyệt khóa sổ": "Days whose close awaits approval",
    "Ngày chưa kết thúc: khóa sổ được từ ngày hôm sau.": "The day has not ended: it can be closed from tomorrow.",
    "Hoàn phần nộp thừa": "Refund the excess",
    "Người đề nghị": "Requested by", "Người phê duyệt": "Approved by", "lúc": "at",
    "Đề nghị khóa sổ": "Ask to close the day", "Phê duyệt khóa sổ": "Approve the close",
    "Từ chối khóa sổ": "Reject the close", "Từ chối": "Reject", "Phê duyệt": "Approve",
    "Báo cáo đối soát": "Reconciliation reports", "Tải": "Download", "Mã băm SHA-256": "SHA-256 hash",
    "Bản nháp: mã băm được ghi khi khóa sổ.": "Draft: the hash is recorded when the day is closed.",
    "Bạn đã đề nghị khóa sổ ngày này; cần một người phê duyệt khác.":
        "You asked to close this day; another approver must confirm.",
    "Ngày đã khóa sổ: quyết định mới được ghi vào ngày mở kế tiếp như một điều chỉnh.":
        "The day is closed: new decisions are recorded in the next open day as adjustments.",
    "Còn": "Still", "ngoại lệ chặn khóa sổ.": "exceptions blocking the close.",
    "Số dư": "Balances", "Tài khoản": "Account", "Đầu ngày": "Opening", "Cuối ngày (sao kê)": "Closing (statement)",
    "Cuối ngày (tính toán)": "Closing (computed)", "Chênh lệch": "Difference",
    "Ngăn kéo tiền mặt": "Cash drawers", "Thừa (+) / thiếu (−) khi kiểm đếm": "Over (+) / short (−) at the counts",
    "Chưa kiểm đếm": "Not counted yet", "Ngăn kéo": "Drawer", "Thu ngân": "Cashier", "Phải có": "Should hold",
    "Đếm được": "Counted", "Đã đóng": "Closed",
    # statements
    "Tải sao kê lên": "Upload a statement", "Tệp sao kê": "Statement file",
    "camt.053, MT940, CSV hoặc XLSX xuất từ ngân hàng.": "camt.053, MT940, CSV or XLSX exported from the bank.",
    "Định dạng": "Format", "Tự nhận dạng": "Detect", "Mẫu ngân hàng": "Bank layout",
    "Số tài khoản (nếu tệp không ghi)": "Account number (if the file has none)", "Tải lên": "Upload",
    "Tiến độ": "Progress", "Đang gửi tệp…": "Sending the file…", "Đang xử lý": "Processing",
    "Đã xử lý": "Processed", "dòng": "lines", "Đã nhập xong": "Import finished", "dòng mới": "new lines",
    "dòng trùng": "lines already known", "Xem các dòng của lần nhập này": "See this import's lines",
    "Các lần nhập gần đây": "Recent imports", "Tệp": "File", "Kỳ": "Period", "Người nhập": "Imported by",
    "Hoàn tất": "Done", "Lỗi": "Failed", "Dòng sao kê": "Statement lines", "Lần nhập": "Import",
    "Trang trước": "Previous page", "Trang sau": "Next page", "Tất cả": "All", "Lọc": "Filter",
    "Số tham chiếu": "Bank reference", "Nội dung": "Memo", "Điểm": "Score", "Lý do": "Reasons",
    "Phân bổ": "Allocations", "Chiều": "Direction", "Ghi có": "Credit", "Ghi nợ": "Debit", "Chưa khớp": "Unmatched",
    "Đề xuất": "Proposed", "Bỏ qua": "Ignored", "đã nhập trước đó": "imported before", "Chi tiết": "Details",
    "Chưa có dòng nào.": "No lines yet.", "Chọn một lần nhập để xem các dòng.": "Choose an import to see its lines.",
    "Không có lần nhập nào.": "No imports.", "Dòng": "Line",
    "Quyết định trên dòng này": "Decisions on this line", "Gợi ý": "Suggestions",
    # exceptions and resolutions
    "Hàng đợi ngoại lệ": "Exception queue", "Loại": "Kind", "Trạng thái": "Status",
    "Trạng thái khi khóa sổ": "Status at the close",
    "Cần xử lý (mọi loại chặn khóa sổ)": "To settle (every blocking kind)",
    "Mọi trạng thái": "Any status", "Không có ngoại lệ nào.": "No exceptions.",
    "Thông tin": "Information", "Chặn khóa sổ": "Blocks the close", "Đã xử lý bằng": "Settled by",
    "Đảo giao dịch của dòng": "Reverses line", "Bị đảo bởi dòng": "Reversed by line",
    "xử lý một lần trên dòng đảo": "settled once, on the reversal line",
    "Khớp": "Match", "Bỏ khớp": "Unmatch", "Ghi thu khác (xóa treo)": "Write off",
    "Sửa số tiền theo sao kê": "Correct the amount to the statement's",
    "Chấp nhận": "Acknowledge", "Hoàn tác": "Undo", "Lý do (bắt buộc)": "Reason (required)",
    "Số tiền (để trống: toàn bộ)": "Amount (empty: all)",
    "Yêu cầu": "Request", "Khớp với nhiều hồ sơ: điền thêm dòng.": "Several requests: fill in more rows.",
    "Khớp như vậy sẽ làm hồ sơ bị nộp thừa: người nộp nhận tin nhắn và phần thừa phải hoàn lại.":
        "This match overpays the request: the payer gets a text message and the excess must be refunded.",
    "Tôi xác nhận khớp dù hồ sơ sẽ bị nộp thừa": "I confirm the match although it overpays the request",
    "thừa": "overpaid by",
    "Xác nhận": "Confirm", "Quyết định trong ngày": "Decisions of the day", "Thao tác": "Action",
    "Người thực hiện": "By", "Thời điểm": "When", "Đã hoàn tác": "Undone", "Chưa có quyết định nào.": "No decisions yet.",
    "Tiền về chưa khớp": "Unmatched credit", "Nộp sau khi hết hạn/hủy": "Paid after expiry/cancellation",
    "Nộp thiếu": "Under-payment", "Trùng giao dịch": "Duplicate",
    "Giao dịch đảo/hủy": "Reversal", "Có thông báo nhưng không có trên sao kê": "Callback without statement line",
    "Lệch số dư": "Balance mismatch", "Có trên sao kê nhưng không có thông báo": "Statement credit without callback",
    "Số tiền sao kê khác thông báo": "Statement amount differs from the callback",
    "Ghi vào ngày mở kế tiếp (điều chỉnh)": "Record in the next open day (adjustment)",
    # suspense
    "Ngày đã qua có giao dịch, chưa khóa sổ": "Past days with transactions, not closed", "cuối tuần": "weekend",
    "Tiền tạm treo": "Money in suspense", "Tổng tạm treo": "Total in suspense", "khoản": "payments",
    "hiển thị": "showing", "khoản cũ nhất": "oldest payments", "Kênh": "Channel",
    "Nhận lúc": "Received at", "Đang treo": "In suspense", "Gán cho hồ sơ": "Assign to a request",
    "Không có khoản nào đang tạm treo.": "Nothing in suspense.", "Mã khoản thu": "Payment id",
    "Không có mã": "No code", "Mã không xác định": "Unresolved code", "Mã không tồn tại": "Unknown code",
    "Hồ sơ đã hết hạn/hủy": "Request expired/cancelled", "Sửa mã nhưng lệch số tiền": "Corrected code, other amount",
    "Thừa sau khi chia nhiều mã": "Left over after several codes", "Sao kê ghi có nhiều hơn thông báo": "The statement shows more than the callback", "Đã bỏ khớp": "Unmatched",
    # refunds
    "Đề nghị hoàn tiền": "Request a refund", "Tìm khoản thu": "Find a payment",
    "Mã khoản thu hoặc mã thanh toán": "Payment id or payment code", "Tìm": "Find",
    "Số tiền có thể hoàn": "Refundable amount", "Số tiền hoàn": "Amount to refund", "Gửi đề nghị": "Send the request",
    "Chờ phê duyệt": "Awaiting approval", "Lệnh chuyển khoản hoàn": "Refund transfer orders",
    "Số tham chiếu ngân hàng": "Bank reference", "Đã chuyển": "Mark executed", "Các khoản hoàn gần đây": "Recent refunds",
    "Chuyển khoản không thành công": "Transfer returned",
    # cash refunds switched to a transfer (round 18)
    "Hoàn tiền mặt chờ trả": "Cash refunds to hand over",
    "Thu ngân trả tại quầy từ ngăn kéo hôm nay nếu đủ tiền. Tiền mặt thu từ ngày trước không còn trong ngăn kéo hôm "
    "nay: nếu không quầy nào đủ tiền, hoặc người nộp không thể quay lại, đổi sang chuyển khoản vào tài khoản của "
    "người nộp.": "A cashier pays it at the counter from today's drawer if it holds enough. Cash taken on an earlier "
    "day is no longer in today's drawers: if no desk holds enough, or the payer cannot come back, switch it to a "
    "transfer to the payer's account.",
    "Chuyển sang chuyển khoản": "Switch to a bank transfer", "Ngân hàng": "Bank", "Chọn ngân hàng": "Choose the bank",
    "Số tài khoản": "Account number", "Chủ tài khoản": "Account holder", "Chuyển đến": "Pay to",
    "Đã đổi khoản hoàn #{id} sang chuyển khoản.": "Refund #{id} switched to a bank transfer.",
    "Lý do (ngân hàng trả lại, sai tài khoản…)": "Reason (returned by the bank, wrong account…)",
    "Hình thức": "Method", "Chuyển khoản": "Transfer", "Thẻ": "Card", "Đang gửi": "Sending",
    "Chờ chuyển khoản": "Transfer ordered", "Chờ chi tiền mặt": "Cash due", "Đã hoàn": "Executed",
    "Bị từ chối": "Rejected", "Thất bại": "Failed", "Không có khoản nào.": "None.",
    "Ghi chú (không bắt buộc)": "Note (optional)", "Giao dịch thu": "Payment", "Các khoản thu của hồ sơ": "Payments of the request",
    "Khoản thu không còn gì để hoàn.": "Nothing of this payment is refundable.",
    "Cần người phê duyệt nếu vượt": "An approver must confirm above",
    "Bạn đã đề nghị khoản này.": "You asked for this one.",
    # messages after an action
    "Đã khớp dòng sao kê.": "The line was matched.", "Đã bỏ khớp dòng sao kê.": "The line was unmatched.",
    "Đã đề nghị hoàn tiền cho dòng sao kê.": "A refund was requested for the line.",
    "Đã ghi thu khác phần tạm treo.": "The money in suspense was written off.",
    "Đã bỏ qua dòng sao kê.": "The line was ignored.",
    "Đã sửa số tiền giao dịch theo sao kê.": "The payment was corrected to the statement's amount.", "Đã chấp nhận ngoại lệ.": "The exception was acknowledged.",
    "Đã hoàn tác quyết định.": "The decision was undone.", "Đã đề nghị khóa sổ.": "Closing the day was requested.",
    "Đã phê duyệt khóa sổ.": "The day is closed.", "Đã từ chối khóa sổ.": "The close was rejected.",
    "Đã gán tiền tạm treo cho hồ sơ.": "The money was assigned to the request.",
    "Đã gửi đề nghị hoàn tiền.": "The refund was requested.", "Đã phê duyệt khoản hoàn.": "The refund was approved.",
    "Đã từ chối khoản hoàn.": "The refund was rejected.", "Đã ghi nhận đã chuyển tiền hoàn.": "The refund is executed.",
    "Đã ghi nhận chuyển khoản hoàn không thành công: tiền trở lại hồ sơ.":
        "The refund transfer is recorded as returned: the money is the dossier's again.",
    "Đã nhập sao kê.": "The statement was imported.",
    "Không thực hiện được thao tác": "The action could not be done",
    **{vi: en for vi, en in ERRORS.values()},
    **{vi: en for vi, en in FIELDS.values()}, "Nội dung nhập": "The text",
    "Không gửi được tệp: mất kết nối tới máy chủ. Vui lòng kiểm tra mạng rồi tải lên lại.":
        "The file was not sent: the connection to the server was lost. Check the network and upload it again.",
    "Mẫu chung (cột ngày, số tiền, nội dung)": "Generic (date, amount and memo columns)",
    "Sao kê ngân hàng": "Bank statement", "Ngân hàng (thông báo)": "Bank (notification)",
    "SePay (thông báo)": "SePay (notification)", "payOS (thông báo)": "payOS (notification)",
    "VNPay (cổng thanh toán)": "VNPay (gateway)", "Máy POS": "POS terminal", "Thu tiền mặt tại quầy": "Cash at the desk",
    "Nguồn": "Source", "Đã chấp nhận": "Acknowledged", "Trang": "Page",
    # a line's audit trail
    "Nhật ký kiểm toán": "Audit trail", "Đối tượng": "Subject", "Quyết định": "Decision", "Khoản hoàn": "Refund",
    "Mã băm trước": "Previous hash", "Mã băm": "Hash", "Chưa có thao tác nào được ghi nhật ký.": "Nothing logged yet.",
    "Mỗi dòng nhật ký mang mã băm của dòng trước nó; đối chiếu bằng lệnh hccpay audit verify.":
        "Each row carries the hash of the row before it; check them with hccpay audit verify.",
    "Hoàn tác quyết định": "Undo a decision", "Phê duyệt hoàn tiền": "Refund approved",
    "Từ chối hoàn tiền": "Refund rejected", "Đã chuyển tiền hoàn": "Refund paid out", "Hoàn tiền thất bại": "Refund failed",
    # callbacks that need a person (web.finance_callbacks)
    "Thông báo cần xử lý": "Callbacks to handle", "Thông báo giao dịch cần xử lý": "Payment callbacks to handle",
    "Loại thông báo": "Kind of callback", "Mâu thuẫn": "Conflicts", "Xử lý lỗi": "Failed",
    "Số thông báo": "Callbacks", "Thông báo": "Callback", "Mã giao dịch": "Transaction id",
    "Chi tiết kỹ thuật": "Technical details", "Xử lý lại": "Process again", "Gác lại": "Set aside",
    "Mâu thuẫn với dữ liệu đã ghi nhận": "Contradicts what was recorded", "Đã gác lại": "Set aside",
    "Xử lý lỗi, chưa ghi nhận": "Processing failed, nothing recorded",
    "Xử lý lại và gác lại do quản trị viên hệ thống thực hiện.":
        "Processing again and setting aside are done by a system administrator.",
    "Không có thông báo nào trong danh sách này.": "No callback in this list.",
    "Đã đánh dấu xử lý": "Marked handled", "Mâu thuẫn đã xử lý": "Conflicts handled", "Đánh dấu đã xử lý": "Mark handled",
    "Đã đánh dấu thông báo là đã xử lý.": "The callback is marked handled.",
    "Đánh dấu mâu thuẫn đã xử lý": "Conflict marked handled",
    "Mâu thuẫn đã được kế toán xử lý (hủy, hoàn tiền hoặc xác minh với ngân hàng): không còn tính vào số mâu thuẫn "
    "cần xử lý; người xử lý, thời điểm và lý do ghi ở trên.":
        "A conflict finance has handled (voided, refunded or checked with the bank): no longer counted among the "
        "conflicts to handle; who handled it, when and why are shown above.",
    "Đã xếp thông báo vào hàng xử lý lại.": "The callback is queued to be processed again.",
    "Đã gác lại thông báo; khoản tiền (nếu có) được đối soát theo sao kê.":
        "The callback is set aside; its money, if any, is reconciled from the statement.",
    "Trùng mã giao dịch nhưng khác nội dung đã ghi nhận, hoặc thẻ vừa báo thành công vừa báo từ chối: chưa ghi nhận "
    "theo thông báo này. Kiểm tra với ngân hàng/đơn vị thanh toán rồi hoàn tiền hoặc hủy nếu cần.":
        "The same transaction id with other details than recorded, or a card sale reported both approved and "
        "declined: nothing was recorded from this callback. Check with the bank or payment provider, then refund "
        "or cancel if needed.",
    "Thông báo xử lý lỗi đã được gác lại: không ghi nhận theo thông báo này; khoản tiền (nếu có) được đối soát "
    "theo sao kê ngân hàng.":
        "A failed callback set aside: nothing is recorded from it; its money, if any, is reconciled from the bank "
        "statement.",
    "Đã xác thực nhưng xử lý bị lỗi hệ thống: chưa ghi nhận tiền và ngày có thông báo này chưa khóa sổ được. Khi "
    "lỗi đã khắc phục, quản trị viên xử lý lại; nếu không xử lý lại được (bên gửi sẽ gửi lại), gác lại kèm lý do.":
        "Verified, but processing failed with a system fault: no money is recorded and its day cannot be closed. "
        "Once the fault is mended an administrator processes it again; if it cannot be (its sender sends it "
        "again), it is set aside with a reason.",
    "Bị từ chối (sai chữ ký, sai định dạng hoặc ngoài phạm vi): không ghi nhận gì. Nếu đó là giao dịch thật, khoản "
    "tiền được đối soát theo sao kê ngân hàng; báo quản trị viên nếu lặp lại nhiều lần.":
        "Refused (bad signature, malformed or out of range): nothing recorded. If it was a real transaction, its "
        "money is reconciled from the bank statement; tell an administrator if it keeps happening.",
    "xử lý lỗi, chưa ghi nhận": "failed, nothing recorded", "mâu thuẫn": "conflicts",
}
