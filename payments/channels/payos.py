"""payOS webhook. `{code, desc, success, data{orderCode, amount, description, accountNumber,
reference, transactionDateTime, currency, paymentLinkId, code, desc, counterAccount*...},
signature}`; the signature is HMAC-SHA256 (hex) with the checksum key over `data` sorted by
key as `k=v&...` (None -> "", booleans lower-case, lists/objects as JSON).

payOS's own verifiers (the sample in its docs, its SDKs) also sign the strings "null" and
"undefined" (its Python SDK: "NULL") as empty, and sort the keys of each object inside a list
before writing it as JSON; an object member they write each differently (Node "[object Object]",
Java "{k=v}", Python its repr), so it is written as JSON with its keys sorted too, at every level
(the order of a JSON object's keys means nothing): `sign` does the same. Either form of a signature
is accepted, payOS's or over the values as sent: a payer whose name is literally "null" cannot be
told apart from one payOS left empty.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from config import Settings
from kernel.signing import same_secret
from payments.channels.common import (MAX_ID_LENGTH, BadSignature, CallbackRejected, Credit, Event, Ignored, amount,
                                      identifier, json_object, local_time, our_bank_account, text,
                                      without_nul)
from payments.credits import IncomingCredit

PROVIDER = "payos"
SIGNED_AS_EMPTY = frozenset({"null", "undefined", "NULL"})


def _value(value: Any, *, as_payos: bool) -> str:
    if value is None or as_payos and isinstance(value, str) and value in SIGNED_AS_EMPTY:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=as_payos)
    return str(value)


def canonical(data: Mapping[str, Any], *, as_payos: bool = True) -> str:
    """The signed text: payOS's form, or (`as_payos=False`) every value as it was sent."""
    return "&".join(f"{key}={_value(data[key], as_payos=as_payos)}" for key in sorted(data))


def _hmac(text: str, key: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def sign(data: Mapping[str, Any], key: str) -> str:
    return _hmac(canonical(data), key)


def signed_by(data: Mapping[str, Any], signature: str, keys: tuple[str, ...]) -> bool:
    """Whether `signature` is ours over `data`, in payOS's form or over the values as sent."""
    texts = {canonical(data), canonical(data, as_payos=False)}
    return any(same_secret(_hmac(text, key), signature.lower()) for key in keys for text in texts)


def _reference(data: dict[str, Any]) -> tuple[str, str | None]:
    """(our id of the transfer, the bank's reference). payOS normally gives the bank's reference;
    when it leaves it out or empty the order code stands in, in its own namespace (`order:…`): an
    order code equal to another transfer's bank reference must not make that transfer a duplicate."""
    if data.get("reference") not in (None, ""):
        reference = identifier(data, "reference")
        return reference, reference
    return f"order:{identifier(data, 'orderCode', max_len=MAX_ID_LENGTH - 6)}", None


def parse(headers: Mapping[str, str], body: bytes, settings: Settings, now: datetime) -> Event:
    payload = json_object(body, keep_nul=True)  # signed as payOS sent it: a NUL is part of what was signed
    data = payload.get("data")
    signature = payload.get("signature")
    if not isinstance(data, dict):
        raise CallbackRejected("data (an object) is required", code="missing_field", details={"field": "data"})
    if not isinstance(signature, str):
        # Unsigned is unauthenticated, as a bank push without its header: 401, not a shape error.
        raise BadSignature("the payOS signature is missing (signature must be a hex string)")
    keys = settings.secret_values("HCCPAY_PAYOS_CHECKSUM_KEY")
    if not signed_by(data, signature, keys):
        raise BadSignature("payOS signature does not match")
    data = without_nul(payload)["data"]
    reference, bank_reference = _reference(data)
    if payload.get("success") is False or str(data.get("code", "00")) != "00":
        return Ignored(reference, f"payOS reports a failed transaction ({data.get('code')})")
    if data.get("currency") not in (None, "VND"):  # payOS leaves it null (or out) on some webhooks: VND
        raise CallbackRejected("only VND is accepted", code="invalid_currency")
    value = amount(data.get("amount"), "amount")
    booked_at = local_time(data.get("transactionDateTime"), "transactionDateTime")
    clearing = our_bank_account(settings, data.get("accountNumber"), data.get("virtualAccountNumber"))
    if clearing is None:
        return Ignored(reference, "transfer to an account that is not one of our collection accounts")
    return Credit(IncomingCredit(
        provider=PROVIDER, provider_ref=reference, channel="vietqr_transfer", amount_vnd=value,
        booked_at=booked_at, clearing_account=clearing, memo=text(data.get("description")),
        bank_reference=bank_reference, payer_name=text(data.get("counterAccountName"), 200),
        payer_account=text(data.get("counterAccountNumber"), 40),
        details={"orderCode": data.get("orderCode"), "paymentLinkId": text(data.get("paymentLinkId"), 100)},
    ))
