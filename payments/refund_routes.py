"""Routes for refunds and receipt verification."""
from __future__ import annotations

from flask import Response, render_template, request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.errors import NotFound, ValidationError
from kernel.http import (REASON_IN, actor, choice_arg, current_principal, json_body, optional_json_body, requires,
                         settings, transaction)
from kernel.money import MAX_MONEY_VND, parse_amount_vnd
from kernel.pii import mask_name
from payments import refund_payees, refunds, receipts
from payments.models import Payment
from payments.validation import clean_text

refunds_ns = Namespace("refunds", description="Refunds: request, approve, execute", path="/")
receipts_ns = Namespace("receipts", description="Public verification of e-receipts (biên lai)", path="/receipts")

refund_in = refunds_ns.model("RefundIn", {
    "amount_vnd": fields.Integer(required=True, min=1), "reason": fields.String(required=True),
    "expected_refundable_vnd": fields.Integer(required=True, description="what you saw as refundable (412 if changed)"),
})
approval_in = refunds_ns.model("ApprovalIn", {"reason": fields.String(description="optional when approving")})
executed_in = refunds_ns.model("RefundExecutedIn", {
    "bank_reference": fields.String(description="the transfer's bank reference: required for a transfer, "
                                                "none for cash handed over"),
})
to_transfer_in = refunds_ns.model("RefundToTransferIn", {
    "bank_bin": fields.String(required=True, description="the citizen's bank (6-digit BIN)"),
    "account_number": fields.String(required=True, description="6 to 19 letters or digits"),
    "account_name": fields.String(required=True, description="the account holder"),
    "reason": fields.String(required=True),
})
READERS = ("finance", "approver", "auditor", "cashier")


def refund_view(refund: refunds.Refund) -> dict:
    iso = lambda at: at.isoformat() if at else None  # noqa: E731
    return {"id": refund.id, "payment_id": refund.payment_id, "amount_vnd": refund.amount_vnd, "reason": refund.reason,
            "method": refund.method, "status": refund.status, "requested_by": refund.requested_by,
            "requested_at": iso(refund.requested_at), "decided_by": refund.decided_by,
            "decided_at": iso(refund.decided_at), "executed_at": iso(refund.executed_at), "reference": refund.reference,
            "failure": refund.failure, "payee": refund_payees.payee_view(refund),
            "parts": [{"payment_request_id": p.payment_request_id, "amount_vnd": p.amount_vnd} for p in refund.parts]}


def _audit(session, action: str, refund: refunds.Refund, now, reason: str | None = None) -> None:
    refunds.audit_refund(session, action, refund, actor=actor(), now=now, reason=reason)


@refunds_ns.route("/payments/<int:payment_id>/refunds")
class PaymentRefunds(Resource):
    @refunds_ns.doc(security="bearer")
    @requires(*READERS)
    def get(self, payment_id: int):
        """Refunds of a payment and what is still refundable."""
        with transaction() as session:
            payment = session.get(Payment, payment_id)
            if payment is None:
                raise ValidationError(f"no payment {payment_id}", code="payment_not_found", status=404)
            rows = session.execute(select(refunds.Refund).where(refunds.Refund.payment_id == payment_id)
                                   .order_by(refunds.Refund.id)).scalars()
            return {"payment_id": payment_id, "refundable_vnd": refunds.refundable_vnd(session, payment),
                    "refunds": [refund_view(r) for r in rows]}

    @refunds_ns.doc(security="bearer")
    @refunds_ns.expect(refund_in, validate=False)
    @refunds_ns.response(201, "asked: transfer_ordered, cash_due or sending, or awaiting_approval above the threshold")
    @refunds_ns.response(412, "refundable_changed: expected_refundable_vnd no longer matches")
    @requires("finance")
    def post(self, payment_id: int):
        """Ask for a refund; above the threshold an approver (someone else) must approve it."""
        body = json_body()
        # Bounded by what is refundable (request_refund says so), so here only by the largest sum of
        # money: a payment may exceed what a request asks (a transfer of 600,000,000 into suspense).
        amount = parse_amount_vnd(body.get("amount_vnd"), maximum=MAX_MONEY_VND)
        expected = parse_amount_vnd(body.get("expected_refundable_vnd"), field="expected_refundable_vnd",
                                    minimum=0, maximum=MAX_MONEY_VND)
        reason = clean_text(body.get("reason"), "reason", max_len=1000)
        now = now_utc()
        with transaction() as session:
            refund = refunds.request_refund(session, payment_id=payment_id, amount_vnd=amount, reason=reason,
                                            expected_refundable_vnd=expected, settings=settings(), actor=actor(),
                                            now=now)
            _audit(session, "refund.request", refund, now, reason)
            return refund_view(refund), 201


@refunds_ns.route("/refunds")
class Refunds(Resource):
    @refunds_ns.doc(security="bearer", params={"status": "e.g. awaiting_approval, transfer_ordered"})
    @requires(*READERS)
    def get(self):
        """Refunds, newest first, optionally by status (the approver's and finance's work lists)."""
        query = select(refunds.Refund).order_by(refunds.Refund.id.desc()).limit(500)
        status = choice_arg("status", refunds.STATUSES)
        if status is not None:
            query = query.where(refunds.Refund.status == status)
        with transaction() as session:
            return {"refunds": [refund_view(r) for r in session.execute(query).scalars()]}


@refunds_ns.route("/refunds/<int:refund_id>")
class RefundItem(Resource):
    @refunds_ns.doc(security="bearer")
    @requires(*READERS)
    def get(self, refund_id: int):
        with transaction() as session:
            return refund_view(refunds.get_refund(session, refund_id))


def _decide(refund_id: int, approve: bool):
    body = optional_json_body()
    reason = clean_text(body.get("reason"), "reason", max_len=1000, required=not approve)
    now = now_utc()
    with transaction() as session:
        refund = refunds.decide(session, refund_id=refund_id, approve=approve, reason=reason, settings=settings(),
                                actor=actor(), now=now)
        _audit(session, "refund.approve" if approve else "refund.reject", refund, now, reason)
        return refund_view(refund)


@refunds_ns.route("/refunds/<int:refund_id>/approve")
class ApproveRefund(Resource):
    @refunds_ns.doc(security="bearer")
    @refunds_ns.expect(approval_in, validate=False)
    @requires("approver")
    def post(self, refund_id: int):
        """Approve a refund someone else asked for (the same person is refused)."""
        return _decide(refund_id, True)


@refunds_ns.route("/refunds/<int:refund_id>/reject")
class RejectRefund(Resource):
    @refunds_ns.doc(security="bearer")
    @refunds_ns.expect(REASON_IN, validate=False)
    @requires("approver")
    def post(self, refund_id: int):
        """Reject a refund `{"reason"}`."""
        return _decide(refund_id, False)


@refunds_ns.route("/refunds/<int:refund_id>/executed")
class ExecutedRefund(Resource):
    @refunds_ns.doc(security="bearer")
    @refunds_ns.expect(executed_in, validate=False)
    @requires("finance", "cashier")
    def post(self, refund_id: int):
        """Mark a transfer order executed `{"bank_reference"}` (finance) or cash handed over (cashier)."""
        body = optional_json_body()
        reference = clean_text(body.get("bank_reference"), "bank_reference", max_len=100, required=False)
        now = now_utc()
        with transaction() as session:
            checked = refunds.get_refund(session, refund_id)
            refunds.check_executor(checked, current_principal().roles, reference)
            refund = refunds.mark_executed(session, refund_id=refund_id, reference=reference, settings=settings(),
                                           actor=actor(), now=now, method=checked.method)
            return refund_view(refund)


@refunds_ns.route("/refunds/<int:refund_id>/to-transfer")
class RefundToTransfer(Resource):
    @refunds_ns.doc(security="bearer")
    @refunds_ns.expect(to_transfer_in, validate=False)
    @requires("finance")
    def post(self, refund_id: int):
        """A cash refund still due becomes a transfer order to the citizen's account (no drawer of today holds
        the cash, or the payer cannot come back), audited with `reason`; 409 `refund_not_cash_due` otherwise."""
        body = json_body()
        payee = refund_payees.parse_payee(body.get("bank_bin"), body.get("account_number"), body.get("account_name"))
        reason = clean_text(body.get("reason"), "reason", max_len=1000)
        with transaction() as session:
            refund = refund_payees.switch_to_transfer(session, refund_id=refund_id, payee=payee, reason=reason,
                                                      actor=actor(), now=now_utc())
            return refund_view(refund)


@refunds_ns.route("/refunds/<int:refund_id>/failed")
class FailedRefund(Resource):
    @refunds_ns.doc(security="bearer")
    @refunds_ns.expect(REASON_IN, validate=False)
    @requires("finance", "cashier")
    def post(self, refund_id: int):
        """A transfer that bounced (finance), or cash never collected (cashier) `{"reason"}`: the money goes back
        where it came from. Another role for the method, or any card refund, is 403 `wrong_role_for_method`: only
        the acquirer's answer decides a card refund."""
        reason = clean_text(json_body().get("reason"), "reason", max_len=1000)
        now = now_utc()
        with transaction() as session:
            checked = refunds.get_refund(session, refund_id)
            refunds.check_payer(checked, current_principal().roles, "failed")
            refund = refunds.mark_failed(session, refund_id=refund_id, reason=reason, settings=settings(),
                                         actor=actor(), now=now, method=checked.method)
            return refund_view(refund)


@receipts_ns.route("/<string:series>/<string:number>")
class VerifyReceipt(Resource):
    @receipts_ns.doc(params={"code": "the verification code printed on the receipt (in its QR link)"})
    @receipts_ns.produces(["application/json", "text/html"])
    def get(self, series: str, number: str):
        """Public: is this receipt genuine and still valid? (The QR on every receipt links here.) A cancelled one
        answers `valid: false` with when and why (`payment_reversed`, `refunded`); `replaced_by` / `replaces` name the
        request's receipt issued after / before it (paid again after its money went back). JSON for machines; a browser
        (Accept: text/html first) gets the answer as a page in Vietnamese, since people scan the QR with a phone."""
        page = request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
        # The page is rendered after the transaction: its header looks up a staff member's login with
        # a connection of its own, which a transaction still open here (SQLite's write lock) would block.
        with transaction() as session:
            try:
                receipt, payment_request, dossier = receipts.find_receipt(
                    session, series=series, number=number, code=request.args.get("code", ""), settings=settings())
            except NotFound:
                if not page:
                    raise
                receipt = None
            else:
                paying_out_vnd = refunds.paying_out_vnd(session, payment_request.id)
                replaces, replaced_by = receipts.neighbours(session, receipt)
        if page:
            return _receipt_page(receipt, payment_request, dossier, paying_out_vnd, replaces, replaced_by) \
                if receipt else _receipt_page(None, None, None, 0, status=404)
        return {"valid": receipt.valid, "form_symbol": receipt.form_symbol, "series": receipt.series,
                "number": receipt.number_text, "amount_vnd": receipt.amount_vnd,
                "issued_at": receipt.issued_at.isoformat(), "payment_code": payment_request.payment_code,
                "dossier_code": dossier.code, "payer": mask_name(dossier.applicant_name),
                "cancelled_at": receipt.cancelled_at.isoformat() if receipt.cancelled_at else None,
                "cancel_reason": receipt.cancel_reason, "cancel_reason_text": receipt.cancel_reason_text,
                "replaces": _neighbour_view(replaces), "replaced_by": _neighbour_view(replaced_by)}


def _neighbour_view(receipt: receipts.Receipt | None) -> dict | None:
    """Another receipt of the same request (the one this replaces, or replaced it), as the verify answer
    names it: its number, not its verification code (the citizen's payment code already gets its PDF)."""
    if receipt is None:
        return None
    return {"series": receipt.series, "number": receipt.number_text, "valid": receipt.valid,
            "issued_at": receipt.issued_at.isoformat()}


def _refund_sentences(payment_request, paying_out_vnd: int) -> list[tuple[str, int]]:
    """What the check page says of the receipt's refunds: what was paid back and what is still on its
    way, each with its amount (a refund approved is not money returned until it has left)."""
    if payment_request is None or payment_request.status not in ("refunded", "partially_refunded"):
        return []
    amount, paid, refunded = payment_request.amount_vnd, payment_request.paid_vnd, payment_request.refunded_vnd
    # Of the fees, only what the money kept no longer covers was refunded: money paid beyond them (an
    # overpayment) and given back is not the receipt's. The newest refunds are the ones that reached into the
    # fees (the excess goes back first), so what is still on its way counts first.
    fees_back = amount - min(amount, max(paid - refunded, 0))
    on_its_way = min(paying_out_vnd, fees_back)
    done = min(refunded - paying_out_vnd, fees_back - on_its_way)
    whole = fees_back == amount and not (done and on_its_way)
    subject = "Khoản phí" if whole else "Một phần khoản phí"
    return [(f"{subject} của biên lai này {verb} được hoàn trả cho người nộp", part)
            for verb, part in (("đã", done), ("đang", on_its_way)) if part]


def _receipt_page(receipt, payment_request, dossier, paying_out_vnd: int, replaces=None, replaced_by=None,
                  status: int = 200) -> Response:
    # A Response (not a tuple) so restx passes it through instead of serialising it as JSON.
    html = render_template("receipt_check.html", receipt=receipt, r=payment_request, dossier=dossier,
                           payer=mask_name(dossier.applicant_name) if dossier else None,
                           refunds=_refund_sentences(payment_request, paying_out_vnd),
                           replaces=replaces, replaced_by=replaced_by)
    return Response(html, status=status, mimetype="text/html")
