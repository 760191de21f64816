"""Postal, QA round 12 (pure): the phone numbers a citizen writes on a booking."""
import pytest

from config.holidays import DEFAULT_HOLIDAYS
from kernel.clock import now_utc
from payments.validation import normalise_phone
from postal.validation import parse_shipment
from tests.postal_factories import shipment_body


@pytest.mark.parametrize("written, national", [
    ("+84 (0) 912 345 678", "0912345678"),   # the trunk 0 in brackets, as business cards print it
    ("+84 0912345678", "0912345678"),
    ("(+84) 0912-345-678", "0912345678"),
    ("0084 912 345 678", "0912345678"),      # dialled from abroad
    ("0084912345678", "0912345678"),
    ("+84 (0)24 3825 1234", "02438251234"),  # a Hà Nội landline
    ("84 0912 345 678", "0912345678"),
])
def test_an_international_form_with_the_trunk_zero_or_a_00_prefix_is_the_national_number(written, national):
    """'+84 (0) 912 345 678' was refused (400 invalid_phone): the 0 kept after +84 made 009..., so the
    form was refused rather than read; it is the number 0912345678, as +84 912 345 678 is."""
    assert normalise_phone(written) == national
    body = shipment_body(recipient={"name": "Phạm Thu Hà", "phone": written})
    assert parse_shipment(body, now=now_utc(), holidays=DEFAULT_HOLIDAYS).recipient_phone == national


@pytest.mark.parametrize("written", ["+84 00912345678", "0084 0 0912345678", "+84 (0) 12345678", "00 912345678",
                                     "+840", "0084"])
def test_still_no_number_of_ours_is_refused(written):
    from kernel.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        normalise_phone(written)
    assert refused.value.code == "invalid_phone"
