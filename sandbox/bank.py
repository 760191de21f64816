"""A simulated bank and gateways: correctly signed SePay, payOS, bank-push, POS and VNPay
callbacks sent to a running HCC Pay over real HTTP, and VNPay's checkout page.

`hccpay sandbox pay <code>` uses `pay()` directly; `make run` also serves `create_bank_app`
on port 8001 (the VNPay checkout page and `POST /pay`).
"""
from __future__ import annotations

import json
import secrets
import threading
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from flask import Flask, jsonify, redirect, render_template_string, request

from config import Settings
from kernel.clock import VN_TZ, now_utc
from kernel.signing import HEADER, SignatureError, sign, verify
from payments.channels import payos, vnpay

VIAS = ("sepay", "payos", "bank", "pos", "vnpay")
TIMEOUT = (3.05, 15)


class SandboxError(Exception):
    pass


def _local(at: datetime) -> str:
    return at.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _signed_json(secret: str, data: dict[str, Any], at: datetime) -> tuple[dict[str, str], bytes]:
    body = json.dumps(data, ensure_ascii=False).encode()
    return {"Content-Type": "application/json", HEADER: sign([secret], body, int(at.timestamp()))}, body


def callback_request(via: str, *, settings: Settings, payment_code: str, amount_vnd: int, txn_id: str,
                     at: datetime, memo: str | None = None,
                     signed_at: datetime | None = None) -> tuple[str, dict[str, str], bytes]:
    """(path, headers, body) of one correctly signed JSON callback crediting `payment_code`, booked
    `at` and signed then (or `signed_at`: a bank that tells of a transfer later, or wrongly)."""
    signed_at = signed_at or at
    account = settings.collection_account("*")
    memo = memo or f"{payment_code} nop le phi ho so"
    if via == "sepay":
        data = {"id": int(txn_id) if txn_id.isdigit() else txn_id, "gateway": "Vietcombank",
                "transactionDate": _local(at), "accountNumber": account.account_number, "code": None,
                "content": memo, "transferType": "in", "transferAmount": amount_vnd, "accumulated": 0,
                "subAccount": None, "referenceCode": f"FT{txn_id}", "description": ""}
        headers = {"Content-Type": "application/json",
                   "Authorization": f"Apikey {settings.secret('HCCPAY_SEPAY_API_KEY')}"}
        return "/api/v1/callbacks/sepay", headers, json.dumps(data).encode()
    if via == "payos":
        data = {"orderCode": int(at.timestamp()), "amount": amount_vnd, "description": memo,
                "accountNumber": account.account_number, "reference": f"FT{txn_id}",
                "transactionDateTime": _local(at), "currency": "VND", "paymentLinkId": secrets.token_hex(8),
                "code": "00", "desc": "success", "counterAccountBankId": "", "counterAccountBankName": "",
                "counterAccountName": "NGUYEN VAN AN", "counterAccountNumber": "0123456789",
                "virtualAccountName": "", "virtualAccountNumber": ""}
        body = {"code": "00", "desc": "success", "success": True, "data": data,
                "signature": payos.sign(data, settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY"))}
        return "/api/v1/callbacks/payos", {"Content-Type": "application/json"}, json.dumps(body).encode()
    if via == "bank":
        data = {"transaction_id": txn_id, "account_number": account.account_number, "amount_vnd": amount_vnd,
                "content": memo, "booked_at": at.isoformat(), "direction": "credit",
                "counterparty_name": "NGUYEN VAN AN", "counterparty_account": "0123456789"}
        headers, body = _signed_json(settings.secret("HCCPAY_BANK_WEBHOOK_SECRET"), data, signed_at)
        return "/api/v1/callbacks/bank", headers, body
    if via == "pos":
        # As a real terminal prints on its slip: the settlement batch (one a day here, as hosts settle
        # daily) and the retrieval reference number (year digit, day of year, hour, the number).
        local = at.astimezone(VN_TZ)
        data = {"transaction_id": txn_id, "terminal_id": "POS-HCC-01", "type": "sale", "amount_vnd": amount_vnd,
                "payment_code": payment_code, "approval_code": txn_id[-6:].rjust(6, "0"),
                "batch_number": local.strftime("%j").rjust(6, "0"),
                "rrn": f"{local:%y}"[-1] + local.strftime("%j%H") + txn_id[-6:].rjust(6, "0"),
                "card_masked": "970436******1234", "card_scheme": "NAPAS", "occurred_at": at.isoformat()}
        headers, body = _signed_json(settings.secret("HCCPAY_POS_WEBHOOK_SECRET"), data, signed_at)
        return "/api/v1/callbacks/pos", headers, body
    raise SandboxError(f"unknown channel {via!r}; choose one of {', '.join(VIAS)}")


def ipn_params(settings: Settings, checkout_url: str, *, paid: bool = True, at: datetime | None = None,
               amount_vnd: int | None = None) -> dict[str, str]:
    """The signed IPN VNPay sends after the citizen paid (or gave up) on `checkout_url`."""
    query = dict(parse_qsl(urlsplit(checkout_url).query))
    code = "00" if paid else "24"  # 24: the customer cancelled
    params = {
        "vnp_TmnCode": query["vnp_TmnCode"],
        "vnp_Amount": str(amount_vnd * 100) if amount_vnd is not None else query["vnp_Amount"],
        "vnp_BankCode": "NCB", "vnp_BankTranNo": f"VNP{secrets.randbelow(10**8):08d}", "vnp_CardType": "ATM",
        "vnp_OrderInfo": query["vnp_OrderInfo"], "vnp_PayDate": vnpay.vnpay_time(at or now_utc()),
        "vnp_ResponseCode": code, "vnp_TransactionNo": str(14000000 + secrets.randbelow(10**6)),
        "vnp_TransactionStatus": code if paid else "02", "vnp_TxnRef": query["vnp_TxnRef"],
    }
    params["vnp_SecureHash"] = vnpay.secure_hash(params, settings.secret("HCCPAY_VNPAY_HASH_SECRET"))
    return params


def _answered(response: requests.Response) -> requests.Response:
    """The service's answer, or a SandboxError naming its own refusal (code and message), not a bare
    "409 Client Error" that leaves the user to guess why."""
    if response.ok:
        return response
    try:
        body = response.json()
    except ValueError:
        body = {}
    code, message = (body.get("code"), body.get("message")) if isinstance(body, dict) else (None, None)
    raise SandboxError(f"the service answered {response.status_code} {code or response.reason}: "
                       f"{message or response.text.strip()[:200]}")


def pay(service_url: str, payment_code: str, *, settings: Settings, amount_vnd: int | None = None,
        via: str = "bank", txn_id: str | None = None, memo: str | None = None,
        http: requests.Session | None = None) -> requests.Response:
    """Send one payment of `payment_code` to the service the way the chosen channel would."""
    http = http or requests.Session()
    service_url = service_url.rstrip("/")
    if amount_vnd is None:
        info = _answered(http.get(f"{service_url}/api/v1/payment-requests/{payment_code}", timeout=TIMEOUT))
        amount_vnd = info.json()["outstanding_vnd"]
        if amount_vnd <= 0:
            raise SandboxError(f"{payment_code} owes nothing ({info.json()['status']}): give --amount to pay it "
                               "again (an overpayment)")
    at = now_utc()
    if via == "vnpay":
        checkout = _answered(http.post(f"{service_url}/api/v1/payment-requests/{payment_code}/checkout",
                                       timeout=TIMEOUT))
        charged = checkout.json()["amount_vnd"]
        if amount_vnd != charged:
            # The checkout is signed for what is still owed and the IPN must carry that same amount: another
            # amount cannot be paid this way, and paying the owed one instead would mislead whoever asked.
            # (The checkout stays unpaid, as when a citizen leaves the gateway.)
            raise SandboxError(f"--amount {amount_vnd} cannot be paid with --via vnpay: a VNPay checkout charges "
                               f"what is still owed ({charged} VND); leave --amount out, or pay a part through "
                               "another channel")
        params = ipn_params(settings, checkout.json()["redirect_url"], at=at)
        return http.get(f"{service_url}/api/v1/callbacks/vnpay/ipn", params=params, timeout=TIMEOUT)
    txn_id = txn_id or str(secrets.randbelow(10**10))
    path, headers, body = callback_request(via, settings=settings, payment_code=payment_code,
                                           amount_vnd=amount_vnd, txn_id=txn_id, at=at, memo=memo)
    return http.post(f"{service_url}{path}", data=body, headers=headers, timeout=TIMEOUT)


CHECKOUT_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng thanh toán VNPAY (mô phỏng)</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
button{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem}</style></head>
<body><h1>Cổng thanh toán VNPAY — môi trường thử nghiệm</h1>
<p>Đơn hàng: <strong>{{ info }}</strong></p><p>Số tiền: <strong>{{ amount }} ₫</strong></p>
<form method="post" action="complete">
{% for k, v in params.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<button name="result" value="paid" type="submit">Thanh toán</button>
<button name="result" value="cancel" type="submit">Hủy giao dịch</button>
</form></body></html>"""


def create_bank_app(settings: Settings, service_url: str) -> Flask:
    """The sandbox bank's HTTP face: VNPay checkout page, `POST /pay` to send callbacks, and the
    card acquirer's refund API (`POST /pos/refunds`, misbehaving on `POST /pos/_control`)."""
    app = Flask("sandbox_bank")
    acquirer = {"mode": "ok", "refunds": {}}
    lock = threading.Lock()

    @app.post("/pos/refunds")
    def pos_refund():
        body = request.get_data()
        try:
            verify(request.headers.get(HEADER), body, settings.secret_values("HCCPAY_POS_WEBHOOK_SECRET"), now=now_utc())
        except SignatureError as exc:
            return jsonify(error=str(exc)), 401
        with lock:
            if acquirer["mode"] == "down":
                return jsonify(error="acquirer unavailable"), 503
            if acquirer["mode"] == "refuse":
                return jsonify(error="original transaction not refundable"), 422
            key = request.headers.get("Idempotency-Key", "")
            if key not in acquirer["refunds"]:  # at-least-once in, exactly-once out
                acquirer["refunds"][key] = {"refund_ref": f"RF{len(acquirer['refunds']) + 1:08d}",
                                            **json.loads(body)}
            return jsonify(refund_ref=acquirer["refunds"][key]["refund_ref"]), 201

    @app.get("/pos/refunds")
    def pos_refunds():
        with lock:
            return jsonify(refunds=list(acquirer["refunds"].values()))

    @app.post("/pos/_control")
    def pos_control():
        with lock:
            acquirer["mode"] = (request.get_json(silent=True) or {}).get("mode", "ok")
            return jsonify(mode=acquirer["mode"])

    @app.get("/vnpay/paymentv2/vpcpay.html")
    def checkout_page():
        params = request.args.to_dict()
        if not vnpay.verify(params, settings.secret_values("HCCPAY_VNPAY_HASH_SECRET")):
            return "Sai chữ ký (invalid signature)", 400
        amount = f"{int(params['vnp_Amount']) // 100:,}".replace(",", ".")
        return render_template_string(CHECKOUT_PAGE, params=params, info=params.get("vnp_OrderInfo"), amount=amount)

    @app.post("/vnpay/paymentv2/complete")
    def complete():
        form = request.form.to_dict()
        paid = form.pop("result", "cancel") == "paid"
        checkout_url = f"{service_url}?{urlencode(form)}"
        ipn = ipn_params(settings, checkout_url, paid=paid)
        # Server to server first (this is what credits), then the citizen's browser goes back.
        requests.get(f"{service_url}/api/v1/callbacks/vnpay/ipn", params=ipn, timeout=TIMEOUT)
        return redirect(f"{form['vnp_ReturnUrl']}?{urlencode(ipn)}")

    @app.post("/pay")
    def pay_endpoint():
        body = request.get_json(silent=True) or {}
        try:
            response = pay(service_url, str(body.get("payment_code", "")), settings=settings,
                           amount_vnd=body.get("amount_vnd"), via=body.get("via", "bank"))
        except (SandboxError, requests.RequestException) as exc:
            return jsonify(error=str(exc)), 400
        return jsonify(status=response.status_code, body=response.json()), 200

    return app
