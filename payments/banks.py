"""Vietnamese bank BINs (State Bank list plus the VietQR-only BINs), loaded once from package data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True, slots=True)
class Bank:
    """One bank (or e-wallet / finance company) that can receive NAPAS transfers."""

    bin: str
    short_name: str
    code: str
    name: str  # Vietnamese name: the State Bank's where it lists the BIN, else the VietQR lists' name
    swift: str | None  # None where no trustworthy SWIFT code is known


@cache
def _by_bin() -> dict[str, Bank]:
    # Read lazily: importing this module (e.g. from the QR module's callers) costs no file access.
    raw = (files("payments") / "data" / "vn_bank_bins.json").read_text(encoding="utf-8")
    banks = {}
    for row in json.loads(raw):
        # BINs outside the State Bank letter (digital brands, e-wallets) only carry the name the VietQR lists use.
        name = row.get("name_vi_sbv") or row.get("name_vi") or row["short_name"]
        bank = Bank(bin=row["bin"], short_name=row["short_name"], code=row["code"], name=name, swift=row["swift"])
        if bank.bin in banks:
            raise ValueError(f"duplicate BIN {bank.bin} in vn_bank_bins.json")
        banks[bank.bin] = bank
    return banks


def bank_by_bin(bin: str) -> Bank | None:
    """The bank with this 6-digit BIN, or None if it is not in the list."""
    return _by_bin().get(bin) if isinstance(bin, str) else None


def all_banks() -> tuple[Bank, ...]:
    """Every known bank, in the order of the source list."""
    return tuple(_by_bin().values())
