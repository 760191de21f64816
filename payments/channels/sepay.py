"""SePay webhook (bank transfer notifications). Auth, as chosen when the webhook was created at SePay:
`Authorization: Apikey <key>`, or HMAC-SHA256: `X-SePay-Signature: sha256=<hex>` over `"{t}.{raw body}"`
with `X-SePay-Timestamp: t` (unix seconds, 5 minutes either way), keyed by HCCPAY_SEPAY_WEBHOOK_SECRET.

Body: `id, gateway, transactionDate ("YYYY-MM-DD HH:mm:ss", GMT+7), accountNumber, code,
content, transferType ("in"/"out"), transferAmount, accumulated, subAccount, referenceCode,
description`. SePay wants `{"success": true}` with a 2xx, and retries otherwise.

`code` is the payment code SePay read from the content with the pattern configured at SePay (null
when none matched). It pays the request it names when it verifies (`_payment_code`); the content
(with `description`) stays the memo crediting reads otherwise.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from config import Settings
from payments.channels.common import (BadSignature, CallbackRejected, Credit, Event, Ignored, amount, field,
                                      identifier, json_object, local_time, our_bank_account, text)
from kernel.signing import SignatureError, same_secret, verify_timed
from payments import codes
from payments.credits import IncomingCredit

PROVIDER = "sepay"


SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-SePay-Signature", "X-SePay-Timestamp"
HMAC_SECRET = "HCCPAY_SEPAY_WEBHOOK_SECRET"


def verify(headers: Mapping[str, str], body: bytes, settings: Settings, now: datetime) -> None:
    """A request that carries SePay's signature is judged by it alone (over the bytes received, within the
    window: a replay of an old one is refused), whatever else it carries; any other by its API key."""
    if headers.get(SIGNATURE_HEADER) is not None:
        _verify_hmac(headers, body, settings.secret_values(HMAC_SECRET), now)
        return
    scheme, _, key = headers.get("Authorization", "").partition(" ")
    keys = settings.secret_values("HCCPAY_SEPAY_API_KEY")
    if scheme.lower() != "apikey" or not any(same_secret(k, key.strip()) for k in keys):
        raise BadSignature("missing or wrong SePay API key", code="invalid_api_key")


def _verify_hmac(headers: Mapping[str, str], body: bytes, secrets: tuple[str, ...], now: datetime) -> None:
    if not secrets:
        raise BadSignature(f"SePay HMAC signatures are not accepted here: {HMAC_SECRET} is not set",
                           code="invalid_signature")
    given = headers.get(SIGNATURE_HEADER, "").strip()
    digest = given[7:] if given[:7].lower() == "sha256=" else given  # the prefix names the algorithm
    timestamp = headers.get(TIMESTAMP_HEADER)
    if timestamp is None:
        raise BadSignature(f"{TIMESTAMP_HEADER} is missing", code="invalid_signature")
    try:
        verify_timed(timestamp.strip(), [digest], body, secrets, now=now)
    except SignatureError as exc:
        raise BadSignature(f"SePay signature refused: {exc}", code="invalid_signature") from exc


def parse(headers: Mapping[str, str], body: bytes, settings: Settings, now: datetime) -> Event:
    verify(headers, body, settings, now)
    data = json_object(body)
    external_id = identifier(data, "id")
    direction = field(data, "transferType")
    if direction not in ("in", "out"):
        raise CallbackRejected("transferType must be in or out", code="invalid_field",
                               details={"field": "transferType"})
    if direction == "out":  # whatever its size: not ours to judge, and SePay must not retry it
        return Ignored(external_id, "debit: money leaving the account is not a payment")
    value = amount(data.get("transferAmount"), "transferAmount")
    booked_at = local_time(data.get("transactionDate"), "transactionDate")
    account_number = field(data, "accountNumber")
    clearing = our_bank_account(settings, account_number, data.get("subAccount"))
    if clearing is None:
        return Ignored(external_id, "transfer to an account that is not one of our collection accounts")
    memo = " ".join(filter(None, [text(data.get("content")), text(data.get("description"))]))
    return Credit(IncomingCredit(
        provider=PROVIDER, provider_ref=external_id, channel="vietqr_transfer", amount_vnd=value,
        booked_at=booked_at, clearing_account=clearing, memo=memo or None,
        payment_code=_payment_code(data.get("code"), memo, settings.payment_code_prefix),
        bank_reference=text(data.get("referenceCode"), 100),
        details={"gateway": text(data.get("gateway"), 50), "code": text(data.get("code"), 50)},
    ))


def _payment_code(value: Any, memo: str, prefix: str) -> str | None:
    """SePay's `code` when it is one of our codes (check digits verified) and the memo names no other.

    A bank may cut or rewrite the content it passes on, so SePay's reading can name a request the
    memo we get does not. It never overrules the memo: SePay gives one code, so a memo naming
    several requests (or another one) is read in full by crediting, typo correction included."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()  # SePay matches its prefix whatever the case the payer typed
    if not codes.is_valid_code(code, prefix):
        return None
    if any(found.code != code for found in codes.scan_memo(memo, prefix)):
        return None
    return code
