"""Bank names as banks are called today (round 13).

The State Bank's letter 1589/NHNN-TT lists BINs issued to 31/12/2023 with the names of then; several banks
have been renamed since (LienVietPostBank -> Lộc Phát, OceanBank -> MBV, DongA -> Vikki, CBBank -> VCBNeo,
GPBank, PGBank) and the letter's short forms of BIDV and MSB lack the words of their legal names. The pay
page shows `full_name` to a citizen choosing the bank in their app: it must be the name the app lists
(the VietQR bank list). The BINs do not change with a name.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from payments.banks import bank_by_bin

REPO = Path(__file__).resolve().parents[2]
SHARED_BANKS = REPO.parent / "shared" / "testdata" / "vn_bank_bins.json"
PACKAGE_DATA = REPO / "payments" / "data" / "vn_bank_bins.json"


@pytest.mark.parametrize(("bin", "short_name", "name"), [
    ("970449", "LPBank", "Ngân hàng TMCP Lộc Phát Việt Nam"),
    ("970414", "MBV (ex-OceanBank)", "Ngân hàng TNHH MTV Việt Nam Hiện Đại"),
    ("970406", "Vikki (ex-DongA Bank)", "Ngân hàng TNHH MTV Số Vikki"),
    ("970430", "PGBank", "Ngân hàng TMCP Thịnh vượng và Phát triển"),
    ("970444", "VCBNeo (ex-CBBank)", "Ngân hàng Thương mại TNHH MTV Ngoại thương Công nghệ số"),
    ("970408", "GPBank", "Ngân hàng Thương mại TNHH MTV Kỷ Nguyên Thịnh Vượng"),
    ("970418", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"),
    ("970426", "MSB", "Ngân hàng TMCP Hàng Hải Việt Nam"),
])
def test_a_renamed_bank_is_named_as_it_is_today(bin, short_name, name):
    bank = bank_by_bin(bin)
    assert (bank.short_name, bank.name) == (short_name, name)


@pytest.mark.parametrize(("bin", "name"), [
    ("970436", "Ngân hàng TMCP Ngoại thương Việt Nam"),
    ("970415", "Ngân hàng TMCP Công Thương Việt Nam"),
    ("422589", "Ngân hàng TNHH MTV CIMB Việt Nam"),
])
def test_a_bank_that_kept_its_name_keeps_it(bin, name):
    assert bank_by_bin(bin).name == name


def test_no_bank_is_shown_under_a_name_it_no_longer_has():
    stale = ("Bưu Điện Liên Việt", "Đại Dương", "Xăng dầu Petrolimex", "Xây Dựng Việt Nam", "TMCP Đông Á",
             "Dầu Khí Toàn Cầu")
    from payments.banks import all_banks

    assert [b.bin for b in all_banks() if any(old.lower() in b.name.lower() for old in stale)] == []


def test_the_package_list_keeps_the_shared_lists_bins_codes_and_state_bank_names():
    """The package copy adds today's names (`name_vi`) and brands to the shared list; what identifies a
    bank (BIN, code, SWIFT) and the letter's own wording stay as the shared list has them."""
    if not SHARED_BANKS.exists():
        pytest.skip("../shared is not checked out next to the repo")
    keys = ("bin", "code", "swift", "name_vi_sbv", "major_bank")
    ours = [{k: row.get(k) for k in keys} for row in json.loads(PACKAGE_DATA.read_text(encoding="utf-8"))]
    shared = [{k: row.get(k) for k in keys} for row in json.loads(SHARED_BANKS.read_text(encoding="utf-8"))]
    assert ours == shared
