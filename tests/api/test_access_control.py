"""Every route × every role (and anonymous) against the declared permission table.

The table is written by hand on purpose: adding a route, or changing who may call it, must
change this file too, so a reviewer sees it. The walk fails on any difference, and on any 5xx.
"""
import re

import pytest

from kernel.auth import ROLES

ANYONE = "anyone"      # no authentication at all
SIGNED = "signed"      # callbacks: only their own signature/API key, never a staff token
LOGIN_FORM = "login"   # anonymous, but the form must carry its CSRF cookie token
STAFF = frozenset(ROLES)
READ_POSTAL = frozenset({"postal", "intake", "auditor", "admin"})
FINANCE_READ = frozenset({"finance", "approver", "auditor"})
REFUND_READ = frozenset({"finance", "approver", "auditor", "cashier"})
PAYMENT_READ = frozenset({"cashier", "finance", "approver", "auditor", "admin", "intake"})

TABLE = {
    ("GET", "/api/v1/"): ANYONE,
    ("GET", "/api/v1/docs"): ANYONE,
    ("GET", "/api/v1/swagger.json"): ANYONE,
    ("GET", "/healthz"): ANYONE,
    ("GET", "/readyz"): ANYONE,
    ("GET", "/metrics"): ANYONE,
    # dossiers and payment requests
    ("POST", "/api/v1/dossiers"): {"intake"},
    ("GET", "/api/v1/dossiers/<string:code>"): STAFF,
    ("POST", "/api/v1/dossiers/<string:code>/payment-requests"): {"intake"},
    ("GET", "/api/v1/payment-requests/<string:code>"): ANYONE,
    ("GET", "/api/v1/payment-requests/<string:code>/qr.png"): ANYONE,
    ("GET", "/api/v1/payment-requests/<string:code>/qr.svg"): ANYONE,
    ("GET", "/api/v1/payment-requests/<string:code>/receipt.pdf"): ANYONE,
    ("POST", "/api/v1/payment-requests/<string:code>/checkout"): ANYONE,
    ("POST", "/api/v1/payment-requests/<string:code>/cancel"): {"intake"},
    ("GET", "/api/v1/payment-requests/<string:code>/events"): STAFF,
    ("GET", "/api/v1/payment-requests/<string:code>/payments"): PAYMENT_READ,
    ("GET", "/api/v1/receipts/<string:series>/<string:number>"): ANYONE,
    # money received
    ("POST", "/api/v1/payments/cash"): {"cashier"},
    ("POST", "/api/v1/payments/cash/<int:payment_id>/void"): {"cashier", "finance"},
    ("GET", "/api/v1/payments/<int:payment_id>"): PAYMENT_READ,
    ("GET", "/api/v1/payments/<int:payment_id>/receipt.txt"): {"cashier", "finance", "auditor"},
    ("GET", "/api/v1/cash/drawers"): {"cashier", "finance", "auditor"},
    ("POST", "/api/v1/cash/drawers/<int:drawer_id>/close"): {"cashier", "finance"},
    ("GET", "/api/v1/finance/suspense"): FINANCE_READ,
    ("POST", "/api/v1/finance/suspense/<int:payment_id>/assign"): {"finance"},
    ("POST", "/api/v1/finance/allocations/<int:allocation_id>/release"): {"finance"},
    ("GET", "/api/v1/finance/conflicts"): FINANCE_READ,
    ("GET", "/api/v1/finance/rejected-callbacks"): FINANCE_READ,
    ("GET", "/api/v1/finance/failed-callbacks"): FINANCE_READ | {"admin"},
    ("POST", "/api/v1/finance/failed-callbacks/<int:inbox_id>/retry"): {"admin"},
    ("POST", "/api/v1/finance/failed-callbacks/<int:inbox_id>/set-aside"): {"admin"},
    ("POST", "/api/v1/finance/conflicts/<int:inbox_id>/handle"): {"finance"},
    # refunds
    ("GET", "/api/v1/payments/<int:payment_id>/refunds"): REFUND_READ,
    ("POST", "/api/v1/payments/<int:payment_id>/refunds"): {"finance"},
    ("GET", "/api/v1/refunds"): REFUND_READ,
    ("GET", "/api/v1/refunds/<int:refund_id>"): REFUND_READ,
    ("POST", "/api/v1/refunds/<int:refund_id>/approve"): {"approver"},
    ("POST", "/api/v1/refunds/<int:refund_id>/reject"): {"approver"},
    ("POST", "/api/v1/refunds/<int:refund_id>/executed"): {"finance", "cashier"},
    ("POST", "/api/v1/refunds/<int:refund_id>/failed"): {"finance", "cashier"},
    ("POST", "/api/v1/refunds/<int:refund_id>/to-transfer"): {"finance"},
    # callbacks
    ("POST", "/api/v1/callbacks/sepay"): SIGNED,
    ("POST", "/api/v1/callbacks/payos"): SIGNED,
    ("POST", "/api/v1/callbacks/bank"): SIGNED,
    ("POST", "/api/v1/callbacks/pos"): SIGNED,
    ("GET", "/api/v1/callbacks/vnpay/ipn"): SIGNED,
    ("POST", "/api/v1/callbacks/vnpay/ipn"): SIGNED,
    ("POST", "/api/v1/callbacks/courier"): SIGNED,
    # admin
    ("GET", "/api/v1/admin/tokens"): {"admin"},
    ("POST", "/api/v1/admin/tokens"): {"admin"},
    ("DELETE", "/api/v1/admin/tokens/<int:token_id>"): {"admin"},
    ("GET", "/api/v1/admin/users"): {"admin"},
    ("POST", "/api/v1/admin/users"): {"admin"},
    ("PATCH", "/api/v1/admin/users/<int:user_id>"): {"admin"},
    ("GET", "/api/v1/admin/outbox"): {"admin", "auditor"},
    ("GET", "/api/v1/admin/outbox/<int:message_id>"): {"admin", "auditor"},
    ("POST", "/api/v1/admin/outbox/<int:message_id>/replay"): {"admin"},
    ("GET", "/api/v1/admin/subscriptions"): {"admin", "auditor"},
    ("POST", "/api/v1/admin/subscriptions"): {"admin"},
    ("PATCH", "/api/v1/admin/subscriptions/<int:subscription_id>"): {"admin"},
    ("POST", "/api/v1/admin/subscriptions/<int:subscription_id>/rotate-secret"): {"admin"},
    ("GET", "/api/v1/admin/subscriptions/<int:subscription_id>/deliveries"): {"admin", "auditor"},
    # postal
    ("GET", "/api/v1/postal/wards"): READ_POSTAL,
    ("GET", "/api/v1/postal/routes"): READ_POSTAL,
    ("POST", "/api/v1/postal/routes"): {"postal"},
    ("PUT", "/api/v1/postal/routes/<string:code>"): {"postal"},
    ("POST", "/api/v1/postal/plan"): {"postal"},
    ("GET", "/api/v1/postal/shipments"): READ_POSTAL,
    ("POST", "/api/v1/postal/shipments"): {"intake", "postal"},
    ("GET", "/api/v1/postal/shipments/<int:shipment_id>"): READ_POSTAL,
    ("POST", "/api/v1/postal/shipments/<int:shipment_id>/cancel"): {"intake", "postal"},
    ("POST", "/api/v1/postal/shipments/<int:shipment_id>/events"): {"postal"},
    ("POST", "/api/v1/postal/shipments/<int:shipment_id>/assignment"): {"postal"},
    ("GET", "/api/v1/postal/shipments/<int:shipment_id>/consignment-note.pdf"): READ_POSTAL,
    ("GET", "/api/v1/postal/manifests/<string:day>.pdf"): READ_POSTAL,
    ("GET", "/api/v1/postal/manifests/<string:day>.csv"): READ_POSTAL,
    ("GET", "/api/v1/postal/handovers/<string:day>.pdf"): READ_POSTAL,
    ("GET", "/api/v1/postal/checks"): READ_POSTAL,
    ("GET", "/api/v1/postal/queues"): READ_POSTAL,
    ("POST", "/api/v1/postal/checks/<int:event_id>/resolve"): {"postal"},
    # reconciliation
    ("POST", "/api/v1/reconciliation/statements"): {"finance"},
    ("GET", "/api/v1/reconciliation/statements"): FINANCE_READ,
    ("GET", "/api/v1/reconciliation/statements/<int:import_id>"): FINANCE_READ,
    ("GET", "/api/v1/reconciliation/statements/<int:import_id>/file"): FINANCE_READ,
    ("GET", "/api/v1/reconciliation/lines"): FINANCE_READ,
    ("GET", "/api/v1/reconciliation/lines/<int:line_id>"): FINANCE_READ,
    ("POST", "/api/v1/reconciliation/lines/<int:line_id>/match"): {"finance"},
    ("POST", "/api/v1/reconciliation/lines/<int:line_id>/unmatch"): {"finance"},
    ("POST", "/api/v1/reconciliation/lines/<int:line_id>/refund"): {"finance"},
    ("POST", "/api/v1/reconciliation/lines/<int:line_id>/write-off"): {"finance"},
    ("POST", "/api/v1/reconciliation/lines/<int:line_id>/ignore"): {"finance"},
    ("POST", "/api/v1/reconciliation/lines/<int:line_id>/correct-amount"): {"finance"},
    ("POST", "/api/v1/reconciliation/resolutions/<int:resolution_id>/undo"): {"finance"},
    ("GET", "/api/v1/reconciliation/days"): FINANCE_READ,
    ("GET", "/api/v1/reconciliation/days/<string:day>"): FINANCE_READ,
    ("POST", "/api/v1/reconciliation/days/<string:day>/match"): {"finance"},
    ("GET", "/api/v1/reconciliation/days/<string:day>/exceptions"): FINANCE_READ,
    ("POST", "/api/v1/reconciliation/days/<string:day>/exceptions/<string:key>/acknowledge"): {"finance"},
    ("POST", "/api/v1/reconciliation/days/<string:day>/close"): {"finance"},
    ("POST", "/api/v1/reconciliation/days/<string:day>/close/approve"): {"approver"},
    ("POST", "/api/v1/reconciliation/days/<string:day>/close/reject"): {"approver"},
    ("GET", "/api/v1/reconciliation/days/<string:day>/report.csv"): FINANCE_READ,
    ("GET", "/api/v1/reconciliation/days/<string:day>/report.xlsx"): FINANCE_READ,
    ("GET", "/api/v1/reconciliation/days/<string:day>/report.pdf"): FINANCE_READ,
    ("POST", "/api/v1/reconciliation/sweep"): {"finance"},
    # pages
    ("GET", "/pay/<code>"): ANYONE,
    ("GET", "/pay/<code>/print"): ANYONE,
    ("GET", "/pay/<code>/receipt.pdf"): ANYONE,
    ("GET", "/pay"): ANYONE,
    ("GET", "/"): ANYONE,
    ("GET", "/pay/vnpay-return"): ANYONE,
    ("GET", "/staff/login"): ANYONE,
    ("POST", "/staff/login"): LOGIN_FORM,
    ("POST", "/staff/logout"): STAFF,
    ("GET", "/staff/"): STAFF,
    ("GET", "/staff/admin/"): {"admin"},
    ("POST", "/staff/admin/users"): {"admin"},
    ("POST", "/staff/admin/users/<int:user_id>"): {"admin"},
    ("POST", "/staff/admin/tokens"): {"admin"},
    ("POST", "/staff/admin/tokens/<int:token_id>/revoke"): {"admin"},
    ("GET", "/staff/postal/"): {"postal", "auditor"},
    ("GET", "/staff/postal/plan"): {"postal", "auditor"},
    ("POST", "/staff/postal/plan"): {"postal"},
    ("GET", "/staff/postal/shipments/<int:shipment_id>/<any(move, outcome):action>"): {"postal", "auditor"},
    ("POST", "/staff/postal/shipments/<int:shipment_id>/move"): {"postal"},
    ("POST", "/staff/postal/shipments/<int:shipment_id>/outcome"): {"postal"},
    ("GET", "/staff/postal/checks/<int:event_id>/resolve"): {"postal", "auditor"},
    ("POST", "/staff/postal/checks/<int:event_id>/resolve"): {"postal"},
    ("GET", "/staff/counter/"): {"cashier"},
    ("POST", "/staff/counter/payments/<int:payment_id>/void"): {"cashier"},
    ("POST", "/staff/counter/drawers/<int:drawer_id>/close"): {"cashier"},
    ("POST", "/staff/counter/refunds/<int:refund_id>/paid"): {"cashier"},
    ("POST", "/staff/counter/refunds/<int:refund_id>/failed"): {"cashier"},
    ("GET", "/staff/finance/"): FINANCE_READ,
    ("GET", "/staff/finance/statements"): FINANCE_READ,
    ("POST", "/staff/finance/statements"): {"finance"},
    ("GET", "/staff/finance/lines/<int:line_id>"): FINANCE_READ,
    ("POST", "/staff/finance/lines/<int:line_id>/<action>"): {"finance"},
    ("POST", "/staff/finance/resolutions/<int:resolution_id>/undo"): {"finance"},
    ("GET", "/staff/finance/exceptions"): FINANCE_READ,
    ("POST", "/staff/finance/days/<day>/acknowledge"): {"finance"},
    ("POST", "/staff/finance/days/<day>/close"): {"finance"},
    ("POST", "/staff/finance/days/<day>/close/approve"): {"approver"},
    ("POST", "/staff/finance/days/<day>/close/reject"): {"approver"},
    ("GET", "/staff/finance/suspense"): FINANCE_READ,
    ("POST", "/staff/finance/suspense/<int:payment_id>/assign"): {"finance"},
    ("GET", "/staff/finance/refunds"): FINANCE_READ,
    ("POST", "/staff/finance/payments/<int:payment_id>/refunds"): {"finance"},
    ("POST", "/staff/finance/refunds/<int:refund_id>/approve"): {"approver"},
    ("POST", "/staff/finance/refunds/<int:refund_id>/reject"): {"approver"},
    ("POST", "/staff/finance/refunds/<int:refund_id>/executed"): {"finance"},
    ("POST", "/staff/finance/refunds/<int:refund_id>/failed"): {"finance"},
    ("POST", "/staff/finance/refunds/<int:refund_id>/to-transfer"): {"finance"},
    ("GET", "/staff/finance/callbacks"): FINANCE_READ | {"admin"},  # an admin: the failures only
    ("POST", "/staff/finance/callbacks/<int:inbox_id>/retry"): {"admin"},
    ("POST", "/staff/finance/callbacks/<int:inbox_id>/set-aside"): {"admin"},
    ("POST", "/staff/finance/callbacks/<int:inbox_id>/handle"): {"finance"},
}

PARAMS = {"int": "999999", "day": "2026-11-25", "series": "BL-HCC-26", "number": "0000001", "code": "HS12345678905"}


def routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith(("/static", "/swaggerui")):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def concrete(rule: str) -> str:
    def fill(match):
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip(" )")
        return PARAMS["int"] if converter == "int:" else PARAMS.get(name, PARAMS["code"])
    return re.sub(r"<(int:|string:|any\([^)]*\):)?(\w+)>", fill, rule)


def test_every_route_is_in_the_permission_table(app):
    assert routes(app) == set(TABLE)


@pytest.mark.parametrize("method,rule", sorted(TABLE))
def test_each_route_lets_in_exactly_the_declared_roles(client, tokens, method, rule):
    allowed = TABLE[(method, rule)]
    url = concrete(rule)
    for who in (None, *ROLES):
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        response = client.open(url, method=method, headers=headers, json={} if method != "GET" else None)
        status = response.status_code
        assert status < 500, (who, status, response.get_data(as_text=True)[:300])
        if allowed == ANYONE:
            assert status not in (401, 403), (who, status)
        elif allowed == LOGIN_FORM:
            assert status == 403, (who, status)  # no form token: refused for everyone
        elif allowed == SIGNED:
            if "vnpay" in rule:
                assert response.json["RspCode"] == "97", (who, response.json)
            else:
                assert status in (400, 401), (who, status)  # a staff token is not a signature
        elif who is None:
            assert status in (401, 302), (who, status)  # API: 401; pages: to the login page
        elif who in allowed:
            assert status not in (401, 403), (who, status, response.get_data(as_text=True)[:200])
        else:
            assert status == 403, (who, status)
