"""Pure input rules: card-number masking, callback dates, phone numbers."""
import pytest

from payments.channels.pos import mask_card_numbers


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
