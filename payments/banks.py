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
    name: str  # Vietnamese legal name today: `name_vi` (renamed banks, BINs outside the letter), else the State Bank's
    swift: str | None  # None where no trustworthy SWIFT code is known


@cache
def _by_bin() -> dict[str, Bank]:
    # Read lazily: importing this module (e.g. from the QR module's callers) costs no file access.
    raw = (files("payments") / "data" / "vn_bank_bins.json").read_text(encoding="utf-8")
    banks = {}
    for row in json.loads(raw):
        # `name_vi_sbv` is the name in the State Bank's letter (BINs issued to 31/12/2023), kept as the source
        # says; `name_vi` is the name today where the bank has since been renamed (LPBank, MBV, Vikki...)
        # or the letter does not list the BIN (digital brands, e-wallets). Citizens read the name of today.
        name = row.get("name_vi") or row.get("name_vi_sbv") or row["short_name"]
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
