"""The citizen's pages: the pay page (QR, bank details, live status, card checkout, receipt),
its kiosk print view, and the page VNPay sends people back to."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from kernel.clock import now_utc
from kernel.errors import NotFound, ValidationError
from kernel.http import settings, transaction
from payments import service, states
from payments.channels import vnpay
from payments.presenters import public_request_view
from web.i18n import translate

citizen = Blueprint("citizen", __name__, template_folder="templates", static_folder="static",
                    static_url_path="/static")

STATUS_TEXT = {
    states.PENDING: "Chờ thanh toán", states.PARTIALLY_PAID: "Đã nộp một phần", states.PAID: "Đã thanh toán",
    states.OVERPAID: "Nộp thừa", states.EXPIRED: "Đã hết hạn", states.CANCELLED: "Đã hủy",
    states.PARTIALLY_REFUNDED: "Đã hoàn một phần", states.REFUNDED: "Đã hoàn tiền",
}
KIND_TEXT = {"fee": "Phí", "charge": "Lệ phí", "postage": "Cước bưu chính"}


def _view(code: str):
    """The request's public view, or the page that explains why there is none."""
    try:
        with transaction() as session:
            payment_request = service.get_payment_request(session, code, settings=settings(), now=now_utc())
            return public_request_view(payment_request, settings()), payment_request.expires_at, None
    except ValidationError:
        return None, None, ("Mã thanh toán không hợp lệ", 400)
    except NotFound:
        return None, None, ("Không tìm thấy mã thanh toán", 404)


@citizen.get("/")
def landing():
    """Where a bare address lands: how to find one's pay page (the code is on the slip or SMS)."""
    return render_template("landing.html")


@citizen.get("/pay")
def find_pay_page():
    """The landing page's form: the typed payment code's page (which explains a wrong code)."""
    code = "".join(request.args.get("code", "").split()).upper()[:40]
    return redirect(url_for("citizen.pay", code=code) if code else url_for("citizen.landing"))


@citizen.get("/pay/<code>")
def pay(code: str):
    view, expires_at, problem = _view(code)
    if problem:
        return render_template("pay_missing.html", title=problem[0], code=code[:20]), problem[1]
    return render_template("pay.html", r=view, expires_at=expires_at, status_text=STATUS_TEXT, kind_text=KIND_TEXT,
                           status_names={k: translate(v) for k, v in STATUS_TEXT.items()},
                           payable=view["status"] in states.OPEN, settled=states.is_settled(view["status"]))


@citizen.get("/pay/<code>/print")
def pay_print(code: str):
    view, expires_at, problem = _view(code)
    if problem:
        return render_template("pay_missing.html", title=problem[0], code=code[:20]), problem[1]
    return render_template("pay_print.html", r=view, expires_at=expires_at, status_text=STATUS_TEXT,
                           payable=view["status"] in states.OPEN)


@citizen.get("/pay/vnpay-return")
def vnpay_return():
    """Where VNPay sends the citizen back: shows the outcome, never credits (only the IPN does)."""
    params = request.args.to_dict()
    valid = vnpay.verify(params, settings().secret_values("HCCPAY_VNPAY_HASH_SECRET"))
    result = vnpay.read_ipn(params) if valid else None
    code = result.txn_ref[:13] if result else ""
    return render_template("vnpay_return.html", valid=valid, result=result, payment_code=code), (200 if valid else 400)
