"""Round 7 probes of VietQR, bank BINs and payment codes: each test pins a defect found and fixed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.codes import check_digits, is_valid_code, scan_memo
from payments.vietqr import GUID, VietQRError, crc16, parse_payload

# --- payment codes ---------------------------------------------------------------------------------------


@given(st.integers(0, 10**9 - 1))
def test_check_digits_99_are_never_a_second_spelling_of_02(n):
    # MOD 97-10 leaves remainder 1 for check digits 02 and 99 alike (99 = 02 + 97), as for 00/97 and
    # 01/98; we issue 02..98 only, so 99 must not verify either.
    body = f"{n:09d}"
    assert not is_valid_code(f"HS{body}99")
    assert is_valid_code(f"HS{body}{check_digits(body)}")


def test_a_code_written_with_99_for_its_02_is_no_exact_code_in_a_memo():
    body = "000000032"
    assert check_digits(body) == "02"
    [found] = scan_memo(f"nop le phi HS{body}99")
    assert found.code is None and f"HS{body}99" not in found.neighbours
    assert all(is_valid_code(n) for n in found.neighbours)


@pytest.mark.parametrize("written", ["00", "01", "99"])
def test_no_neighbour_offered_for_correction_has_a_check_we_never_issue(written):
    [found] = scan_memo("HS00000003292")  # one edit from HS00000003202 and from HS00000003299
    assert not any(n.endswith(written) and n[2:11] == "000000032" for n in found.neighbours)


# --- VietQR parsing --------------------------------------------------------------------------------------

def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


MERCHANT = tlv("00", GUID) + tlv("01", tlv("00", "970436") + tlv("01", "0071001234567")) + tlv("02", "QRIBFTTA")


def assemble(*fields: tuple[str, str]) -> str:
    body = "".join(tlv(tag, value) for tag, value in fields) + "6304"
    return body + crc16(body)


@pytest.mark.parametrize("fields", [
    (("01", "12"), ("38", MERCHANT), ("53", "704"), ("54", "150000"), ("58", "VN")),
    (("38", MERCHANT), ("53", "704"), ("58", "VN")),
], ids=["after 01", "first is 38"])
def test_a_payload_without_a_payload_format_indicator_lacks_a_field_rather_than_being_malformed(fields):
    # 00 is mandatory like 53 or 58: its absence is `vietqr_missing_field`, as theirs is; "must be the
    # first field" is for a 00 that is there, out of place.
    with pytest.raises(VietQRError) as refused:
        parse_payload(assemble(*fields))
    assert (refused.value.code, refused.value.details) == ("vietqr_missing_field", {"field": "00"})
    assert str(refused.value) == "required field 00 is missing from the payload"


def test_a_payload_format_indicator_out_of_place_is_still_malformed():
    with pytest.raises(VietQRError) as refused:
        parse_payload(assemble(("01", "11"), ("00", "01"), ("38", MERCHANT), ("53", "704"), ("58", "VN")))
    assert (refused.value.code, refused.value.details) == ("vietqr_malformed", {"field": "00"})
