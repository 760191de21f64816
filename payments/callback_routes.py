"""Inbound callbacks from banks, gateways and card terminals (DESIGN §6, a contract).

A payment callback is verified in memory, then stored raw with its verdict in one committed
insert, and only then answered: a 2xx means it is durably recorded (and verified). A verified
credit or reversal is stored `queued` with its event and applied by the workers
(`payments.inbox_apply`), in batches, within moments; a refused one keeps its reason and
writes nothing else. The VNPay IPN is the exception: its reply states the outcome (00/01/02/
04), so it is applied before answering.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial

from flask import jsonify, request
from flask_restx import Namespace, Resource
from sqlalchemy.orm import Session

from kernel import inbox
from kernel.clock import now_utc
from kernel.db import advisory_lock
from kernel.http import error_response, request_id, runtime, settings, to_error_response, transaction
from payments.channels import bankpush, payos, pos, sepay, vnpay
from payments.channels.common import CallbackRejected, Credit, Event, Ignored, booked_by_arrival, event_to_json
from payments.checkout import confirm_ipn

log = logging.getLogger("hccpay.callbacks")
callbacks_ns = Namespace("callbacks", description="Signed callbacks from banks, gateways and POS terminals",
                         path="/callbacks")

Parser = Callable[..., Event]
# The provider's own JSON, described loosely: each provider defines it, and it is verified over its raw bytes.
payload = callbacks_ns.model("CallbackPayload", {})
_SIGNED_HCC = "signed with X-HCC-Signature: t=<unix>,v1=<hex> (HMAC-SHA256 of \"{t}.{body}\", 300 s window)"


def signed_callback(signature: str, answer: str) -> Callable:
    """The OpenAPI description of a JSON payment callback: its body, how it is signed, its answers."""
    def decorate(view: Callable) -> Callable:
        for document in (callbacks_ns.expect((payload, f"the provider's JSON payload, {signature}"), validate=False),
                         callbacks_ns.response(200, f"durably recorded: {answer}"),
                         callbacks_ns.response(401, "invalid_signature (or invalid_api_key): refused, kept with "
                                                    "the reason")):
            view = document(view)
        return view
    return decorate


def handle(provider: str, parse: Parser, ok_body: dict, *, refusal_extra: dict | None = None,
           redact_body: Callable[[bytes], bytes] | None = None):
    """Verify, store, reply: the shared life of every JSON payment callback.

    `redact_body` masks what must never be stored (card numbers at the POS). `parse` has already
    verified the signature over the bytes as received; only the stored copy is redacted, so it no
    longer matches its stored signature header: the verdict recorded with it is the proof."""
    try:
        return _handle(provider, parse, ok_body, refusal_extra=refusal_extra, redact_body=redact_body)
    except Exception as exc:  # noqa: BLE001 - answered in the channel's shape, whatever failed
        # The database away while storing it (503), or a fault (500, its row kept `received`): the
        # service's error, with the channel's own refusal fields (SePay's and payOS's `success: false`).
        response = to_error_response(exc)  # logs it with the request id
        if refusal_extra and response.is_json:
            response.set_data(json.dumps({**response.get_json(), **refusal_extra}, ensure_ascii=False))
        return response


def _store(session: Session | None = None, **row) -> int:
    """The callback stored in its own committed insert, or in `session`'s transaction."""
    return inbox.store_raw(session if session is not None else runtime().sessions, **row)


def _handle(provider: str, parse: Parser, ok_body: dict, *, refusal_extra: dict | None,
            redact_body: Callable[[bytes], bytes] | None):
    now = now_utc()
    store = partial(_store, provider=provider, request=request, now=now, redact_body=redact_body)
    body = inbox.readable_body(request)
    if body is None:  # over the size limit: kept (headers, declared size) and refused in the channel's shape
        message = inbox.too_large(request)
        store(status=inbox.REJECTED, reason=f"payload_too_large: {message}")
        return error_response(413, "payload_too_large", message, extra=refusal_extra)
    try:
        event = parse(request.headers, body, settings(), now)
    except CallbackRejected as exc:
        store(status=inbox.REJECTED, reason=f"{exc.code}: {exc.message}")
        return error_response(exc.status, exc.code, exc.message, exc.details, extra=refusal_extra)
    except Exception as exc:
        store(reason=f"verification failed ({type(exc).__name__}); request {request_id()}")
        raise
    try:
        _store_verdict(store, provider, event, now)
    except Exception as exc:
        _keep_raw(store, f"storing its verdict failed ({type(exc).__name__}); request {request_id()}")
        raise
    return jsonify(ok_body)


def _store_verdict(store: Callable[..., int], provider: str, event: Event, now: datetime) -> None:
    """The verified callback stored with what it means (queued, ignored, a card sale checked)."""
    if isinstance(event, Credit):
        event = Credit(booked_by_arrival(event.credit, now))
    if isinstance(event, Ignored) and event.declined_sale or isinstance(event, Credit) and provider == pos.PROVIDER:
        _store_card_sale(store, provider, event, now)
    elif isinstance(event, Ignored):
        store(status=inbox.IGNORED, reason=event.reason, external_id=event.external_id)
    else:
        external_id = event.credit.provider_ref if isinstance(event, Credit) else event.provider_ref
        store(status=inbox.QUEUED, external_id=external_id, event=event_to_json(event))


def _keep_raw(store: Callable[..., int], reason: str) -> None:
    """A verified callback whose verdict could not be stored is still kept as received, without it (`received`,
    a failure listed for an admin; its sender, answered an error, sends it again): a callback our code failed on
    must not vanish from the inbox. With the database itself away this fails too, logged; the sender's retry
    then is the only copy, as the 503 says."""
    try:
        store(reason=reason)
    except Exception:  # noqa: BLE001 - the first failure is the one answered
        log.exception("the callback could not be kept either")


_LEFT_TO_FINANCE = ("the sale is not undone by itself, left to finance (check it with the acquirer, then void or "
                    "refund it)")


def _store_card_sale(store: Callable[..., int], provider: str, event: Credit | Ignored, now: datetime) -> None:
    """Store a card sale's approval or decline, checking it against the other: a sale reported both approved
    and declined is a contradiction for finance, whichever came first (the money credited may not exist),
    never a decline ignored while the sale stays credited. The decline is the row flagged `conflict`; the
    approval is credited as usual (the terminal reported the money taken; finance voids or refunds it).

    Check and store are one transaction, serialised per transaction id (PostgreSQL: an advisory lock;
    SQLite: BEGIN IMMEDIATE, its single writer): of a decline and its approval at the same instant, the
    second waits for the first to commit and sees it. Checked in a session of its own, a decline could
    miss an approval stored meanwhile: both stored, nothing flagged."""
    external_id = event.external_id if isinstance(event, Ignored) else event.credit.provider_ref
    with transaction() as session:
        advisory_lock(session, f"callbacks.card_sale:{provider}:{external_id}")
        if isinstance(event, Credit):
            inbox_id = store(session, status=inbox.QUEUED, external_id=external_id, event=event_to_json(event))
            inbox.flag_declined_sale(session, provider=provider, external_id=external_id, now=now,
                                     note=f"then callback #{inbox_id} reported transaction {external_id} approved: "
                                          f"the approval is credited, but the money may not exist; {_LEFT_TO_FINANCE}")
            return
        approved = inbox.stored_credit(session, provider=provider, external_id=external_id)
        if approved is None:
            store(session, status=inbox.IGNORED, reason=event.reason, external_id=external_id,
                  event={"type": inbox.DECLINED_SALE})
        else:
            store(session, status=inbox.CONFLICT, external_id=external_id, event={"type": inbox.DECLINED_SALE},
                  reason=f"{event.reason} after callback #{approved} reported transaction {external_id} approved: "
                         f"the money may not exist; {_LEFT_TO_FINANCE}")


@callbacks_ns.route("/sepay")
class SepayCallback(Resource):
    @signed_callback("authenticated by Authorization: Apikey <key>, or signed by X-SePay-Signature: sha256=<hex> "
                     "(HMAC-SHA256 of \"{t}.{body}\", t in X-SePay-Timestamp, 300 s window)", '{"success": true}')
    def post(self):
        """SePay bank-transfer webhook (Authorization: Apikey <key>, or SePay's HMAC-SHA256 signature)."""
        return handle(sepay.PROVIDER, sepay.parse, {"success": True}, refusal_extra={"success": False})


@callbacks_ns.route("/payos")
class PayosCallback(Resource):
    @signed_callback("signed by its `signature` field (HMAC-SHA256 over `data`, sorted k=v&...)",
                     '{"success": true}')
    def post(self):
        """payOS webhook (HMAC-SHA256 signature over data)."""
        return handle(payos.PROVIDER, payos.parse, {"success": True}, refusal_extra={"success": False})


@callbacks_ns.route("/bank")
class BankCallback(Resource):
    @signed_callback(_SIGNED_HCC, '{"received": true}')
    def post(self):
        """Generic bank push (X-HCC-Signature: t=,v1=)."""
        return handle(bankpush.PROVIDER, bankpush.parse, {"received": True})


@callbacks_ns.route("/pos")
class PosCallback(Resource):
    @signed_callback(_SIGNED_HCC + " with the POS secret", '{"received": true}')
    def post(self):
        """Card terminal sale, void or reversal (X-HCC-Signature: t=,v1=)."""
        return handle(pos.PROVIDER, pos.parse, {"received": True}, redact_body=pos.mask_card_numbers)


@callbacks_ns.route("/vnpay/ipn")
class VnpayIpn(Resource):
    @callbacks_ns.response(200, "always, with VNPay's RspCode: 00 confirmed, 01 order not found, 02 already "
                                "confirmed, 04 wrong amount, 97 invalid signature, 99 unknown error")
    def get(self):
        """VNPay IPN: replies {"RspCode", "Message"} with the VNPay codes, always HTTP 200."""
        return _vnpay_answer()

    @callbacks_ns.expect((payload, "VNPay's vnp_* parameters, form-encoded (or in the query), signed by "
                                   "vnp_SecureHash"), validate=False)
    @callbacks_ns.response(200, "as GET")
    def post(self):
        """The same IPN POSTed, its vnp_ parameters form-encoded in the body (or in the query)."""
        # VNPay documents its IPN as a GET; a gateway set up to POST it (or a proxy that turns it into one) was
        # answered 405 and nothing was kept. It is stored and read like the GET: the signature decides.
        return _vnpay_answer()


def _vnpay_answer():
    try:
        return _vnpay_reply(_vnpay_ipn())
    except Exception as exc:  # noqa: BLE001 - the IPN contract answers 99, never an HTTP error
        # The database away (or a fault) while storing the IPN or its verdict: nothing is recorded as
        # done, and 99 makes VNPay send it again, as a 503 would, but in the one shape it reads.
        to_error_response(exc)  # logs it with the request id
        return _vnpay_reply(vnpay.UNKNOWN_ERROR)


def _vnpay_ipn() -> tuple[str, str]:
    """Store the IPN, verify it, apply it: the (RspCode, Message) to answer."""
    now = now_utc()
    sessions = runtime().sessions
    inbox_id = inbox.store_raw(sessions, provider="vnpay", request=request, now=now)
    params = (request.form if request.method == "POST" and request.form else request.args).to_dict()
    if not vnpay.verify(params, settings().secret_values("HCCPAY_VNPAY_HASH_SECRET")):
        inbox.mark_alone(sessions, inbox_id, status=inbox.REJECTED, reason="invalid signature", now=now)
        return vnpay.INVALID_SIGNATURE
    if not vnpay.for_merchant(params, settings().secret_values("HCCPAY_VNPAY_TMN_CODE")):
        # VNPay's IPN codes have none for "another merchant": its order is not one of ours.
        inbox.mark_alone(sessions, inbox_id, status=inbox.REJECTED, now=now,
                         reason=f"vnp_TmnCode {params.get('vnp_TmnCode', '')[:20]!r} is not our terminal code")
        return vnpay.ORDER_NOT_FOUND
    try:
        with transaction() as session:
            reply, outcome, reason = confirm_ipn(session, params, settings=settings(), now=now, inbox_id=inbox_id)
            inbox.mark(session, inbox_id, status=outcome, reason=reason, now=now,
                       external_id=params.get("vnp_TxnRef", "")[:100] or None)
    except Exception as exc:  # noqa: BLE001 - the IPN contract answers 99, never an HTTP error
        to_error_response(exc)  # logs it with the request id
        inbox.mark_alone(sessions, inbox_id, status=inbox.RECEIVED,
                         reason=f"processing failed ({type(exc).__name__})", now=now)
        return vnpay.UNKNOWN_ERROR
    return reply


def _vnpay_reply(reply: tuple[str, str]):
    return jsonify({"RspCode": reply[0], "Message": reply[1]})
