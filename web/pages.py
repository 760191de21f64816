"""Server-rendered pages for citizens and staff (Vietnamese first)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from kernel.http import settings
from payments.channels import vnpay

pages = Blueprint("pages", __name__, template_folder="templates")


@pages.get("/pay/vnpay-return")
def vnpay_return():
    """Where VNPay sends the citizen back: shows the outcome, never credits (only the IPN does)."""
    params = request.args.to_dict()
    valid = vnpay.verify(params, settings().secret_values("HCCPAY_VNPAY_HASH_SECRET"))
    result = vnpay.read_ipn(params) if valid else None
    code = (result.txn_ref[:13] if result else "")
    return render_template("vnpay_return.html", valid=valid, result=result, payment_code=code), (200 if valid else 400)
