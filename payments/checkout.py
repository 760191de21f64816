"""Internet banking through VNPay: start a checkout, confirm it from the IPN (once)."""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from kernel.books import hold_books
from kernel.errors import Conflict
from payments import states
from payments.channels import vnpay
from payments.channels.common import booked_by_arrival
from payments.credits import CONFLICT, IncomingCredit, find_payment, record_credit
from payments.ledger import Accounts
from payments.models import PaymentRequest, VnpayCheckout
from payments.service import collected_on_delivery, get_payment_request

PROVIDER = "vnpay"


def start_checkout(session: Session, *, code: str, settings: Settings, client_ip: str,
                   now: datetime) -> tuple[str, VnpayCheckout]:
    """A signed VNPay redirect URL for what is still owed on the request."""
    request = get_payment_request(session, code, settings=settings, now=now, for_update=True)
    if request.status not in states.OPEN or request.outstanding_vnd <= 0:
        raise Conflict(f"the payment request is {request.status}: it cannot be paid online",
                       code="request_not_payable", details={"status": request.status})
    if collected_on_delivery(request):
        raise Conflict("the postman collects this fee on delivery: it cannot be paid online meanwhile",
                       code="collected_on_delivery")
    # VNPay wants a reference unique per merchant and day; ours is unique forever.
    txn_ref = f"{request.payment_code}{secrets.token_hex(3).upper()}"
    checkout = VnpayCheckout(txn_ref=txn_ref, payment_request_id=request.id, amount_vnd=request.outstanding_vnd,
                             status="pending", created_at=now)
    session.add(checkout)
    session.flush()
    url = vnpay.checkout_url(
        gateway_url=settings.vnpay_gateway_url, tmn_code=settings.secret("HCCPAY_VNPAY_TMN_CODE"),
        secret=settings.secret("HCCPAY_VNPAY_HASH_SECRET"), txn_ref=txn_ref, amount_vnd=checkout.amount_vnd,
        order_info=f"Thanh toan phi ho so {request.payment_code}", return_url=f"{settings.public_url}/pay/vnpay-return",
        client_ip=client_ip, now=now)
    return url, checkout


def confirm_ipn(session: Session, params: Mapping[str, str], *, settings: Settings, now: datetime,
                inbox_id: int) -> tuple[tuple[str, str], str, str]:
    """Apply a verified IPN; returns the (RspCode, Message) reply, the inbox outcome and its reason."""
    hold_books(session)  # before the checkout's lock: the crediting path takes it too (kernel.books)
    result = vnpay.read_ipn(params)
    checkout = session.execute(select(VnpayCheckout).where(VnpayCheckout.txn_ref == result.txn_ref)
                               .with_for_update()).scalar_one_or_none()
    if checkout is None:
        return vnpay.ORDER_NOT_FOUND, "rejected", vnpay.ORDER_NOT_FOUND[1]
    if result.amount_vnd != checkout.amount_vnd:
        return vnpay.INVALID_AMOUNT, "rejected", vnpay.INVALID_AMOUNT[1]
    if checkout.status != "pending":
        # VNPay's contract answers 02 to any IPN after the first, but one that contradicts the first
        # (paid after failed: money may have been taken that nobody credited) goes to finance.
        contradiction = _contradiction(session, checkout, result, params)
        if contradiction is not None:
            return vnpay.ALREADY_CONFIRMED, "conflict", contradiction
        return vnpay.ALREADY_CONFIRMED, "duplicate", vnpay.ALREADY_CONFIRMED[1]
    checkout.confirmed_at, checkout.response_code = now, result.response_code
    if not result.paid:
        checkout.status = "failed"
        return vnpay.CONFIRMED, "ignored", vnpay.CONFIRMED[1]
    request = session.get(PaymentRequest, checkout.payment_request_id)
    credit = booked_by_arrival(IncomingCredit(
        provider=PROVIDER, provider_ref=checkout.txn_ref, channel="internet_banking", amount_vnd=checkout.amount_vnd,
        booked_at=result.paid_at or now, clearing_account=Accounts.gateway(PROVIDER),
        payment_code=request.payment_code, bank_reference=result.transaction_no[:100] or None,
        details={"bank_code": result.bank_code, "transaction_no": result.transaction_no}, inbox_id=inbox_id,
    ), now)
    outcome = record_credit(session, credit, settings=settings, actor="system:vnpay", now=now)
    checkout.status = "paid"
    if outcome.outcome == CONFLICT:
        return vnpay.CONFIRMED, "conflict", outcome.reason or vnpay.CONFIRMED[1]
    return vnpay.CONFIRMED, "applied", vnpay.CONFIRMED[1]


def _contradiction(session: Session, checkout: VnpayCheckout, result: vnpay.IpnResult,
                   params: Mapping[str, str]) -> str | None:
    """How a later IPN contradicts the first one for the same order, or None for a plain repeat."""
    said = (f"response code {result.response_code or '-'}, transaction status "
            f"{params.get('vnp_TransactionStatus') or '-'}, transaction {result.transaction_no or '-'}")
    if checkout.status == "failed":
        if not result.paid:
            return None
        return (f"VNPay first reported order {checkout.txn_ref} not paid (response code "
                f"{checkout.response_code}), now reports it paid ({said}): money may have been taken; "
                f"not credited, left to finance")
    payment = find_payment(session, PROVIDER, checkout.txn_ref)
    paid_by = (payment.details or {}).get("transaction_no") if payment is not None else None
    if result.paid and result.transaction_no == paid_by:
        return None
    return (f"VNPay reported order {checkout.txn_ref} paid by transaction {paid_by}, now reports {said}: "
            f"not applied, left to finance")
