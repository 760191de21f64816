"""Round 17: VietQR vectors written from the EMVCo MPM and NAPAS VietQR rules, not from our own builder.

Each payload is spelt out data object by data object (`tlv` counts the characters by hand's rule) and its
CRC comes from a bit-by-bit CRC-16/CCITT-FALSE written here, so neither the parser's TLV reader nor its
`crc16` (binascii) vouches for the vectors it is tested on.
"""
from __future__ import annotations

import pytest

from payments.vietqr import VietQRError, build_payload, crc16, parse_payload


def ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE bit by bit: poly 0x1021, init 0xFFFF, no reflection, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    assert len(tag) == 2 and 1 <= len(value) <= 99
    return f"{tag}{len(value):02d}{value}"


def sealed(*objects: str) -> str:
    """The data objects with the CRC appended: over everything before it, "6304" included, UTF-8 bytes."""
    body = "".join(objects) + "6304"
    return body + f"{ccitt_false(body.encode('utf-8')):04X}"


def napas(bin: str, account: str, service: str = "QRIBFTTA") -> str:
    return tlv("38", tlv("00", "A000000727") + tlv("01", tlv("00", bin) + tlv("01", account)) + tlv("02", service))


HEAD_STATIC, HEAD_DYNAMIC = tlv("00", "01") + tlv("01", "11"), tlv("00", "01") + tlv("01", "12")
VND, VN = tlv("53", "704"), tlv("58", "VN")


def test_the_independent_crc_agrees_with_the_published_check_value_and_the_napas_example():
    assert ccitt_false(b"123456789") == 0x29B1  # the catalogue's check value for CRC-16/CCITT-FALSE
    napas_card = ("00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC"
                  "53037045802VN6304")
    assert f"{ccitt_false(napas_card.encode()):04X}" == "4F52" == crc16(napas_card)


# (name, payload, the fields it must parse to)
VECTORS = [
    ("static to an account, no amount (BIDV)",
     sealed(HEAD_STATIC, napas("970418", "1234567890"), VND, VN),
     {"bin": "970418", "account": "1234567890", "service": "QRIBFTTA", "initiation": "11", "amount_vnd": None,
      "purpose": None}),
    ("dynamic to a card with an amount and every additional-data field we read",
     sealed(HEAD_DYNAMIC, napas("970436", "9704366614952301", "QRIBFTTC"), VND, tlv("54", "250000"), VN,
            tlv("62", tlv("01", "HD2026-0001") + tlv("05", "REF42") + tlv("07", "QUAY03") + tlv("08", "HS40881023160"))),
     {"bin": "970436", "account": "9704366614952301", "service": "QRIBFTTC", "initiation": "12",
      "amount_vnd": 250000, "purpose": "HS40881023160", "bill_number": "HD2026-0001", "reference_label": "REF42",
      "terminal_label": "QUAY03"}),
    ("a merchant-style QR: MCC, name and city in ASCII, the Vietnamese name in the language template 64",
     sealed(HEAD_DYNAMIC, napas("970422", "0801012345678"), tlv("52", "9399"), VND, tlv("54", "30000"), VN,
            tlv("59", "TRUNG TAM HCC TINH"), tlv("60", "HA NOI"),
            tlv("64", tlv("00", "VI") + tlv("01", "Trung tâm Hành chính công") + tlv("02", "Hà Nội"))),
     {"bin": "970422", "account": "0801012345678", "amount_vnd": 30000, "mcc": "9399",
      "merchant_name": "TRUNG TAM HCC TINH", "merchant_city": "HA NOI"}),
    ("point of initiation left out (optional in EMVCo and NAPAS)",
     sealed(tlv("00", "01"), napas("970407", "19034567890123"), VND, VN),
     {"bin": "970407", "account": "19034567890123", "initiation": None, "amount_vnd": None}),
    ("the amount written with a decimal mark and no decimals",
     sealed(HEAD_DYNAMIC, napas("970415", "113366668888"), VND, tlv("54", "50000."), VN),
     {"amount_vnd": 50000}),
    ("another scheme's account template beside NAPAS's, and issuer templates 80-99",
     sealed(HEAD_DYNAMIC, tlv("26", tlv("00", "A000000775") + tlv("01", "0123456789")),
            napas("970423", "00012345678"), VND, tlv("54", "1000"), VN,
            tlv("80", tlv("00", "NAPAS") + tlv("01", "x")), tlv("99", "issuer data")),
     {"bin": "970423", "account": "00012345678", "amount_vnd": 1000}),
    ("fields between the first and the CRC in another order",
     sealed(tlv("00", "01"), VN, tlv("62", tlv("08", "HS40881023160")), tlv("54", "75000"), VND,
            napas("970405", "1500201234567"), tlv("01", "12")),
     {"bin": "970405", "account": "1500201234567", "amount_vnd": 75000, "purpose": "HS40881023160",
      "initiation": "12"}),
    ("every length at its maximum: 19-character account, 13-character amount, 25-character sub-fields",
     sealed(HEAD_DYNAMIC, napas("970403", "9" * 19), VND, tlv("54", "9" * 13), VN,
            tlv("59", "N" * 25), tlv("60", "C" * 15),
            tlv("62", tlv("01", "B" * 25) + tlv("05", "R" * 25) + tlv("08", "P" * 25))),
     {"account": "9" * 19, "amount_vnd": 10**13 - 1, "merchant_name": "N" * 25, "merchant_city": "C" * 15,
      "bill_number": "B" * 25, "reference_label": "R" * 25, "purpose": "P" * 25}),
]


@pytest.mark.parametrize("payload, fields", [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_a_payload_built_by_the_rules_parses_to_its_fields(payload, fields):
    qr = parse_payload(payload)
    assert {name: getattr(qr, name) for name in fields} == fields
    assert qr.crc == payload[-4:]


@pytest.mark.parametrize("payload", [v[1] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_a_lower_case_crc_is_the_same_qr(payload):
    assert parse_payload(payload[:-4] + payload[-4:].lower()) == parse_payload(payload)


@pytest.mark.parametrize("payload", [v[1] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_any_crc_but_the_right_one_is_a_crc_mismatch(payload):
    wrong = f"{(int(payload[-4:], 16) + 1) % 0x10000:04X}"
    with pytest.raises(VietQRError) as caught:
        parse_payload(payload[:-4] + wrong)
    assert caught.value.code == "vietqr_crc_mismatch"


def test_the_builder_writes_the_vectors_it_can_describe_byte_for_byte():
    """The builder writes 00, 01, 38, 52, 53, 54, 58, 59, 60, 62 (01, 05, 07, 08) in that order."""
    assert build_payload(bin="970418", account="1234567890") == VECTORS[0][1]
    assert build_payload(bin="970436", account="9704366614952301", service="QRIBFTTC", amount_vnd=250000,
                         bill_number="HD2026-0001", reference_label="REF42", terminal_label="QUAY03",
                         purpose="HS40881023160") == VECTORS[1][1]


REFUSED = [
    ("a CRC over the data without its own 6304",
     (lambda body: body + "6304" + f"{ccitt_false(body.encode()):04X}")(
         HEAD_STATIC + napas("970418", "1234567890") + VND + VN), "vietqr_crc_mismatch"),
    ("a bill number one character longer than its length says, CRC right",
     sealed(HEAD_DYNAMIC, napas("970418", "1234567890"), VND, VN, "6217" + "0112HD2026-0001" + "0802AB"),
     "vietqr_malformed"),
    ("a beneficiary whose account length runs past the template, CRC right",
     sealed(HEAD_STATIC, "3854" + "0010A000000727" + "0124" + "0006970418" + "0111" + "1234567890" +
            "0208QRIBFTTA", VND, VN), "vietqr_malformed"),
    ("a merchant name with Vietnamese letters (59 is printable ASCII; 64 carries the Vietnamese)",
     sealed(HEAD_STATIC, napas("970418", "1234567890"), VND, VN, tlv("59", "Trung tâm HCC")),
     "vietqr_invalid_field"),
    ("a city with Vietnamese letters", sealed(HEAD_STATIC, napas("970418", "1234567890"), VND, VN,
                                              tlv("60", "Hà Nội")), "vietqr_invalid_field"),
    ("a purpose with Vietnamese letters", sealed(HEAD_STATIC, napas("970418", "1234567890"), VND, VN,
                                                 tlv("62", tlv("08", "Lệ phí hồ sơ"))), "vietqr_invalid_field"),
    ("a merchant name of 26 characters", sealed(HEAD_STATIC, napas("970418", "1"), VND, VN, tlv("59", "N" * 26)),
     "vietqr_invalid_field"),
    ("a city of 16 characters", sealed(HEAD_STATIC, napas("970418", "1"), VND, VN, tlv("60", "C" * 16)),
     "vietqr_invalid_field"),
    ("an account of 20 characters", sealed(HEAD_STATIC, napas("970418", "1" * 20), VND, VN),
     "vietqr_invalid_field"),
    ("an amount of 14 characters", sealed(HEAD_DYNAMIC, napas("970418", "1"), VND, tlv("54", "1" * 14), VN),
     "vietqr_invalid_field"),
    ("an amount with a thousands separator", sealed(HEAD_DYNAMIC, napas("970418", "1"), VND, tlv("54", "50,000"),
                                                    VN), "vietqr_invalid_field"),
    ("an amount in exponent form", sealed(HEAD_DYNAMIC, napas("970418", "1"), VND, tlv("54", "5E4"), VN),
     "vietqr_invalid_field"),
    ("a negative amount", sealed(HEAD_DYNAMIC, napas("970418", "1"), VND, tlv("54", "-5000"), VN),
     "vietqr_invalid_field"),
    ("a QR Pay service code (merchant payment, not a transfer)",
     sealed(HEAD_DYNAMIC, napas("970418", "1", "QRPUSH"), VND, VN), "vietqr_invalid_field"),
    ("another scheme's QR without the NAPAS template",
     sealed(HEAD_DYNAMIC, tlv("26", tlv("00", "A000000775") + tlv("01", "0123456789")), VND, VN),
     "vietqr_missing_field"),
    ("the payload format indicator after another field", sealed(tlv("01", "11"), tlv("00", "01"),
                                                                napas("970418", "1"), VND, VN), "vietqr_malformed"),
    ("a field after the CRC", sealed(HEAD_STATIC, napas("970418", "1"), VND, VN) + tlv("99", "x"),
     "vietqr_malformed"),
    ("a field of length 00", sealed(HEAD_STATIC, napas("970418", "1"), VND, VN, "9900"), "vietqr_malformed"),
]


@pytest.mark.parametrize("payload, code", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_a_payload_breaking_a_rule_is_refused_with_its_code(payload, code):
    with pytest.raises(VietQRError) as caught:
        parse_payload(payload)
    assert caught.value.code == code and caught.value.message


@pytest.mark.parametrize("arguments, field", [
    ({"merchant_name": "Trung tâm Hành chính công"}, "59"),  # 59/60 are taken as given, never transliterated
    ({"merchant_city": "Hà Nội"}, "60"),
    ({"merchant_name": "N" * 26}, "59"),
    ({"merchant_city": "C" * 16}, "60"),
    ({"amount_vnd": 10**13}, "54"),
    ({"account": "1" * 20}, "38/01/01"),
])
def test_the_builder_refuses_what_the_parser_would_refuse(arguments, field):
    with pytest.raises(VietQRError) as caught:
        build_payload(**{"bin": "970418", "account": "1234567890", **arguments})
    assert (caught.value.code, caught.value.details) == ("vietqr_invalid_input", {"field": field})


def test_a_vietnamese_purpose_is_transliterated_for_62_08_and_the_payload_stays_ascii():
    payload = build_payload(bin="970418", account="1234567890", amount_vnd=1000, purpose="Đóng lệ phí HS40881023160")
    assert payload.isascii()
    assert parse_payload(payload).purpose == "Dong le phi HS40881023160"


def test_additional_data_of_exactly_99_characters_is_built_and_read_back_and_100_is_refused():
    full = {"bill_number": "B" * 25, "reference_label": "R" * 25, "terminal_label": "T" * 25}
    payload = build_payload(bin="970418", account="1", purpose="P" * 8, **full)
    assert "6299" in payload and parse_payload(payload).purpose == "P" * 8
    assert payload == sealed(HEAD_STATIC, napas("970418", "1"), VND, VN,
                             tlv("62", tlv("01", "B" * 25) + tlv("05", "R" * 25) + tlv("07", "T" * 25) +
                                 tlv("08", "P" * 8)))
    with pytest.raises(VietQRError) as caught:
        build_payload(bin="970418", account="1", purpose="P" * 9, **full)
    assert (caught.value.code, caught.value.details) == ("vietqr_invalid_input", {"field": "62"})


def test_an_unknown_root_field_of_99_characters_is_kept_out_of_the_fields():
    payload = sealed(HEAD_STATIC, napas("970418", "1"), VND, VN, tlv("85", "x" * 99))
    assert parse_payload(payload).account == "1"
