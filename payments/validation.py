"""Turning an inbound dossier body into a validated, normalised value. Pure.

The restx model checks the JSON shape; this module checks meaning (money, phone numbers,
fee kinds, lengths) and normalises, so that the same dossier always hashes the same.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from kernel.errors import ValidationError
from kernel.money import MAX_REQUEST_VND, parse_amount_vnd
from kernel.pdf import unprintable_characters
from kernel.text import clean_text  # moved there (the admin API needs it too); importers keep this path
from payments.models import FEE_KINDS

# RFC 3986 unreserved characters only, so that a code is one URL path segment as it is (routes
# take <string:code>, which never matches "/"; "%2F" is decoded before routing).
DOSSIER_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[A-Za-z]{2,}$")
ID_NUMBER_RE = re.compile(r"^(?:[0-9]{9}|[0-9]{12})$")  # CMND (9) or CCCD (12); \d would take "０１２"
MAX_FEE_ITEMS = 50


@dataclass(frozen=True)
class FeeInput:
    name: str
    kind: str
    amount_vnd: int


@dataclass(frozen=True)
class DossierInput:
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    applicant_name: str
    applicant_phone: str
    applicant_email: str | None
    applicant_id_number: str | None
    fees: tuple[FeeInput, ...]

    @property
    def total_vnd(self) -> int:
        return sum(f.amount_vnd for f in self.fees)

    def body_hash(self) -> str:
        """A hash of the normalised content: equal for replays of the same dossier."""
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _fail(field: str, message: str, code: str = "validation_error") -> ValidationError:
    return ValidationError(f"{field}: {message}", code=code, details={"field": field})


def printable(text: str, field: str) -> str:
    """`text` if the receipt's font can draw every character of it, else a 400 `unprintable_characters`
    naming them: a legal receipt must not print a payer's name with parts missing (李小龍 printed as
    nothing). Every Vietnamese letter, Latin, Cyrillic and Greek, punctuation and ₫ are drawable."""
    missing = unprintable_characters(text)
    if missing:
        shown = " ".join(missing[:10])
        raise ValidationError(
            f"{field}: {shown} cannot be printed on the receipt (its font has no such characters); "
            "write it with Vietnamese or other Latin letters", code="unprintable_characters",
            details={"field": field, "characters": missing[:20]})
    return text


# Vietnamese numbers today (after the 2018 renumbering): mobiles are 10 digits starting 03, 05, 07,
# 08 or 09; landlines 11 digits starting 02. ASCII digits only: \d would also take "٠١٢".
VN_PHONE_RE = re.compile(r"0[35789][0-9]{8}|02[0-9]{9}")
PHONE_SEPARATORS_RE = re.compile(r"[\s.\-()]")


def _after_country_code(digits: str) -> str | None:
    """What follows Việt Nam's 84 written +84, 0084 (dialled from abroad) or bare 84 (a full-length
    number only: 84 alone could open a national one); None when there is no country code."""
    for prefix in ("+84", "0084"):
        if digits.startswith(prefix):
            return digits[len(prefix):]
    return digits[2:] if digits.startswith("84") and len(digits) in (11, 12, 13) else None


def normalise_phone(value: Any, field: str = "applicant.phone") -> str:
    """Vietnamese phone numbers in any common spelling (+84, 84, spaces, dots, dashes,
    brackets) -> the national form `0xxxxxxxxx`."""
    text = clean_text(value, field, max_len=20)
    digits = PHONE_SEPARATORS_RE.sub("", text)
    national = _after_country_code(digits)
    if national is not None:
        # "+84 (0) 912 345 678" keeps the trunk 0 people print in brackets: once, never "00912..."
        digits = national if national.startswith("0") else "0" + national
    if not VN_PHONE_RE.fullmatch(digits):
        raise _fail(field, "must be a Vietnamese mobile (10 digits, 03/05/07/08/09...) or landline "
                           "(11 digits, 02...) number such as 0912345678 or +84 912 345 678", "invalid_phone")
    return digits


def parse_fees(raw: Any) -> tuple[FeeInput, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail("fees", "must be a non-empty list of fee items", "missing_field")
    if len(raw) > MAX_FEE_ITEMS:
        raise _fail("fees", f"at most {MAX_FEE_ITEMS} fee items")
    fees = []
    for i, item in enumerate(raw):
        where = f"fees[{i}]"
        if not isinstance(item, dict):
            raise _fail(where, "must be an object")
        kind = item.get("kind")
        if kind not in FEE_KINDS:
            raise _fail(f"{where}.kind", f"must be one of {', '.join(FEE_KINDS)}", "unknown_fee_kind")
        fees.append(FeeInput(
            name=printable(clean_text(item.get("name"), f"{where}.name", max_len=200), f"{where}.name"),
            kind=kind,
            amount_vnd=parse_amount_vnd(item.get("amount_vnd"), field=f"{where}.amount_vnd"),
        ))
    total = sum(f.amount_vnd for f in fees)
    if total > MAX_REQUEST_VND:
        raise ValidationError(
            f"the fees total {total:,} VND, above the {MAX_REQUEST_VND:,} VND limit of one payment request",
            code="amount_out_of_range", details={"field": "fees", "maximum": MAX_REQUEST_VND},
        )
    return tuple(fees)


def parse_dossier(body: dict[str, Any]) -> DossierInput:
    """Validate and normalise a `POST /dossiers` body; raise ValidationError on the first problem."""
    code = clean_text(body.get("code"), "code", max_len=64)
    if not DOSSIER_CODE_RE.fullmatch(code):
        raise _fail("code", "may contain only ASCII letters, digits and . - _ (starting with a letter or digit)",
                    "invalid_dossier_code")
    applicant = body.get("applicant")
    if not isinstance(applicant, dict):
        raise _fail("applicant", "must be an object with name and phone", "missing_field")
    email = clean_text(applicant.get("email"), "applicant.email", max_len=254, required=False)
    if email is not None and not EMAIL_RE.fullmatch(email):
        raise _fail("applicant.email", "is not an e-mail address", "invalid_email")
    id_number = clean_text(applicant.get("id_number"), "applicant.id_number", max_len=12, required=False)
    if id_number is not None and not ID_NUMBER_RE.fullmatch(id_number):
        raise _fail("applicant.id_number", "must be 9 or 12 digits", "invalid_id_number")
    return DossierInput(
        code=code,
        procedure_code=clean_text(body.get("procedure_code"), "procedure_code", max_len=64),
        # What the receipt prints must be printable in its font (see printable).
        procedure_name=printable(clean_text(body.get("procedure_name"), "procedure_name", max_len=500),
                                 "procedure_name"),
        agency_code=printable(clean_text(body.get("agency_code"), "agency_code", max_len=64), "agency_code"),
        applicant_name=printable(clean_text(applicant.get("name"), "applicant.name", max_len=200),
                                 "applicant.name"),
        applicant_phone=normalise_phone(applicant.get("phone")),
        applicant_email=email.lower() if email else None,
        applicant_id_number=id_number,
        fees=parse_fees(body.get("fees")),
    )
