"""Round 17: payment codes in memos as payers and banks write them: glued to words, lower case, grouped,
several in one memo, inside a longer run of digits, and the one-edit correction at its limits."""
from __future__ import annotations

import pytest

from payments.codes import check_digits, codes_it_may_mean, is_valid_code, resolve_codes, scan_memo


def code(body: str) -> str:
    return "HS" + body + check_digits(body)


A, B = code("408810231"), code("123456789")
DA, DB = A[2:], B[2:]


def test_the_check_digits_are_iso_7064_mod_97_10():
    # 408810231 * 100 = 40881023100; 40881023100 mod 97 = 38; 98 - 38 = 60.
    assert A == "HS40881023160" and is_valid_code(A)
    assert all(not is_valid_code(A[:-2] + f"{n:02d}") for n in range(100) if f"{n:02d}" != "60")


def read(memo: str) -> list[str | None]:
    return [found.code for found in scan_memo(memo)]


@pytest.mark.parametrize("memo", [
    f"CT tu 0123 NGUYEN VAN AN{A}nop phi",            # glued to the words on both sides
    f"nop le phi {A.lower()}",                        # lower case
    f"Hs {DA}",                                      # mixed case, spaced from its prefix
    f"HS {DA[:3]} {DA[3:6]} {DA[6:9]} {DA[9:]}",      # grouped by spaces
    f"HS-{DA[:9]}-{DA[9:]}",                          # by dashes
    f"HS.{DA[:3]}.{DA[3:6]}.{DA[6:9]}.{DA[9:]}",      # by dots, as some bank apps rewrite spaces
    f"HS_{DA}",
    f"HS: {DA}",                                      # labelled
    f"MBVCB.3278907687.{A[:11]} {A[11:]}.CT tu 0912345678 NGUYEN VAN AN",  # the DESIGN example's shape
    f"{A} 500000",                                    # an amount glued on after a space
    f"{A}0912345678",                                 # a phone number run into it: the first 11 verify
    f"2026112512345{A}",                              # a bank reference run into its prefix
    f"HS{DA[:9]}\u2013{DA[9:]}",                      # an en dash from a word processor
    f"ＨＳ{DA}",                                       # full-width prefix from an IME
    f"HS{DA[:5]}\u200b{DA[5:]}",                      # a zero-width space pasted inside
])
def test_one_code_is_read_however_it_is_written(memo):
    assert read(memo) == [A]


def test_several_codes_are_read_in_order_and_a_repeat_counts_once():
    assert read(f"{A} va {B.lower()} va {A}") == [A, B]
    assert read(f"{A}{B}") == [A, B]


@pytest.mark.parametrize("memo", [f"HS{DA[:10]}", DA, f"H S{DA}", f"HSO{DA[1:]}", "HS", ""])
def test_no_code_is_read_where_there_is_none(memo):
    assert read(memo) == []


def _substituted(digits: str, at: int) -> str:
    return digits[:at] + str((int(digits[at]) + 1) % 10) + digits[at + 1:]


@pytest.mark.parametrize("at", range(11))
def test_a_mistyped_digit_is_corrected_to_its_open_neighbour_only(at):
    typed = "HS" + _substituted(DA, at)
    [found] = scan_memo(f"chuyen tien {typed}")
    assert found.code is None and A in found.neighbours
    assert [(r.code, r.how) for r in resolve_codes([found], lambda asked: {A} & asked)] == [(A, "corrected")]
    assert resolve_codes([found], lambda asked: set()) == []  # no open request: left to a person


@pytest.mark.parametrize("at", [i for i in range(10) if DA[i] != DA[i + 1]])
def test_two_adjacent_digits_swapped_are_corrected(at):
    typed = "HS" + DA[:at] + DA[at + 1] + DA[at] + DA[at + 2:]
    [found] = scan_memo(typed)
    assert [r.code for r in resolve_codes([found], lambda asked: {A} & asked)] == [A]


def test_a_long_run_of_grouped_digits_is_one_token_that_does_not_verify():
    assert [(f.raw, f.code) for f in scan_memo("HS " + "1 " * 5000)] == [("HS11111111111", None)]


def test_a_mistyped_code_with_two_open_neighbours_is_not_guessed():
    typed = "HS" + _substituted(DA, 0)  # HS50881023160: HS40881023160 and HS50581023160 are one digit away
    [found] = scan_memo(typed)
    other = next(n for n in found.neighbours if n != A)
    assert resolve_codes([found], lambda asked: {A, other} & asked) == []


def test_a_mistyped_code_run_into_more_digits_is_never_corrected():
    """An insertion could be anywhere in 12 digits: any correction would be a guess (decisions: Payment codes)."""
    typed = "HS" + _substituted(DA, 3) + "7"
    [found] = scan_memo(typed)
    assert (found.code, found.neighbours) == (None, ())
    assert codes_it_may_mean(None, typed) == set()


def test_an_exact_code_and_a_typo_of_it_read_as_one_exact_code():
    memo = f"{A} / HS{_substituted(DA, 0)}"
    assert [(r.code, r.how) for r in resolve_codes(scan_memo(memo), lambda asked: {A} & asked)] == [(A, "exact")]


def test_a_keyed_in_code_that_verifies_wins_over_the_memo():
    assert codes_it_may_mean(A, f"nop phi {B}") == {A}
    assert codes_it_may_mean(None, f"nop phi {B}") == {B}
