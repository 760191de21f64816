"""Bank export layouts (CSV/XLSX): which header names mean which column. Pure.

Headers are compared after `normalise_header` (no accents, lower case, punctuation to
spaces), so `Số tiền ghi có/ Credit`, `SO TIEN GHI CO` and `Credit amount` all read the same.
A phrase matches when it appears as whole words inside the header cell; fields are tried
in `FIELD_ORDER` so the specific ones (debit, credit, balance) win over the generic amount.
Most banks differ only in wording, so one synonym table serves all; a profile adds the
words that identify a bank (for the import's record) and any layout quirk.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_STROKE_D = str.maketrans({"Đ": "D", "đ": "d", "Ð": "D"})

SYNONYMS: dict[str, tuple[str, ...]] = {
    "debit": ("ghi no", "so tien no", "phat sinh no", "giao dich no", "tien no", "no vnd", "rut ra", "so tien rut", "tien ra", "debit", "debits", "withdrawal",
              "withdrawals", "dr amount", "money out"),
    "credit": ("ghi co", "so tien co", "phat sinh co", "giao dich co", "tien co", "co vnd", "gui vao", "so tien gui", "tien vao", "credit", "credits", "deposit",
               "deposits", "cr amount", "money in"),
    "balance": ("so du", "balance", "running balance", "closing balance"),
    "amount": ("so tien giao dich", "so tien", "amount", "transaction amount", "gia tri"),
    "direction": ("no co", "debit credit", "dr cr", "cr dr", "d c", "c d", "chieu giao dich"),
    "value_date": ("ngay hieu luc", "value date", "ngay gia tri"),
    "time": ("gio giao dich", "gio", "time"),
    "date": ("ngay giao dich", "ngay gd", "ngay hach toan", "ngay ghi so", "thoi gian giao dich", "ngay thuc hien",
             "txn date", "tnx date", "transaction date", "posting date", "booking date", "trans date", "ngay",
             "date", "thoi gian"),
    "ref": ("so tham chieu", "ma tham chieu", "so chung tu", "so ct", "ma giao dich", "ma gd", "so giao dich", "so gd",
            "so but toan", "doc no", "reference number", "reference no", "reference", "ref no", "ref",
            "transaction id", "transaction no", "trace no", "so ref"),
    "payer_name": ("ten tai khoan doi ung", "ten doi ung", "ten nguoi chuyen", "nguoi chuyen", "ten khach hang",
                   "doi tac", "counterparty name", "remitter name", "remitter", "payer name", "beneficiary name"),
    "payer_account": ("so tai khoan doi ung", "tai khoan doi ung", "tk doi ung", "stk doi ung",
                      "counterparty account", "remitter account", "payer account", "account no doi ung"),
    "memo": ("noi dung chi tiet", "noi dung giao dich", "noi dung", "dien giai", "mo ta", "chi tiet",
             "transactions in detail", "transaction details", "description", "details", "narrative", "remark",
             "remarks", "memo", "content"),
}
FIELD_ORDER = ("direction", "debit", "credit", "balance", "payer_name", "payer_account", "amount", "value_date",
               "time", "date", "ref", "memo")
# Preamble/footer labels.
ACCOUNT_LABELS = ("so tai khoan", "tai khoan", "account number", "account no", "account")
OPENING_LABELS = ("so du dau ky", "so du dau", "opening balance", "beginning balance")
CLOSING_LABELS = ("so du cuoi ky", "so du cuoi", "closing balance", "ending balance")
FOOTER_LABELS = ("tong cong", "tong", "total", "cong phat sinh", "so du cuoi ky", "closing balance",
                 "ending balance", "so du dau ky", "opening balance")


@dataclass(frozen=True)
class Profile:
    name: str
    bank: str
    markers: tuple[str, ...]  # header words that identify this bank's export


PROFILES = (
    Profile("vcb", "Vietcombank", ("tnx date", "transactions in detail", "so ct doc no")),
    Profile("vietinbank", "VietinBank", ("thoi gian giao dich", "ten doi ung", "tai khoan doi ung")),
    Profile("bidv", "BIDV", ("so tham chieu", "ngay hieu luc")),
    Profile("techcombank", "Techcombank", ("remitter", "transaction details")),
    Profile("mb", "MB Bank", ("so but toan",)),
    Profile("generic", "", ()),
)
PROFILE_NAMES = tuple(p.name for p in PROFILES)


def normalise_header(text: object) -> str:
    """`Ngày GD/ TNX Date` -> `ngay gd tnx date`."""
    if text is None:
        return ""
    value = str(text).translate(_STROKE_D)
    value = unicodedata.normalize("NFD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", value).split())


def _has_phrase(cell: str, phrase: str) -> bool:
    return f" {phrase} " in f" {cell} "


# A cell that is only one of these words (`Nợ`, `Có`) names the column outright.
EXACT = {"no": "debit", "co": "credit", "debit": "debit", "credit": "credit", "no debit": "debit",
         "co credit": "credit", "dr": "debit", "cr": "credit"}


def map_header(cells: list[object]) -> dict[str, int]:
    """Field -> column index for a candidate header row (each column used once)."""
    mapping: dict[str, int] = {}
    normalised = [normalise_header(c) for c in cells]
    for column, cell in enumerate(normalised):
        if cell in EXACT and EXACT[cell] not in mapping:
            mapping[EXACT[cell]] = column
    for column, cell in enumerate(normalised):
        if not cell or len(cell) > 120 or column in mapping.values():
            continue
        for name in FIELD_ORDER:
            if name not in mapping and any(_has_phrase(cell, p) for p in SYNONYMS[name]):
                mapping[name] = column
                break
    if "date" not in mapping and "value_date" in mapping:
        mapping["date"] = mapping.pop("value_date")  # the only date a bank gives is the value date
    return mapping


def is_header(mapping: dict[str, int]) -> bool:
    return "date" in mapping and ("credit" in mapping or "amount" in mapping)


def pick_profile(cells: list[object], wanted: str | None = None) -> Profile:
    """The named profile, or the first whose markers appear in the header row."""
    if wanted:
        return next(p for p in PROFILES if p.name == wanted)
    text = " | ".join(normalise_header(c) for c in cells)
    for profile in PROFILES:
        if profile.markers and any(m in text for m in profile.markers):
            return profile
    return PROFILES[-1]


def label_in(cell: object, labels: tuple[str, ...]) -> bool:
    text = normalise_header(cell)
    return bool(text) and any(_has_phrase(text, label) for label in labels)
