"""Inbound callbacks from banks, gateways and card terminals (DESIGN §6, a contract).

Each one is stored raw first (its own committed transaction), then verified, then applied in
one transaction; the 2xx goes out only after that commit. A refused callback keeps its inbox
row with the reason and writes nothing else.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import jsonify, request
from flask_restx import Namespace, Resource

from kernel import inbox
from kernel.clock import now_utc
from kernel.errors import DomainError
from kernel.http import error_response, request_id, runtime, settings, to_error_response, transaction
from payments.channels import bankpush, payos, pos, sepay, vnpay
from payments.channels.common import CallbackRejected, Credit, Event, Ignored, Reversal
from payments.checkout import confirm_ipn
from payments.credits import record_credit, record_reversal

log = logging.getLogger("hccpay.callbacks")
callbacks_ns = Namespace("callbacks", description="Signed callbacks from banks, gateways and POS terminals",
                         path="/callbacks")

Parser = Callable[..., Event]


def _apply(session, event: Event, inbox_id: int, now) -> tuple[str, str | None, str]:
    """Apply one verified event; returns (inbox status, reason, external id)."""
    if isinstance(event, Ignored):
        return inbox.IGNORED, event.reason, event.external_id
    if isinstance(event, Reversal):
        outcome = record_reversal(session, provider=event.provider, provider_ref=event.provider_ref,
                                  original_ref=event.original_ref, amount_vnd=event.amount_vnd,
                                  settings=settings(), actor=f"system:{event.provider}", now=now)
        if outcome == "duplicate":
            return inbox.DUPLICATE, None, event.provider_ref
        reason = "reversal waits for its original sale" if outcome == "pending" else None
        return inbox.APPLIED, reason, event.provider_ref
    credit = event.credit
    result = record_credit(session, credit, settings=settings(), actor=f"system:{credit.provider}", now=now,
                           inbox_id=inbox_id)
    status = {"duplicate": inbox.DUPLICATE, "conflict": inbox.CONFLICT}.get(result.outcome, inbox.APPLIED)
    return status, result.reason, credit.provider_ref


def handle(provider: str, parse: Parser, ok_body: dict, *, refusal_extra: dict | None = None):
    """Store, verify, apply, reply: the shared life of every JSON callback."""
    now = now_utc()
    sessions = runtime().sessions
    inbox_id = inbox.store_raw(sessions, provider=provider, request=request, now=now)
    try:
        event = parse(request.headers, request.get_data(cache=True), settings(), now)
    except CallbackRejected as exc:
        inbox.mark_alone(sessions, inbox_id, status=inbox.REJECTED, reason=f"{exc.code}: {exc.message}", now=now)
        return error_response(exc.status, exc.code, exc.message, exc.details, extra=refusal_extra)
    try:
        with transaction() as session:
            status, reason, external_id = _apply(session, event, inbox_id, now)
            inbox.mark(session, inbox_id, status=status, reason=reason, external_id=external_id, now=now)
    except DomainError as exc:
        # A verified callback we cannot apply (e.g. a void that contradicts its sale): kept for finance.
        inbox.mark_alone(sessions, inbox_id, status=inbox.CONFLICT, reason=f"{exc.code}: {exc.message}", now=now)
        return jsonify(ok_body)
    except Exception as exc:
        inbox.mark_alone(sessions, inbox_id, status=inbox.RECEIVED,
                         reason=f"processing failed ({type(exc).__name__}); request {request_id()}", now=now)
        raise
    return jsonify(ok_body)


@callbacks_ns.route("/sepay")
class SepayCallback(Resource):
    def post(self):
        """SePay bank-transfer webhook (Authorization: Apikey <key>)."""
        return handle(sepay.PROVIDER, sepay.parse, {"success": True}, refusal_extra={"success": False})


@callbacks_ns.route("/payos")
class PayosCallback(Resource):
    def post(self):
        """payOS webhook (HMAC-SHA256 signature over data)."""
        return handle(payos.PROVIDER, payos.parse, {"success": True}, refusal_extra={"success": False})


@callbacks_ns.route("/bank")
class BankCallback(Resource):
    def post(self):
        """Generic bank push (X-HCC-Signature: t=,v1=)."""
        return handle(bankpush.PROVIDER, bankpush.parse, {"received": True})


@callbacks_ns.route("/pos")
class PosCallback(Resource):
    def post(self):
        """Card terminal sale, void or reversal (X-HCC-Signature: t=,v1=)."""
        return handle(pos.PROVIDER, pos.parse, {"received": True})


@callbacks_ns.route("/vnpay/ipn")
class VnpayIpn(Resource):
    def get(self):
        """VNPay IPN: replies {"RspCode", "Message"} with the VNPay codes, always HTTP 200."""
        now = now_utc()
        sessions = runtime().sessions
        inbox_id = inbox.store_raw(sessions, provider="vnpay", request=request, now=now)
        params = request.args.to_dict()
        if not vnpay.verify(params, settings().secret_values("HCCPAY_VNPAY_HASH_SECRET")):
            inbox.mark_alone(sessions, inbox_id, status=inbox.REJECTED, reason="invalid signature", now=now)
            return _vnpay_reply(vnpay.INVALID_SIGNATURE)
        try:
            with transaction() as session:
                reply, outcome = confirm_ipn(session, params, settings=settings(), now=now, inbox_id=inbox_id)
                inbox.mark(session, inbox_id, status=outcome, reason=reply[1], now=now,
                           external_id=params.get("vnp_TxnRef", "")[:100] or None)
        except Exception as exc:  # noqa: BLE001 - the IPN contract answers 99, never an HTTP error
            to_error_response(exc)  # logs it with the request id
            inbox.mark_alone(sessions, inbox_id, status=inbox.RECEIVED,
                             reason=f"processing failed ({type(exc).__name__})", now=now)
            return _vnpay_reply(vnpay.UNKNOWN_ERROR)
        return _vnpay_reply(reply)


def _vnpay_reply(reply: tuple[str, str]):
    return jsonify({"RspCode": reply[0], "Message": reply[1]})
