"""What citizens read (round 11): the SMS of money received by a request that asks for nothing any more."""
from kernel.money import MAX_MONEY_VND
from payments import notifications as n
from tests.unit.test_payment_sms_worst_case import CODE, DOSSIER, fits


def test_money_for_a_request_that_asks_nothing_any_more_is_not_said_to_complete_zero():
    """A postage-only request paid, its shipment cancelled (the postage withdrawn: it asks 0 ₫ and holds what it
    got, to give back), then paid again: the SMS does not read "đã nộp đủ 0 ₫"."""
    text = n._text("overpaid", CODE, DOSSIER, 0, 44_000, 0, 22_000)
    assert "0 ₫," not in text and "đã nộp đủ" not in text
    assert text == (f"TT Phục vụ HCC: Hồ sơ {DOSSIER} không còn khoản phải nộp, nay nhận thêm 22.000 ₫. "
                    "Tiền thừa 44.000 ₫ sẽ được hoàn trả.")
    fits(n._text("overpaid", CODE, DOSSIER, 0, 2 * MAX_MONEY_VND, 0, MAX_MONEY_VND))


def test_a_request_that_still_asks_something_says_what_it_asked():
    text = n._text("overpaid", CODE, DOSSIER, 22_000, 44_000, 0, 22_000)
    assert text.endswith("đã nộp đủ 22.000 ₫, nay nhận thêm 22.000 ₫. Tiền thừa 22.000 ₫ sẽ được hoàn trả.")
