"""Payment codes: check digits, generation, and finding codes in mangled bank memos."""

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.codes import (
    CodeFound,
    ResolvedCode,
    check_digits,
    is_valid_code,
    new_code,
    normalise_memo,
    resolve_codes,
    scan_memo,
)

DATA = Path(__file__).resolve().parent.parent / "data"


def _load_sample():
    with open(DATA / "statement_vcb_sample.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    truth = json.loads((DATA / "statement_sample_truth.json").read_text(encoding="utf-8"))
    open_codes = {r["payment_code"] for r in truth["open_requests"]}
    return [(row[-1], line) for row, line in zip(rows, truth["lines"], strict=True)], open_codes


SAMPLE_LINES, SAMPLE_OPEN = _load_sample()


def open_among(open_set):
    """A fake open-request lookup that records every call."""
    calls = []

    def lookup(candidates):
        calls.append(set(candidates))
        return set(candidates) & open_set

    lookup.calls = calls
    return lookup


def codes_of(memo, open_set=frozenset(), prefix="HS"):
    return [r.code for r in resolve_codes(scan_memo(memo, prefix), open_among(set(open_set)))]


def substitutions(code):
    digits = code[2:]
    for i, d in enumerate(digits):
        for new in "0123456789":
            if new != d:
                yield code[:2] + digits[:i] + new + digits[i + 1:]


def adjacent_swaps(code):
    digits = code[2:]
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            yield code[:2] + digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]


valid_codes = st.integers(0, 10**9 - 1).map(lambda n: f"HS{n:09d}{check_digits(f'{n:09d}')}")


# --- check digits and validity -------------------------------------------------------------


@pytest.mark.parametrize("code", ["HS40881023160", "HS49035050352", "HS87643557414", "HS52750860198"])
def test_known_good_codes_are_valid(code):
    assert is_valid_code(code)


def test_check_digits_follow_iso_7064_mod_97_10():
    assert check_digits("408810231") == "60"
    assert all(int(d + check_digits(d)) % 97 == 1 for d in ("000000000", "999999999", "000000001"))


def test_check_digits_are_zero_padded():
    padded = [d for d in (f"{n:09d}" for n in range(200)) if check_digits(d).startswith("0")]
    assert padded and all(len(check_digits(d)) == 2 for d in padded)


@pytest.mark.parametrize("digits", ["12345678", "1234567890", "12345678a", "１２３４５６７８９", ""])
def test_check_digits_reject_anything_but_nine_ascii_digits(digits):
    with pytest.raises(ValueError):
        check_digits(digits)


@pytest.mark.parametrize(
    "code",
    [
        "HS40881023161",  # wrong check
        "HS40035050352",  # one typo
        "HS04881023160",  # adjacent swap
        "hs40881023160",  # lower case is not the exact form
        "HS 40881023160",
        "HS4088102316",
        "HS408810231600",
        "QN40881023160",  # wrong prefix
        "HS4088102316O",  # letter O
        "HS４０８８１０２３１６０",  # full-width digits
        "",
        None,
        40881023160,
    ],
)
def test_anything_but_the_exact_form_with_a_good_check_is_invalid(code):
    assert not is_valid_code(code)


@given(st.integers(0, 10**9 - 1))
def test_only_the_check_digits_we_issue_verify(n):
    # MOD 97-10 check digits run 02..98: 97 and 98 also verify written as 00 and 01, which we
    # never issue; accepting them would make a second "valid" spelling of every such code.
    body = f"{n:09d}"
    issued = check_digits(body)
    assert "02" <= issued <= "98"
    for written in (f"{c:02d}" for c in (0, 1, 97, 98)):
        assert is_valid_code(f"HS{body}{written}") == (written == issued)


@pytest.mark.parametrize("prefix", ["H", "HSS", "hs", "H1", "ĐS", ""])
def test_a_prefix_must_be_two_uppercase_ascii_letters(prefix):
    with pytest.raises(ValueError):
        new_code(prefix)
    with pytest.raises(ValueError):
        scan_memo("HS40881023160", prefix)


# --- generation ------------------------------------------------------------------------------


@given(st.integers(0, 10**9 - 1))
def test_every_generated_code_is_valid(n):
    code = new_code(randbelow=lambda bound: n)
    assert is_valid_code(code)
    assert code == f"HS{n:09d}{check_digits(f'{n:09d}')}"


def test_generated_codes_keep_a_leading_zero():
    assert new_code(randbelow=lambda bound: 7) == "HS000000007" + check_digits("000000007")


def test_generation_asks_the_random_source_for_a_full_nine_digit_range():
    bounds = []
    new_code(randbelow=lambda bound: bounds.append(bound) or 0)
    assert bounds == [10**9]


def test_real_generated_codes_are_valid_and_not_sequential():
    codes = [new_code() for _ in range(200)]
    assert all(is_valid_code(c) for c in codes)
    assert len(set(codes)) == 200
    numbers = sorted(int(c[2:11]) for c in codes)
    assert max(b - a for a, b in zip(numbers, numbers[1:])) > 1000


def test_the_prefix_is_configurable():
    code = new_code("QN")
    assert code.startswith("QN") and is_valid_code(code, "QN") and not is_valid_code(code)


# --- single edits ------------------------------------------------------------------------------


@given(valid_codes)
def test_every_single_digit_typo_is_invalid_and_lists_the_original_as_a_neighbour(code):
    for typo in substitutions(code):
        assert not is_valid_code(typo)
        (found,) = scan_memo(typo)
        assert found.code is None and code in found.neighbours


@given(valid_codes)
def test_every_adjacent_swap_is_invalid_and_lists_the_original_as_a_neighbour(code):
    for swapped in adjacent_swaps(code):
        assert not is_valid_code(swapped)
        (found,) = scan_memo(swapped)
        assert found.code is None and code in found.neighbours


@given(valid_codes)
def test_neighbours_are_sorted_distinct_valid_and_one_edit_away(code):
    typo = next(substitutions(code))
    (found,) = scan_memo(typo)
    one_edit = set(substitutions(typo)) | set(adjacent_swaps(typo))
    assert list(found.neighbours) == sorted(set(found.neighbours))
    assert all(is_valid_code(n) and n in one_edit for n in found.neighbours)
    assert set(found.neighbours) == {c for c in one_edit if is_valid_code(c)}


# Any 11 digits, and the corners of the remainder shortcut (`_one_edit_candidates`): repeated digits,
# check digits 00/01 (never valid) and 02/98 (the extremes).
eleven_digits = st.one_of(
    st.text("0123456789", min_size=11, max_size=11),
    st.sampled_from("0123456789").map(lambda d: d * 11),
    st.tuples(st.integers(0, 10**9 - 1), st.sampled_from(["00", "01", "02", "96", "97", "98", "99"]))
    .map(lambda t: f"{t[0]:09d}{t[1]}"),
)


@given(eleven_digits)
def test_a_mistyped_tokens_neighbours_are_every_valid_code_one_edit_away(digits):
    typo = "HS" + digits
    one_edit = set(substitutions(typo)) | set(adjacent_swaps(typo))
    expected = CodeFound(typo, typo) if is_valid_code(typo) else \
        CodeFound(typo, None, tuple(sorted(c for c in one_edit if is_valid_code(c))))
    assert scan_memo(f"nop {typo} le phi") == [expected]


def test_a_valid_code_is_reported_without_neighbours():
    assert scan_memo("HS40881023160") == [CodeFound("HS40881023160", "HS40881023160", ())]


# --- normalisation -----------------------------------------------------------------------------


def test_normalising_strips_vietnamese_accents_and_maps_d_with_stroke():
    assert normalise_memo("Hồ sơ đất đai Đồng Nai ưu tiên") == "HO SO DAT DAI DONG NAI UU TIEN"


def test_normalising_leaves_ascii_untouched_except_for_case():
    assert normalise_memo("ibft Pham thu ha 123.45-6_7") == "IBFT PHAM THU HA 123.45-6_7"


# --- the sample statement ------------------------------------------------------------------


SAMPLE_IDS = [f"{i}-{line['kind']}" for i, (_, line) in enumerate(SAMPLE_LINES)]


@pytest.mark.parametrize(("memo", "line"), SAMPLE_LINES, ids=SAMPLE_IDS)
def test_each_sample_memo_gives_the_codes_the_truth_file_says(memo, line):
    assert codes_of(memo, SAMPLE_OPEN) == line["codes"]


def test_sample_typos_and_swaps_are_marked_corrected_and_exact_codes_exact():
    for memo, line in SAMPLE_LINES:
        resolved = resolve_codes(scan_memo(memo), open_among(SAMPLE_OPEN))
        expected = "corrected" if line["kind"] in ("typo", "swap") else "exact"
        assert all(r.how == expected for r in resolved), memo


# --- memo shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "memo",
    [
        "MBVCB.3278907687.HS 408810231 60.CT tu 0071001234567",
        "CT nhanh 247 den: HS 408 810231 60 LE PHI FT24944232267599",
        "IBFT PHAM THU HA thanh toan hs40881023160",
        "115885.101126.107492.HS40881023160 dot 1",
        "hs-408-810-231-60",
        "HS_40881_02316_0",
        "Hồ sơ HS40881023160 Đất đai",
        "HS. 408.810.231.60.",
        "nop phiHS40881023160nop phi",
        "HSHS40881023160",
        "HS40881023160\tle phi",
        "Ma ho so HS: 40881023160",
        "HS#40881023160",
        "thanh toan HS/40881023160",
        "HS : 408.810.231.60",
    ],
)
def test_a_valid_code_is_found_however_the_bank_app_mangles_it(memo):
    assert codes_of(memo) == ["HS40881023160"]


def test_two_codes_in_one_memo_come_back_in_order_of_appearance():
    assert codes_of("HS97484477365 HS22503502779 phi 2 ho so") == ["HS97484477365", "HS22503502779"]


def test_a_code_written_twice_is_reported_once():
    found = scan_memo("HS40881023160 lan 2 hs 408810231 60")
    assert [f.code for f in found] == ["HS40881023160"]


def test_the_same_typo_written_twice_is_reported_once():
    assert len(scan_memo("HS40881023161 HS40881023161")) == 1


def test_a_correctable_typo_is_kept_after_an_over_long_writing_of_the_same_digits():
    assert codes_of("HS40881023161 0 va HS40881023161", {"HS40881023160"}) == ["HS40881023160"]


@pytest.mark.parametrize(
    "memo", ["HS 1234567890", "HS 12 ho so", "HS", "HS.", "MONTHS 2024", "HS 408810231 6"]
)
def test_fewer_than_eleven_digits_after_the_prefix_is_not_a_code(memo):
    assert scan_memo(memo) == []


def test_a_prefix_more_than_three_separators_away_from_the_digits_is_not_a_code():
    assert scan_memo("HS    40881023160") == []


def test_digits_beyond_a_long_separator_gap_are_not_glued_on():
    assert codes_of("HS40881023161    2") == []
    assert scan_memo("HS40881023161    2")[0].raw == "HS40881023161"


def test_a_longer_digit_run_whose_first_eleven_digits_verify_gives_that_code():
    assert codes_of("HS40881023160 2") == ["HS40881023160"]
    assert codes_of("HS 408 810231 60 30000 dong") == ["HS40881023160"]
    assert codes_of("HS408810231601") == ["HS40881023160"]


@pytest.mark.parametrize("memo", ["HS 408 810231 610", "HS408810231610", "HS4088710231 60", "HS 4088 10231610"])
def test_a_longer_digit_run_whose_first_eleven_digits_fail_is_never_corrected(memo):
    # Here the eleventh digit is not the end of a group: the run might be the open code with a typo,
    # or with an insertion anywhere; guessing could credit the wrong citizen, so the token is reported
    # but nothing is proposed for it.
    [found] = scan_memo(memo)
    assert (found.code, found.neighbours) == (None, ())
    assert codes_of(memo, {"HS40881023160"}) == []


@pytest.mark.parametrize(
    "memo",
    [
        "HS12345678979 500000",
        "HS12345678979 - 0912345678",
        "MBVCB.3278907687.HS12345678979.20250524.CT tu",
        "HS 123 456 789 79 500000",
        "HS12345678987 30000 dong",  # adjacent swap
        "hs 1234567897-9.20250524",
    ],
)
def test_a_mistyped_code_followed_by_a_separate_number_is_still_corrected(memo):
    # The digit groups end exactly at eleven digits: the code is complete and what follows is another
    # number (amount, phone, date) glued on by the separator, not part of it.
    [found] = scan_memo(memo)
    assert found.code is None and "HS12345678978" in found.neighbours
    assert codes_of(memo, {"HS12345678978"}) == ["HS12345678978"]


def test_a_code_split_into_groups_that_end_at_eleven_digits_is_read_as_those_digits():
    # "HS 408 810231 61 0" reads as HS40881023161 (a typo of the open code) plus a separate "0".
    [found] = scan_memo("HS 408 810231 61 0")
    assert (found.raw, found.code) == ("HS40881023161", None) and "HS40881023160" in found.neighbours
    assert codes_of("HS 408 810231 61 0", {"HS40881023160"}) == ["HS40881023160"]


def test_a_mistyped_code_followed_by_a_number_is_not_corrected_when_two_neighbours_are_open():
    assert codes_of("HS40035050352 500000", {"HS49035050352"}) == ["HS49035050352"]
    assert codes_of("HS40035050352 500000", {"HS49035050352", "HS40305050352"}) == []


def test_unicode_digits_do_not_count_as_code_digits():
    # Full-width digits are the same digits in another width (NFKC), read since round 13
    # (tests/unit/test_codes_round13.py); other scripts' digits are not ours.
    assert scan_memo("HS٤٠٨٨١٠٢٣١٦٠") == []
    assert scan_memo("HS४०८८१०२३१६०") == []


def test_the_prefix_is_configurable_when_scanning():
    assert codes_of("thanh toan qn40881023160 HS49035050352", prefix="QN") == ["QN40881023160"]


def test_raw_keeps_the_digits_as_the_payer_wrote_them():
    (found,) = scan_memo("HS 400 350503 52")
    assert found.raw == "HS40035050352" and found.code is None
    assert "HS49035050352" in found.neighbours


# --- resolving against open requests ------------------------------------------------------


def test_an_exact_code_is_kept_even_when_it_is_not_open():
    lookup = open_among(set())
    assert resolve_codes(scan_memo("HS40881023160"), lookup) == [ResolvedCode("HS40881023160", "exact")]


def test_a_typo_is_corrected_only_to_its_unique_open_neighbour():
    found = scan_memo("HS40035050352")
    assert resolve_codes(found, open_among({"HS49035050352"})) == [ResolvedCode("HS49035050352", "corrected")]


def test_a_typo_with_no_open_neighbour_gives_nothing():
    assert resolve_codes(scan_memo("HS40035050352"), open_among({"HS40881023160"})) == []


def test_a_typo_with_two_open_neighbours_gives_nothing():
    typos = (scan_memo(typo)[0] for typo in substitutions("HS40881023160"))
    found = next(f for f in typos if len(f.neighbours) >= 2)
    assert resolve_codes([found], open_among(set(found.neighbours))) == []


def test_the_open_lookup_is_called_once_with_every_neighbour():
    found = scan_memo("HS40035050352 HS75949687241 HS40881023160")
    lookup = open_among({"HS49035050352", "HS75949682741"})
    resolved = resolve_codes(found, lookup)
    assert [(r.code, r.how) for r in resolved] == [
        ("HS49035050352", "corrected"),
        ("HS75949682741", "corrected"),
        ("HS40881023160", "exact"),
    ]
    assert lookup.calls == [set(found[0].neighbours) | set(found[1].neighbours)]


def test_the_open_lookup_is_not_called_when_every_code_verified():
    lookup = open_among(set())
    resolve_codes(scan_memo("HS40881023160"), lookup)
    assert lookup.calls == []


def test_a_correction_that_repeats_an_exact_code_is_reported_once_as_exact():
    found = scan_memo("HS40035050352 HS49035050352")
    resolved = resolve_codes(found, open_among({"HS49035050352"}))
    assert resolved == [ResolvedCode("HS49035050352", "exact")]


def test_open_codes_outside_the_neighbours_are_ignored():
    lookup = lambda candidates: {"HS40881023160"} | (set(candidates) & {"HS49035050352"})  # noqa: E731
    assert resolve_codes(scan_memo("HS40035050352"), lookup) == [ResolvedCode("HS49035050352", "corrected")]


# --- properties over arbitrary memos -----------------------------------------------------

SEPARATORS = st.text(alphabet=" ._-", min_size=1, max_size=3)
# No H or S (nor any letter that normalises to them), so the noise can never hold a prefix.
NO_PREFIX_NOISE = st.text(
    alphabet="ABCDEGIKLMNOPTUVXYabcdegiklmnoptuvxyàáạảãâầấậđĐơờớợưừứựôồốộ0123456789 .,:-_/\t", max_size=40
)
BANK_HEADS = st.sampled_from(
    [
        "",
        "MBVCB.3278907687.",
        "CT nhanh 247 den: ",
        "IBFT PHAM THU HA thanh toan ",
        "115885.101126.107492.",
        "Nộp lệ phí ",
    ]
)
BANK_TAILS = st.sampled_from(
    [
        "",
        " dot 1",
        ".CT tu 9567587969566 NGUYEN VAN AN",
        " LE PHI FT24944232267599",
        " Hồ sơ đất đai",
        " 30000",
        "Đ",
    ]
)


@st.composite
def mangled(draw, code):
    """Write a code the way a bank app might: separators inside, any case."""
    parts = [code[:2]] + list(code[2:])
    gaps = [draw(st.one_of(st.just(""), SEPARATORS)) for _ in parts[1:]]
    text = parts[0] + "".join(gap + digit for gap, digit in zip(gaps, parts[1:]))
    return "".join(ch.lower() if draw(st.booleans()) else ch for ch in text)


@given(st.data(), valid_codes)
def test_a_valid_code_hidden_in_memo_noise_is_found_exactly(data, code):
    memo = (
        data.draw(BANK_HEADS)
        + data.draw(NO_PREFIX_NOISE)
        + data.draw(st.sampled_from(["", " ", ".", "Đ ", "ồ "]))
        + data.draw(mangled(code))
        + data.draw(st.sampled_from(["", " ", "đ", " ơ ", ".", "X"]))
        + data.draw(NO_PREFIX_NOISE.filter(lambda s: not s[:1].isdigit()))
        + data.draw(BANK_TAILS)
    )
    assert [f.code for f in scan_memo(memo)] == [code]
    assert codes_of(memo) == [code]


@given(st.data(), valid_codes)
def test_a_code_with_another_prefix_hidden_in_noise_is_found(data, code):
    qn = "QN" + code[2:]
    memo = data.draw(NO_PREFIX_NOISE) + " " + data.draw(mangled(qn)) + " " + data.draw(BANK_TAILS)
    assert codes_of(memo, prefix="QN") == [qn]


@given(NO_PREFIX_NOISE)
def test_memos_without_the_prefix_give_nothing(memo):
    assert scan_memo(memo) == []


@given(st.text())
def test_scanning_never_raises_on_arbitrary_text(memo):
    for found in scan_memo(memo):
        assert found.code is None or is_valid_code(found.code)
    resolve_codes(scan_memo(memo), open_among(set()))


@given(st.text(alphabet="HSs0123456789 ._-đ", max_size=200))
def test_every_reported_code_or_neighbour_is_valid_on_code_like_text(memo):
    for found in scan_memo(memo):
        assert len(found.raw) == 13 and found.raw.startswith("HS") and found.raw[2:].isdigit()
        assert found.code in (None, found.raw)
        assert found.code is None or found.neighbours == ()
        assert all(is_valid_code(n) for n in found.neighbours)


@pytest.mark.parametrize(
    "memo",
    [
        "HS" * 50_000,
        "HS " + "1 " * 50_000,
        "HS-" * 33_000 + "1",
        ("HS40881023161 " * 8_000)[:100_000],
        "1." * 50_000 + "HS",
        ("Hồ sơ đất đai " * 8_000)[:100_000],
    ],
)
def test_scanning_a_100_kb_memo_finishes(memo):
    assert len(memo) >= 99_000
    scan_memo(memo)


def test_only_ascii_digits_count_as_digits():
    from kernel.text import is_ascii_digits

    assert is_ascii_digits("0123456789")
    assert not any(is_ascii_digits(v) for v in ("", "¹", "٣٠٠", "12a", " 12", None, 12))
