"""Vietnamese texts a citizen receives by SMS about a shipment. Pure."""
from __future__ import annotations

from datetime import date

from kernel.money import format_vnd
from kernel.notify import SENDER, fit
from payments.notifications import Payable, payable_sentence
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


_SLOTS = {"morning": "sáng", "afternoon": "chiều"}


def _appointment(window: tuple[date, str]) -> tuple[str, str]:
    """The day and slot a pickup's citizen chose, as the booking text says it (long form, compact form)."""
    day, slot = window
    part = _SLOTS.get(slot, "")
    return f" vào buổi {part} ngày {_d(day)} theo lịch hẹn", f", hẹn {part} {_d(day)}"


def sms_text(event: str, *, direction: str, dossier_code: str, tracking_number: str | None = None,
             due: date | None = None, reason: str | None = None, next_date: date | None = None,
             cod_vnd: int = 0, refund_vnd: int = 0,
             payable: list[Payable] | None = None, window: tuple[date, str] | None = None) -> str | None:
    """The SMS for a shipment event, or None when the citizen is not told about it. `cod_vnd`: what the
    postman collects on delivery (cash on delivery), named when the delivery is booked and goes out;
    `refund_vnd`: what a cancellation leaves to give back of the postage paid; `payable`: the requests a
    cancellation leaves the citizen to pay (what a cash-on-delivery order no longer collects, fees asked again
    under a new code). Every text stays within three segments (`fit`): one too long for the longest dossier
    code (64 characters), tracking number (40) and amounts takes its compact form. `window`: the (day, slot)
    a pickup's citizen chose, named when it is booked (its due date is when the dossier reaches the centre)."""
    pickup = direction == states.PICKUP
    what = f"hồ sơ {dossier_code}" if pickup else f"kết quả hồ sơ {dossier_code}"
    if event == states.BOOKED:
        action = "Bưu điện sẽ đến nhận" if pickup else "Bưu điện sẽ chuyển phát"
        collect = f" và thu {format_vnd(cod_vnd)} khi giao" if cod_vnd > 0 else ""
        short = "Bưu điện sẽ đến nhận" if pickup else "Bưu điện sẽ giao"
        # A booking the courier reports by our reference alone, before its reply, has no tracking number
        # yet: the text leaves it out rather than read "mã vận đơn None".
        number, short_number = ((f", mã vận đơn {tracking_number}", f", vận đơn {tracking_number}")
                                if tracking_number else ("", ""))
        when, short_when = _appointment(window) if pickup and window else ("", "")
        return fit(f"{SENDER}: {action} {what}{when}{number}. "
                   f"Hạn hoàn thành: {_d(due)}. Bưu tá sẽ gọi trước khi đến{collect}.",
                   f"{SENDER}: {short} {what}{short_number}{short_when}, hạn {_d(due)}"
                   f"{f', thu {format_vnd(cod_vnd)}' if cod_vnd > 0 else ''}.")
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
        # However many attempts the courier made (it may return a result after one refusal). What the postman
        # was to collect (cash on delivery) is payable again: the citizen learns how much, under which code
        # and by when, as a cancellation tells it.
        head = f"{SENDER}: Do không giao được, {what} đã được chuyển trả về cơ quan giải quyết."
        if not payable:
            return f"{head} Vui lòng liên hệ Trung tâm để nhận."
        # How to get the result is said whenever it fits (a 25-character dossier code already needs the second
        # form) and in the compact form; only the codes of several requests (the compact form counts them)
        # come before it.
        back = f"{SENDER}: {what[:1].upper()}{what[1:]}"
        every_code = [f"{back} đã trả về cơ quan giải quyết. {payable_sentence(payable)}."] if len(payable) > 1 else []
        return fit(f"{head} {payable_sentence(payable)} và liên hệ Trung tâm để nhận.",
                   f"{back} đã trả về cơ quan giải quyết. {payable_sentence(payable)} và liên hệ Trung tâm để nhận.",
                   *every_code,
                   f"{back} đã trả về. {payable_sentence(payable, compact=True)}, liên hệ Trung tâm để nhận.")
    if event == states.CANCELLED:
        return _cancelled(what, pickup=pickup, reason=reason, refund_vnd=refund_vnd, payable=payable or [])
    return None


COLLECT_AT_CENTRE = "nhận kết quả tại Trung tâm Phục vụ HCC"  # where a delivery that will not come leaves it


def _cancelled(what: str, *, pickup: bool, reason: str | None, refund_vnd: int,
               payable: list[Payable]) -> str | None:
    # The refund's own SMS comes when finance pays it out, maybe days later: the citizen who paid the
    # postage learns now that it comes back. A citizen left to pay (what the postman will no longer
    # collect, fees asked again under a new code) learns how much, under which code and by when. Too long,
    # the text takes its compact form: when it has both, the payment (the citizen must act by a deadline)
    # keeps its place and the refund is left to its own SMS.
    refund = f" Trung tâm sẽ hoàn trả {format_vnd(refund_vnd)} tiền cước bưu chính đã nộp." if refund_vnd > 0 else ""
    pay = f" {payable_sentence(payable)}." if payable else ""
    if payable:
        short_tail = f" {payable_sentence(payable, compact=True)}."
    else:
        short_tail = f" Trung tâm sẽ hoàn trả {format_vnd(refund_vnd)} tiền cước đã nộp." if refund_vnd > 0 else ""
    order = f"yêu cầu thu gom {what}" if pickup else f"đơn chuyển phát {what}"
    if pickup and reason == states.TWO_FAILED_ATTEMPTS:
        head = f"{SENDER}: Sau 2 lần không nhận được {what}, yêu cầu thu gom đã"
        return fit(f"{head} bị hủy.{refund}{pay}", f"{head} hủy.{short_tail}")
    if reason == states.COURIER_CANCELLED and pickup:
        head = f"{SENDER}: Bưu điện đã hủy {order}."
        return fit(f"{head} Vui lòng liên hệ Trung tâm để được hỗ trợ.{refund}{pay}",
                   f"{head}{short_tail if payable else f' Vui lòng liên hệ Trung tâm.{short_tail}'}")
    if reason == states.COURIER_CANCELLED:  # the result stays at the centre: the citizen collects it there
        then = f"{payable_sentence(payable)} và {COLLECT_AT_CENTRE}" if payable else f"Vui lòng {COLLECT_AT_CENTRE}"
        return fit(f"{SENDER}: Bưu điện đã hủy {order}. {then}.{refund}",
                   f"{SENDER}: Bưu điện hủy giao {what}.{short_tail} Nhận kết quả ở Trung tâm.")
    if refund or pay:  # staff's cancellation, asked for by the citizen (or the centre's own)
        head = f"{SENDER}: {order[:1].upper()}{order[1:]} đã được hủy."
        return fit(f"{head}{refund}{pay}", f"{head}{short_tail}")
    return None  # staff's cancellation with nothing paid nor payable again: the citizen asked for it
