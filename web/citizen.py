"""The citizen's pages: the pay page (QR, bank details, live status, card checkout, receipt),
its kiosk print view, and the page VNPay sends people back to."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from kernel.clock import now_utc
from kernel.errors import NotFound, ValidationError
from kernel.http import content_disposition, settings, transaction
from payments import codes, receipts, service, states
from payments.channels import vnpay
from payments.presenters import public_request_view
from payments.receipt_pdf import receipt_file
from web.finance_text import GENERIC_ERROR, error_sentence
from web.i18n import translate

citizen = Blueprint("citizen", __name__, template_folder="templates", static_folder="static",
                    static_url_path="/static")

STATUS_TEXT = {
    states.PENDING: "Chờ thanh toán", states.PARTIALLY_PAID: "Đã nộp một phần", states.PAID: "Đã thanh toán",
    states.OVERPAID: "Nộp thừa", states.EXPIRED: "Đã hết hạn", states.CANCELLED: "Đã hủy",
    states.PARTIALLY_REFUNDED: "Đã hoàn một phần", states.REFUNDED: "Đã hoàn tiền",
    # A refund approved (the request counts it) whose money has not yet left the bank or the drawer.
    "partially_refunding": "Đang hoàn một phần", "refunding": "Đang hoàn tiền",
}
_UNDER_WAY = {states.PARTIALLY_REFUNDED: "partially_refunding", states.REFUNDED: "refunding"}


def shown_status(view: dict) -> str:
    """The status the citizen reads: a refund not yet paid out is under way, never said done (pay.js
    `shownStatus` says the same)."""
    if view.get("refund_paying_out_vnd"):
        return _UNDER_WAY.get(view["status"], view["status"])
    return view["status"]
KIND_TEXT = {"fee": "Phí", "charge": "Lệ phí", "postage": "Cước bưu chính"}
# What the card button may hear back from the checkout API; anything else gets the generic sentence.
CHECKOUT_ERRORS = ("request_not_payable", "collected_on_delivery", "rate_limited", "payment_request_not_found",
                   "invalid_payment_code", "service_unavailable")


def checkout_errors() -> dict[str, str]:
    """The checkout's refusals as sentences in the visitor's language, for pay.js (never the API's English)."""
    sentences = {code: error_sentence(code, None, translate) for code in CHECKOUT_ERRORS}
    return {**sentences, "": translate(GENERIC_ERROR[0]) + "; " + translate("vui lòng thử lại sau.")}


def _view(code: str):
    """The request's public view (with whether it has a receipt to show), or the page that explains why there
    is none. A request waiting for money again (its payment was voided) shows no receipt: its cancelled one
    would read as proof of payment; a refunded one shows its receipt, stamped cancelled."""
    try:
        with transaction() as session:
            payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
            view = public_request_view(payment_request, settings())
            try:
                receipt = receipts.receipt_for_request(session, payment_request)
                view["has_receipt"] = receipt.valid or payment_request.status in states.CLOSED
            except NotFound:
                view["has_receipt"] = False
            return view, payment_request.expires_at, None
    except ValidationError:
        return None, None, ("Mã thanh toán không hợp lệ", 400)
    except NotFound:
        return None, None, ("Không tìm thấy mã thanh toán", 404)


def asked_vnd(view: dict) -> int:
    """What the request asks for, as its page says it: its items less those withdrawn (a cancelled shipment's
    postage, shown struck at 0 ₫). That is its `amount_vnd` once it got money (the withdrawal lowered it); a
    request cancelled or expired before keeps the amount it closed with, which no longer asks for them either."""
    return sum(item["amount_vnd"] for item in view["fee_items"] if not item["withdrawn"])


def _payable(view: dict) -> bool:
    """Whether the page offers ways to pay (QR, bank details, card): exactly when the request offers a QR,
    which asks for what is still owed; nothing is offered once nothing is owed."""
    return view["vietqr"] is not None


def _grouped(code: str):
    """The code's own address when it was typed grouped, as bank memos and people write it (`hs-231-010732-19`,
    `HS 231 010732 19`): the landing page's form reads it so, and so does the address. None otherwise (a
    code in any case is read as it is; one that is no code even without its separators is explained)."""
    written = codes.compact_code(code)
    if written == code.upper() or not service.CODE_SHAPE_RE.fullmatch(written):
        return None
    query = request.query_string.decode("latin-1")
    path = url_for(request.endpoint, code=written)
    return redirect(f"{path}?{query}" if query else path, 301)


def _missing(code: str, problem: tuple[str, int]):
    return render_template("pay_missing.html", title=problem[0], code=code[:20]), problem[1]


@citizen.get("/")
def landing():
    """Where a bare address lands: how to find one's pay page (the code is on the slip or SMS)."""
    return render_template("landing.html")


def typed_code(typed: str) -> str:
    """The payment code in what a person typed or pasted into the form, read as a transfer memo is read:
    grouped by spaces, dots or dashes, labelled (`HS: 2249…`, `HS/2249…`) or with the slip's words around it
    (`Mã thanh toán: HS…`). Anything else comes back compacted, so the pay page says what is wrong with it."""
    compact = codes.compact_code(typed)[:40]
    prefix = settings().payment_code_prefix
    if codes.is_valid_code(compact, prefix):
        return compact
    found = codes.scan_memo(typed[:200], prefix)
    if len(found) == 1 and found[0].code:  # two codes (one mistyped, say): which is meant is the person's to say
        return found[0].code
    # No code has a "/": left in, it would make another address (/pay/HS/…), a "page not found".
    return compact.replace("/", "")


@citizen.get("/pay")
def find_pay_page():
    """The landing page's form: the typed payment code's page (which explains a wrong code)."""
    code = typed_code(request.args.get("code", ""))
    return redirect(url_for("citizen.pay", code=code) if code else url_for("citizen.landing"))


@citizen.get("/pay/<code>")
def pay(code: str):
    if (written := _grouped(code)) is not None:
        return written
    view, expires_at, problem = _view(code)
    if problem:
        return _missing(code, problem)
    overpaid_vnd = max(view["paid_vnd"] - view["refunded_vnd"] - view["amount_vnd"], 0)
    return render_template("pay.html", r=view, shown=shown_status(view), expires_at=expires_at,
                           status_text=STATUS_TEXT, kind_text=KIND_TEXT,
                           status_names={k: translate(v) for k, v in STATUS_TEXT.items()},
                           checkout_errors=checkout_errors(), overpaid_vnd=overpaid_vnd, asked_vnd=asked_vnd(view),
                           payable=_payable(view), settled=states.is_settled(view["status"]))


@citizen.get("/pay/<code>/receipt.pdf")
def receipt(code: str):
    """The receipt link of the pay page: the PDF itself (as the API's) once issued, else a page that says why
    not; the PDF at this address, not a redirect, so that saving the address saves the receipt."""
    view, _, problem = _view(code)
    if problem:
        return _missing(code, problem)
    if not view["has_receipt"]:
        return render_template("pay_no_receipt.html", r=view, shown=shown_status(view), status_text=STATUS_TEXT), 404
    with transaction() as session:
        payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
        filename, body = receipt_file(session, payment_request, settings())
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": content_disposition(filename, inline=True)})


@citizen.get("/pay/<code>/print")
def pay_print(code: str):
    if (written := _grouped(code)) is not None:
        return written
    view, expires_at, problem = _view(code)
    if problem:
        return _missing(code, problem)
    return render_template("pay_print.html", r=view, shown=shown_status(view), expires_at=expires_at,
                           status_text=STATUS_TEXT,
                           payable=_payable(view))


@citizen.get("/pay/vnpay-return")
def vnpay_return():
    """Where VNPay sends the citizen back: shows the outcome, never credits (only the IPN does)."""
    params = request.args.to_dict()
    valid = vnpay.verify(params, settings().secret_values("HCCPAY_VNPAY_HASH_SECRET"))
    result = vnpay.return_outcome(params) if valid else None
    code = vnpay.read_ipn(params).txn_ref[:13] if valid else ""
    return render_template("vnpay_return.html", valid=valid, result=result, payment_code=code,
                           paid=vnpay.RETURN_PAID, not_debited=vnpay.RETURN_NOT_DEBITED), (200 if valid else 400)
