"""Round 8: VietQR payloads, payment codes, typed amounts and amounts in words, with new cases of each kind."""
import unicodedata

import pytest

from kernel.money import parse_typed_vnd


# --- amounts typed on the pages ----------------------------------------------------------------

@pytest.mark.parametrize("typed", ["150.000 đồng", "150.000 Đồng", "150000đồng"])
def test_a_typed_amount_spelt_with_combining_accents_reads_as_its_precomposed_spelling(typed):
    # Unikey's "Unicode tổ hợp" and some phone keyboards write ồ as o + U+0302 + U+0300.
    decomposed = unicodedata.normalize("NFD", typed)
    assert decomposed != typed
    assert parse_typed_vnd(decomposed) == parse_typed_vnd(typed) == 150_000


# --- VietQR: new cases of the NAPAS / EMVCo rules ------------------------------------------------

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

from payments import vietqr  # noqa: E402
from payments.vietqr import VietQRError, build_payload, crc16, parse_payload  # noqa: E402

ANS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25)


def ans(most):
    return st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=most)


@hsettings(max_examples=300, deadline=None)
@given(bin=st.from_regex(r"[0-9]{6}", fullmatch=True),
       account=st.from_regex(r"[0-9A-Za-z]{1,19}", fullmatch=True),
       amount=st.none() | st.integers(min_value=1, max_value=10**13 - 1),
       service=st.sampled_from(["QRIBFTTA", "QRIBFTTC"]),
       dynamic=st.none() | st.booleans(),
       mcc=st.none() | st.from_regex(r"[0-9]{4}", fullmatch=True),
       name=st.none() | ans(25), city=st.none() | ans(15),
       bill=st.none() | ans(12), reference=st.none() | ans(12), terminal=st.none() | ans(12),
       purpose=st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ]{0,10}[A-Za-z0-9]", fullmatch=True))
def test_every_field_the_builder_writes_parses_back_and_builds_the_same_payload(
        bin, account, amount, service, dynamic, mcc, name, city, bill, reference, terminal, purpose):
    extra = dict(mcc=mcc, merchant_name=name, merchant_city=city, bill_number=bill, reference_label=reference,
                 terminal_label=terminal)
    try:
        payload = build_payload(bin=bin, account=account, amount_vnd=amount, service=service, dynamic=dynamic,
                                purpose=purpose, **extra)
    except VietQRError as err:  # only the 99 characters of 62 may be exceeded by these sub-fields
        assert err.details == {"field": "62"}
        return
    qr = parse_payload(payload)
    assert (qr.bin, qr.account, qr.amount_vnd, qr.service, qr.purpose) == (bin, account, amount, service,
                                                                           purpose and " ".join(purpose.split()))
    assert (qr.mcc, qr.merchant_name, qr.merchant_city, qr.bill_number, qr.reference_label, qr.terminal_label) == \
        tuple(extra.values())
    assert qr.is_dynamic == (amount is not None if dynamic is None else dynamic)
    again = build_payload(bin=qr.bin, account=qr.account, amount_vnd=qr.amount_vnd, service=qr.service,
                          dynamic=qr.is_dynamic, purpose=qr.purpose, mcc=qr.mcc, merchant_name=qr.merchant_name,
                          merchant_city=qr.merchant_city, bill_number=qr.bill_number,
                          reference_label=qr.reference_label, terminal_label=qr.terminal_label)
    assert again == payload and payload[-4:] == crc16(payload[:-4])


def with_crc(body: str) -> str:
    return body + "6304" + crc16(body + "6304")


MERCHANT = "38570010A00000072701270006970418011300110123456780208QRIBFTTA"


def test_fields_in_another_order_between_the_first_and_the_crc_parse_to_the_same_qr():
    ordered = parse_payload(with_crc("000201010212" + MERCHANT + "5303704" + "5406250000" + "5802VN"
                                     + "62170813HS12345678978"))
    shuffled = parse_payload(with_crc("0002010102125802VN62170813HS12345678978" + "5406250000" + "5303704"
                                      + MERCHANT))
    assert (shuffled.bin, shuffled.account, shuffled.amount_vnd, shuffled.purpose, shuffled.initiation) == \
        (ordered.bin, ordered.account, ordered.amount_vnd, ordered.purpose, ordered.initiation) == \
        ("970418", "0011012345678", 250_000, "HS12345678978", "12")


def test_a_lower_case_crc_on_a_card_qr_parses_and_reports_the_crc_in_upper_case():
    payload = build_payload(bin="970436", account="9704366614952301", service="QRIBFTTC", amount_vnd=35_000,
                            purpose="Lệ phí hộ tịch")
    qr = parse_payload(payload[:-4] + payload[-4:].lower())
    assert (qr.service, qr.purpose, qr.crc) == ("QRIBFTTC", "Le phi ho tich", payload[-4:])


@pytest.mark.parametrize("tail", ["\n", "\r\n", " ", "\t"])
def test_a_payload_with_trailing_whitespace_is_malformed_so_it_is_never_printed_with_it(tail):
    payload = build_payload(bin="970422", account="0801234567", amount_vnd=50_000, purpose="HS12345678978")
    with pytest.raises(VietQRError) as err:
        parse_payload(payload + tail)
    assert err.value.code == "vietqr_malformed" and err.value.details["position"] == len(payload)


@pytest.mark.parametrize("amount", ["0", "00", "012000", "-5000", "1.5", "12,000", "1e6", "12 000", "١٢٠٠٠",
                                    "10000000000000", "99999999999999"])
def test_an_amount_field_that_is_no_positive_whole_vnd_of_at_most_13_characters_is_refused(amount):
    with pytest.raises(VietQRError) as err:
        parse_payload(with_crc("000201010212" + MERCHANT + "5303704" + f"54{len(amount):02d}{amount}" + "5802VN"))
    assert err.value.code == "vietqr_invalid_field" and err.value.details == {"field": "54"}


def test_a_static_qr_without_54_leaves_the_amount_to_the_payer():
    qr = parse_payload(with_crc("000201010211" + MERCHANT + "5303704" + "5802VN"))
    assert (qr.initiation, qr.is_dynamic, qr.amount_vnd) == ("11", False, None)


@pytest.mark.parametrize("tag, value", [("59", "CỤC THUẾ"), ("60", "HÀ NỘI"), ("62", "0806Lệ phí")])
def test_non_ascii_text_in_a_field_emvco_types_ans_is_an_invalid_field(tag, value):
    with pytest.raises(VietQRError) as err:
        parse_payload(with_crc("000201010212" + MERCHANT + "5303704" + "5802VN" + f"{tag}{len(value):02d}{value}"))
    assert err.value.code == "vietqr_invalid_field"
    assert err.value.details["field"] == ("62/08" if tag == "62" else tag)


def test_non_ascii_text_in_an_unknown_template_is_counted_in_characters_and_kept_out_of_the_fields():
    qr = parse_payload(with_crc("000201010212" + MERCHANT + "5303704" + "5802VN" + "64160002vi0106HÀ NỘI"))
    assert (qr.bin, qr.merchant_city) == ("970418", None)


def test_a_length_that_runs_past_the_end_of_the_bill_number_is_malformed_even_with_a_matching_crc():
    with pytest.raises(VietQRError) as err:
        parse_payload(with_crc("000201010212" + MERCHANT + "5303704" + "5802VN" + "62110120NPS6869"))
    assert err.value.code == "vietqr_malformed" and err.value.details["field"] == "62"


@pytest.mark.parametrize("purpose, clean", [
    ("Nộp lệ phí trước bạ nhà đất năm 2026", "Nop le phi truoc ba nha d"),
    ("  ĐĂNG   KÝ  KẾT HÔN  ", "DANG KY KET HON"),
    ("Phí – thẩm định “hồ sơ”", 'Phi - tham dinh "ho so"'),
])
def test_a_vietnamese_purpose_is_stripped_of_accents_collapsed_and_cut_to_25_characters(purpose, clean):
    assert vietqr.normalize_purpose(purpose) == clean
    assert parse_payload(build_payload(bin="970405", account="1500201234567", purpose=purpose)).purpose == clean


# --- payment codes ---------------------------------------------------------------------------------

import random  # noqa: E402

from payments.codes import check_digits, is_valid_code, new_code, scan_memo  # noqa: E402

SAMPLE = [f"{n:09d}" for n in random.Random(8).sample(range(10**9), 400)] + ["000000000", "999999999", "000000123"]


@pytest.mark.parametrize("body", SAMPLE[:40])
def test_every_single_digit_error_and_adjacent_swap_of_a_code_fails_its_check(body):
    digits = body + check_digits(body)
    assert is_valid_code("HS" + digits)
    for i, written in enumerate(digits):
        for other in "0123456789".replace(written, ""):
            assert not is_valid_code("HS" + digits[:i] + other + digits[i + 1:])
        if i < len(digits) - 1 and digits[i] != digits[i + 1]:
            assert not is_valid_code("HS" + digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:])


def test_single_digit_errors_and_adjacent_swaps_are_detected_over_the_whole_sample():
    missed = 0
    for body in SAMPLE:
        digits = body + check_digits(body)
        edits = {digits[:i] + d + digits[i + 1:] for i in range(11) for d in "0123456789"}
        edits |= {digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:] for i in range(10)}
        missed += sum(is_valid_code("HS" + e) for e in edits - {digits})
    assert missed == 0


CODE = new_code(randbelow=lambda _: 7_012_345)  # "HS007012345" + its check digits


@pytest.mark.parametrize("write", [
    lambda d: f"hs{d}", lambda d: f"Hs-{d[:9]}-{d[9:]}", lambda d: f"hS {d[:3]} {d[3:6]} {d[6:9]} {d[9:]}",
    lambda d: f"hs.{d[:3]}.{d[3:6]}.{d[6:]}", lambda d: f"HS_{d[:5]}_{d[5:]}", lambda d: f"ho so hs: {d} le phi",
    lambda d: f"MBVCB.1234567.hs{d}.CT tu 0123456789 NGUYEN VAN A", lambda d: f"Nộp phí hồ sơ HS#{d}",
    lambda d: f"HS/{d}", lambda d: f"hs\u00a0{d[:6]}\u00a0{d[6:]}", lambda d: f"IBFT hs{d}-250000",
])
def test_a_code_in_a_memo_is_found_whatever_the_case_and_separators(write):
    found = scan_memo(write(CODE[2:]))
    assert [(f.code, f.raw) for f in found] == [(CODE, CODE)]


# --- amounts in words on receipts and cash slips ---------------------------------------------------

from kernel.words import amount_in_words  # noqa: E402


@pytest.mark.parametrize("amount, words", [
    (0, "Không đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (105, "Một trăm linh năm đồng"),
    (111, "Một trăm mười một đồng"),
    (245, "Hai trăm bốn mươi lăm đồng"),
    (150_000, "Một trăm năm mươi nghìn đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (1_010_000, "Một triệu không trăm mười nghìn đồng"),
    (1_000_100, "Một triệu một trăm đồng"),
    (25_051_001, "Hai mươi lăm triệu không trăm năm mươi mốt nghìn không trăm linh một đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (500_000_000, "Năm trăm triệu đồng"),
    (2_005_000_015, "Hai tỷ không trăm linh năm triệu không trăm mười lăm đồng"),
])
def test_amounts_in_words_follow_the_formal_reading(amount, words):
    assert amount_in_words(amount) == words


@pytest.mark.parametrize("typed", ["150k", "150K", "1,5tr", "1.5 triệu", "150 nghìn", "₫150.000"])
def test_shorthand_amounts_are_refused_rather_than_guessed(typed):
    from kernel.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        parse_typed_vnd(typed)
    assert err.value.code == "invalid_amount"
