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


# --- a pre-2025 unit written with the kind abbreviated ------------------------------------------

@pytest.mark.parametrize("old, new", [("TT. Tiên Yên", "06862"), ("TT Tiên Yên", "06862"), ("tt.Tien Yen", "06862"),
                                      ("X. Bằng Cả", "07054"), ("x Hà Lâu", "06874"), ("X.Đông Hải", "06877")])
def test_a_legacy_unit_written_with_its_kind_abbreviated_resolves_as_written_out(old, new):
    """'TT. Tiên Yên' and 'X. Bằng Cả' are how addresses abbreviate thị trấn and xã (on forms, envelopes, the
    citizen's old ID card): they were 422 unknown_legacy_ward while 'Thị trấn Tiên Yên' resolved."""
    from postal import addresses

    assert addresses.resolve_legacy_ward(22, old).code == new
    body = shipment_body(address={"street": "Khu 3", "legacy_ward": old, "province_code": 22})
    assert parse_shipment(body, now=now_utc(), holidays=DEFAULT_HOLIDAYS).ward.code == new


@pytest.mark.parametrize("old", ["TT. Yên Than", "X. Đông Ngũ"])
def test_an_abbreviated_split_unit_still_lists_its_candidates(old):
    from kernel.errors import DomainError
    from postal import addresses

    with pytest.raises(DomainError) as split:
        addresses.resolve_legacy_ward(22, old)
    assert split.value.code == "legacy_ward_split" and len(split.value.details["candidates"]) == 2


def test_a_name_that_only_starts_like_an_abbreviation_is_not_cut():
    """'Xuân ...' or 'Tân Dân' begin with the letters of x/t: only a kind followed by a dot or a space is one."""
    from postal import addresses

    assert addresses.resolve_legacy_ward(22, "Tân Dân").code == "07054"
    from kernel.errors import DomainError
    with pytest.raises(DomainError) as unknown:
        addresses.resolve_legacy_ward(22, "Xân Dân")
    assert unknown.value.code == "unknown_legacy_ward"


# --- a long route name stays on the manifest's page ------------------------------------------------

def test_a_long_route_name_wraps_on_the_manifest_instead_of_running_off_the_page():
    """A route name may be 200 characters (one listing its wards runs past 100): the subtitle was one line,
    centred, so its start and its end ("Ngày 01/12/2026") were printed off the paper."""
    import io
    from datetime import date, datetime, timezone

    from pypdf import PdfReader

    from kernel.pdf import FONT, new_document
    from postal import manifests

    name = "Tuyến Hạ Long 1: " + ", ".join(["phường Hồng Gai", "phường Hạ Long", "phường Bãi Cháy", "phường Hà Tu",
                                           "phường Hà Lầm", "phường Cao Xanh", "phường Việt Hưng", "xã Thống Nhất",
                                           "phường Hoành Bồ", "phường Tuần Châu"])
    assert 150 < len(name) <= 200
    pdf = manifests.route_manifest_pdf([], day=date(2026, 12, 1), route_code="HL1", route_name=name,
                                       fees_to_collect=lambda s: manifests.NOTHING_TO_COLLECT,
                                       printed_at=datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc))
    measure = new_document(orientation="L")
    measure.set_font(FONT, "", 10)
    runs = []

    def visit(text, _cm, tm, _font, size):
        if text.strip():
            runs.append((text.strip(), tm[4] * 25.4 / 72))

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    page.extract_text(visitor_text=visit)
    width_mm = float(page.mediabox.width) * 25.4 / 72
    subtitle = [(text, x) for text, x in runs if "Hạ Long" in text or "01/12/2026" in text]
    assert subtitle and "".join(t for t, _ in subtitle).count("01/12/2026") == 1
    for text, x in subtitle:
        assert 0 <= x and x + measure.get_string_width(text) <= width_mm, (text, x)


# --- the booking SMS of a pickup names the appointment the citizen chose ------------------------------

def test_a_booked_pickup_sms_names_the_day_and_slot_the_citizen_chose():
    """'Bưu điện sẽ đến nhận hồ sơ … Hạn hoàn thành: 02/12/2026' was all the citizen who asked for the afternoon of
    01/12 read: the date in it is the day the dossier must reach the centre, not when to be at home."""
    from datetime import date

    from kernel.notify import SMS_MAX
    from postal import messages, states
    from postal.clients import MAX_TRACKING
    from postal.models import Shipment

    text = messages.sms_text(states.BOOKED, direction=states.PICKUP, dossier_code="000.00.12.H40-261125-0901",
                             tracking_number="EB123456785VN", due=date(2026, 12, 2),
                             window=(date(2026, 12, 1), "afternoon"))
    assert "buổi chiều ngày 01/12/2026" in text and "Hạn hoàn thành: 02/12/2026" in text and len(text) <= SMS_MAX
    longest = messages.sms_text(states.BOOKED, direction=states.PICKUP,
                                dossier_code="D" * Shipment.__table__.c.dossier_code.type.length,
                                tracking_number="T" * MAX_TRACKING, due=date(2026, 12, 31),
                                window=(date(2026, 12, 30), "morning"))
    assert len(longest) <= SMS_MAX and "hẹn sáng 30/12/2026" in longest, (len(longest), longest)
    plain = messages.sms_text(states.BOOKED, direction=states.PICKUP, dossier_code="D-1", due=date(2026, 12, 2))
    assert "hẹn" not in plain and "buổi" not in plain
    assert ("hồ sơ 000.00.12.H40-261125-0901 vào buổi chiều ngày 01/12/2026 theo lịch hẹn, mã vận đơn "
            "EB123456785VN.") in text
