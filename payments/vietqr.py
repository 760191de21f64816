"""VietQR payloads (NAPAS VietQR on top of EMVCo merchant-presented QR): build, parse, CRC, render.

Pure module: no Flask, no database, so it is cheap to test and to benchmark.

Data objects are TLV: a 2-digit ID, a 2-digit length counted in characters (01..99), then the value.
Which fields are mandatory (the rule `parse_payload` applies):
  - EMVCo QRCPS Merchant-Presented Mode v1.1 root data-object table, as restated in the field tables of NAPAS
    "VietQR in NAPAS247" v1.0 (09/2021) and "NAPAS QR Switching" v1.5.2: 00 Payload Format Indicator (M, first,
    "01"), 01 Point of Initiation Method (O, "11"/"12"), a merchant account template (M: for VietQR it is 38),
    53 currency (M, "704"), 58 country (M, "VN"), 63 CRC (M, last). 54 amount is conditional (absent in a
    static QR, where the payer types the amount) and 62 additional data is optional.
  - EMVCo also lists 52 MCC, 59 name and 60 city as mandatory, but the NAPAS VietQR transfer (IBFT) profile
    drops them and bank apps emit QRs without them, so they are optional here.
  - Inside 38 (NAPAS Merchant Account Information template): 00 GUID "A000000727" (M), 01 beneficiary
    organisation (M) with 00 BIN (6 digits) and 01 account/card number ("ans", at most 19) both mandatory,
    02 service code (M for transfers: QRIBFTTA to an account, QRIBFTTC to a card).
Optional fields whose format EMVCo fixes are checked only when present: 52 MCC (4 digits), 59 name (at most 25)
and 60 city (at most 15) in printable ASCII, 62 sub-fields 01-08 (at most 25 printable ASCII) and 62/09 (at most
3 of A, M, E). Unknown but well-formed data objects (64, 80-99, other sub-IDs in templates) are accepted, because
EMVCo lets issuers add them and rejecting them would reject real QRs.
"""

from __future__ import annotations

import binascii
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

GUID = "A000000727"
SERVICES = frozenset({"QRIBFTTA", "QRIBFTTC"})
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
STATIC, DYNAMIC = "11", "12"
PURPOSE_MAX = 25
AMOUNT_MAX_CHARS = 13
ACCOUNT_MAX = 19

_BIN = re.compile(r"[0-9]{6}")
_BUILD_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
# EMVCo ID 54: digits with at most one '.', which "may be present even if there are no decimals";
# VND has no minor unit, so only a trailing '.' is allowed.
_AMOUNT = re.compile(r"[1-9][0-9]{0,12}\.?")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_DIGITS2 = re.compile(r"[0-9]{2}")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
# EMVCo MPM formats of the known fields that are optional for VietQR, checked when present: (what the
# field is, the pattern, the rule in words). "ans" is printable ASCII: bank apps print these or copy them
# into the transfer memo. Fields and sub-fields not listed (64, 80-99, 62/10+) carry issuer data and stay free.
_Format = tuple[str, re.Pattern[str], str]


def _ans(name: str, most: int) -> _Format:
    return name, re.compile(r"[\x20-\x7e]{1,%d}" % most), f"at most {most} printable ASCII characters"


_ROOT_FORMATS: dict[str, _Format] = {
    "52": ("merchant category code", re.compile(r"[0-9]{4}"), "exactly 4 digits"),
    "59": _ans("merchant name", 25),
    "60": _ans("merchant city", 15),
}
_ADDITIONAL_NAMES = ("bill number", "mobile number", "store label", "loyalty number", "reference label",
                     "customer label", "terminal label", "purpose")
_ADDITIONAL_FORMATS: dict[str, _Format] = {
    **{f"{n:02d}": _ans(name, 25) for n, name in enumerate(_ADDITIONAL_NAMES, start=1)},
    "09": ("consumer data request", re.compile(r"[AME]{1,3}"), "at most 3 of the letters A, M, E"),
}
# Characters NFKD leaves alone that have an obvious ASCII stand-in. Đ/đ are letters in their own right,
# not D/d plus a mark; Ð/ð (U+00D0/U+00F0, eth) are what legacy Vietnamese encodings give for them. Text
# pasted from word processors brings typographic dashes (U+2010-2015) and curly quotes.
_ASCII_STAND_INS = {
    ord("Đ"): "D", ord("đ"): "d", ord("Ð"): "D", ord("ð"): "d",
    **dict.fromkeys(range(0x2010, 0x2016), "-"),
    0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"',
}


MALFORMED, MISSING_FIELD, INVALID_FIELD = "vietqr_malformed", "vietqr_missing_field", "vietqr_invalid_field"
CRC_MISMATCH, INVALID_INPUT = "vietqr_crc_mismatch", "vietqr_invalid_input"


class VietQRError(ValueError):
    """A VietQR payload or build input that breaks the NAPAS/EMVCo rules; the message is safe for API bodies.

    `code` names the rule for a program to branch on: a payload that is no sequence of data objects
    (`vietqr_malformed`), lacks a required field (`vietqr_missing_field`), has a field of the wrong
    form (`vietqr_invalid_field`) or fails its CRC (`vietqr_crc_mismatch`); building from values
    that break a field's rule is `vietqr_invalid_input`. `details` say where: `field` is the data
    object's path (`38/01/00` is the BIN), `position` the offset a malformed one starts at (inside
    the template `field` names, if any)."""

    def __init__(self, message: str, *, code: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message, self.code, self.details = message, code, details or {}


@dataclass(frozen=True, slots=True)
class VietQR:
    """The typed fields of a parsed VietQR payload."""

    bin: str
    account: str
    service: str
    initiation: str | None  # "11" static, "12" dynamic, None when the optional field 01 is absent
    amount_vnd: int | None
    purpose: str | None
    crc: str  # upper-case, as recomputed
    currency: str = CURRENCY_VND
    country: str = COUNTRY_VN
    mcc: str | None = None
    merchant_name: str | None = None
    merchant_city: str | None = None
    bill_number: str | None = None
    reference_label: str | None = None
    terminal_label: str | None = None

    @property
    def is_dynamic(self) -> bool:
        """True when the QR says it is meant for one transaction (01=12)."""
        return self.initiation == DYNAMIC


# --- CRC -------------------------------------------------------------------------------------------------


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the UTF-8 bytes, as 4 upper-case hex digits."""
    return "%04X" % binascii.crc_hqx(data.encode("utf-8"), 0xFFFF)


# --- building --------------------------------------------------------------------------------------------


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


# Fixed data objects, formatted once: builds must run well over 100k/s.
_FORMAT_TLV = _tlv("00", "01")
_INITIATION_TLV = {STATIC: _tlv("01", STATIC), DYNAMIC: _tlv("01", DYNAMIC)}
_GUID_TLV = _tlv("00", GUID)
_CURRENCY_TLV = _tlv("53", CURRENCY_VND)
_COUNTRY_TLV = _tlv("58", COUNTRY_VN)


def _short(value: object) -> str:
    """Repr of user input, clipped so an error message stays readable."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _strip_accents(text: str) -> str:
    """NFKD-decompose and drop combining marks; Đ/đ, dashes and curly quotes are mapped by hand."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_STAND_INS))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _latin_fold_table() -> dict[int, str | None]:
    """A str.translate table that strips accents from Latin letters and drops loose combining marks."""
    table: dict[int, str | None] = {cp: None for cp in range(0x300, 0x370) if unicodedata.combining(chr(cp))}
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00), *_ASCII_STAND_INS):
        folded = _strip_accents(chr(cp))
        if folded.isascii() and folded:
            table[cp] = folded
    return table


# Precomputed because builds must stay fast (>100k/s) even with Vietnamese text: one C-level translate
# covers every precomposed or decomposed Vietnamese letter; anything else takes the NFKD path.
_LATIN_FOLD = _latin_fold_table()


def _bad_input(message: str, field: str) -> VietQRError:
    """Values to build from that would break the rule of the field they fill (`field`, its path)."""
    return VietQRError(message, code=INVALID_INPUT, details={"field": field})


def normalize_purpose(text: str) -> str:
    """Turn free text into a 62/08 purpose: no accents, single spaces, trimmed, at most 25 characters."""
    if not isinstance(text, str):
        raise _bad_input(f"purpose must be a string, got {type(text).__name__}", "62/08")
    if not text.isascii():
        text = text.translate(_LATIN_FOLD)
        if not text.isascii():
            text = _strip_accents(text)
        if not text.isascii():
            # Invisible format characters (zero-width space, soft hyphen, BOM, direction marks) come
            # with pasted text; dropped before the spaces are collapsed so they leave no double space.
            text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = " ".join(text.split())[:PURPOSE_MAX].rstrip()
    if not text:
        raise _bad_input("purpose is empty after removing accents and spaces", "62/08")
    if not (text.isascii() and text.isprintable()):
        raise _bad_input(f"purpose must be printable ASCII after removing accents, got {_short(text)}", "62/08")
    return text


def _check_build_input(bin: str, account: str, service: str, amount_vnd: int | None) -> None:
    if not isinstance(bin, str) or not _BIN.fullmatch(bin):
        raise _bad_input(f"bank BIN must be exactly 6 digits, got {_short(bin)}", "38/01/00")
    if not isinstance(account, str) or not _BUILD_ACCOUNT.fullmatch(account):
        raise _bad_input(f"account must be 1 to 19 letters or digits, got {_short(account)}", "38/01/01")
    if not isinstance(service, str) or service not in SERVICES:
        raise _bad_input(f"service must be QRIBFTTA (account) or QRIBFTTC (card), got {_short(service)}", "38/02")
    if amount_vnd is not None:
        # bool is a subclass of int and float money is banned: only a real int passes.
        if type(amount_vnd) is not int or amount_vnd <= 0:
            raise _bad_input(f"amount_vnd must be a positive int, got {_short(amount_vnd)}", "54")
        if len(str(amount_vnd)) > AMOUNT_MAX_CHARS:
            raise _bad_input(f"amount_vnd must have at most {AMOUNT_MAX_CHARS} digits, got {amount_vnd}", "54")


def _initiation(dynamic: bool | None, amount_vnd: int | None) -> str:
    if dynamic is None:
        return DYNAMIC if amount_vnd is not None else STATIC
    if type(dynamic) is not bool:
        raise _bad_input(f"dynamic must be True, False or None, got {_short(dynamic)}", "01")
    return DYNAMIC if dynamic else STATIC


def _optional_tlv(formats: dict[str, _Format], tag: str, value: str | None, where: str) -> str:
    """The data object for an optional field, checked by the rule the parser applies; "" when absent."""
    if value is None:
        return ""
    name, pattern, rule = formats[tag]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _bad_input(f"{name} ({where}{tag}) must be {rule}, got {_short(value)}", f"{where}{tag}")
    return _tlv(tag, value)


def _additional_tlv(bill_number: str | None, reference_label: str | None, terminal_label: str | None,
                    purpose: str | None) -> str:
    extra = (
        _optional_tlv(_ADDITIONAL_FORMATS, "01", bill_number, "62/")
        + _optional_tlv(_ADDITIONAL_FORMATS, "05", reference_label, "62/")
        + _optional_tlv(_ADDITIONAL_FORMATS, "07", terminal_label, "62/")
        + ("" if purpose is None else _tlv("08", normalize_purpose(purpose)))
    )
    if len(extra) > 99:
        raise _bad_input(f"additional data (62) must be at most 99 characters, its sub-fields make {len(extra)}",
                         "62")
    return _tlv("62", extra) if extra else ""


def build_payload(
    *,
    bin: str,
    account: str,
    amount_vnd: int | None = None,
    purpose: str | None = None,
    service: str = "QRIBFTTA",
    dynamic: bool | None = None,
    mcc: str | None = None,
    merchant_name: str | None = None,
    merchant_city: str | None = None,
    bill_number: str | None = None,
    reference_label: str | None = None,
    terminal_label: str | None = None,
) -> str:
    """Build a VietQR transfer payload, CRC included; raise VietQRError on invalid input.

    The purpose is cleaned (`normalize_purpose`); the other optional fields (52, 59, 60, 62/01, 62/05,
    62/07: the `VietQR` fields of the same names) are written as given when they meet the format the
    parser checks, so any payload `parse_payload` reads can be built again from its fields, except
    one whose account has other characters than letters and digits or whose purpose is only spaces
    (docs/decisions.md "VietQR building").
    """
    _check_build_input(bin, account, service, amount_vnd)
    beneficiary = _tlv("00", bin) + _tlv("01", account)
    merchant = _GUID_TLV + _tlv("01", beneficiary) + _tlv("02", service)
    amount = "" if amount_vnd is None else _tlv("54", str(amount_vnd))
    category = _optional_tlv(_ROOT_FORMATS, "52", mcc, "")
    name_city = _optional_tlv(_ROOT_FORMATS, "59", merchant_name, "") + _optional_tlv(
        _ROOT_FORMATS, "60", merchant_city, "")
    extra = _additional_tlv(bill_number, reference_label, terminal_label, purpose)
    body = (
        f"{_FORMAT_TLV}{_INITIATION_TLV[_initiation(dynamic, amount_vnd)]}{_tlv('38', merchant)}{category}"
        f"{_CURRENCY_TLV}{amount}{_COUNTRY_TLV}{name_city}{extra}6304"
    )
    return body + crc16(body)


# --- parsing ---------------------------------------------------------------------------------------------


def _path(where: str, tag: str) -> str:
    """The path of field `tag` inside `where` ("the payload", "field 38/01"): 54, 38/01/00."""
    return tag if where == "the payload" else f"{where.removeprefix('field ')}/{tag}"


def _malformed(message: str, where: str, position: int | None = None, *, field: str | None = None) -> VietQRError:
    """No sequence of data objects: the bad one starts at `position` of `where` (a template is named by
    its path, `field`); a field repeated or out of place is named by `field` alone."""
    details: dict[str, Any] = {}
    if field is None and where != "the payload":
        field = where.removeprefix("field ")
    if field is not None:
        details["field"] = field
    if position is not None:
        details["position"] = position
    return VietQRError(message, code=MALFORMED, details=details)


def _invalid(message: str, field: str) -> VietQRError:
    return VietQRError(message, code=INVALID_FIELD, details={"field": field})


def _split_tlv(data: str, where: str) -> dict[str, str]:
    """Split a TLV string into {id: value}; it must be consumed exactly, with no repeated ID."""
    fields: dict[str, str] = {}
    pos, end = 0, len(data)
    while pos < end:
        head = data[pos : pos + 4]
        if len(head) < 4:
            # Usually a length prefix that is too short upstream, or junk after the last field.
            raise _malformed(f"{where} has {len(head)} stray character(s) at position {pos}: {_short(head)}",
                             where, pos)
        if not (_DIGITS2.fullmatch(head[:2]) and _DIGITS2.fullmatch(head[2:])):
            raise _malformed(f"malformed data object in {where} at position {pos}: {_short(data[pos:pos + 8])}",
                             where, pos)
        tag, length = head[:2], int(head[2:])
        if length == 0:
            raise _malformed(f"field {tag} in {where} has length 00; EMVCo lengths run from 01 to 99", where, pos)
        stop = pos + 4 + length
        if stop > end:
            raise _malformed(
                f"field {tag} in {where} declares length {length} but only {end - pos - 4} characters remain",
                where, pos,
            )
        if tag in fields:
            # A second 54 or 38 would make the payment ambiguous, so repeats are never tolerated.
            raise _malformed(f"field {tag} appears twice in {where}", where, field=_path(where, tag))
        fields[tag] = data[pos + 4 : stop]
        pos = stop
    return fields


def _require(fields: dict[str, str], tag: str, where: str) -> str:
    try:
        return fields[tag]
    except KeyError:
        raise VietQRError(f"required field {tag} is missing from {where}", code=MISSING_FIELD,
                          details={"field": _path(where, tag)}) from None


def _check_crc(payload: str, fields: dict[str, str]) -> str:
    if "63" not in fields:
        raise VietQRError("required field 63 (CRC) is missing", code=MISSING_FIELD, details={"field": "63"})
    if next(reversed(fields)) != "63":
        raise _malformed("field 63 (CRC) must be the last field", "the payload", field="63")
    given = fields["63"]
    if not _HEX4.fullmatch(given):
        raise _invalid(f"CRC must be 4 hex digits, got {_short(given)}", "63")
    computed = crc16(payload[:-4])
    if given.upper() != computed:
        raise VietQRError(f"CRC mismatch: payload says {given.upper()}, computed {computed}", code=CRC_MISMATCH,
                          details={"field": "63", "given": given.upper(), "computed": computed})
    return computed


def _check_header(fields: dict[str, str]) -> str | None:
    # Absent, 00 is a missing field like 53 or 58; present, it must come first.
    _require(fields, "00", "the payload")
    if next(iter(fields)) != "00":
        raise _malformed("field 00 (payload format indicator) must be the first field", "the payload", field="00")
    if fields["00"] != "01":
        raise _invalid(f"field 00 must be '01', got {_short(fields['00'])}", "00")
    initiation = fields.get("01")
    if initiation is not None and initiation not in (STATIC, DYNAMIC):
        raise _invalid(f"field 01 must be '11' (static) or '12' (dynamic), got {_short(initiation)}", "01")
    if _require(fields, "53", "the payload") != CURRENCY_VND:
        raise _invalid(f"field 53 (currency) must be '704' (VND), got {_short(fields['53'])}", "53")
    if _require(fields, "58", "the payload") != COUNTRY_VN:
        raise _invalid(f"field 58 (country) must be 'VN', got {_short(fields['58'])}", "58")
    return initiation


def _parse_merchant(value: str) -> tuple[str, str, str]:
    merchant = _split_tlv(value, "field 38")
    guid = _require(merchant, "00", "field 38")
    if guid != GUID:
        raise _invalid(f"field 38/00 must be the NAPAS GUID {GUID}, got {_short(guid)}", "38/00")
    beneficiary = _split_tlv(_require(merchant, "01", "field 38"), "field 38/01")
    bin_ = _require(beneficiary, "00", "field 38/01")
    if not _BIN.fullmatch(bin_):
        raise _invalid(f"bank BIN (38/01/00) must be exactly 6 digits, got {_short(bin_)}", "38/01/00")
    account = _require(beneficiary, "01", "field 38/01")
    # NAPAS types the account as "ans" (printable ASCII) up to 19 characters.
    if len(account) > ACCOUNT_MAX or not _PRINTABLE_ASCII.fullmatch(account):
        raise _invalid(f"account (38/01/01) must be at most 19 printable ASCII characters, got {_short(account)}",
                       "38/01/01")
    service = _require(merchant, "02", "field 38")
    if service not in SERVICES:
        raise _invalid(f"service (38/02) must be QRIBFTTA or QRIBFTTC, got {_short(service)}", "38/02")
    return bin_, account, service


def _parse_amount(value: str | None) -> int | None:
    if value is None:
        return None
    # VND has no minor unit: digits after the decimal mark, a sign or a leading zero are not a VND amount;
    # the 13 characters EMVCo allows count a trailing '.' too.
    if len(value) > AMOUNT_MAX_CHARS or not _AMOUNT.fullmatch(value):
        raise _invalid(
            f"amount (54) must be a positive whole number of VND, at most 13 characters, got {_short(value)}", "54"
        )
    return int(value.removesuffix("."))


def _check_formats(fields: dict[str, str], formats: dict[str, _Format], where: str) -> None:
    for tag, (name, pattern, rule) in formats.items():
        value = fields.get(tag)
        if value is not None and not pattern.fullmatch(value):
            raise _invalid(f"{name} ({where}{tag}) must be {rule}, got {len(value)} characters: {_short(value)}",
                           f"{where}{tag}")


def _parse_additional(value: str | None) -> dict[str, str]:
    if value is None:
        return {}
    extra = _split_tlv(value, "field 62")
    # Bank apps copy 62/08 into the transfer memo, which only carries printable ASCII.
    _check_formats(extra, _ADDITIONAL_FORMATS, "62/")
    return extra


def parse_payload(s: str) -> VietQR:
    """Parse and validate a VietQR payload; raise VietQRError if anything is wrong."""
    if not isinstance(s, str):
        raise VietQRError(f"payload must be a string, got {type(s).__name__}", code=MALFORMED)
    if not s:
        raise VietQRError("payload is empty", code=MALFORMED)
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError as exc:
            # A lone surrogate (what json.loads gives for "\\ud800") has no bytes, so no CRC and no QR.
            raise VietQRError(f"payload is not valid UTF-8 text: {_short(exc.object[exc.start:exc.end])}",
                              code=MALFORMED) from None
    fields = _split_tlv(s, "the payload")
    crc = _check_crc(s, fields)
    initiation = _check_header(fields)
    _check_formats(fields, _ROOT_FORMATS, "")
    bin_, account, service = _parse_merchant(_require(fields, "38", "the payload"))
    extra = _parse_additional(fields.get("62"))
    return VietQR(
        bin=bin_,
        account=account,
        service=service,
        initiation=initiation,
        amount_vnd=_parse_amount(fields.get("54")),
        purpose=extra.get("08"),
        crc=crc,
        currency=fields["53"],
        country=fields["58"],
        mcc=fields.get("52"),
        merchant_name=fields.get("59"),
        merchant_city=fields.get("60"),
        bill_number=extra.get("01"),
        reference_label=extra.get("05"),
        terminal_label=extra.get("07"),
    )


# --- rendering -------------------------------------------------------------------------------------------


def _make_qr(payload: str, box_size: int, border: int):
    # Imported here so that parsing and building never pay for qrcode/Pillow start-up.
    import qrcode

    parse_payload(payload)  # never print a code a bank app would refuse; costs microseconds
    if type(box_size) is not int or box_size < 1:
        raise VietQRError(f"box_size must be a positive int, got {_short(box_size)}", code=INVALID_INPUT,
                          details={"argument": "box_size"})
    if type(border) is not int or border < 0:
        raise VietQRError(f"border must be a non-negative int, got {_short(border)}", code=INVALID_INPUT,
                          details={"argument": "border"})
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(payload)
    return qr


def render_png(payload: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """Render a VietQR payload as a PNG (error correction M, 4-module quiet zone by default)."""
    image = _make_qr(payload, box_size, border).make_image()
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def render_svg(payload: str, *, box_size: int = 10, border: int = 4) -> str:
    """Render a VietQR payload as one-path SVG on a white background (box_size 10 = 1 mm per module)."""
    from qrcode.image.svg import SvgPathFillImage

    # The white fill keeps the code scannable when the page behind it is dark.
    image = _make_qr(payload, box_size, border).make_image(image_factory=SvgPathFillImage)
    return image.to_string(encoding="unicode")
