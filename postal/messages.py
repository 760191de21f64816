"""Vietnamese texts a citizen receives by SMS about a shipment. Pure."""
from __future__ import annotations

from datetime import date, datetime

from kernel.money import format_vnd
from kernel.notify import SENDER
from payments.notifications import payable_sentence
from postal import states


# Why an attempt failed, as the citizen reads it: a pickup's citizen hands a dossier over, a
# delivery's receives a result.
_REASONS = {
    states.PICKUP: {states.NOT_HOME: "người gửi vắng nhà", states.WRONG_ADDRESS: "sai địa chỉ",
                    states.REFUSED: "người gửi chưa giao hồ sơ"},
    states.DELIVERY: {states.NOT_HOME: "người nhận vắng nhà", states.WRONG_ADDRESS: "sai địa chỉ",
                      states.REFUSED: "người nhận từ chối nhận"},
}


def reason_text(reason: str | None, direction: str) -> str:
    return _REASONS[direction].get(reason or "", "lý do khác")


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def sms_text(event: str, *, direction: str, dossier_code: str, tracking_number: str | None = None,
             due: date | None = None, reason: str | None = None, next_date: date | None = None,
             cod_vnd: int = 0, refund_vnd: int = 0,
             payable: list[tuple[str, int, datetime]] | None = None) -> str | None:
    """The SMS for a shipment event, or None when the citizen is not told about it. `cod_vnd`: what the
    postman collects on delivery (cash on delivery), named when the delivery is booked and goes out;
    `refund_vnd`: what a cancellation leaves to give back of the postage paid; `payable`: (payment code,
    amount owed, deadline) of the requests a cancelled cash-on-delivery order no longer collects, payable
    again. The texts stay within three segments (201 Vietnamese characters) for a 25-character dossier code
    (a cancellation that names both a refund and fees payable again may take a fourth: see _cancelled)."""
    pickup = direction == states.PICKUP
    what = f"hồ sơ {dossier_code}" if pickup else f"kết quả hồ sơ {dossier_code}"
    if event == states.BOOKED:
        action = "Bưu điện sẽ đến nhận" if pickup else "Bưu điện sẽ chuyển phát"
        collect = f" và thu {format_vnd(cod_vnd)} khi giao" if cod_vnd > 0 else ""
        return (f"{SENDER}: {action} {what}, mã vận đơn {tracking_number}. "
                f"Hạn hoàn thành: {_d(due)}. Bưu tá sẽ gọi trước khi đến{collect}.")
    if event == states.PICKED_UP:
        # the due date is the last day allowed ("trước ngày" would read as the day before it)
        return f"{SENDER}: Bưu điện đã nhận {what} và chuyển về Trung tâm chậm nhất ngày {_d(due)}."
    if event == states.OUT_FOR_DELIVERY:
        pay = f" chuẩn bị {format_vnd(cod_vnd)} để thanh toán cho bưu tá và" if cod_vnd > 0 else ""
        return f"{SENDER}: Bưu tá đang giao {what}. Vui lòng{pay} mang theo CCCD để nhận."
    if event == states.DELIVERED:
        if pickup:
            return f"{SENDER}: Trung tâm đã tiếp nhận {what} do bưu điện chuyển đến."
        return f"{SENDER}: Đã giao thành công {what}. Cảm ơn ông/bà đã sử dụng dịch vụ."
    if event == states.FAILED_ATTEMPT:
        verb = "nhận" if pickup else "giao"
        return (f"{SENDER}: Chưa {verb} được {what} ({reason_text(reason, direction)}). "
                f"Bưu điện sẽ quay lại từ ngày {_d(next_date)}.")
    if event == states.RETURNED:
        # However many attempts the courier made (it may return a result after one refusal).
        return (f"{SENDER}: Do không giao được, {what} đã được chuyển trả về cơ quan "
                f"giải quyết. Vui lòng liên hệ Trung tâm để nhận.")
    if event == states.CANCELLED:
        return _cancelled(what, pickup=pickup, reason=reason, refund_vnd=refund_vnd, payable=payable or [])
    return None


COLLECT_AT_CENTRE = "nhận kết quả tại Trung tâm Phục vụ HCC"  # where a delivery that will not come leaves it


def _cancelled(what: str, *, pickup: bool, reason: str | None, refund_vnd: int,
               payable: list[tuple[str, int, datetime]]) -> str | None:
    # The refund's own SMS comes when finance pays it out, maybe days later: the citizen who paid the
    # postage learns now that it comes back. A cash-on-delivery citizen learns what the postman will no
    # longer collect is payable again, by when and under which code. Both at once (postage paid although
    # the order held its request) is the one text that may run past three segments.
    refund = f" Trung tâm sẽ hoàn trả {format_vnd(refund_vnd)} tiền cước bưu chính đã nộp." if refund_vnd > 0 else ""
    pay = payable_sentence(payable) if payable else ""
    order = f"yêu cầu thu gom {what}" if pickup else f"đơn chuyển phát {what}"
    if pickup and reason == states.TWO_FAILED_ATTEMPTS:
        return f"{SENDER}: Sau 2 lần không nhận được {what}, yêu cầu thu gom đã bị hủy.{refund}"
    if reason == states.COURIER_CANCELLED and pickup:
        return f"{SENDER}: Bưu điện đã hủy {order}. Vui lòng liên hệ Trung tâm để được hỗ trợ.{refund}"
    if reason == states.COURIER_CANCELLED:  # the result stays at the centre: the citizen collects it there
        then = f"{pay} và {COLLECT_AT_CENTRE}" if pay else f"Vui lòng {COLLECT_AT_CENTRE}"
        return f"{SENDER}: Bưu điện đã hủy {order}. {then}.{refund}"
    if refund or pay:  # staff's cancellation, asked for by the citizen (or the centre's own)
        return f"{SENDER}: {order[:1].upper()}{order[1:]} đã được hủy.{refund}{f' {pay}.' if pay else ''}"
    return None  # staff's cancellation with nothing paid nor payable again: the citizen asked for it
