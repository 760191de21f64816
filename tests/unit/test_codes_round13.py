"""Codes in memos as bank apps and copy-paste write them (round 13).

An IME in full-width mode types `ＨＳ４０８８…`; copying a code out of a chat, a PDF or a web page brings
invisible characters along (U+200B/U+200C/U+200D zero-width space and joiners, U+FEFF, U+00AD soft hyphen,
U+2060 word joiner, direction marks), and word processors turn the '-' that groups digits into U+2212 or an
en dash. All are read where codes are read out of text (`normalise_memo`); the check digits still decide.
"""
from __future__ import annotations

import pytest

from payments.codes import compact_code, normalise_memo, scan_memo

CODE = "HS40881023160"
P, D = CODE[:2], CODE[2:]


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


WRITINGS = [
    full_width(CODE),  # all of it
    full_width(P) + D,  # only the letters
    full_width(P.lower()) + " " + full_width(D),
    f"{P}\u200b{D}",
    f"{P}{D[:4]}\u200c{D[4:]}",
    f"{P}{D[:8]}\u200d{D[8:]}",
    f"\ufeff{CODE}\ufeff",
    f"{P} {D[:4]}\u00ad{D[4:]}",
    f"{P}{D[:2]}\u2060{D[2:]}",
    f"\u200e{P}\u200f{D}",
    f"{P}\u2212{D[:4]}\u2212{D[4:8]}\u2212{D[8:]}",
    f"{P}\u2013{D[:9]}\u2014{D[9:]}",
    f"{P}\u2010{D}",
    f"{full_width(P)}\u2212{D[:4]}\u200b{full_width(D[4:])}",
]


@pytest.mark.parametrize("written", WRITINGS, ids=[repr(w) for w in WRITINGS])
def test_a_code_written_as_bank_apps_and_copy_paste_write_it_is_read_exactly(written):
    assert [(f.code, f.raw) for f in scan_memo(f"CK nop le phi {written} Nguyen Van An")] == [(CODE, CODE)]


@pytest.mark.parametrize("written", WRITINGS, ids=[repr(w) for w in WRITINGS])
def test_a_code_typed_so_into_a_form_is_the_code(written):
    assert compact_code(written) == CODE


def test_the_check_digits_still_decide_a_full_width_code_with_a_typo_is_only_a_candidate():
    typo = CODE[:-1] + "1"
    [found] = scan_memo(full_width(typo))
    assert found.code is None and CODE in found.neighbours


def test_a_zero_width_space_does_not_make_a_code_out_of_a_wrong_one():
    assert [f.code for f in scan_memo(f"{P}\u200b{D[:-1]}")] == []


def test_other_scripts_digits_are_still_no_code_digits():
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in D)
    assert scan_memo(P + arabic_indic) == []


def test_normalising_keeps_vietnamese_text_as_before():
    assert normalise_memo("Hồ sơ đất đai\u200b Đồng Nai – ưu tiên") == "HO SO DAT DAI DONG NAI - UU TIEN"
