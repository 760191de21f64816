"""A cash refund switched to a bank transfer to the citizen's account.

Cash taken on an earlier day sits in that day's drawer, counted and closed; every drawer starts the day
empty in the books. A cash refund (`cash_due`) is paid from a drawer of today that holds enough (the
counter); when none does, or the payer cannot come back, finance switches it to a transfer order to the
account the citizen gives, audited with the reason. The money already left the request at approval
(`refunds_payable`); it now leaves the collection account when finance marks the transfer executed, or
goes back to the request if the bank returns it, like any transfer refund.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kernel import audit
from kernel.books import hold_books
from kernel.errors import Conflict, ValidationError
from kernel.text import clean_text
from payments.banks import bank_by_bin
from payments.refunds import CASH_DUE, TRANSFER_ORDERED, Refund, get_refund

ACTION = "refund.to_transfer"
# A Vietnamese account number: letters or digits (a few banks issue alphanumeric virtual accounts), as
# NAPAS carries it (at most 19: VietQR's field 38/01/01) and never shorter than a real one (6).
_ACCOUNT = re.compile(r"[0-9A-Za-z]{6,19}")


@dataclass(frozen=True)
class Payee:
    bank_bin: str
    account_number: str
    account_name: str


def parse_payee(bank_bin: object, account_number: object, account_name: object) -> Payee:
    """The citizen's account as typed (API body or page form), or a 400 naming the field at fault."""
    bin_text = clean_text(bank_bin, "bank_bin", max_len=6, code=None)
    if bank_by_bin(bin_text) is None:
        raise ValidationError(f"no known bank has BIN {bin_text}", code="unknown_bank", details={"field": "bank_bin"})
    if not isinstance(account_number, str) or not _ACCOUNT.fullmatch(account_number.strip()):
        raise ValidationError("account_number must be 6 to 19 letters or digits", code="invalid_account_number",
                              details={"field": "account_number"})
    name = clean_text(account_name, "account_name", max_len=100)
    return Payee(bin_text, account_number.strip(), name)


def switch_to_transfer(session: Session, *, refund_id: int, payee: Payee, reason: str, actor: str,
                       now: datetime) -> Refund:
    """Turn a cash refund still due into a transfer order to `payee` (finance), audited with `reason`. Sent
    again with the same account it is answered as the first time and writes nothing; any other change of a
    refund no longer due in cash is refused (`refund_not_cash_due`)."""
    hold_books(session)  # the order of every writer of a refund (a cashier handing it over meanwhile)
    refund = get_refund(session, refund_id, for_update=True)
    if refund.status == TRANSFER_ORDERED and refund.payee_account is not None and _payee(refund) == payee:
        return refund
    if refund.method != "cash" or refund.status != CASH_DUE:
        raise Conflict(f"only a cash refund waiting to be handed over can become a transfer; this one is a "
                       f"{refund.method} refund, {refund.status}", code="refund_not_cash_due",
                       details={"method": refund.method, "status": refund.status})
    refund.method, refund.status = "transfer", TRANSFER_ORDERED
    refund.payee_bank_bin, refund.payee_account, refund.payee_name = \
        payee.bank_bin, payee.account_number, payee.account_name
    audit.record(session, actor=actor, action=ACTION, subject_type="refund", subject_id=refund.id, at=now,
                 reason=reason, data={"payment_id": refund.payment_id, "amount_vnd": refund.amount_vnd,
                                      "bank_bin": payee.bank_bin, "account_number": payee.account_number,
                                      "account_name": payee.account_name})
    session.flush()
    return refund


def _payee(refund: Refund) -> Payee:
    return Payee(refund.payee_bank_bin, refund.payee_account, refund.payee_name)


def payee_view(refund: Refund) -> dict | None:
    """The account a switched refund is paid to, with the bank's name (None: paid as it was asked)."""
    if refund.payee_account is None:
        return None
    bank = bank_by_bin(refund.payee_bank_bin)
    return {"bank_bin": refund.payee_bank_bin, "bank_name": bank.short_name if bank else None,
            "account_number": refund.payee_account, "account_name": refund.payee_name}
