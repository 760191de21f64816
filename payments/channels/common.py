"""What every channel adapter shares: the event types it produces and the typed refusal.

An adapter verifies a callback (signature, API key, time window) and turns it into one
event; it never touches the database. The callback route stores the raw request with the
verdict and, for a credit or a reversal, the event as JSON (`event_to_json`); a worker
applies it later (`payments.inbox_apply`).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from config import Settings
from kernel.clock import parse_local_instant
from kernel.errors import DomainError
from kernel.jsonobjects import DuplicateKey, unique_keys
from kernel.money import MAX_MONEY_VND
from payments.credits import IncomingCredit
from payments.ledger import Accounts
from payments.references import normalise_account


class CallbackRejected(DomainError):
    """A callback we will not act on; the reason is kept on its inbox row."""

    status = 400
    code = "invalid_callback"


class BadSignature(CallbackRejected):
    status = 401
    code = "invalid_signature"


@dataclass(frozen=True)
class Credit:
    credit: IncomingCredit


@dataclass(frozen=True)
class Ignored:
    external_id: str
    reason: str  # a debit, another account's transfer, a declined card sale, a test ping
    # A declined card sale: the same transaction reported approved, before or after it, makes it a
    # conflict for finance (`callback_routes._store_card_sale`), not a decline to ignore.
    declined_sale: bool = False


@dataclass(frozen=True)
class Reversal:
    provider: str
    provider_ref: str
    original_ref: str
    amount_vnd: int
    # A terminal's void sent without its batch number: its sale may carry one (`credits._unbatched_sale`).
    any_batch: bool = False


Event = Credit | Ignored | Reversal


def booked_by_arrival(credit: IncomingCredit, arrival: datetime) -> IncomingCredit:
    """A transfer is booked no later than we were told of it. A later time claimed (a bank's clock
    or time zone wrong, a forged date) would count the money in a day still to come, or years
    away, where no reconciliation reaches it: it is booked at its arrival, the claim kept."""
    if credit.booked_at <= arrival:
        return credit
    return replace(credit, booked_at=arrival,
                   details={**(credit.details or {}), "claimed_booked_at": credit.booked_at.isoformat()})


def event_to_json(event: Credit | Reversal) -> dict[str, Any]:
    """What the inbox keeps of a verified credit or reversal, for the worker that applies it."""
    if isinstance(event, Reversal):
        return {"type": "reversal", **_shallow(event)}
    data = _shallow(event.credit)
    data["booked_at"] = event.credit.booked_at.isoformat()
    return {"type": "credit", **data}


def _shallow(instance) -> dict[str, Any]:
    # dataclasses.asdict deep-copies; these fields are already JSON values (this runs per callback).
    return {f.name: getattr(instance, f.name) for f in fields(instance)}


def event_from_json(data: dict[str, Any]) -> Credit | Reversal:
    fields = {k: v for k, v in data.items() if k != "type"}
    if data["type"] == "reversal":
        return Reversal(**fields)
    fields["booked_at"] = datetime.fromisoformat(fields["booked_at"])
    return Credit(IncomingCredit(**fields))


# Providers send flat objects (a list of items at most): deeper nesting is no payment message, and
# walking or re-encoding it (the payOS signature) must not run out of stack.
MAX_DEPTH = 32
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a pair decodes to one character outside this range


def json_object(body: bytes, *, keep_nul: bool = False) -> dict[str, Any]:
    """The body as a JSON object of text: anything else is refused (`malformed_json`). NUL characters
    are dropped, unless `keep_nul`: a signature over the values (payOS's) is checked over them as they
    were sent, and only then are they cleaned (`without_nul`)."""
    try:
        data = json.loads(body, object_pairs_hook=unique_keys, parse_constant=_no_constant, parse_float=_finite)
    except (DuplicateKey, _NotJson) as exc:
        raise CallbackRejected(f"the body is not valid JSON: {exc}", code="malformed_json") from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays or objects nested too deeply
        raise CallbackRejected("the body is not valid JSON", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise CallbackRejected("the body must be a JSON object", code="malformed_json")
    return _as_text(data, keep_nul=keep_nul)


class _NotJson(ValueError):
    """A value Python's decoder reads but JSON has not."""


def _no_constant(name: str) -> Any:
    """`parse_constant`: NaN and ±Infinity are no JSON numbers (RFC 8259). Read, a value kept as sent (payOS's
    `orderCode` in the event) could not be stored in PostgreSQL's JSON: the verified callback answered 500, never
    kept, on every retry."""
    raise _NotJson(f"{name} is not a JSON number")


def _finite(written: str) -> float:
    """`parse_float`: a number too large for a float (`1e999`) is read as infinity, which JSON has not either."""
    value = float(written)
    if not math.isfinite(value):
        raise _NotJson(f"{written[:20]} is too large a number")
    return value


def without_nul(data: dict[str, Any]) -> dict[str, Any]:
    """A body read with `keep_nul`, its NUL characters dropped (in place)."""
    return _as_text(data, keep_nul=False)


def _as_text(data: dict[str, Any], *, keep_nul: bool) -> dict[str, Any]:
    """Every key and string checked and cleaned in place, iteratively (however deep the decoder went).

    NUL characters are dropped: they mean nothing in a memo or a name, and PostgreSQL text cannot
    hold them. An unpaired surrogate escape (`\\ud83d`, a memo cut inside an emoji) is refused, as
    the API refuses it (`kernel.http.json_body`): it cannot be encoded, so it could be neither
    stored nor signed, and a callback answered 2xx must be one a worker can apply."""
    pending: list[tuple[dict | list, int]] = [(data, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise CallbackRejected(f"the body is nested more than {MAX_DEPTH} levels deep", code="malformed_json")
        if isinstance(item, dict):
            keys = [(key, _text(key, keep_nul)) for key in item]
            if any(key != clean for key, clean in keys):
                _names_once([clean for _, clean in keys])
                values = list(item.values())
                item.clear()
                item.update(zip([clean for _, clean in keys], values))
            slots = list(item.items())
        else:
            slots = list(enumerate(item))
        for slot, value in slots:
            if isinstance(value, str):
                clean = _text(value, keep_nul)
                if clean is not value:
                    item[slot] = clean
            elif isinstance(value, (dict, list)):
                pending.append((value, depth + 1))
    return data


def _names_once(names: list[str]) -> None:
    """Names cleaned of NUL must still be unique: `"amount_vnd\u0000"` beside `"amount_vnd"` is the member
    named twice (`unique_keys`), and merged, the later silently replaced the other (another amount read than
    a reader of the stored body sees)."""
    try:
        unique_keys([(name, None) for name in names])
    except DuplicateKey as exc:
        raise CallbackRejected(f"the body is not valid JSON: {exc} (once with a NUL character in the name)",
                               code="malformed_json") from exc


def _text(value: str, keep_nul: bool) -> str:
    if _LONE_SURROGATE.search(value):
        raise CallbackRejected("the body contains an unpaired surrogate escape (\\ud800-\\udfff), which is not "
                               "a character", code="malformed_json")
    return value.replace("\x00", "") if "\x00" in value and not keep_nul else value


def field(data: dict[str, Any], name: str, kind: type | tuple[type, ...] = str, *, required: bool = True) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise CallbackRejected(f"{name} is required", code="missing_field", details={"field": name})
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise CallbackRejected(f"{name} has the wrong type", code="invalid_field", details={"field": name})
    return value


# payments.provider_ref and callback_inbox.external_id are VARCHAR(100).
MAX_ID_LENGTH = 100


def identifier(data: dict[str, Any], name: str, *, max_len: int = MAX_ID_LENGTH) -> str:
    """A provider's id for a transaction (or terminal): 1-`max_len` printable characters, as sent, or
    a whole JSON number written out (terminals and banks number their transactions: a STAN, a sequence).

    An empty id would make every later transaction with an empty id a "duplicate" whose money
    is never credited; a longer one does not fit the column after the callback was answered."""
    value = str(field(data, name, (str, int)))
    if not value.strip() or len(value) > max_len or not value.isprintable():
        raise CallbackRejected(f"{name} must be 1-{max_len} printable characters", code="invalid_field",
                               details={"field": name})
    return value


def amount(value: Any, name: str = "amount") -> int:
    """A callback amount: a positive whole number of đồng within the sane range. Money that moved
    (a transfer into our account, a card charged) is credited, overpaid or held in suspense, never
    refused for exceeding what a request may ask (MAX_REQUEST_VND): only a figure beyond
    MAX_MONEY_VND is refused, as a bug or a forgery."""
    if value is None:
        raise CallbackRejected(f"{name} is required", code="missing_field", details={"field": name})
    if type(value) is not int:
        raise CallbackRejected(f"{name} must be an integer number of đồng", code="invalid_amount",
                               details={"field": name})
    if not 0 < value <= MAX_MONEY_VND:
        raise CallbackRejected(f"{name} must be between 1 and {MAX_MONEY_VND:,} VND", code="amount_out_of_range",
                               details={"field": name})
    return value


# Callbacks describe money moving now: a date outside these years is a bug or a forgery, and far
# enough out (year 1 or 9999 with an offset) it cannot even be converted to UTC.
PLAUSIBLE_YEARS = range(2000, 2101)


def local_time(value: Any, name: str) -> datetime:
    """`YYYY-MM-DD HH:mm:ss` (or ISO 8601) in Hà Nội time when no offset is given -> aware UTC."""
    if value is None or isinstance(value, str) and not value.strip():
        raise CallbackRejected(f"{name} is required", code="missing_field", details={"field": name})
    if not isinstance(value, str):
        raise _not_a_time(name)
    try:
        instant = parse_local_instant(value)
    except (ValueError, OverflowError) as exc:
        raise _not_a_time(name) from exc
    if instant.year not in PLAUSIBLE_YEARS:
        raise _not_a_time(name)
    return instant


def _not_a_time(name: str) -> CallbackRejected:
    return CallbackRejected(f"{name} must be a date and time, YYYY-MM-DD HH:MM:SS (Hà Nội time) or ISO 8601 with "
                            f"its offset, between {PLAUSIBLE_YEARS.start} and {PLAUSIBLE_YEARS.stop - 1}",
                            code="invalid_field", details={"field": name})


def our_bank_account(settings: Settings, *numbers: Any) -> str | None:
    """The bank clearing account if any of `numbers` is one of our collection accounts, read as statements
    read it (`normalise_account`: `0071 0012 34567` is 0071001234567): a feed that groups the number was
    answered 200 and its transfer ignored, though the day's statement credits the same account."""
    written = {normalise_account(n) for n in numbers if isinstance(n, str)} - {None}
    for account in settings.collection_accounts.values():
        if normalise_account(account.account_number) in written:
            return Accounts.bank(account.bin, account.account_number)
    return None


def text(value: Any, limit: int = 1000) -> str | None:
    return value[:limit] if isinstance(value, str) else None
