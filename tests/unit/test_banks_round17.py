"""Round 17: every bank of the shared BIN list is found by its BIN, as the list names it; nothing that only
looks like a BIN finds a bank."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from payments.banks import all_banks, bank_by_bin

REPO = Path(__file__).resolve().parents[2]
LOCAL_BANKS = REPO / "tests" / "data" / "vn_bank_bins.json"  # a copy of ../shared/testdata/vn_bank_bins.json
SHARED_BANKS = REPO.parent / "shared" / "testdata" / "vn_bank_bins.json"
SHARED = json.loads(LOCAL_BANKS.read_text(encoding="utf-8"))
# Renamed on purpose (docs/decisions.md, QA round 13): the brand a citizen's app shows today.
RENAMED = {"970444": "VCBNeo (ex-CBBank)"}


def test_the_repo_copy_of_the_bank_list_matches_the_shared_file_when_it_is_present():
    if not SHARED_BANKS.exists():
        pytest.skip("../shared is not checked out next to the repo")
    assert json.loads(SHARED_BANKS.read_text(encoding="utf-8")) == SHARED


@pytest.mark.parametrize("row", SHARED, ids=[row["bin"] for row in SHARED])
def test_every_listed_bank_is_found_by_its_bin_with_its_code_short_name_and_swift(row):
    bank = bank_by_bin(row["bin"])
    assert bank is not None
    assert (bank.bin, bank.code, bank.swift) == (row["bin"], row["code"], row["swift"])
    assert bank.short_name == RENAMED.get(row["bin"], row["short_name"])
    assert bank.name and bank.name == bank.name.strip()


def test_the_package_knows_exactly_the_listed_bins_in_their_order():
    assert [b.bin for b in all_banks()] == [row["bin"] for row in SHARED]


@pytest.mark.parametrize("look_alike", [
    " 970436", "970436 ", "970436\n", "\u200b970436", "９７０４３６", "٩٧٠٤٣٦", "97O436", "0970436", "97043",
    "9704360", "970 436", "970-436", "VCB", "Vietcombank", "", 970436, None, b"970436", 970436.0,
])
def test_what_only_looks_like_a_bin_finds_no_bank(look_alike):
    assert bank_by_bin(look_alike) is None
