"""A cash-on-delivery citizen is told by SMS how much to pay the postman: when the delivery is booked and
when the postman is on the way (the order's amount, as money is written everywhere: 1.432.000 ₫), in
Vietnamese, within the few segments the other texts take. A prepaid delivery's texts name no money."""
from datetime import date, timedelta

from kernel.clock import now_utc
from kernel.db import unit_of_work
from postal import messages, states
from postal.tracking import booking_succeeded
from tests.api.test_postal_fix_returned_while_out import sms_texts
from tests.api.test_postal_round3 import cod_app, event, webhook  # noqa: F401
from tests.postal_factories import make_dossier, shipment_body

UCS2_SEGMENT = 67  # characters of one part of a long SMS with Vietnamese letters


def test_a_cod_citizen_is_told_what_to_pay_the_postman_when_booked_and_when_out(cod_app, auth, db):  # noqa: F811
    app, settings = cod_app
    client = app.test_client()
    make_dossier(db, settings, code="D-COD-SMS")
    created = client.post("/api/v1/postal/shipments", headers=auth("intake"),
                          json=shipment_body(dossier_code="D-COD-SMS", direction="delivery")).json
    with unit_of_work(db) as s:  # the courier's booking reply
        booking_succeeded(s, shipment_id=created["id"], result={"tracking_number": "EB123456785VN"},
                          settings=settings, now=now_utc())
    booked = sms_texts(db)[-1]
    assert "Bưu điện sẽ chuyển phát kết quả hồ sơ D-COD-SMS" in booked
    assert booked.endswith("Bưu tá sẽ gọi trước khi đến và thu 30.000 ₫ khi giao.")  # fee 8.000, postage 22.000
    out = {**event(created["id"], "S-9", 9, now_utc() - timedelta(minutes=5)), "tracking_number": "EB123456785VN"}
    assert webhook(client, settings, out).json["outcome"] == "applied"
    assert sms_texts(db)[-1] == ("TT Phục vụ HCC: Bưu tá đang giao kết quả hồ sơ D-COD-SMS. Vui lòng chuẩn bị "
                                 "30.000 ₫ để thanh toán cho bưu tá và mang theo CCCD để nhận.")


def test_the_cod_texts_fit_three_segments_with_a_long_dossier_code_and_amount():
    longest = dict(direction=states.DELIVERY, dossier_code="000.00.12.H40-261125-0901", tracking_number="EB123456785VN",
                   due=date(2026, 12, 2), cod_vnd=500_000_000)
    for event in (states.BOOKED, states.OUT_FOR_DELIVERY):
        text = messages.sms_text(event, **longest)
        assert "500.000.000 ₫" in text and len(text) <= 3 * UCS2_SEGMENT, (len(text), text)
    # nothing to collect (or prepaid): the texts as they were, naming no money
    assert "₫" not in messages.sms_text(states.BOOKED, **{**longest, "cod_vnd": 0})
    assert messages.sms_text(states.OUT_FOR_DELIVERY, direction=states.DELIVERY, dossier_code="HS-1") == \
        "TT Phục vụ HCC: Bưu tá đang giao kết quả hồ sơ HS-1. Vui lòng mang theo CCCD để nhận."
