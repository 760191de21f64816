"""The generic signed bank push: `transaction_id, account_number, amount_vnd, content,
booked_at (ISO 8601), direction (credit/debit), counterparty_name?, counterparty_account?`,
signed with `X-HCC-Signature` and the bank webhook secret(s)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from config import Settings
from kernel.signing import HEADER, SignatureError, verify
from payments.channels.common import (BadSignature, CallbackRejected, Credit, Event, Ignored, amount, field,
                                      identifier, json_object, local_time, our_bank_account, text)
from payments.credits import IncomingCredit

PROVIDER = "bank"


def verify_signature(headers: Mapping[str, str], body: bytes, secrets: tuple[str, ...], now: datetime) -> None:
    try:
        verify(headers.get(HEADER), body, secrets, now=now)
    except SignatureError as exc:
        raise BadSignature(str(exc)) from exc


def parse(headers: Mapping[str, str], body: bytes, settings: Settings, now: datetime) -> Event:
    verify_signature(headers, body, settings.secret_values("HCCPAY_BANK_WEBHOOK_SECRET"), now)
    data = json_object(body)
    external_id = identifier(data, "transaction_id")
    direction = field(data, "direction")
    if direction not in ("credit", "debit"):
        raise CallbackRejected("direction must be credit or debit", code="invalid_field",
                               details={"field": "direction"})
    if direction == "debit":  # whatever its size: not ours to judge, and the bank must not retry it
        return Ignored(external_id, "debit: money leaving the account is not a payment")
    value = amount(data.get("amount_vnd"), "amount_vnd")
    booked_at = local_time(data.get("booked_at"), "booked_at")
    account_number = field(data, "account_number")
    clearing = our_bank_account(settings, account_number)
    if clearing is None:
        return Ignored(external_id, "transfer to an account that is not one of our collection accounts")
    return Credit(IncomingCredit(
        provider=PROVIDER, provider_ref=external_id, channel="vietqr_transfer", amount_vnd=value,
        booked_at=booked_at, clearing_account=clearing, memo=text(data.get("content")),
        bank_reference=external_id, payer_name=text(data.get("counterparty_name"), 200),
        payer_account=text(data.get("counterparty_account"), 40),
    ))
