"""Every SMS about a shipment, and the renewal text, fits three UCS-2 segments (201 characters) in the worst
case: the longest dossier code a dossier may have (64 characters), the longest tracking number a booking may
return (40), amounts of 500.000.000 ₫, a refund and fees payable again together, several requests to pay."""
from datetime import date, datetime, timezone

import pytest

from kernel.notify import SMS_MAX
from payments.notifications import Payable, renewed_text
from postal import messages, states
from postal.clients import MAX_TRACKING
from postal.models import Shipment

DOSSIER = "D" * Shipment.__table__.c.dossier_code.type.length
TRACKING = "T" * MAX_TRACKING
MOST = 500_000_000
AT = datetime(2026, 12, 31, 16, 59, tzinfo=timezone.utc)
ONE = Payable("HS12345678901", MOST, AT)
RENEWAL = Payable("HS12345678901", MOST, AT, "HS12345678902, HS12345678903")
EVENTS = (states.BOOKED, states.PICKED_UP, states.OUT_FOR_DELIVERY, states.DELIVERED, states.FAILED_ATTEMPT,
          states.RETURNED, states.CANCELLED)
REASONS = (None, "Đổi ý", states.COURIER_CANCELLED, states.TWO_FAILED_ATTEMPTS, states.NOT_HOME,
           states.WRONG_ADDRESS, states.REFUSED)
MONEY = ({}, {"cod_vnd": MOST}, {"refund_vnd": MOST}, {"payable": [ONE]}, {"payable": [RENEWAL, ONE, ONE]},
         {"refund_vnd": MOST, "payable": [RENEWAL]}, {"refund_vnd": MOST, "payable": [ONE, ONE]})


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("direction", states.DIRECTIONS)
def test_every_shipment_text_fits_three_segments_in_the_worst_case(event, direction):
    for reason in REASONS:
        for money in MONEY:
            text = messages.sms_text(event, direction=direction, dossier_code=DOSSIER, tracking_number=TRACKING,
                                     due=date(2026, 12, 31), next_date=date(2026, 12, 31), reason=reason, **money)
            assert text is None or len(text) <= SMS_MAX, (len(text), reason, money, text)


def test_the_compact_texts_still_say_what_the_citizen_needs():
    booked = messages.sms_text(states.BOOKED, direction=states.DELIVERY, dossier_code=DOSSIER,
                               tracking_number=TRACKING, due=date(2026, 12, 31), cod_vnd=MOST)
    assert booked == (f"TT Phục vụ HCC: Bưu điện sẽ giao kết quả hồ sơ {DOSSIER}, vận đơn {TRACKING}, "
                      "hạn 31/12/2026, thu 500.000.000 ₫.")
    cancelled = messages.sms_text(states.CANCELLED, direction=states.DELIVERY, dossier_code=DOSSIER,
                                  reason=states.COURIER_CANCELLED, refund_vnd=MOST, payable=[ONE])
    assert cancelled == (f"TT Phục vụ HCC: Bưu điện hủy giao kết quả hồ sơ {DOSSIER}. Nộp 500.000.000 ₫ "
                         "(mã HS12345678901) trước 31/12/2026 23:59. Nhận kết quả ở Trung tâm.")  # local time


@pytest.mark.parametrize("replaces", ["HS12345678902", RENEWAL.replaces])
def test_the_renewal_text_fits_three_segments_in_the_worst_case(replaces):
    text = renewed_text(DOSSIER, RENEWAL._replace(replaces=replaces))
    assert len(text) <= SMS_MAX and "HS12345678901" in text and "500.000.000 ₫" in text, (len(text), text)


@pytest.mark.parametrize("dossier", ["000.00.12.H40-261125-0901", DOSSIER])
@pytest.mark.parametrize("payable", [[ONE], [ONE, ONE, ONE]])
def test_a_returned_cash_on_delivery_result_still_says_how_to_get_it(dossier, payable):
    # The text before the amounts were named said only "Vui lòng liên hệ Trung tâm để nhận"; with them, a
    # dossier code of the usual 25 characters dropped it. Only every code of several may come before it.
    text = messages.sms_text(states.RETURNED, direction=states.DELIVERY, dossier_code=dossier, payable=payable)
    assert len(text) <= SMS_MAX and dossier in text and "500.000.000 ₫" in text, (len(text), text)
    assert "liên hệ Trung tâm để nhận" in text or text.count(ONE.code) == len(payable) > 1, text


def test_a_returned_result_names_every_code_of_a_usual_dossier():
    two = [ONE._replace(amount_vnd=8_000), ONE._replace(code="HS12345678902", amount_vnd=150_000)]
    text = messages.sms_text(states.RETURNED, direction=states.DELIVERY, dossier_code="000.00.12.H40-261125-0901",
                             payable=two)
    assert "HS12345678901" in text and "HS12345678902" in text, text
