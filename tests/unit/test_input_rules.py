"""Pure input rules: card-number masking, phone numbers, the example payment code."""
import re

import pytest

from config import load_settings
from kernel.errors import ValidationError
from payments.channels.pos import mask_card_numbers
from payments.service import parse_payment_code
from payments.validation import normalise_phone


@pytest.mark.parametrize("raw,kept", [
    (b'{"card":"9704361234561234"}', b'{"card":"970436******1234"}'),
    (b'"4111 1111 1111 1111"', b'"4111 11** **** 1111"'),
    (b'"4111-1111-1111-1111"', b'"4111-11**-****-1111"'),
    (b'"1234567890123"', b'"123456***0123"'),              # 13 digits: the shortest card number
    (b'"9704198526191432198"', b'"970419*********2198"'),  # 19 digits: the longest
])
def test_card_numbers_keep_only_their_first_six_and_last_four_digits(raw, kept):
    assert mask_card_numbers(raw) == kept and len(kept) == len(raw)


@pytest.mark.parametrize("raw", [
    b'"123456789012"',                            # 12 digits: too short for a card
    b'"12345678901234567890"',                    # 20 digits: part of a longer number
    b'{"amount_vnd": 100000, "at": "2026-11-25T10:00:00+07:00"}',
    b'{"payment_code": "HS12345678978", "approval_code": "123456"}',
])
def test_what_cannot_be_a_card_number_is_left_byte_for_byte(raw):
    assert mask_card_numbers(raw) == raw


# --- phone numbers ------------------------------------------------------------------------



@pytest.mark.parametrize("written,national", [
    ("0912345678", "0912345678"), ("+84912345678", "0912345678"), ("84912345678", "0912345678"),
    ("091 234 5678", "0912345678"), ("(091) 234-5678", "0912345678"), ("+84 912.345.678", "0912345678"),
    ("0356789012", "0356789012"), ("0587654321", "0587654321"), ("0701234567", "0701234567"),
    ("0812345678", "0812345678"), ("02033123456", "02033123456"), ("+84 203 3123 456", "02033123456"),
    ("84 24 3825 1234", "02438251234"), ("+84 (0) 912345678", "0912345678"),  # the trunk 0 is dropped, once
])
def test_vietnamese_mobiles_and_landlines_are_kept_in_their_national_form(written, national):
    assert normalise_phone(written) == national


@pytest.mark.parametrize("written", [
    "0012345678", "0112345678", "0412345678", "0612345678",  # no such prefixes
    "09123456789",        # a mobile has 10 digits
    "0203312345",         # a landline has 11
    "912345678", "091234567", "0912345678 ext 1", "0912+345678",
    "０９１２３４５６７８", "٠٩١٢٣٤٥٦٧٨",  # full-width and Arabic-Indic digits
])
def test_anything_else_is_refused_with_invalid_phone(written):
    with pytest.raises(ValidationError) as refused:
        normalise_phone(written)
    assert refused.value.code == "invalid_phone" and refused.value.status == 400


# --- the example in the error message -------------------------------------------------------

def test_the_payment_code_offered_as_an_example_is_itself_a_valid_code():
    settings = load_settings({"HCCPAY_DEMO": "1"})
    with pytest.raises(ValidationError) as refused:
        parse_payment_code("not a code", settings)
    [example] = re.findall(r"[A-Z]{2}[0-9]{11}", refused.value.message)
    assert parse_payment_code(example, settings) == example


def test_a_code_with_another_services_letters_is_refused_before_any_lookup():
    settings = load_settings({"HCCPAY_DEMO": "1"})
    body = "531047618"
    from payments.codes import check_digits

    foreign = f"XY{body}{check_digits(body)}"  # check digits cover the digits only: they verify
    with pytest.raises(ValidationError) as refused:
        parse_payment_code(foreign, settings)
    assert refused.value.code == "invalid_payment_code" and "HS" in refused.value.message
    assert parse_payment_code(f"HS{body}{check_digits(body)}", settings).startswith("HS")
