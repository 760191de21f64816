"""Card terminals: `transaction_id, terminal_id, type (sale/void/reversal),
original_transaction_id?, amount_vnd, payment_code, approval_code, card_masked, card_scheme,
occurred_at`, plus `status` (`approved` by default, or `declined`) or an ISO 8583
`response_code` (`00` = approved), and what the terminal prints on the slip beside them:
`batch_number` (the settlement batch) and `rrn` (retrieval reference number). Signed like the bank
push, with the POS secret(s).
Terminals number their transactions each on its own, and most start again at 000001 with each
settlement batch: a sale is `<terminal_id>:<batch_number>:<transaction_id>` when the terminal gives its
batch (`<terminal_id>:<transaction_id>` when it gives none), and a void or reversal names a sale of its
own terminal and batch (a settled sale is refunded, not voided). Batch and transaction numbers are numbers
in keys: `000123` and 123 name one (`_number`).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from config import Settings
from payments.channels.bankpush import verify_signature
from payments.channels.common import (MAX_ID_LENGTH, CallbackRejected, Credit, Event, Ignored, Reversal, amount,
                                      field, identifier, json_object, local_time, text)
from payments.credits import IncomingCredit, terminal_ref
from payments.ledger import Accounts

PROVIDER = "pos"
MAX_TERMINAL_ID = 40  # it names the terminal's clearing account
# A sale is known by `<terminal>:<transaction id>` (credits.terminal_ref), which must fit
# payments.provider_ref: the terminal id holds no ':' (so the key splits one way only) and the
# transaction id (a STAN or invoice number: 6-12 characters in practice) leaves room for it.
MAX_TRANSACTION_ID = MAX_ID_LENGTH - MAX_TERMINAL_ID - 1
# A full card number (PAN) as people and terminals write it: 13-19 digits, maybe grouped by
# spaces or dashes, not part of a longer number. It must never be stored (PCI DSS 3.4).
_CARD_NUMBER = r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])"
CARD_NUMBER = re.compile(_CARD_NUMBER)
_CARD_NUMBER_BYTES = re.compile(_CARD_NUMBER.encode())
MAX_BATCH = 12  # ISO 8583 terminals print 6 digits; some hosts send the batch with its date
_BATCH = re.compile(r"[0-9A-Za-z]{1,%d}" % MAX_BATCH)
KEPT_DIGITS = (6, 4)  # the bank's BIN and the last four: what a masked card number may show


def mask_card_numbers(body: bytes) -> bytes:
    """The raw body with every card-number-like run masked (`9704361234561234` ->
    `970436******1234`); all other bytes, separators and the length are kept as they were."""
    return _CARD_NUMBER_BYTES.sub(_mask, body)


def _mask(match: re.Match[bytes]) -> bytes:
    run = match.group()
    total = sum(byte in b"0123456789" for byte in run)
    first, last = KEPT_DIGITS
    masked, position = bytearray(), 0
    for byte in run:
        if byte in b"0123456789":
            masked += bytes([byte]) if position < first or position >= total - last else b"*"
            position += 1
        else:
            masked.append(byte)
    return bytes(masked)


def _card_detail(data: dict, name: str, limit: int) -> str | None:
    """A card detail we keep (approval code, scheme); a full card number in it is refused, not kept."""
    value = data.get(name)
    if isinstance(value, str) and CARD_NUMBER.search(value):
        raise CallbackRejected(f"{name} must not contain a card number", code="invalid_field",
                               details={"field": name})
    return text(value, limit)


# ISO 8583 field 39 (response code): "00" approves (ISO 8583:1993 action codes write it "000"); EMV
# terminals approving offline say "Y1" (offline approved) or "Y3" (could not go online, approved offline).
APPROVED = frozenset({"00", "000", "Y1", "Y3"})


def _declined(data: dict, kind: str) -> str | None:
    """Why the terminal says the transaction (`kind`: sale, void, reversal) was not approved, in its own
    terms; None when it was. A reversal's response code is not read as its outcome: ISO 8583 reversals
    carry the reason they were sent there (68, a reply too late), and the card got its money back."""
    status = data.get("status", "approved")
    if status not in ("approved", "declined"):
        raise CallbackRejected("status must be approved or declined", code="invalid_field",
                               details={"field": "status"})
    code = _response_code(data)
    said = ["status declined"] if status == "declined" else []
    if code is not None and code not in APPROVED and kind != "reversal":
        said.append(f"response code {code}")
    return f"card {kind} declined ({', '.join(said)})" if said else None


def _response_code(data: dict) -> str | None:
    """The response code as two (or three) characters; None when the terminal sent none.

    Terminals that send it as a JSON number drop its leading zero (0 for "00", 5 for "05"), so
    digits are written back with two at least. Anything that is no code (empty, negative, longer
    than three digits, odd characters) is refused: read as a decline, an approved sale would be
    dropped without anyone seeing it; refused, it waits in finance's list of refused callbacks."""
    value = field(data, "response_code", (str, int), required=False)
    if value is None:
        return None
    written = str(value).strip()
    if written.isascii() and written.isdigit() and len(written) <= 3:
        return f"{int(written):02d}" if len(written) < 3 else written
    if written.isascii() and written.isalnum() and len(written) == 2:
        return written.upper()
    raise CallbackRejected("response_code must be an ISO 8583 response code such as 00", code="invalid_field",
                           details={"field": "response_code"})


def _batch(data: dict) -> str | None:
    """The settlement batch, digits written without their leading zeros (a terminal sending `000012`
    and its gateway the number 12 name one batch); None when the terminal sends none."""
    value = field(data, "batch_number", (str, int), required=False)
    if value is None or value == "":
        return None
    written = str(value).strip()
    if not _BATCH.fullmatch(written):
        raise CallbackRejected(f"batch_number must be 1-{MAX_BATCH} letters or digits", code="invalid_field",
                               details={"field": "batch_number"})
    return str(int(written)) if written.isdigit() else written.upper()


def _number(transaction_id: str) -> str:
    """A terminal's transaction id read as the number it is (ISO 8583 STAN and invoice numbers are numeric):
    digits without their leading zeros, so `000123` on the slip and 123 from the gateway (a JSON number, which
    has none) name one sale, as batch numbers already did. An id with letters is kept as sent. The one place a
    transaction id becomes a key; sales stored before with the zeros are still found (`credits.padded_keys`)."""
    return str(int(transaction_id)) if transaction_id.isascii() and transaction_id.isdigit() else transaction_id


def _ref(terminal: str, batch: str | None, transaction_id: str, name: str) -> str:
    """A transaction's key: its number within its batch, the batch within its terminal."""
    number = _number(transaction_id)
    ref = terminal_ref(terminal, f"{batch}:{number}" if batch else number)
    if len(ref) > MAX_ID_LENGTH:
        raise CallbackRejected(f"{name} is too long for its terminal and batch (at most {MAX_ID_LENGTH} characters "
                               f"together)", code="invalid_field", details={"field": name})
    return ref


def parse(headers: Mapping[str, str], body: bytes, settings: Settings, now: datetime) -> Event:
    verify_signature(headers, body, settings.secret_values("HCCPAY_POS_WEBHOOK_SECRET"), now)
    data = json_object(body)
    txn_id = identifier(data, "transaction_id", max_len=MAX_TRANSACTION_ID)
    terminal = identifier(data, "terminal_id", max_len=MAX_TERMINAL_ID)
    if ":" in terminal:
        raise CallbackRejected("terminal_id must not contain ':'", code="invalid_field",
                               details={"field": "terminal_id"})
    batch = _batch(data)
    ref = _ref(terminal, batch, txn_id, "transaction_id")
    kind = field(data, "type")
    if kind not in ("sale", "void", "reversal"):
        raise CallbackRejected("type must be sale, void or reversal", code="invalid_field", details={"field": "type"})
    value = amount(data.get("amount_vnd"), "amount_vnd")
    occurred_at = local_time(data.get("occurred_at"), "occurred_at")
    # Terminals mask the card number each their own way (`************1234`, `9704 36** **** 1234`,
    # the last four alone): any of them is kept as written. Only a full card number is refused.
    card = _card_detail(data, "card_masked", 25) or None
    if kind in ("void", "reversal"):
        original = identifier(data, "original_transaction_id", max_len=MAX_TRANSACTION_ID)
        if _number(original) == _number(txn_id):
            raise CallbackRejected("a void or reversal cannot cancel itself", code="invalid_field",
                                   details={"field": "original_transaction_id"})
    # A void the host declined (the batch already settled, say) gave the card nothing back: its sale
    # stands. Applied, it took the money off the request while the acquirer still pays it to us.
    declined = _declined(data, kind)
    if declined:
        return Ignored(ref, declined, declined_sale=kind == "sale")
    if kind in ("void", "reversal"):
        # A void names a sale of its own terminal and batch: terminals number their transactions each on its
        # own, again in each batch, and a sale whose batch has settled can only be refunded.
        return Reversal(PROVIDER, ref, _ref(terminal, batch, original, "original_transaction_id"), value,
                        any_batch=batch is None)
    # A sale without a code is still money taken from a card: it waits in suspense like one whose
    # code is empty, rather than being refused while the terminal was told nothing useful.
    payment_code = (field(data, "payment_code", required=False) or "").strip().upper()
    return Credit(IncomingCredit(
        provider=PROVIDER, provider_ref=ref, channel="pos_card", amount_vnd=value,
        booked_at=occurred_at, clearing_account=Accounts.pos(terminal), payment_code=payment_code,
        details={"terminal_id": terminal, "transaction_id": txn_id, "batch_number": batch,
                 "rrn": _card_detail(data, "rrn", 20), "payment_code": payment_code,
                 "approval_code": _card_detail(data, "approval_code", 20), "card_masked": card,
                 "card_scheme": _card_detail(data, "card_scheme", 20)},
    ))
