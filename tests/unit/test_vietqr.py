"""VietQR build/parse/CRC/render: public vectors, round trips, and one test per rejection rule."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import PIL.Image
import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st

from payments.vietqr import (
    GUID,
    VietQR,
    VietQRError,
    build_payload,
    crc16,
    normalize_purpose,
    parse_payload,
    render_png,
    render_svg,
)

REPO = Path(__file__).resolve().parents[2]
LOCAL_VECTORS = REPO / "tests" / "data" / "vietqr_public.json"
SHARED_VECTORS = REPO.parent / "shared" / "testdata" / "vietqr_public.json"


def load_vectors() -> list[dict]:
    # The copy inside the repo wins, so a clean clone without ../shared still runs every vector.
    path = LOCAL_VECTORS if LOCAL_VECTORS.exists() else SHARED_VECTORS
    return json.loads(path.read_text(encoding="utf-8"))


VECTORS = load_vectors()
VALID = [v for v in VECTORS if v["expect_valid"]]
INVALID = [v for v in VECTORS if not v["expect_valid"]]


def vector_id(vector: dict) -> str:
    return vector["payload"][-4:] + ("-valid" if vector["expect_valid"] else "-invalid")


# --- helpers that build deliberately broken payloads with a correct CRC ------------------------------------


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def with_crc(body: str) -> str:
    """Append a CRC field that matches, so a test reaches the rule it is about."""
    body += "6304"
    return body + crc16(body)


def merchant(*, bin="970436", account="0123456789", service="QRIBFTTA", guid=GUID) -> str:
    return tlv("00", guid) + tlv("01", tlv("00", bin) + tlv("01", account)) + tlv("02", service)


def good_fields() -> list[tuple[str, str]]:
    return [
        ("00", "01"),
        ("01", "12"),
        ("38", merchant()),
        ("53", "704"),
        ("54", "150000"),
        ("58", "VN"),
        ("62", tlv("08", "HS12345678901")),
    ]


def assemble(fields: list[tuple[str, str]]) -> str:
    return with_crc("".join(tlv(tag, value) for tag, value in fields))


def replaced(tag: str, value: str) -> str:
    return assemble([(t, value if t == tag else v) for t, v in good_fields()])


def without(tag: str) -> str:
    return assemble([(t, v) for t, v in good_fields() if t != tag])


def rejects(payload: str, message_part: str) -> None:
    with pytest.raises(VietQRError) as caught:
        parse_payload(payload)
    assert message_part.lower() in str(caught.value).lower()


GOOD = assemble(good_fields())


def top_level_tags(payload: str) -> list[str]:
    tags, pos = [], 0
    while pos < len(payload):
        tags.append(payload[pos : pos + 2])
        pos += 4 + int(payload[pos + 2 : pos + 4])
    return tags


# --- public vectors --------------------------------------------------------------------------------------


def test_the_repo_copy_of_the_vectors_matches_the_shared_file_when_it_is_present():
    if not SHARED_VECTORS.exists():
        pytest.skip("../shared is not checked out next to the repo")
    assert json.loads(LOCAL_VECTORS.read_text(encoding="utf-8")) == json.loads(
        SHARED_VECTORS.read_text(encoding="utf-8")
    )


def test_the_vector_file_has_both_valid_and_invalid_cases():
    assert VALID and INVALID


@pytest.mark.parametrize("vector", VALID, ids=vector_id)
def test_a_valid_public_vector_parses_to_the_listed_fields(vector):
    qr = parse_payload(vector["payload"])
    assert (qr.bin, qr.account, qr.amount_vnd, qr.purpose, qr.service, qr.initiation) == (
        vector["bin"],
        vector["account"],
        vector["amount"],
        vector["purpose"],
        vector["service"],
        vector["initiation"],
    )
    assert qr.crc == vector["payload"][-4:].upper()


@pytest.mark.parametrize("vector", INVALID, ids=vector_id)
def test_an_invalid_public_vector_is_rejected(vector):
    with pytest.raises(VietQRError):
        parse_payload(vector["payload"])


@pytest.mark.parametrize("vector", VALID, ids=vector_id)
def test_the_builder_reproduces_each_valid_public_vector_from_its_parsed_fields(vector):
    # The official NAPAS dynamic examples carry a bill number (62/01) in front of the purpose.
    qr = parse_payload(vector["payload"])
    built = build_payload(
        bin=vector["bin"],
        account=vector["account"],
        amount_vnd=vector["amount"],
        purpose=vector["purpose"],
        service=vector["service"],
        dynamic=vector["initiation"] == "12",
        bill_number=qr.bill_number,
    )
    assert built == vector["payload"]


def test_the_official_napas_example_exposes_its_bill_number():
    qr = parse_payload(
        "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA5303704540618000058"
        "02VN62340107NPS68690819thanh toan don hang63042E2E"
    )
    assert qr.bill_number == "NPS6869"
    assert qr.is_dynamic


# --- CRC -------------------------------------------------------------------------------------------------


def test_crc_matches_the_ccitt_false_check_value():
    assert crc16("123456789") == "29B1"


def test_crc_is_zero_padded_to_four_hex_digits():
    assert crc16("00020101021124") == "0009"


def test_crc_of_the_napas_dynamic_example_matches_the_spec():
    body = (
        "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA53037045406180000"
        "5802VN62340107NPS68690819thanh toan don hang6304"
    )
    assert crc16(body) == "2E2E"


def test_a_lowercase_crc_is_accepted_when_parsing():
    assert parse_payload(GOOD[:-4] + GOOD[-4:].lower()).crc == GOOD[-4:]


def test_a_wrong_crc_is_rejected():
    wrong = "%04X" % ((int(GOOD[-4:], 16) + 1) % 0x10000)
    rejects(GOOD[:-4] + wrong, "CRC mismatch")


# --- builder ---------------------------------------------------------------------------------------------


def test_an_amount_makes_the_qr_dynamic_and_no_amount_makes_it_static():
    assert parse_payload(build_payload(bin="970436", account="1", amount_vnd=5)).initiation == "12"
    assert parse_payload(build_payload(bin="970436", account="1")).initiation == "11"


def test_dynamic_can_be_forced_either_way():
    assert parse_payload(build_payload(bin="970436", account="1", dynamic=True)).initiation == "12"
    assert parse_payload(build_payload(bin="970436", account="1", amount_vnd=5, dynamic=False)).initiation == "11"


def test_fields_come_out_in_the_napas_order():
    payload = build_payload(bin="970436", account="0123456789", amount_vnd=150000, purpose="HS1")
    assert top_level_tags(payload) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert payload.startswith("00020101021238")


def test_the_optional_fields_come_out_in_the_emvco_order_and_parse_back():
    payload = build_payload(
        bin="970436", account="0071001234567", amount_vnd=150000, purpose="HS12345678978", mcc="9399",
        merchant_name="TRUNG TAM PHUC VU HCC", merchant_city="HA LONG", bill_number="000.00.12.H40-251125",
        reference_label="REF-1", terminal_label="QUAY 3",
    )
    assert top_level_tags(payload) == ["00", "01", "38", "52", "53", "54", "58", "59", "60", "62", "63"]
    assert payload.endswith("62600120000.00.12.H40-2511250505REF-10706QUAY 30813HS12345678978" + payload[-8:])
    qr = parse_payload(payload)
    assert (qr.mcc, qr.merchant_name, qr.merchant_city, qr.bill_number, qr.reference_label, qr.terminal_label) == (
        "9399", "TRUNG TAM PHUC VU HCC", "HA LONG", "000.00.12.H40-251125", "REF-1", "QUAY 3")


@pytest.mark.parametrize("field, value", [
    ("mcc", "939"), ("mcc", 9399), ("merchant_name", "x" * 26), ("merchant_name", "Trung tâm"),
    ("merchant_city", "THANH PHO HA LONG"), ("bill_number", ""), ("bill_number", "a\nb"),
    ("reference_label", "x" * 26), ("terminal_label", ["QUAY 3"]),
])
def test_the_builder_rejects_an_optional_field_that_breaks_its_emvco_format(field, value):
    with pytest.raises(VietQRError, match=re.escape(field.replace("_", " ").replace("mcc", "merchant category code"))):
        build_payload(bin="970436", account="1", **{field: value})


def test_the_builder_rejects_additional_data_longer_than_99_characters():
    with pytest.raises(VietQRError, match="62"):
        build_payload(bin="970436", account="1", purpose="p" * 25, bill_number="b" * 25, reference_label="r" * 25,
                      terminal_label="t" * 25)


def test_a_card_transfer_uses_service_qribfttc():
    qr = parse_payload(build_payload(bin="970403", account="9704031101234567", service="QRIBFTTC"))
    assert qr.service == "QRIBFTTC"


def test_the_largest_thirteen_digit_amount_is_accepted():
    assert parse_payload(build_payload(bin="970436", account="1", amount_vnd=10**13 - 1)).amount_vnd == 10**13 - 1


@pytest.mark.parametrize("bin", ["97043", "9704361", "97043A", "", " 970436", "９７０４３６", 970436, None])
def test_the_builder_rejects_a_bin_that_is_not_six_ascii_digits(bin):
    with pytest.raises(VietQRError, match="BIN"):
        build_payload(bin=bin, account="0123456789")


@pytest.mark.parametrize("account", ["", "1" * 20, "0123-456", "0123 456", "tài khoản", 123456, None])
def test_the_builder_rejects_an_account_that_is_not_1_to_19_letters_or_digits(account):
    with pytest.raises(VietQRError, match="account"):
        build_payload(bin="970436", account=account)


def test_the_builder_accepts_an_alphanumeric_account_of_19_characters():
    assert parse_payload(build_payload(bin="970454", account="99MM24011M432190001")).account == "99MM24011M432190001"


@pytest.mark.parametrize("service", ["QRCASH", "QRPUSH", "qribftta", "", None, ["QRIBFTTA"]])
def test_the_builder_rejects_an_unknown_service(service):
    with pytest.raises(VietQRError, match="service"):
        build_payload(bin="970436", account="1", service=service)


@pytest.mark.parametrize("amount", [True, False, 1.0, 150000.0, "150000", 0, -1, 10**13])
def test_the_builder_rejects_an_amount_that_is_not_a_positive_int_of_at_most_13_digits(amount):
    with pytest.raises(VietQRError, match="amount"):
        build_payload(bin="970436", account="1", amount_vnd=amount)


def test_the_builder_rejects_a_dynamic_flag_that_is_not_a_bool():
    with pytest.raises(VietQRError, match="dynamic"):
        build_payload(bin="970436", account="1", dynamic="yes")


def test_vietqr_error_is_a_value_error():
    assert issubclass(VietQRError, ValueError)


# --- purpose normalisation -------------------------------------------------------------------------------


def test_vietnamese_accents_are_stripped_from_the_purpose():
    assert normalize_purpose("Nộp phí hồ sơ") == "Nop phi ho so"


def test_d_with_stroke_becomes_plain_d():
    assert normalize_purpose("Đăng ký đất đai") == "Dang ky dat dai"


def test_decomposed_and_precomposed_text_give_the_same_purpose():
    text = "Thừa Thiên Huế, Quảng Nam"
    decomposed = unicodedata.normalize("NFD", text)
    assert normalize_purpose(decomposed) == normalize_purpose(text) == "Thua Thien Hue, Quang Nam"


def test_whitespace_in_the_purpose_is_collapsed_and_trimmed():
    assert normalize_purpose("  HS 123\t\n456\u00a0 phi  ") == "HS 123 456 phi"


def test_a_long_purpose_is_truncated_to_25_characters_without_a_trailing_space():
    assert normalize_purpose("HS12345678901 nop phi ho so dat dai") == "HS12345678901 nop phi ho"
    assert len(normalize_purpose("x" * 40)) == 25


def test_a_truncated_purpose_reaches_the_payload_intact():
    qr = parse_payload(build_payload(bin="970436", account="1", purpose="Lệ phí cấp giấy chứng nhận quyền sử dụng đất"))
    assert qr.purpose == "Le phi cap giay chung nha"


@pytest.mark.parametrize("purpose", ["", "   ", "\t\n", "\u0301"])
def test_a_purpose_that_is_empty_after_cleaning_is_rejected(purpose):
    with pytest.raises(VietQRError, match="empty"):
        build_payload(bin="970436", account="1", purpose=purpose)


@pytest.mark.parametrize("purpose", ["手续费", "phí 💸", "HS\x07123", "HS\x7f1"])
def test_a_purpose_that_is_not_printable_ascii_after_cleaning_is_rejected(purpose):
    with pytest.raises(VietQRError, match="printable ASCII"):
        build_payload(bin="970436", account="1", purpose=purpose)


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Ðóng phí hồ sơ", "Dong phi ho so"),  # U+00D0: what legacy Vietnamese encodings give for Đ
        ("ðóng phí", "dong phi"),
        ("Phí \u2013 hồ sơ", "Phi - ho so"),
        ("Phí\u2010\u2011\u2012\u2013\u2014\u2015sơ", "Phi------so"),
        ("\u201cPhí hồ sơ\u201d", '"Phi ho so"'),
        ("\u2018Phí\u2019", "'Phi'"),
        ("Phí\u200bhồ sơ", "Phiho so"),
        ("\ufeffHS123\u00ad456\u2060", "HS123456"),
        ("HS 123 \u200b 456", "HS 123 456"),
    ],
)
def test_text_that_can_be_made_printable_ascii_is_made_so(text, clean):
    assert normalize_purpose(text) == clean
    assert parse_payload(build_payload(bin="970436", account="1", purpose=text)).purpose == clean


@pytest.mark.parametrize("purpose", ["\u200b", "\u200b \ufeff"])
def test_a_purpose_of_format_characters_only_is_empty(purpose):
    with pytest.raises(VietQRError, match="empty"):
        normalize_purpose(purpose)


def test_a_purpose_that_is_not_a_string_is_rejected():
    with pytest.raises(VietQRError, match="string"):
        build_payload(bin="970436", account="1", purpose=12345)


# --- parser: each rejection rule -------------------------------------------------------------------------


def test_a_well_formed_payload_with_every_known_field_parses():
    qr = parse_payload(GOOD)
    assert qr == VietQR(
        bin="970436",
        account="0123456789",
        service="QRIBFTTA",
        initiation="12",
        amount_vnd=150000,
        purpose="HS12345678901",
        crc=GOOD[-4:],
    )


def test_a_wrong_length_prefix_at_the_root_is_rejected_even_with_a_matching_crc():
    broken = GOOD[:-8].replace("5406150000", "5405150000")
    rejects(with_crc(broken), "field")


def test_a_wrong_length_prefix_inside_the_merchant_template_is_rejected_even_with_a_matching_crc():
    inner = tlv("00", GUID) + "0123" + tlv("00", "970436") + tlv("01", "0123456789") + tlv("02", "QRIBFTTA")
    rejects(replaced("38", inner), "38")


def test_a_service_length_prefix_that_leaves_a_stray_character_in_38_is_rejected():
    inner = tlv("00", GUID) + tlv("01", tlv("00", "970436") + tlv("01", "0123456789")) + "0207QRIBFTTA"
    rejects(replaced("38", inner), "field 38")


def test_a_wrong_length_prefix_inside_the_additional_data_template_is_rejected_even_with_a_matching_crc():
    rejects(replaced("62", "0814HS12345678901"), "field 62")


def test_a_length_prefix_running_past_the_end_is_rejected():
    rejects(GOOD[:-8] + "6399", "declares length")


def test_a_zero_length_field_is_rejected():
    fields = "".join(tlv(tag, value) for tag, value in good_fields())
    rejects(with_crc(fields.replace("5303704", "59005303704")), "length 00")


def test_a_non_numeric_tag_is_rejected():
    rejects(with_crc(GOOD[:-8] + "AB02xy"), "malformed")


def test_a_repeated_tag_is_rejected():
    rejects(assemble(good_fields() + [("54", "999")]), "twice")


def test_a_payload_that_does_not_start_with_field_00_is_rejected():
    fields = good_fields()
    rejects(assemble([fields[1], fields[0], *fields[2:]]), "first")


def test_a_payload_format_indicator_other_than_01_is_rejected():
    rejects(replaced("00", "02"), "field 00")


def test_a_point_of_initiation_other_than_11_or_12_is_rejected():
    rejects(replaced("01", "13"), "field 01")


def test_a_payload_without_point_of_initiation_is_accepted_because_emvco_makes_it_optional():
    assert parse_payload(without("01")).initiation is None


def test_a_static_qr_with_an_amount_is_accepted():
    assert parse_payload(replaced("01", "11")).amount_vnd == 150000


def test_a_payload_without_the_merchant_template_is_rejected():
    rejects(without("38"), "38")


def test_a_merchant_template_with_another_guid_is_rejected():
    rejects(replaced("38", merchant(guid="A000000775")), "GUID")


def test_a_merchant_template_without_the_guid_is_rejected():
    rejects(replaced("38", tlv("01", tlv("00", "970436") + tlv("01", "1")) + tlv("02", "QRIBFTTA")), "38")


def test_a_merchant_template_without_the_beneficiary_is_rejected():
    rejects(replaced("38", tlv("00", GUID) + tlv("02", "QRIBFTTA")), "field 01")


def test_a_beneficiary_without_the_bin_is_rejected():
    rejects(replaced("38", tlv("00", GUID) + tlv("01", tlv("01", "1")) + tlv("02", "QRIBFTTA")), "field 00")


def test_a_beneficiary_without_the_account_is_rejected():
    rejects(replaced("38", tlv("00", GUID) + tlv("01", tlv("00", "970436")) + tlv("02", "QRIBFTTA")), "field 01")


def test_a_merchant_template_without_the_service_code_is_rejected():
    rejects(replaced("38", tlv("00", GUID) + tlv("01", tlv("00", "970436") + tlv("01", "1"))), "field 02")


@pytest.mark.parametrize("service", ["QRCASH", "QRPUSH", "qribftta"])
def test_a_service_code_other_than_the_two_transfer_codes_is_rejected(service):
    rejects(replaced("38", merchant(service=service)), "service")


@pytest.mark.parametrize("bin", ["97043", "9704360", "97043X"])
def test_a_bin_that_is_not_six_digits_is_rejected(bin):
    rejects(replaced("38", merchant(bin=bin)), "BIN")


def test_a_bin_outside_970xxx_is_accepted():
    assert parse_payload(replaced("38", merchant(bin="546034"))).bin == "546034"


def test_an_account_longer_than_19_characters_is_rejected():
    rejects(replaced("38", merchant(account="1" * 20)), "account")


def test_an_account_with_a_control_character_is_rejected():
    rejects(replaced("38", merchant(account="0123\x00456")), "account")


def test_a_currency_other_than_vnd_is_rejected():
    rejects(replaced("53", "840"), "704")


def test_a_payload_without_currency_is_rejected():
    rejects(without("53"), "53")


def test_a_country_other_than_vn_is_rejected():
    rejects(replaced("58", "TH"), "VN")


def test_a_payload_without_country_is_rejected():
    rejects(without("58"), "58")


@pytest.mark.parametrize(
    "amount", ["0", "-100", "1000.00", "1000.0", "1.5", ".5", ".", "0.", "01000", "1e5", " 100", "１００", "1" * 14,
               "1" * 13 + ".", "1000..", "1,000"])
def test_an_amount_that_is_not_a_positive_whole_number_of_vnd_is_rejected(amount):
    rejects(replaced("54", amount), "amount")


@pytest.mark.parametrize(("amount", "vnd"), [("100000.", 100000), ("1.", 1), ("1" * 12 + ".", int("1" * 12))])
def test_an_amount_with_a_trailing_decimal_mark_and_no_decimals_is_accepted(amount, vnd):
    # EMVCo ID 54: "the '.' character may be present even if there are no decimals"; VND has none.
    assert parse_payload(replaced("54", amount)).amount_vnd == vnd


def test_a_payload_without_an_amount_is_a_valid_open_amount_qr():
    assert parse_payload(without("54")).amount_vnd is None


def test_a_purpose_with_vietnamese_accents_is_rejected():
    rejects(replaced("62", tlv("08", "Chuyển tiền")), "printable ASCII")


def test_a_purpose_with_a_control_character_is_rejected():
    rejects(replaced("62", tlv("08", "HS123\n456")), "printable ASCII")


def test_a_purpose_longer_than_25_characters_is_rejected():
    rejects(replaced("62", tlv("08", "x" * 26)), "25")


def test_a_purpose_of_exactly_25_characters_is_accepted():
    assert parse_payload(replaced("62", tlv("08", "x" * 25))).purpose == "x" * 25


def test_a_payload_without_additional_data_has_no_purpose():
    assert parse_payload(without("62")).purpose is None


def test_a_payload_without_a_crc_is_rejected():
    rejects(GOOD[:-8], "63")


def test_a_crc_that_is_not_the_last_field_is_rejected():
    body = GOOD[:-8] + "6304"
    rejects(body + crc16(body) + tlv("99", "x"), "last")


def test_a_crc_that_is_not_four_hex_digits_is_rejected():
    rejects(GOOD[:-4] + "2E2G", "hex")


def test_a_crc_field_of_the_wrong_length_is_rejected():
    rejects(GOOD[:-8] + "6305" + GOOD[-4:] + "0", "4 hex")


@pytest.mark.parametrize("garbage", ["X", "\n", " ", "00", "0000", "6304"])
def test_trailing_garbage_after_the_crc_is_rejected(garbage):
    with pytest.raises(VietQRError):
        parse_payload(GOOD + garbage)


@pytest.mark.parametrize("payload", ["", "00", "000201", b"000201010211", None, 42])
def test_empty_or_non_string_input_is_rejected(payload):
    with pytest.raises(VietQRError):
        parse_payload(payload)


@pytest.mark.parametrize("act", [parse_payload, render_png, render_svg], ids=lambda f: f.__name__)
def test_a_payload_with_a_lone_surrogate_is_a_vietqr_error_not_a_unicode_error(act):
    # json.loads('"\\ud800"') gives such a string; it cannot be encoded, so it cannot be in a QR.
    lone = GOOD[:-8].replace("5802VN", "5802VN" + tlv("80", "\ud800")) + "6304ABCD"
    with pytest.raises(VietQRError, match="UTF-8"):
        act(lone)


def test_unknown_well_formed_fields_are_kept_or_ignored_not_rejected():
    fields = good_fields()
    fields.insert(3, ("52", "9399"))
    extra = tlv("01", "BILL1") + tlv("05", "REF9") + tlv("07", "QUAY01") + tlv("08", "HS1") + tlv("99", "z")
    fields[-1] = ("62", extra)
    fields += [("59", "TRUNG TAM HCC"), ("60", "HA NOI"), ("64", tlv("00", "vi") + tlv("01", "Trung tâm")), ("80", "x")]
    qr = parse_payload(assemble(fields))
    assert (qr.mcc, qr.merchant_name, qr.merchant_city) == ("9399", "TRUNG TAM HCC", "HA NOI")
    assert (qr.bill_number, qr.reference_label, qr.terminal_label, qr.purpose) == ("BILL1", "REF9", "QUAY01", "HS1")


def test_an_extra_sub_field_in_the_merchant_template_is_tolerated():
    assert parse_payload(replaced("38", merchant() + tlv("03", "x"))).bin == "970436"


def with_fields(*fields: tuple[str, str]) -> str:
    """GOOD with extra root fields inserted before 58 (any order is fine for EMVCo)."""
    base = good_fields()
    return assemble(base[:5] + list(fields) + base[5:])


def with_additional(*subfields: tuple[str, str]) -> str:
    return replaced("62", "".join(tlv(tag, value) for tag, value in subfields))


@pytest.mark.parametrize("mcc", ["ABCD", "ABCDE", "939", "93999", "93 9", "９３９９"])
def test_a_merchant_category_code_that_is_not_four_digits_is_rejected(mcc):
    rejects(with_fields(("52", mcc)), "52")


@pytest.mark.parametrize(
    ("tag", "value"),
    [("59", "N" * 26), ("59", "Trung tâm Hành chính công"), ("59", "TRUNG\tTAM"),
     ("60", "C" * 16), ("60", "Hà Nội"), ("60", "HA\x7fNOI")],
)
def test_a_merchant_name_or_city_that_is_too_long_or_not_printable_ascii_is_rejected(tag, value):
    rejects(with_fields((tag, value)), tag)


def test_a_merchant_name_of_25_and_a_city_of_15_printable_characters_are_accepted():
    qr = parse_payload(with_fields(("52", "0000"), ("59", "N" * 25), ("60", "~ " + "C" * 13)))
    assert (qr.mcc, qr.merchant_name, qr.merchant_city) == ("0000", "N" * 25, "~ " + "C" * 13)


@pytest.mark.parametrize("sub", ["01", "02", "03", "04", "05", "06", "07", "08"])
@pytest.mark.parametrize("value", ["B" * 26, "Hồ sơ 1", "T\x01", "T\x7f"])
def test_an_additional_data_sub_field_that_is_too_long_or_not_printable_ascii_is_rejected(sub, value):
    rejects(with_additional((sub, value)), f"62/{sub}")


@pytest.mark.parametrize("sub", ["01", "02", "03", "04", "05", "06", "07", "08"])
def test_an_additional_data_sub_field_of_25_printable_characters_is_accepted(sub):
    assert parse_payload(with_additional((sub, " !~" + "x" * 22))).amount_vnd == 150000


@pytest.mark.parametrize("request_", ["A", "ME", "AME", "EMA"])
def test_a_consumer_data_request_of_a_m_and_e_is_accepted(request_):
    assert parse_payload(with_additional(("09", request_))).amount_vnd == 150000


@pytest.mark.parametrize("request_", ["XYZW", "AMEA", "X", "a", "A M"])
def test_a_consumer_data_request_other_than_up_to_three_of_a_m_e_is_rejected(request_):
    rejects(with_additional(("09", request_)), "62/09")


def test_unknown_sub_fields_and_templates_stay_free_of_the_format_rules():
    free = "Trung tâm Hành chính công, tỉnh Quảng Ninh"
    payload = with_fields(("64", tlv("00", "vi") + tlv("01", free)), ("80", free))
    assert parse_payload(payload).amount_vnd == 150000
    assert parse_payload(with_additional(("10", "Quảng Ninh"), ("50", "x" * 30), ("99", "\x01"))).purpose is None


# --- properties ------------------------------------------------------------------------------------------

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯƠ"
PURPOSE_ALPHABET = VIETNAMESE + VIETNAMESE.upper() + "0123456789 .,-/\t"

bins = st.from_regex(r"[0-9]{6}", fullmatch=True)
accounts = st.from_regex(r"[0-9A-Za-z]{1,19}", fullmatch=True)
amounts = st.none() | st.integers(min_value=1, max_value=10**13 - 1)
purposes = st.none() | st.text(alphabet=PURPOSE_ALPHABET, min_size=1, max_size=60).filter(lambda s: s.strip())


@given(bin=bins, account=accounts, amount=amounts, purpose=purposes, service=st.sampled_from(["QRIBFTTA", "QRIBFTTC"]))
def test_build_then_parse_gives_back_the_inputs(bin, account, amount, purpose, service):
    payload = build_payload(bin=bin, account=account, amount_vnd=amount, purpose=purpose, service=service)
    qr = parse_payload(payload)
    assert (qr.bin, qr.account, qr.amount_vnd, qr.service) == (bin, account, amount, service)
    assert qr.purpose == (None if purpose is None else normalize_purpose(purpose))
    assert qr.initiation == ("11" if amount is None else "12")
    assert re.fullmatch(r"[0-9A-F]{4}", payload[-4:])


@given(st.text(max_size=80))
def test_normalized_purpose_is_short_printable_ascii_or_an_error(text):
    try:
        clean = normalize_purpose(text)
    except VietQRError:
        return
    assert 0 < len(clean) <= 25 and clean.isascii() and clean.isprintable()
    assert clean == clean.strip() and "  " not in clean
    assert normalize_purpose(clean) == clean


@given(st.text(max_size=120))
def test_parsing_arbitrary_text_raises_only_vietqr_error(text):
    try:
        parse_payload(text)
    except VietQRError:
        pass


@given(data=st.data())
def test_any_single_character_change_before_the_crc_is_rejected(data):
    pos = data.draw(st.integers(min_value=0, max_value=len(GOOD) - 5))
    char = data.draw(st.characters(min_codepoint=0x20, max_codepoint=0x7E).filter(lambda c: c != GOOD[pos]))
    with pytest.raises(VietQRError):
        parse_payload(GOOD[:pos] + char + GOOD[pos + 1 :])


# --- rendering -------------------------------------------------------------------------------------------

RENDER_CASES = [
    GOOD,
    VALID[0]["payload"],
    build_payload(
        bin="970403", account="9704031101234567", amount_vnd=10**13 - 1, purpose="y" * 30, service="QRIBFTTC"
    ),
]


def decode(image: PIL.Image.Image) -> list:
    return zxingcpp.read_barcodes(image.convert("L"))


@pytest.mark.parametrize("payload", RENDER_CASES, ids=lambda p: p[-4:])
def test_the_png_scans_back_to_exactly_the_payload_with_error_correction_m(payload):
    image = PIL.Image.open(io.BytesIO(render_png(payload)))
    found = decode(image)
    assert [b.text for b in found] == [payload]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level == "M"


def test_the_png_has_a_white_quiet_zone_of_four_modules():
    image = PIL.Image.open(io.BytesIO(render_png(GOOD, box_size=5))).convert("L")
    width, _ = image.size
    assert (width // 5 - 8 - 17) % 4 == 0  # modules = 17 + 4 x version, plus 2 x 4 border
    stripes = [image.crop((0, 0, width, 20)), image.crop((0, 0, 20, width))]
    assert all(stripe.getextrema() == (255, 255) for stripe in stripes)
    assert image.crop((0, 20, width, 25)).getextrema()[0] == 0  # the finder pattern starts right after


def test_box_size_and_border_change_the_png_size():
    small = PIL.Image.open(io.BytesIO(render_png(GOOD, box_size=2, border=0)))
    large = PIL.Image.open(io.BytesIO(render_png(GOOD, box_size=4, border=0)))
    assert large.size[0] == 2 * small.size[0]


@pytest.mark.parametrize("opts", [{"box_size": 0}, {"box_size": 2.5}, {"border": -1}])
def test_render_rejects_nonsense_options(opts):
    with pytest.raises(VietQRError):
        render_png(GOOD, **opts)


@pytest.mark.parametrize("render", [render_png, render_svg])
def test_render_refuses_a_payload_that_would_not_parse(render):
    with pytest.raises(VietQRError):
        render(GOOD[:-1] + "0")


def svg_to_image(svg: str, scale: int = 4) -> PIL.Image.Image:
    """Rasterise the unit squares of qrcode's one-path SVG, enough for a decoder to read it."""
    root = ET.fromstring(svg)
    size = int(float(root.get("viewBox").split()[2]))
    image = PIL.Image.new("L", (size * scale, size * scale), 255)
    path = root.find("{http://www.w3.org/2000/svg}path").get("d")
    for x, y in re.findall(r"M([\d.]+),([\d.]+)H", path):
        left, top = int(float(x)) * scale, int(float(y)) * scale
        image.paste(0, (left, top, left + scale, top + scale))
    return image


def test_the_svg_is_well_formed_xml_with_one_path():
    root = ET.fromstring(render_svg(GOOD))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("{http://www.w3.org/2000/svg}path")) == 1


@pytest.mark.parametrize("payload", RENDER_CASES, ids=lambda p: p[-4:])
def test_the_svg_draws_a_code_that_scans_back_to_the_payload(payload):
    assert [b.text for b in decode(svg_to_image(render_svg(payload)))] == [payload]


# --- machine codes: every refusal names its rule (`code`) and where (`details`), the message unchanged ---------


def refusal(act, *args, **kwargs) -> VietQRError:
    with pytest.raises(VietQRError) as caught:
        act(*args, **kwargs)
    return caught.value


def wrong_crc(payload: str) -> str:
    return payload[:-4] + ("0000" if payload[-4:] != "0000" else "FFFF")


def merchant_without(tag: str) -> str:
    return "".join(tlv(t, v) for t, v in (("00", GUID), ("01", tlv("00", "970436") + tlv("01", "0123456789")),
                                          ("02", "QRIBFTTA")) if t != tag)


PARSE_REFUSALS = [
    ("crc mismatch", wrong_crc(GOOD), "vietqr_crc_mismatch", {"field": "63", "given": "0000",
                                                               "computed": GOOD[-4:]}),
    ("empty", "", "vietqr_malformed", {}),
    ("not text", 42, "vietqr_malformed", {}),
    ("stray characters", GOOD + "X", "vietqr_malformed", {"position": len(GOOD)}),
    ("not a data object", with_crc(GOOD[:-8] + "AB02xy"), "vietqr_malformed", {"position": len(GOOD) - 8}),
    ("length past the end", GOOD[:-8] + "6399", "vietqr_malformed", {"position": len(GOOD) - 8}),
    ("stray in 38", replaced("38", merchant() + "0"), "vietqr_malformed",
     {"field": "38", "position": len(merchant())}),
    ("repeated tag", assemble(good_fields() + [("54", "999")]), "vietqr_malformed", {"field": "54"}),
    ("00 not first", assemble([good_fields()[1], good_fields()[0], *good_fields()[2:]]), "vietqr_malformed",
     {"field": "00"}),
    ("crc not last", (lambda body: body + crc16(body) + tlv("99", "x"))(GOOD[:-8] + "6304"), "vietqr_malformed",
     {"field": "63"}),
    ("no crc", GOOD[:-8], "vietqr_missing_field", {"field": "63"}),
    ("no currency", without("53"), "vietqr_missing_field", {"field": "53"}),
    ("no merchant", without("38"), "vietqr_missing_field", {"field": "38"}),
    ("no guid", replaced("38", merchant_without("00")), "vietqr_missing_field", {"field": "38/00"}),
    ("no service", replaced("38", merchant_without("02")), "vietqr_missing_field", {"field": "38/02"}),
    ("no bin", replaced("38", tlv("00", GUID) + tlv("01", tlv("01", "0123456789")) + tlv("02", "QRIBFTTA")),
     "vietqr_missing_field", {"field": "38/01/00"}),
    ("crc not hex", GOOD[:-4] + "2E2G", "vietqr_invalid_field", {"field": "63"}),
    ("format indicator", replaced("00", "02"), "vietqr_invalid_field", {"field": "00"}),
    ("initiation", replaced("01", "13"), "vietqr_invalid_field", {"field": "01"}),
    ("currency", replaced("53", "840"), "vietqr_invalid_field", {"field": "53"}),
    ("country", replaced("58", "US"), "vietqr_invalid_field", {"field": "58"}),
    ("guid", replaced("38", merchant(guid="A000000728")), "vietqr_invalid_field", {"field": "38/00"}),
    ("bin", replaced("38", merchant(bin="97043X")), "vietqr_invalid_field", {"field": "38/01/00"}),
    ("account", replaced("38", merchant(account="1" * 20)), "vietqr_invalid_field", {"field": "38/01/01"}),
    ("service", replaced("38", merchant(service="QRCASH")), "vietqr_invalid_field", {"field": "38/02"}),
    ("amount", replaced("54", "150000.5"), "vietqr_invalid_field", {"field": "54"}),
    ("mcc", with_fields(("52", "ABCD")), "vietqr_invalid_field", {"field": "52"}),
    ("purpose", replaced("62", tlv("08", "Lệ phí")), "vietqr_invalid_field", {"field": "62/08"}),
]


@pytest.mark.parametrize("payload, code, details", [case[1:] for case in PARSE_REFUSALS],
                         ids=[case[0] for case in PARSE_REFUSALS])
def test_every_parse_refusal_has_a_stable_code_and_says_where(payload, code, details):
    error = refusal(parse_payload, payload)
    assert (error.code, error.details) == (code, details)
    assert error.message == str(error) and error.message


def test_the_messages_are_the_ones_given_before_the_codes():
    assert str(refusal(parse_payload, wrong_crc(GOOD))) == f"CRC mismatch: payload says 0000, computed {GOOD[-4:]}"
    assert str(refusal(parse_payload, without("53"))) == "required field 53 is missing from the payload"
    assert str(refusal(parse_payload, replaced("38", merchant_without("00")))) == \
        "required field 00 is missing from field 38"


BUILD_REFUSALS = [
    ("bin", {"bin": "97043"}, {"field": "38/01/00"}),
    ("account", {"account": "0123-456"}, {"field": "38/01/01"}),
    ("service", {"service": "QRCASH"}, {"field": "38/02"}),
    ("amount", {"amount_vnd": 0}, {"field": "54"}),
    ("dynamic", {"dynamic": "yes"}, {"field": "01"}),
    ("purpose", {"purpose": "\u200b"}, {"field": "62/08"}),
    ("mcc", {"mcc": "ABCD"}, {"field": "52"}),
    ("bill number", {"bill_number": "B" * 26}, {"field": "62/01"}),
    ("additional data", {"bill_number": "B" * 25, "reference_label": "R" * 25, "terminal_label": "T" * 25,
                         "purpose": "P" * 25}, {"field": "62"}),
]


@pytest.mark.parametrize("arguments, details", [case[1:] for case in BUILD_REFUSALS],
                         ids=[case[0] for case in BUILD_REFUSALS])
def test_every_build_refusal_is_invalid_input_naming_the_field_it_would_fill(arguments, details):
    error = refusal(build_payload, **{"bin": "970436", "account": "0123456789", "amount_vnd": 1, **arguments})
    assert (error.code, error.details) == ("vietqr_invalid_input", details)


def test_a_render_option_out_of_range_is_invalid_input_naming_the_option():
    error = refusal(render_png, GOOD, box_size=0)
    assert (error.code, error.details) == ("vietqr_invalid_input", {"argument": "box_size"})
