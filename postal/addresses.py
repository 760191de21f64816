"""Addresses on the 2025 two-level administrative units (province → ward/commune/special zone).

The units come from the `vietnam-provinces` package (no hand-made tables); the legacy map
of pre-2025 Quảng Ninh units ships as data (postal/data, with its legal source). A legacy
unit that was split is answered with its candidates, never a guess. No Flask, no database.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import vietnam_provinces as vp
from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from kernel.errors import Conflict, ValidationError
from kernel.text import is_ascii_digits
from postal.errors import Unprocessable

DATA_VERSION = f"vietnam-provinces {vp.__version__} (data {vp.__data_version__})"
LEGACY_FILE = Path(__file__).resolve().parent / "data" / "quang_ninh_legacy_wards.json"
# A unit's kind before its name, written out or abbreviated as addresses write it (TT., T.T. for thị trấn,
# P. and, in the South, F. for phường, X. xã, ĐK. đặc khu), folded. An abbreviation is one only followed by a
# dot or a space: "Xuân", "Tân", "Phong" keep their letters.
_KINDS = {"thi tran": "thi tran", "phuong": "phuong", "xa": "xa", "dac khu": "dac khu",
          "tt": "thi tran", "p": "phuong", "f": "phuong", "x": "xa", "dk": "dac khu"}
_KIND_RE = re.compile(r"(thi tran|phuong|xa|dac khu)\s+|(t\.\s*t|tt|p|f|x|d\.\s*k|dk)(?:\.\s*|\s+)")
# What an old address writes after its ward, commune or town: the district (huyện H., quận Q., thị xã TX.,
# thành phố TP./Tp) and the province (tỉnh T., thành phố TP.), each after a comma or a dash.
_HIGHER_KINDS = {"huyen": "huyen", "quan": "quan", "thi xa": "thi xa", "thanh pho": "thanh pho", "tinh": "tinh",
                 "h": "huyen", "q": "quan", "tx": "thi xa", "tp": "thanh pho", "t": "tinh"}
_HIGHER_RE = re.compile(r"(huyen|quan|thi xa|thanh pho|tinh)\s+|(t\.\s*x|tx|t\.\s*p|tp|h|q|t)(?:\.\s*|\s+)")
_PARTS_RE = re.compile(r"\s*[,;]\s*|\s+-\s+")


@dataclass(frozen=True)
class WardInfo:
    code: str  # five digits, zero-padded, as the General Statistics Office writes it
    name: str
    kind: str  # "phường" | "xã" | "đặc khu"
    province_code: int
    province_name: str

    @property
    def is_urban(self) -> bool:
        return self.kind == "phường"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "kind": self.kind,
                "province_code": self.province_code, "province_name": self.province_name}


def _ward_info(ward: Ward) -> WardInfo:
    province = Province.from_code(ward.province_code)
    return WardInfo(code=f"{int(ward.code):05d}", name=ward.name, kind=ward.division_type.value,
                    province_code=int(ward.province_code), province_name=province.name)


PROVINCE_CODE_MAX_DIGITS = 4  # 2025 codes have two; leading zeros allowed up to four


def parse_province_code(raw: Any, field: str = "province_code") -> int:
    """A 2025 province code (int or digit string), else a 400."""
    # Two digits name a province; a longer string is refused before int(), which raises ValueError
    # (a 500) above 4,300 digits.
    if isinstance(raw, str) and len(raw.strip()) <= PROVINCE_CODE_MAX_DIGITS and is_ascii_digits(raw.strip()):
        raw = int(raw.strip())
    if type(raw) is not int:
        raise ValidationError(f"{field} must be a province code such as 22", code="invalid_province_code",
                              details={"field": field})
    try:
        ProvinceCode(raw)
    except ValueError:
        raise Unprocessable(f"{field}: there is no province {raw} among the 34 of 2025",
                            code="unknown_province", details={"field": field, "province_code": raw}) from None
    return raw


def province_name(code: int) -> str:
    return Province.from_code(ProvinceCode(code)).name


@lru_cache(maxsize=64)
def wards_of(province_code: int) -> tuple[WardInfo, ...]:
    """Every ward/commune/special zone of a province, sorted by name for pickers."""
    parse_province_code(province_code)
    wards = (_ward_info(w) for w in Ward.iter_by_province(ProvinceCode(province_code)))
    return tuple(sorted(wards, key=lambda w: (fold(w.name), w.code)))


def resolve_ward(province_code: int, ward_code: Any, field: str = "address.ward_code") -> WardInfo:
    """The ward with this code, checked to lie in the given province."""
    if isinstance(ward_code, int) and not isinstance(ward_code, bool):
        ward_code = str(ward_code)
    if not (isinstance(ward_code, str) and is_ascii_digits(ward_code.strip()) and len(ward_code.strip()) <= 5):
        raise ValidationError(f"{field} must be a ward code such as 06685", code="invalid_ward_code",
                              details={"field": field})
    try:
        ward = _ward_info(Ward.from_code(WardCode(int(ward_code))))
    except ValueError:
        raise Unprocessable(f"{field}: there is no ward {ward_code} in the 2025 units", code="unknown_ward",
                            details={"field": field, "ward_code": ward_code}) from None
    if ward.province_code != province_code:
        raise Unprocessable(
            f"{field}: {ward.name} ({ward.code}) is in {ward.province_name}, not in "
            f"{province_name(province_code)}", code="ward_not_in_province",
            details={"field": field, "ward_code": ward.code, "ward_province_code": ward.province_code,
                     "province_code": province_code})
    return ward


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a place name (đ has no decomposition)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def _abbreviation(written: re.Match) -> str:
    return written.group(1) or re.sub(r"[.\s]", "", written.group(2))


def _split_kind(folded: str) -> tuple[str | None, str]:
    """(the unit's kind written in full, or None when not written; its name), of a folded name."""
    written = _KIND_RE.match(folded)
    if written is None:
        return None, folded
    return _KINDS[_abbreviation(written)], folded[written.end():]


@lru_cache(maxsize=1)
def _province_keys() -> dict[str, int]:
    """The 34 provinces of 2025 by folded name, "Thành phố" left out (TP. Hà Nội, Hà Nội)."""
    return {_split_higher(fold(p.name))[1]: int(p.code) for p in Province.iter_all()}


def _split_higher(folded: str) -> tuple[str | None, str]:
    """(a district's or province's kind, or None when not written; its name), of a folded name."""
    written = _HIGHER_RE.match(folded)
    if written is None:
        return None, folded
    return _HIGHER_KINDS[_abbreviation(written)], folded[written.end():]


def _legacy_key(province_code: int, folded: str) -> tuple[str | None, str | None]:
    """(kind, name) of the unit an old address names first; its district and province after it are read
    only to be checked: the province must be this one, and what is neither a district nor the province
    (a street, another province) makes the name unreadable (None), never a guess."""
    first, *rest = _PARTS_RE.split(folded)
    for part in filter(None, rest):  # "Xã Hà Lâu," ends with nothing
        kind, name = _split_higher(part)
        province = _province_keys().get(name)
        if province is not None and province != province_code:
            return None, None
        if province is None and kind in (None, "tinh"):
            return None, None  # a district without its kind, or a province that is none of 2025's
    return _split_kind(first)


def _strip_kind(folded: str) -> str:
    return _split_kind(folded)[1]


@lru_cache(maxsize=1)
def _legacy_index() -> dict[int, dict[str, list[dict[str, Any]]]]:
    data = json.loads(LEGACY_FILE.read_text(encoding="utf-8"))
    index: dict[str, list[dict[str, Any]]] = {}
    for unit in data["units"]:
        index.setdefault(_strip_kind(fold(unit["old_name"])), []).append(unit)
    return {int(data["province_code"]): index}


def legacy_source() -> str:
    return json.loads(LEGACY_FILE.read_text(encoding="utf-8"))["source"]


def resolve_legacy_ward(province_code: int, old_name: Any) -> WardInfo:
    """The 2025 ward that replaced a pre-2025 unit; 409 with the candidates when it was split."""
    candidates = [resolve_ward(province_code, code) for code in legacy_ward_codes(province_code, old_name)]
    if len(candidates) > 1:
        raise Conflict(
            f"{old_name.strip()} was split in 2025: choose the ward the address is in now",
            code="legacy_ward_split",
            details={"legacy_ward": old_name.strip(), "candidates": [c.as_dict() for c in candidates],
                     "source": legacy_source()})
    return candidates[0]


def legacy_ward_codes(province_code: int, old_name: Any) -> list[str]:
    """The codes of the 2025 wards a pre-2025 unit became (one, or several when it was split)."""
    if not isinstance(old_name, str) or not old_name.strip():
        raise ValidationError("legacy_ward must be the name of a pre-2025 ward or commune",
                              code="invalid_legacy_ward")
    kind, key = _legacy_key(province_code, fold(old_name))
    units = _legacy_index().get(province_code, {}).get(key, []) if key else []
    # "Xã Đông Ngũ" and "Thị trấn Đông Ngũ" would both fold to "dong ngu": honour an explicit kind.
    if len(units) > 1 and kind is not None:
        units = [u for u in units if _split_kind(fold(u["old_name"]))[0] == kind] or units
    codes = sorted({code for unit in units for code in unit["new_ward_codes"]})
    if not codes:
        raise Unprocessable(f"no pre-2025 unit named {old_name.strip()!r} is known in {province_name(province_code)}",
                            code="unknown_legacy_ward",
                            details={"legacy_ward": old_name.strip(), "province_code": province_code})
    return codes
