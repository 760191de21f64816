"""HTTP routes for dossiers and payment requests (restx namespaces)."""
from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Response, request
from flask_restx import Namespace, Resource, fields

from kernel.auth import ROLES
from kernel.clock import now_utc
from kernel.errors import Conflict
from kernel.http import (OPTIONAL_REASON_IN, actor, content_disposition, int_arg, json_body, optional_json_body,
                         requires, settings, transaction)
from payments import service, vietqr
from payments.receipt_pdf import receipt_file
from payments.presenters import dossier_view, event_view, public_request_view
from payments.validation import clean_text, parse_dossier

dossiers_ns = Namespace("dossiers", description="Dossiers (hồ sơ) and their fee items", path="/dossiers")
requests_ns = Namespace("payment-requests", description="Payment requests, their codes and VietQR",
                        path="/payment-requests")

STAFF = ROLES  # every authenticated staff role may read a dossier

fee_model = dossiers_ns.model("FeeItemIn", {
    "name": fields.String(required=True, example="Lệ phí cấp giấy chứng nhận"),
    "kind": fields.String(required=True, enum=["fee", "charge", "postage"]),
    "amount_vnd": fields.Integer(required=True, min=1, max=500_000_000, example=100000),
})
applicant_model = dossiers_ns.model("ApplicantIn", {
    "name": fields.String(required=True, example="Nguyễn Văn An"),
    "phone": fields.String(required=True, example="0912345678"),
    "email": fields.String(example="an.nguyen@example.com"),
    "id_number": fields.String(description="CCCD (12 digits) or CMND (9 digits)", example="022090001234"),
})
dossier_in = dossiers_ns.model("DossierIn", {
    "code": fields.String(required=True, example="000.00.12.H40-251125-0001"),
    "procedure_code": fields.String(required=True, example="1.004227"),
    "procedure_name": fields.String(required=True, example="Cấp Giấy chứng nhận quyền sử dụng đất"),
    "agency_code": fields.String(required=True, example="H40.22"),
    "applicant": fields.Nested(applicant_model, required=True),
    "fees": fields.List(fields.Nested(fee_model), required=True),
})
error_model = dossiers_ns.model("Error", {
    "code": fields.String(required=True), "message": fields.String(required=True), "details": fields.Raw(),
})


@dossiers_ns.route("")
class Dossiers(Resource):
    @dossiers_ns.doc(security="bearer")
    @dossiers_ns.expect(dossier_in, validate=False)
    @dossiers_ns.response(201, "Created, with its payment request")
    @dossiers_ns.response(200, "The same dossier was posted before with the same body")
    @dossiers_ns.response(409, "The dossier code exists with another body", error_model)
    @requires("intake")
    def post(self):
        """Register a dossier with its fees; returns its payment request (idempotent on code)."""
        data = parse_dossier(json_body())
        with transaction() as session:
            dossier, payment_request, created = service.create_dossier(
                session, data=data, settings=settings(), actor=actor(), now=now_utc())
            body = dossier_view(dossier, [payment_request], settings())
            body["payment_request"] = body.pop("payment_requests")[0]
        return body, (201 if created else 200)


@dossiers_ns.route("/<string:code>")
class DossierItem(Resource):
    @dossiers_ns.doc(security="bearer")
    @requires(*STAFF)
    def get(self, code: str):
        """A dossier with its fee items and every payment request made for it."""
        with transaction() as session:
            dossier = service.get_dossier(session, code)
            service.expire_due_of(session, dossier, settings(), now_utc())
            return dossier_view(dossier, dossier.payment_requests, settings())


@dossiers_ns.route("/<string:code>/payment-requests")
class DossierRequests(Resource):
    @dossiers_ns.doc(security="bearer")
    @dossiers_ns.response(201, "a new payment request with a new payment code")
    @requires("intake")
    def post(self, code: str):
        """Ask again after expiry or cancellation: a new request with a new payment code."""
        with transaction() as session:
            payment_request = service.renew_payment_request(
                session, dossier_code=code, settings=settings(), actor=actor(), now=now_utc())
            return public_request_view(payment_request, settings()), 201


@requests_ns.route("/<string:code>")
class PaymentRequestItem(Resource):
    def get(self, code: str):
        """Public: what to pay, how much is paid, and the VietQR to pay with (no personal data)."""
        with transaction() as session:
            payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
            return public_request_view(payment_request, settings())


@requests_ns.route("/<string:code>/cancel")
class CancelRequest(Resource):
    @requests_ns.doc(security="bearer")
    @requests_ns.expect(OPTIONAL_REASON_IN, validate=False)
    @requires("intake")
    def post(self, code: str):
        """Cancel a request nobody has paid into yet; the body `{"reason"}` is optional (kept in its event)."""
        body = optional_json_body()
        reason = clean_text(body.get("reason"), "reason", max_len=1000, required=False)
        with transaction() as session:
            payment_request = service.cancel_payment_request(
                session, code=code, reason=reason, settings=settings(), actor=actor(), now=now_utc())
            return public_request_view(payment_request, settings())


@requests_ns.route("/<string:code>/events")
class RequestEvents(Resource):
    @requests_ns.doc(security="bearer")
    @requires(*STAFF)
    def get(self, code: str):
        """Every state transition of the request: who, what, when, why."""
        with transaction() as session:
            payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
            return {"payment_code": payment_request.payment_code,
                    "events": [event_view(e) for e in service.request_events(session, payment_request)]}


@lru_cache(maxsize=4096)
def _rendered(payload: str, kind: str, box_size: int) -> bytes:
    """A given payload always draws the same image, so each is rendered once per process (about 12 ms)
    and then served from memory (a few hundred KB per thousand requests)."""
    if kind == "png":
        return vietqr.render_png(payload, box_size=box_size)
    return vietqr.render_svg(payload, box_size=box_size).encode()


def _qr_response(code: str, kind: str, mimetype: str) -> Response:
    """The request's VietQR image, asking for what is still owed; a request that owes nothing (closed:
    expired, cancelled, refunded; or paid, overpaid) is a 409 `request_not_payable`: its QR would send
    money nobody asks for. While the postman collects it (COD), 409 `collected_on_delivery`."""
    box_size = int_arg("scale", 8, 2, 20)
    with transaction() as session:
        payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
        status, payload = payment_request.status, service.payable_vietqr(payment_request)
        on_delivery = service.collected_on_delivery(payment_request)
    if on_delivery:
        raise Conflict("the postman collects this fee on delivery: it has no QR meanwhile",
                       code="collected_on_delivery")
    if payload is None:
        raise Conflict(f"a {status} payment request asks for no more money: it has no QR to pay with",
                       code="request_not_payable", details={"status": status})
    etag = hashlib.sha256(f"{payload}|{kind}|{box_size}".encode()).hexdigest()[:32]
    # What the image asks for changes with every payment (a partly paid request's QR asks for the rest),
    # so caches must ask before showing it: a 304 while it is unchanged, the new image or a 409 otherwise.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache"}
    # If-None-Match compares weakly (RFC 9110 13.1.2): a proxy that compresses the image may pass W/"...".
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return Response(_rendered(payload, kind, box_size), mimetype=mimetype, headers=headers)


@requests_ns.route("/<string:code>/qr.png")
class QrPng(Resource):
    @requests_ns.response(200, "the VietQR image")
    @requests_ns.response(304, "If-None-Match names this image: the cached copy is still good")
    @requests_ns.response(409, "The request owes nothing (closed, paid, overpaid): request_not_payable; "
                               "the postman collects it: collected_on_delivery")
    @requests_ns.produces(["image/png", "application/json"])
    def get(self, code: str):
        """Public: the VietQR for what the request still owes, as a PNG image (409 `request_not_payable` once
        nothing is owed); `scale` 2-20 (default 8) sets the module size."""
        return _qr_response(code, "png", "image/png")


@requests_ns.route("/<string:code>/qr.svg")
class QrSvg(Resource):
    @requests_ns.response(200, "the VietQR image")
    @requests_ns.response(304, "If-None-Match names this image: the cached copy is still good")
    @requests_ns.response(409, "The request owes nothing (closed, paid, overpaid): request_not_payable; "
                               "the postman collects it: collected_on_delivery")
    @requests_ns.produces(["image/svg+xml", "application/json"])
    def get(self, code: str):
        """Public: the VietQR for what the request still owes, as an SVG image (409 `request_not_payable` once
        nothing is owed); `scale` 2-20 (default 8) sets the module size."""
        return _qr_response(code, "svg", "image/svg+xml")


@requests_ns.route("/<string:code>/receipt.pdf")
class ReceiptPdf(Resource):
    @requests_ns.produces(["application/pdf", "application/json"])
    def get(self, code: str):
        """Public: the e-receipt (biên lai) of a fully paid request, as a PDF; once cancelled (its money went
        back) and not replaced by a newer one, the cancelled receipt stamped ĐÃ HỦY."""
        with transaction() as session:
            payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
            filename, body = receipt_file(session, payment_request, settings())
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": content_disposition(filename, inline=True)})
