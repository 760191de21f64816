"""Turning an inbound shipment body into a validated, normalised value. Pure (no Flask, no DB)."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from config import Settings
from config.holidays import last_listed_day
from kernel.clock import VN_TZ, business_date, is_working_day, parse_iso_day
from kernel.errors import ValidationError
from payments.validation import clean_text, normalise_phone, printable
from postal import addresses, planner, states
from postal.addresses import WardInfo
from postal.errors import Unprocessable
from postal.tariff import MAX_WEIGHT_GRAMS

DEFAULT_WEIGHT_GRAMS = 500
# How far ahead a citizen may ask for a day: rounds and deadlines further out are guesses (and a
# mistyped year, 2062 for 2026, would otherwise be accepted).
WINDOW_HORIZON_DAYS = 60
MAX_DOCUMENTS = 30
# What an ID check may show: the card (thẻ căn cước, or a căn cước công dân still valid) and a passport.
# The chứng minh nhân dân (CMND) stopped being valid on 2025-01-01 (Luật Căn cước 2023, Art. 46): refused,
# with its own sentence, rather than taken as proof of who received a result.
ID_DOCUMENT_TYPES = ("cccd", "passport")
EXPIRED_ID_DOCUMENTS = {"cmnd": "a chứng minh nhân dân (CMND) is no longer valid since 2025-01-01 (Luật Căn cước "
                                "2023, Art. 46): show a căn cước/CCCD card or a passport"}


def _fail(field: str, message: str, code: str = "validation_error") -> ValidationError:
    return ValidationError(f"{field}: {message}", code=code, details={"field": field})


@dataclass(frozen=True)
class ShipmentInput:
    dossier_code: str
    direction: str
    recipient_name: str
    recipient_phone: str
    recipient_id_number: str | None
    street: str
    ward: WardInfo
    window_date: date | None
    window_slot: str | None
    note: str | None
    documents: tuple[dict[str, Any], ...]
    weight_grams: int

    def body_hash(self) -> str:
        """Equal for replays of the same request (after normalisation)."""
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, default=str,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_day(raw: Any, field: str) -> date:
    """A day written exactly YYYY-MM-DD from 2000 to 2100 (kernel.clock.parse_iso_day), named by its field."""
    try:
        return parse_iso_day(raw)
    except ValidationError as exc:
        raise _fail(field, exc.message, exc.code) from None


def parse_slot(raw: Any, field: str) -> str:
    if raw not in planner.SLOTS:
        raise _fail(field, "must be morning or afternoon", "invalid_slot")
    return raw


def _object(raw: Any, field: str, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(field, f"must be an object with {what}", "missing_field")
    return raw


def parse_address(raw: Any) -> tuple[str, WardInfo]:
    """Street and 2025 ward; a pre-2025 name in `legacy_ward` is resolved or answered with candidates."""
    address = _object(raw, "address", "street, ward_code and province_code")
    street = printable(clean_text(address.get("street"), "address.street", max_len=300), "address.street")
    province = addresses.parse_province_code(address.get("province_code"), "address.province_code")
    if address.get("ward_code") is None and address.get("legacy_ward") is not None:
        return street, addresses.resolve_legacy_ward(province, address["legacy_ward"])
    if address.get("ward_code") is None:
        raise _fail("address.ward_code", "is required", "missing_field")
    ward = addresses.resolve_ward(province, address.get("ward_code"))
    if address.get("legacy_ward") is not None:  # both: the ward must be (one of) what the old unit became
        became = addresses.legacy_ward_codes(province, address["legacy_ward"])
        if ward.code not in became:
            raise ValidationError(f"address.ward_code {ward.code} is not what {address['legacy_ward']!r} became "
                                  f"in 2025 ({', '.join(became)})", code="legacy_ward_mismatch",
                                  details={"field": "address.legacy_ward", "ward_codes": became})
    return street, ward


def latest_window_day(today: date, holidays: Collection[date]) -> date:
    """The last day a window may name: WINDOW_HORIZON_DAYS ahead, and never past the end of the last
    year the holiday list covers (beyond it Tết and the other lunar holidays are unknown, and with
    them which days are working days and every deadline)."""
    latest = today + timedelta(days=WINDOW_HORIZON_DAYS)
    listed_until = last_listed_day(holidays)
    return min(latest, listed_until) if listed_until else latest


DEFAULT_WINDOW_CUTOFF = timedelta(minutes=Settings.postal_window_cutoff_minutes)


# The refusals that depend on when a body is read, not on what it says: a replay of a body booked before may
# meet them (`parse_window(timing=False)` reads it as it was).
WINDOW_TIMING_CODES = frozenset({"window_in_past", planner.SLOT_PASSED})


def round_times(day: date, slot: str, cutoff: timedelta) -> tuple[datetime, datetime]:
    """When a round leaves (`planner.SLOT_STARTS`, Asia/Ho_Chi_Minh) and when it stops taking bookings."""
    leaves = datetime.combine(day, planner.SLOT_STARTS[slot], tzinfo=VN_TZ)  # as the planner reads a round
    # An instant, whatever day it falls on: a cut-off longer than the night (up to 720 minutes) closes the
    # morning round the evening before, and checking today's rounds only took tomorrow's after it.
    return leaves, leaves - cutoff


def first_open_round_day(now: datetime, *, holidays: Collection[date], cutoff: timedelta) -> date:
    """The first working day, from today, with a round still taking bookings: the day a pickup booked
    without a window can be collected, its J. Booked after the day's last round closed (11:30 by default),
    the booking day was its J, and its deadline a day earlier than the post could keep."""
    day = business_date(now)
    while not (is_working_day(day, holidays)
               and any(now < round_times(day, slot, cutoff)[1] for slot in planner.SLOTS)):
        day += timedelta(days=1)
    return day


def parse_window(raw: Any, *, now: datetime, holidays: Collection[date],
                 cutoff: timedelta = DEFAULT_WINDOW_CUTOFF, timing: bool = True) -> tuple[date | None, str | None]:
    """The citizen's day and slot: a working day from today to `latest_window_day`, and a round that
    takes bookings still: each closes `cutoff` before it leaves (`planner.SLOT_STARTS`), the evening
    before when the cut-off is longer than the night. Taken up to
    the minute it left, a window for the morning round booked at 07:29 was planned after the manifest was
    printed and the postman gone; nobody told him."""
    if raw is None:
        return None, None
    window = _object(raw, "window", "date and slot")
    day = parse_day(window.get("date"), "window.date")
    today = business_date(now)
    if timing and day < today:
        raise _fail("window.date", "is in the past", "window_in_past")
    if not is_working_day(day, holidays):
        raise Unprocessable("window.date: the post does not collect or deliver on weekends and public holidays",
                            code="window_not_working_day", details={"field": "window.date", "date": day.isoformat()})
    slot = parse_slot(window.get("slot"), "window.slot")
    leaves, closes = round_times(day, slot, cutoff)
    if timing and now >= closes:
        raise Unprocessable(f"window.slot: the {slot} round of {day.isoformat()} leaves at {leaves:%H:%M} and takes "
                            f"bookings until {closes:%H:%M} on {closes.date().isoformat()} (Asia/Ho_Chi_Minh); "
                            f"choose a later slot or day", code=planner.SLOT_PASSED,
                            details={"field": "window.slot", "date": day.isoformat(), "slot": slot,
                                     "leaves_at": f"{leaves:%H:%M}", "closes_at": f"{closes:%H:%M}",
                                     "closes_on": closes.date().isoformat()})
    latest = latest_window_day(today, holidays)  # last: a holiday or a bad slot says more than "too far"
    if timing and day > latest:
        raise ValidationError(f"window.date: at most {WINDOW_HORIZON_DAYS} days ahead and within the years the "
                              f"holiday list covers: {latest.isoformat()} at the latest", code="window_too_far",
                              details={"field": "window.date", "date": day.isoformat(), "latest": latest.isoformat()})
    return day, slot


def parse_documents(raw: Any) -> tuple[dict[str, Any], ...]:
    """`[{"name", "original": bool, "copies"?: int}]`: the list printed on the consignment note."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_DOCUMENTS:
        raise _fail("documents", f"must be a list of at most {MAX_DOCUMENTS} documents")
    documents = []
    for i, item in enumerate(raw):
        where = f"documents[{i}]"
        item = _object(item, where, "name and original")
        original = item.get("original", False)
        copies = item.get("copies", 1)
        if not isinstance(original, bool):
            raise _fail(f"{where}.original", "must be true (original) or false (copy)")
        if type(copies) is not int or not 1 <= copies <= 100:
            raise _fail(f"{where}.copies", "must be a whole number from 1 to 100")
        name = clean_text(item.get("name"), f"{where}.name", max_len=200)
        documents.append({"name": printable(name, f"{where}.name"),
                          "original": original, "copies": copies})
    return tuple(documents)


def parse_weight(raw: Any) -> int:
    if raw is None:
        return DEFAULT_WEIGHT_GRAMS
    if type(raw) is not int or not 1 <= raw <= MAX_WEIGHT_GRAMS:
        raise _fail("weight_grams", f"must be a whole number of grams from 1 to {MAX_WEIGHT_GRAMS}",
                    "invalid_weight")
    return raw


def parse_id_number(raw: Any, field: str) -> str | None:
    """The recipient's ID number the result is handed against: the 12 digits of a căn cước. A 9-digit
    chứng minh nhân dân is no longer valid (since 01/01/2025) and cannot be shown at the handover, so a
    shipment booked for one could never be delivered (409 id_mismatch at every door)."""
    number = clean_text(raw, field, max_len=12, required=False)
    if number is not None and not _ID_NUMBER_RES["cccd"].fullmatch(number):
        raise _fail(field, "must be the 12 digits of a citizen identity card (căn cước); a 9-digit CMND is no "
                           "longer valid since 2025-01-01", "invalid_id_number")
    return number


def _printable_note(note: str | None) -> str | None:
    return note if note is None else printable(note, "note")


def parse_shipment(body: dict[str, Any], *, now: datetime, holidays: Collection[date],
                   window_cutoff: timedelta = DEFAULT_WINDOW_CUTOFF, window_timing: bool = True) -> ShipmentInput:
    """Validate a `POST /postal/shipments` body as of `now`; raise on the first problem.

    What the paperwork prints (names, street, documents, note) must be drawable by its font, as a
    dossier's names are (`payments.validation.printable`): a consignment note reading "���" is no
    address for a postman."""
    direction = body.get("direction")
    if direction not in states.DIRECTIONS:
        raise _fail("direction", "must be pickup or delivery", "invalid_direction")
    recipient = _object(body.get("recipient"), "recipient", "name and phone")
    street, ward = parse_address(body.get("address"))
    window_date, window_slot = parse_window(body.get("window"), now=now, holidays=holidays, cutoff=window_cutoff,
                                            timing=window_timing)
    return ShipmentInput(
        dossier_code=clean_text(body.get("dossier_code"), "dossier_code", max_len=64),
        direction=direction,
        recipient_name=printable(clean_text(recipient.get("name"), "recipient.name", max_len=200), "recipient.name"),
        recipient_phone=normalise_phone(recipient.get("phone"), "recipient.phone"),
        recipient_id_number=parse_id_number(recipient.get("id_number"), "recipient.id_number"),
        street=street, ward=ward, window_date=window_date, window_slot=window_slot,
        note=_printable_note(clean_text(body.get("note"), "note", max_len=1000, required=False)),
        documents=parse_documents(body.get("documents")),
        weight_grams=parse_weight(body.get("weight_grams")),
    )


# ASCII only: str.isdigit()/isalnum() would take "٠١٢" or "０１２". Căn cước / CCCD: 12 digits; a passport:
# 6-20 letters or digits (Vietnamese ones are C1234567).
_ID_NUMBER_RES = {"cccd": re.compile(r"[0-9]{12}"), "passport": re.compile(r"[A-Z0-9]{6,20}")}
_ID_NUMBER_HINTS = {"cccd": "12 digits", "passport": "6-20 letters or digits"}
_NAME_PUNCTUATION = frozenset(" .'-")


@dataclass(frozen=True)
class IdCheck:
    """The ID shown at handover. The full number is only held to compare it; `record()` is what is kept."""

    document_type: str
    number: str
    holder_name: str

    def record(self) -> dict[str, str]:
        return {"document_type": self.document_type, "number_last4": self.number[-4:],
                "holder_name": self.holder_name}

    def is_of(self, id_number: str | None) -> bool:
        """True when no number was recorded for the recipient, or this document carries it."""
        return id_number is None or (self.document_type != "passport" and self.number == id_number)


def parse_id_check(raw: Any) -> IdCheck:
    """The ID shown at handover: document type, number (ASCII, the type's length) and holder's name."""
    check = _object(raw, "id_check", "document_type, number and holder_name")
    kind = check.get("document_type")
    if isinstance(kind, str):  # "CCCD" as the card and the courier write it is the same document
        kind = kind.strip().lower()
    if isinstance(kind, str) and kind in EXPIRED_ID_DOCUMENTS:
        raise ValidationError(f"id_check.document_type: {EXPIRED_ID_DOCUMENTS[kind]}", code="invalid_id_document",
                              details={"field": "id_check.document_type", "document_type": kind})
    if kind not in ID_DOCUMENT_TYPES:
        raise _fail("id_check.document_type", f"must be one of {', '.join(ID_DOCUMENT_TYPES)}",
                    "invalid_id_document")
    number = clean_text(check.get("number"), "id_check.number", max_len=30).replace(" ", "").upper()
    if not _ID_NUMBER_RES[kind].fullmatch(number):
        raise _fail("id_check.number", f"a {kind} number is {_ID_NUMBER_HINTS[kind]}", "invalid_id_document")
    name = clean_text(check.get("holder_name"), "id_check.holder_name", max_len=200)
    if not all(unicodedata.category(c)[0] in "LM" or c in _NAME_PUNCTUATION for c in name):
        raise _fail("id_check.holder_name", "must be a person's name (letters, spaces, . ' -)",
                    "invalid_id_document")
    return IdCheck(kind, number, name)
