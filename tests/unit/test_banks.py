"""Bank BIN list: package data, look-ups, and agreement with the shared list and the VietQR vectors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from payments.banks import Bank, all_banks, bank_by_bin

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DATA = REPO / "payments" / "data" / "vn_bank_bins.json"
LOCAL_VECTORS = REPO / "tests" / "data" / "vietqr_public.json"


def test_vietcombank_is_found_by_its_bin():
    assert bank_by_bin("970436") == Bank(
        bin="970436",
        short_name="Vietcombank",
        code="VCB",
        name="Ngân hàng TMCP Ngoại thương Việt Nam",
        swift="BFTVVNVX",
    )


def test_a_bin_outside_9704xx_is_found():
    assert bank_by_bin("546034").short_name == "CAKE by VPBank"


def test_a_bin_missing_from_the_state_bank_letter_still_has_a_vietnamese_name():
    assert bank_by_bin("971025").name == "CTCP Dịch Vụ Di Động Trực Tuyến"


def test_a_bank_without_a_known_swift_code_has_none():
    assert bank_by_bin("970414").swift is None


@pytest.mark.parametrize("bin", ["999999", "", "97043", 970436, None])
def test_an_unknown_or_malformed_bin_gives_none(bin):
    assert bank_by_bin(bin) is None


def test_every_bin_is_six_digits_and_unique():
    bins = [bank.bin for bank in all_banks()]
    assert all(len(b) == 6 and b.isascii() and b.isdigit() for b in bins)
    assert len(bins) == len(set(bins))


def test_every_bank_has_a_short_name_a_code_and_a_name():
    assert all(bank.short_name and bank.code and bank.name for bank in all_banks())


def test_all_banks_keeps_the_order_and_size_of_the_package_data():
    rows = json.loads(PACKAGE_DATA.read_text(encoding="utf-8"))
    assert [bank.bin for bank in all_banks()] == [row["bin"] for row in rows]


def test_the_list_is_loaded_once_and_shared():
    assert all(a is b for a, b in zip(all_banks(), all_banks(), strict=True))
    assert bank_by_bin("970418") is bank_by_bin("970418")


def test_a_bank_cannot_be_changed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        bank_by_bin("970436").bin = "970415"


# Since round 13 the package copy adds today's names of renamed banks to the shared list: what must still
# agree with it is checked in tests/unit/test_banks_round13.py.


def test_every_bin_in_the_public_vietqr_vectors_is_a_known_bank():
    vectors = json.loads(LOCAL_VECTORS.read_text(encoding="utf-8"))
    assert all(bank_by_bin(v["bin"]) is not None for v in vectors)
