"""A cancellation that settles a part-paid request (the dossier's fee and the postage renewed together, the
withdrawn postage all it still owed) is told once: the request's own 'paid' SMS says what is no longer asked,
that the fee is paid (receipt) and the excess the centre refunds. The cancellation's SMS does not say the
refund again: a staff cancellation sends nothing more, the post's cancellation only that the post cancelled."""
from datetime import timedelta

from kernel.clock import now_utc
from tests.api.test_postal_fix_returned_while_out import sms_texts
from tests.api.test_postal_fix_withdrawn_postage_after import part_paid_renewal
from tests.api.test_postal_round2 import cancel
from tests.api.test_postal_round3 import event, webhook
from tests.postal_factories import mark_booked

DOSSIER = "000.00.12.H40-261125-0901"


def settled(renewed: str) -> str:
    return (f"TT Phục vụ HCC: Thôi thu 22.000 ₫ cước bưu chính hồ sơ {DOSSIER}, đã nộp đủ. Tiền thừa 2.000 ₫ sẽ "
            "được hoàn trả.")


def test_a_staff_cancellation_that_settles_a_part_paid_request_sends_one_sms(client, auth, db, test_settings):
    renewed, shipment = part_paid_renewal(client, auth, db, test_settings, 10000)
    before = len(sms_texts(db))
    cancel(client, auth, shipment["id"])
    assert sms_texts(db)[before:] == [settled(renewed)]  # not also "… sẽ hoàn trả 2.000 ₫ tiền cước …"


def test_a_courier_cancellation_that_settles_a_part_paid_request_says_the_refund_once(
        client, auth, db, test_settings):
    renewed, shipment = part_paid_renewal(client, auth, db, test_settings, 10000)
    mark_booked(db, shipment["id"])
    before = len(sms_texts(db))
    r = webhook(client, test_settings, event(shipment["id"], "P-18", 18, now_utc() - timedelta(minutes=5)))
    assert r.json["outcome"] == "applied", r.json
    assert sorted(sms_texts(db)[before:]) == sorted([
        f"TT Phục vụ HCC: Bưu điện đã hủy yêu cầu thu gom hồ sơ {DOSSIER}. Vui lòng liên hệ Trung tâm để được hỗ trợ.",
        settled(renewed)])

