"""JSON views of payments objects. Public views carry no personal data beyond a masked name."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from config import Settings
from kernel.pii import mask_name
from payments import refunds, states
from payments.banks import bank_by_bin
from kernel.inbox import InboundCallback
from payments.models import Dossier, Payment, PaymentRequest, PaymentRequestEvent
from payments.service import collected_on_delivery, payable_vietqr


def _iso(at) -> str | None:
    return at.isoformat() if at is not None else None


def request_urls(payment_request: PaymentRequest, settings: Settings) -> dict[str, str | None]:
    """The pay page, and the QR images while the request still owes money (a closed, paid or overpaid
    one has none: its QR would invite a payment nobody asks for)."""
    base = settings.public_url
    code = payment_request.payment_code
    payable = payable_vietqr(payment_request) is not None
    return {
        "qr_png_url": f"{base}/api/v1/payment-requests/{code}/qr.png" if payable else None,
        "qr_svg_url": f"{base}/api/v1/payment-requests/{code}/qr.svg" if payable else None,
        "pay_url": f"{base}/pay/{code}",
    }


def bank_view(payment_request: PaymentRequest) -> dict[str, Any]:
    bank = bank_by_bin(payment_request.bank_bin)
    return {
        "bin": payment_request.bank_bin,
        "name": bank.short_name if bank else None,
        "full_name": bank.name if bank else None,
        "account_number": payment_request.account_number,
        "account_name": payment_request.account_name,
    }


def request_view(payment_request: PaymentRequest, settings: Settings) -> dict[str, Any]:
    """The request as its dossier's owner (the one-stop system) sees it. `vietqr` asks for what is still
    owed (the rest, once part is paid); a request that owes nothing (closed, paid, overpaid) offers none,
    nor does one the postman collects (`collected_on_delivery`)."""
    return {
        "payment_code": payment_request.payment_code,
        "status": payment_request.status,
        "amount_vnd": payment_request.amount_vnd,
        "paid_vnd": payment_request.paid_vnd,
        "refunded_vnd": payment_request.refunded_vnd,
        "refund_paying_out_vnd": refunds.paying_out_vnd(object_session(payment_request), payment_request.id)
        if payment_request.refunded_vnd else 0,
        "outstanding_vnd": states.owed_vnd(payment_request.status, payment_request.amount_vnd,
                                           payment_request.paid_vnd, payment_request.refunded_vnd),
        "expires_at": _iso(payment_request.expires_at),
        "created_at": _iso(payment_request.created_at),
        "vietqr": payable_vietqr(payment_request),
        "collected_on_delivery": collected_on_delivery(payment_request),
        "memo": payment_request.payment_code,
        "bank": bank_view(payment_request),
        **request_urls(payment_request, settings),
    }


def public_request_view(payment_request: PaymentRequest, settings: Settings) -> dict[str, Any]:
    """What anyone holding the payment code may see."""
    dossier = payment_request.dossier
    view = request_view(payment_request, settings)
    view["dossier"] = {
        "code": dossier.code,
        "procedure_name": dossier.procedure_name,
        "agency_code": dossier.agency_code,
        "applicant_name": mask_name(dossier.applicant_name),
    }
    view["fee_items"] = [  # withdrawn: asked for no more (a cancelled shipment's postage), its money to give back
        {"name": item.fee_item.name, "kind": item.fee_item.kind, "amount_vnd": item.amount_vnd,
         "withdrawn": item.fee_item.withdrawn_at is not None}
        for item in payment_request.items
    ]
    return view


def dossier_view(dossier: Dossier, requests: list[PaymentRequest], settings: Settings) -> dict[str, Any]:
    """The full dossier for staff."""
    return {
        "code": dossier.code,
        "procedure_code": dossier.procedure_code,
        "procedure_name": dossier.procedure_name,
        "agency_code": dossier.agency_code,
        "applicant": {
            "name": dossier.applicant_name,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "id_number": dossier.applicant_id_number,
        },
        # a fee withdrawn (a cancelled shipment's postage) is listed as such and owed no more
        "fees": [{"name": f.name, "kind": f.kind, "amount_vnd": f.amount_vnd, "withdrawn_at": _iso(f.withdrawn_at)}
                 for f in dossier.fee_items],
        "total_vnd": sum(f.amount_vnd for f in dossier.fee_items if f.withdrawn_at is None),
        "created_at": _iso(dossier.created_at),
        "payment_requests": [request_view(r, settings) for r in requests],
    }


def event_view(event: PaymentRequestEvent) -> dict[str, Any]:
    return {
        "at": _iso(event.at), "event": event.event, "from_status": event.from_status,
        "to_status": event.to_status, "actor": event.actor, "reason": event.reason, "data": event.data,
    }


def payment_view(payment: Payment, *, for_request: int | None = None) -> dict[str, Any]:
    """A payment as staff see it. `amount_vnd` is what the payment moved; `for_request` adds `allocated_vnd`,
    what of it that request holds (a transfer naming two codes is listed under both, whole)."""
    allocations = [
        {"id": a.id, "payment_code": a.payment_request.payment_code, "amount_vnd": a.amount_vnd, "how": a.how,
         "created_at": _iso(a.created_at), "released_at": _iso(a.released_at)}
        for a in payment.allocations
    ]
    view = {
        "id": payment.id, "channel": payment.channel, "provider": payment.provider,
        "provider_ref": payment.provider_ref, "amount_vnd": payment.amount_vnd, "status": payment.status,
        "received_at": _iso(payment.booked_at), "recorded_at": _iso(payment.recorded_at),
        "unallocated_vnd": payment.unallocated_vnd, "suspense_reason": payment.suspense_reason,
        "memo": payment.memo, "bank_reference": payment.bank_reference, "allocations": allocations,
        "reversed_at": _iso(payment.reversed_at),
    }
    if for_request is not None:
        view["allocated_vnd"] = sum(a.amount_vnd for a in payment.allocations
                                    if a.payment_request_id == for_request and a.released_at is None)
    return view


def callback_view(callback: InboundCallback) -> dict[str, Any]:
    return {"id": callback.id, "provider": callback.provider, "received_at": _iso(callback.received_at),
            "status": callback.status, "reason": callback.reason, "external_id": callback.external_id,
            "source_ip": callback.source_ip, "query": callback.query[:4000],  # a VNPay IPN is all query
            "body": callback.body.decode("utf-8", "replace")[:4000],
            # what people decided: a failure set aside, a conflict handled (who, when, why), else null
            "set_aside": _decided(callback.set_aside_at, callback.set_aside_by, callback.set_aside_reason),
            "handled": _decided(callback.handled_at, callback.handled_by, callback.handled_reason)}


def _decided(at, by: str | None, reason: str | None) -> dict[str, Any] | None:
    return None if at is None else {"at": _iso(at), "by": by, "reason": reason}
