"""Routes for money already received: payments, cash, suspense, conflicts, online checkout."""
from __future__ import annotations


from flask import Response, request
from flask_restx import Namespace, Resource, fields
from sqlalchemy import select

from kernel.clock import business_date, now_utc
from kernel.errors import NotFound, ValidationError
from kernel.http import (REASON_IN, actor, choice_arg, current_principal, day_arg, flag, int_arg, json_body, requires,
                         runtime, settings, transaction)
from kernel import inbox
from kernel.inbox import CONFLICT, RECEIVED, REJECTED
from kernel.money import MAX_MONEY_VND, parse_amount_vnd
from payments import cash, cash_voids, credits, service, suspense
from payments.checkout import start_checkout
from payments.inbox_apply import apply_waiting_for
from payments.ledger import Accounts, balance
from payments.models import CashDrawer, Payment, PaymentAllocation
from payments.presenters import callback_view, payment_view
from payments.validation import clean_text

payments_ns = Namespace("payments", description="Payments received and cash at the counter", path="/payments")
finance_ns = Namespace("finance", description="Suspense, conflicts and refused callbacks", path="/finance")
cash_ns = Namespace("cash", description="Cashiers' drawers", path="/cash")
checkout_ns = Namespace("checkout", description="Internet banking checkout (VNPay)", path="/payment-requests")

STAFF_READERS = ("cashier", "finance", "approver", "auditor", "admin", "intake")
FINANCE_READERS = ("finance", "approver", "auditor")

cash_in = payments_ns.model("CashIn", {
    "payment_code": fields.String(required=True), "amount_vnd": fields.Integer(required=True, min=1),
})
assign_in = finance_ns.model("AssignIn", {
    "payment_code": fields.String(required=True), "amount_vnd": fields.Integer(description="default: all of it"),
    "reason": fields.String(required=True),
    "expected_unallocated_vnd": fields.Integer(description="what you saw in suspense: if it changed since (the "
                                                           "same call sent twice), 412 suspense_changed"),
    "confirm_overpayment": fields.Boolean(description="put money on a request already paid, or beyond "
                                                      "what it owes, with confirmed_outstanding_vnd (without "
                                                      "them: 409 confirmation_required with the request's status, "
                                                      "outstanding_vnd, overpayment_vnd, outstanding_by_code and "
                                                      "overpayment_by_code; default false; not a boolean: 400 "
                                                      "invalid_parameter)"),
    "confirmed_outstanding_vnd": fields.Raw(description="with confirm_overpayment: what each request owed "
                                                        "when you were asked, {payment_code: VND} (the 409's "
                                                        "outstanding_by_code); owing something else now: 409 "
                                                        "confirmation_stale with the fresh amounts"),
})
close_drawer_in = cash_ns.model("CloseDrawerIn", {
    "counted_vnd": fields.Integer(required=True, min=0, max=10_000_000_000,
                                  description="the cash counted in the drawer (beyond 10,000,000,000: 400 "
                                              "amount_out_of_range)"),
    "confirm_difference": fields.Boolean(description="book a count further than HCCPAY_CASH_COUNT_CONFIRM_VND from "
                                                     "what the drawer should hold, with confirmed_difference_vnd "
                                                     "(without them: 409 confirmation_required with expected_vnd, "
                                                     "counted_vnd, difference_vnd, threshold_vnd; one without the "
                                                     "other: 400 missing_field; default false; not a boolean: "
                                                     "400 invalid_parameter)"),
    "confirmed_difference_vnd": fields.Integer(description="with confirm_difference: the difference you were shown "
                                                           "(the 409's difference_vnd, counted minus expected, "
                                                           "signed); the drawer's difference being another now: "
                                                           "409 confirmation_stale with the new figures"),
})


def _reason(body: dict) -> str:
    return clean_text(body.get("reason"), "reason", max_len=1000)


@checkout_ns.route("/<string:code>/checkout")
class Checkout(Resource):
    @checkout_ns.response(201, "a signed VNPay redirect URL")
    def post(self, code: str):
        """Public: a signed VNPay redirect URL to pay what is still owed by card or internet banking."""
        with transaction() as session:
            url, checkout = start_checkout(session, code=code, settings=settings(),
                                           client_ip=request.remote_addr or "", now=now_utc())
            return {"redirect_url": url, "txn_ref": checkout.txn_ref, "amount_vnd": checkout.amount_vnd}, 201


@checkout_ns.route("/<string:code>/payments")
class RequestPayments(Resource):
    @checkout_ns.doc(security="bearer")
    @requires(*STAFF_READERS)
    def get(self, code: str):
        """Every payment credited to the request (allocations included)."""
        with transaction() as session:
            payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
            rows = session.execute(
                select(Payment).where(Payment.id.in_(
                    select(PaymentAllocation.payment_id)
                    .where(PaymentAllocation.payment_request_id == payment_request.id)))
                .order_by(Payment.id)).scalars().all()
            return {"payment_code": payment_request.payment_code,
                    "payments": [payment_view(p, for_request=payment_request.id) for p in rows]}


@payments_ns.route("/cash")
class CashPayment(Resource):
    @payments_ns.doc(security="bearer", params={"Idempotency-Key": {"in": "header", "type": "string"}})
    @payments_ns.expect(cash_in, validate=False)
    @payments_ns.response(201, "taken into the drawer")
    @payments_ns.response(200, "the same Idempotency-Key and body again: the first payment, nothing taken twice")
    @payments_ns.response(422, "idempotency_key_reused: the key was used with another payment_code or amount")
    @requires("cashier")
    def post(self):
        """Take cash at the counter (at most what is owed); send Idempotency-Key to make retries safe."""
        body = json_body()
        amount = parse_amount_vnd(body.get("amount_vnd"))
        # Read as every typed code is (groups, full width): the waiting transfers below are looked up by it.
        code = service.payment_code_field(body.get("payment_code"), settings())
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            # Spaces around a header value are not part of it (HTTP), and a proxy may trim them: the key
            # is read without them, so a key of spaces only is blank (it names no retry) and refused.
            key = key.strip(" \t")
            if not (0 < len(key) <= 64 and key.isprintable()):
                raise ValidationError("Idempotency-Key must be 1-64 printable characters, not blank",
                                      code="invalid_idempotency_key")
        now = now_utc()
        apply_waiting_for(runtime().sessions, settings(), code, now=now)
        with transaction() as session:
            result = cash.take_cash(session, code=code, amount_vnd=amount, cashier=actor(), idempotency_key=key,
                                    settings=settings(), now=now)
            view = payment_view(session.get(Payment, result.payment_id))
            view["outcome"] = result.outcome
            view["receipt_url"] = f"{settings().public_url}/api/v1/payments/{result.payment_id}/receipt.txt"
            return view, (200 if result.outcome == credits.DUPLICATE else 201)


@payments_ns.route("/cash/<int:payment_id>/void")
class VoidCashPayment(Resource):
    @payments_ns.doc(security="bearer")
    @payments_ns.expect(REASON_IN, validate=False)
    @payments_ns.response(200, "voided (or voided before: the same answer, nothing moved twice)")
    @payments_ns.response(403, "not_your_payment: a cashier voids only cash they took")
    @payments_ns.response(409, "drawer_closed, drawer_of_another_day, payment_not_cash, payment_reversed, "
                               "payment_refunded, payment_moved")
    @requires("cashier", "finance")
    def post(self, payment_id: int):
        """Void cash taken by mistake `{"reason"}`, while its drawer is open (the same business day): the
        money leaves its request as a card void's does, the drawer expects that much less, the request's
        receipt is cancelled. The cashier who took it, or finance. Again: the same answer."""
        reason = _reason(json_body())
        any_cashier = "finance" in current_principal().roles
        with transaction() as session:
            payment, drawer, _ = cash_voids.void_cash(session, payment_id=payment_id, reason=reason, actor=actor(),
                                                      any_cashier=any_cashier, settings=settings(), now=now_utc())
            return {**payment_view(payment), "drawer_id": drawer.id,
                    "void": cash_voids.void_record(session, payment_id)}


@payments_ns.route("/<int:payment_id>")
class PaymentItem(Resource):
    @payments_ns.doc(security="bearer")
    @requires(*STAFF_READERS)
    def get(self, payment_id: int):
        """One payment with its allocations and suspense remainder."""
        with transaction() as session:
            payment = session.get(Payment, payment_id)
            if payment is None:
                raise NotFound(f"no payment {payment_id}", code="payment_not_found")
            return payment_view(payment)


@payments_ns.route("/<int:payment_id>/receipt.txt")
class CashReceipt(Resource):
    @payments_ns.doc(security="bearer")
    @payments_ns.produces(["text/plain", "application/json"])
    @requires("cashier", "finance", "auditor")
    def get(self, payment_id: int):
        """A printable counter receipt (phiếu thu) for a cash payment, for receipt printers."""
        with transaction() as session:
            payment = session.get(Payment, payment_id)
            if payment is None or payment.channel != "cash":
                raise NotFound(f"no cash payment {payment_id}", code="payment_not_found")
            return Response(cash.receipt_text(payment), mimetype="text/plain")  # Flask adds charset=utf-8


@finance_ns.route("/suspense")
class Suspense(Resource):
    @finance_ns.doc(security="bearer", params={"limit": "the oldest this many (1-1000, default 200)"})
    @requires(*FINANCE_READERS)
    def get(self):
        """Money waiting for a decision (unknown or closed codes, no code, leftovers): `total_vnd` and
        `count` of all of it, the oldest payments first, each with `suggestions` (open requests a bank
        callback linked to it after the statement named, then those owing exactly its amount, ranked by
        payer name and date) when none of it is on a request."""
        limit = int_arg("limit", 200, 1, 1000)
        with transaction() as session:
            return suspense.waiting(session, limit=limit, prefix=settings().payment_code_prefix)


@finance_ns.route("/suspense/<int:payment_id>/assign")
class AssignSuspense(Resource):
    @finance_ns.doc(security="bearer")
    @finance_ns.expect(assign_in, validate=False)
    @requires("finance")
    def post(self, payment_id: int):
        """Credit money in suspense to a request (audited, with a reason); onto a request already paid, or
        beyond what it owes, only with `confirm_overpayment: true` and `confirmed_outstanding_vnd` (else 409
        confirmation_required; owing something else by then, 409 confirmation_stale)."""
        body = json_body()
        reason = _reason(body)
        amount = None if body.get("amount_vnd") is None else parse_amount_vnd(body["amount_vnd"])
        expected = None if body.get("expected_unallocated_vnd") is None else \
            parse_amount_vnd(body["expected_unallocated_vnd"], field="expected_unallocated_vnd", minimum=0,
                             maximum=MAX_MONEY_VND)
        confirmed = service.parse_confirmation(flag(body, "confirm_overpayment"),
                                               body.get("confirmed_outstanding_vnd"), settings())
        now = now_utc()
        code = service.payment_code_field(body.get("payment_code"), settings())
        with transaction() as session:
            suspense.assign(session, payment_id=payment_id, payment_code=code, amount_vnd=amount, reason=reason,
                            settings=settings(), actor=actor(), now=now, expected_unallocated_vnd=expected,
                            confirmed_outstanding_vnd=confirmed)
            return payment_view(session.get(Payment, payment_id))


@finance_ns.route("/allocations/<int:allocation_id>/release")
class ReleaseAllocation(Resource):
    @finance_ns.doc(security="bearer")
    @finance_ns.expect(REASON_IN, validate=False)
    @requires("finance")
    def post(self, allocation_id: int):
        """Take a wrong allocation back into suspense (audited, with a reason)."""
        reason = _reason(json_body())
        now = now_utc()
        with transaction() as session:
            payment_id = suspense.release(session, allocation_id=allocation_id, reason=reason, settings=settings(),
                                          actor=actor(), now=now)
            return payment_view(session.get(Payment, payment_id))


_PAGE = {"limit": "1-500 (default 100)", "offset": "default 0"}


def _callbacks(status: str, handled: bool = False):
    """Newest first, a page at a time (`limit` 1–500, `offset`)."""
    limit, offset = int_arg("limit", 100, 1, 500), int_arg("offset", 0, 0, 2**62)
    with transaction() as session:
        rows = inbox.needing_people(session, status, limit=limit + 1, offset=offset, handled=handled)
        more = len(rows) > limit
        return {"callbacks": [callback_view(c) for c in rows[:limit]], "limit": limit, "offset": offset,
                "next_offset": offset + limit if more else None}


@finance_ns.route("/conflicts")
class Conflicts(Resource):
    @finance_ns.doc(security="bearer", params={**_PAGE, "handled": "true: those marked handled (default false: "
                                                                  "the open ones)"})
    @requires(*FINANCE_READERS)
    def get(self):
        """Verified callbacks that contradict what we recorded (e.g. same id, other amount): not applied. The open
        ones, or (`handled=true`) those finance marked handled, with who, when and why."""
        return _callbacks(CONFLICT, handled=choice_arg("handled", ("true", "false"), default="false") == "true")


@finance_ns.route("/conflicts/<int:inbox_id>/handle")
class HandleConflict(Resource):
    @finance_ns.doc(security="bearer")
    @finance_ns.expect(REASON_IN, validate=False)
    @finance_ns.response(200, "marked handled: listed with `handled=true`, no longer among the open conflicts")
    @requires(*inbox.HANDLERS)
    def post(self, inbox_id: int):
        """Mark a conflict handled once it is dealt with (the sale voided or refunded, the bank asked), with a
        reason (audited). Once only: again is 409 `callback_already_handled`; a callback that is no conflict is
        409 `callback_not_conflict`."""
        reason = _reason(json_body())
        now = now_utc()
        with transaction() as session:
            return callback_view(inbox.handle_audited(session, inbox_id, actor=actor(), now=now, reason=reason))


@finance_ns.route("/rejected-callbacks")
class RejectedCallbacks(Resource):
    @finance_ns.doc(security="bearer", params=_PAGE)
    @requires(*FINANCE_READERS)
    def get(self):
        """Callbacks refused (bad signature, malformed, out of range), with the reason."""
        return _callbacks(REJECTED)


@finance_ns.route("/failed-callbacks")
class FailedCallbacks(Resource):
    @finance_ns.doc(security="bearer", params=_PAGE)
    @requires(*FINANCE_READERS, "admin")
    def get(self):
        """Verified callbacks whose processing failed (a fault, logged with the request id): not applied yet."""
        return _callbacks(RECEIVED)


@finance_ns.route("/failed-callbacks/<int:inbox_id>/retry")
class RetryCallback(Resource):
    @finance_ns.doc(security="bearer")
    @requires(*inbox.MENDERS)
    def post(self, inbox_id: int):
        """Queue a failed callback again once its fault is mended; the workers apply it (idempotently). One that
        failed before it could be queued (a VNPay IPN, a courier event, one whose reading crashed) is 409
        `callback_not_requeueable`: its sender sends it again; set it aside once it has."""
        now = now_utc()
        with transaction() as session:
            return callback_view(inbox.requeue_audited(session, inbox_id, actor=actor(), now=now))


@finance_ns.route("/failed-callbacks/<int:inbox_id>/set-aside")
class SetCallbackAside(Resource):
    @finance_ns.doc(security="bearer")
    @finance_ns.expect(REASON_IN, validate=False)
    @finance_ns.response(200, "set aside: now a conflict for finance, applied by no worker")
    @requires(*inbox.MENDERS)
    def post(self, inbox_id: int):
        """Set aside a failed callback that cannot be mended (it fails every time), or one its sender has sent
        again since, with a reason: it leaves the failures for finance's conflicts and no longer holds a day's
        close; the transfer it announced is counted from the bank statement."""
        reason = _reason(json_body())
        now = now_utc()
        with transaction() as session:
            return callback_view(inbox.set_aside_audited(session, inbox_id, actor=actor(), now=now, reason=reason))


@cash_ns.route("/drawers")
class Drawers(Resource):
    @cash_ns.doc(security="bearer", params={"date": "business date, YYYY-MM-DD (default today)"})
    @requires("cashier", "finance", "auditor")
    def get(self):
        """Drawers of a business day with their ledger balance."""
        day = day_arg("date") or business_date(now_utc())
        with transaction() as session:
            drawers = session.execute(select(CashDrawer).where(CashDrawer.business_date == day)
                                      .order_by(CashDrawer.id)).scalars().all()
            return {"date": day.isoformat(), "drawers": [
                {"id": d.id, "cashier": d.cashier, "cashier_key": d.cashier_key, "opened_at": d.opened_at.isoformat(),
                 "closed_at": d.closed_at.isoformat() if d.closed_at else None,
                 "balance_vnd": balance(session, Accounts.cash(d.id)), "counted_vnd": d.counted_vnd,
                 **cash.count_of(session, d)}
                for d in drawers]}


@cash_ns.route("/drawers/<int:drawer_id>/close")
class CloseDrawer(Resource):
    @cash_ns.doc(security="bearer")
    @cash_ns.expect(close_drawer_in, validate=False)
    @cash_ns.response(200, "closed: what the ledger expected, what was counted and the difference")
    @cash_ns.response(403, "A cashier may close only their own drawer: not_your_drawer")
    @cash_ns.response(409, "A count far from what the drawer should hold, unconfirmed: confirmation_required; "
                           "confirmed with another difference than it has now: confirmation_stale")
    @requires("cashier", "finance")
    def post(self, drawer_id: int):
        """Close a drawer with the counted cash `{"counted_vnd"}`; reports the difference. A cashier closes
        their own drawer only (403 `not_your_drawer`); finance may close any. A count far from what the
        drawer should hold is booked only with `confirm_difference: true` and `confirmed_difference_vnd`, the
        difference confirmed (409 `confirmation_required`; another difference by then: 409 `confirmation_stale`)."""
        body = json_body()
        counted = parse_amount_vnd(body.get("counted_vnd"), field="counted_vnd", minimum=0,
                                   maximum=cash.MAX_COUNT_VND)
        confirmed = cash.parse_difference_confirmation(flag(body, "confirm_difference"),
                                                       body.get("confirmed_difference_vnd"))
        any_drawer = "finance" in current_principal().roles
        with transaction() as session:
            return cash.close_drawer(session, drawer_id=drawer_id, counted_vnd=counted, actor=actor(),
                                     any_drawer=any_drawer, confirmed_difference_vnd=confirmed, settings=settings(),
                                     now=now_utc())

