"""Authentication, audit and deliveries, eighth QA round: API tokens may be issued with an expiry and are
refused once it has passed; webhook subscriptions may not point at internal addresses outside demo mode; an
outbox error keeps no row values; revoking a token and changing a user record the reason given."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from kernel.audit import AuditEntry
from kernel.auth import ApiToken
from kernel.clock import now_utc


# --- tokens: an optional expiry ---------------------------------------------------------------

def _issue(client, auth, **extra):
    r = client.post("/api/v1/admin/tokens", json={"role": "intake", "name": "Cổng DVC tỉnh", **extra},
                    headers=auth("admin"))
    return r


def test_a_token_issued_with_a_lifetime_carries_its_expiry_and_is_refused_once_it_has_passed(client, auth, db):
    r = _issue(client, auth, ttl_days=30)
    assert r.status_code == 201, r.json
    expires_at = r.json["expires_at"]
    assert expires_at is not None
    headers = {"Authorization": f"Bearer {r.json['token']}"}
    assert client.get("/api/v1/dossiers/NONE", headers=headers).status_code == 404  # valid for now
    with db() as s, s.begin():
        s.execute(update(ApiToken).where(ApiToken.id == r.json["id"])
                  .values(expires_at=now_utc() - timedelta(seconds=1)))
    refused = client.get("/api/v1/dossiers/NONE", headers=headers)
    assert refused.status_code == 401 and refused.json["code"] == "token_expired"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    listed = {t["id"]: t for t in client.get("/api/v1/admin/tokens", headers=auth("admin")).json["tokens"]}
    assert listed[r.json["id"]]["expires_at"] is not None


def test_a_token_issued_without_a_lifetime_does_not_expire(client, auth):
    r = _issue(client, auth)
    assert r.status_code == 201 and r.json["expires_at"] is None


@pytest.mark.parametrize("ttl", [0, -1, True, 1.5, "30", 100_000, [30]])
def test_a_token_lifetime_that_is_not_a_whole_number_of_days_in_range_is_refused(client, auth, db, ttl):
    r = _issue(client, auth, ttl_days=ttl)
    assert r.status_code == 400 and r.json["code"] == "invalid_ttl_days", r.json
    with db() as s:
        assert s.query(ApiToken).filter_by(name="Cổng DVC tỉnh").count() == 0


def test_a_page_ignores_an_expired_token_as_it_ignores_an_unknown_one(client, auth, db):
    r = _issue(client, auth, ttl_days=1)
    with db() as s, s.begin():
        s.execute(update(ApiToken).where(ApiToken.id == r.json["id"])
                  .values(expires_at=now_utc() - timedelta(seconds=1)))
    assert client.get("/", headers={"Authorization": f"Bearer {r.json['token']}"}).status_code == 200


def test_the_command_line_issues_a_token_with_a_lifetime_and_lists_its_expiry(cli, db):
    result = cli("token", "create", "--role", "finance", "--name", "Kế toán Lan", "--ttl-days", "90")
    assert result.exit_code == 0, result.output
    with db() as s:
        [token] = s.query(ApiToken).all()
        assert token.expires_at is not None
        assert timedelta(days=89) < token.expires_at - token.created_at <= timedelta(days=90)
    assert "expires" in cli("token", "list").output
    assert cli("token", "create", "--role", "finance", "--name", "x", "--ttl-days", "0").exit_code != 0


# --- subscriptions: no internal addresses outside demo mode ---------------------------------------

@pytest.fixture
def production(test_settings, db):
    """The app as deployed (not in demo mode), with an admin token."""
    from api import create_app
    from kernel.auth import create_token
    from kernel.db import unit_of_work
    from tests.conftest import T0

    app = create_app(test_settings.with_overrides(demo=False))
    with unit_of_work(db) as s:
        _, raw = create_token(s, role="admin", name="ops", actor="test", now=T0)
    yield app.test_client(), {"Authorization": f"Bearer {raw}"}
    app.extensions["hccpay"].engine.dispose()


def _public(monkeypatch, *addresses):
    """Names resolve to `addresses` (a public one unless told), without asking a DNS server."""
    import socket

    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if not host.replace(".", "").isalpha():
            return real(host, port, *args, **kwargs)  # an address: read as it is
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 443))
                for a in addresses or ("203.113.131.5",)]
    monkeypatch.setattr("kernel.destinations.socket.getaddrinfo", resolve)


INTERNAL_URLS = ["https://127.0.0.1/hooks", "https://localhost/hooks", "https://10.1.2.3/hooks",
                 "https://169.254.169.254/latest/meta-data", "https://[::1]/hooks", "https://192.168.1.10:8443/x",
                 "https://0.0.0.0/x", "https://[::ffff:127.0.0.1]/x", "https://172.16.5.4/x", "https://100.64.0.1/x",
                 "https://2130706433/x", "https://127.1/x", "https://0x7f000001/x", "https://app.localhost/x",
                 "https://user@127.0.0.1/x", "https://[fe80::1]/x", "https://[fd00::1]/x"]


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_outside_demo_a_subscription_to_an_internal_address_is_refused(production, db, url):
    from kernel.events import Subscription

    client, admin = production
    r = client.post("/api/v1/admin/subscriptions", headers=admin,
                    json={"name": "Một cửa", "url": url, "event_types": ["payment_request.*"]})
    assert r.status_code == 400 and r.json["code"] == "internal_url", r.json
    with db() as s:
        assert s.query(Subscription).count() == 0


def test_outside_demo_a_subscription_over_plain_http_is_refused(production, monkeypatch):
    _public(monkeypatch)
    client, admin = production
    r = client.post("/api/v1/admin/subscriptions", headers=admin,
                    json={"name": "Một cửa", "url": "http://motcua.example.gov.vn/hooks",
                          "event_types": ["payment_request.*"]})
    assert r.status_code == 400 and r.json["code"] == "insecure_url", r.json


def test_outside_demo_a_name_that_resolves_to_an_internal_address_is_refused(production, monkeypatch):
    _public(monkeypatch, "203.113.131.5", "10.0.0.7")
    client, admin = production
    r = client.post("/api/v1/admin/subscriptions", headers=admin,
                    json={"name": "Một cửa", "url": "https://motcua.example.gov.vn/hooks",
                          "event_types": ["payment_request.*"]})
    assert r.status_code == 400 and r.json["code"] == "internal_url", r.json


def test_outside_demo_a_public_https_subscription_is_taken_and_a_change_to_an_internal_one_refused(
        production, monkeypatch):
    _public(monkeypatch)
    client, admin = production
    r = client.post("/api/v1/admin/subscriptions", headers=admin,
                    json={"name": "Một cửa", "url": "https://motcua.example.gov.vn/hooks",
                          "event_types": ["payment_request.*"]})
    assert r.status_code == 201, r.json
    changed = client.patch(f"/api/v1/admin/subscriptions/{r.json['id']}", headers=admin,
                           json={"url": "https://169.254.169.254/latest"})
    assert changed.status_code == 400 and changed.json["code"] == "internal_url"


def test_in_demo_mode_a_subscription_may_point_at_the_sandbox_on_localhost(client, auth):
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"),
                    json={"name": "sandbox", "url": "http://127.0.0.1:8001/hooks", "event_types": ["shipment.*"]})
    assert r.status_code == 201


def test_a_delivery_is_not_sent_to_a_name_that_now_resolves_to_an_internal_address(db, monkeypatch):
    """DNS rebinding: the name was public when subscribed; at delivery it points inside."""
    from kernel.db import unit_of_work
    from kernel.events import Subscription, webhook_topic
    from kernel.outbox import Delivery, PermanentError
    from tests.conftest import T0

    with unit_of_work(db) as s:
        subscription = Subscription(name="a", url="https://motcua.example.gov.vn/hooks",
                                    event_types=["payment_request.*"], active=True, created_at=T0)
        s.add(subscription)
    _public(monkeypatch, "169.254.169.254")
    sent = []
    monkeypatch.setattr("requests.Session.post", lambda *a, **k: sent.append(a))
    topic = webhook_topic(db, ("secret",), clock=lambda: T0)
    delivery = Delivery(id=1, topic="webhook", key="k", attempt=1, idempotency_key="hccpay-1",
                        payload={"subscription_id": subscription.id,
                                 "event": {"id": "e1", "type": "payment_request.paid"}})
    with pytest.raises(PermanentError, match="internal"):
        topic.send(delivery)
    assert sent == []


def test_a_private_network_the_operator_lists_may_receive_events_and_a_bad_one_stops_start_up():
    from ipaddress import ip_network

    from config import ConfigError, load_settings
    from kernel.destinations import refusal

    allowed = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_WEBHOOK_PRIVATE_NETWORKS": "10.20.0.0/16, fd12::/64"}
                            ).webhook_private_networks
    assert allowed == (ip_network("10.20.0.0/16"), ip_network("fd12::/64"))
    assert refusal("https://10.20.1.5/hooks", allowed) is None
    assert refusal("https://10.21.1.5/hooks", allowed)[0] == "internal_url"
    with pytest.raises(ConfigError, match="HCCPAY_WEBHOOK_PRIVATE_NETWORKS"):
        load_settings({"HCCPAY_DEMO": "1", "HCCPAY_WEBHOOK_PRIVATE_NETWORKS": "10.20.0.1/16"})


# --- the outbox keeps no row values a database error quotes -------------------------------------

ROW_DETAIL = ('duplicate key value violates unique constraint "uq_shipments_tracking_number"\n'
              'DETAIL:  Failing row contains (7, Nguyễn Văn An, 0912345678, 001085012345).\n'
              'CONTEXT:  SQL function "x" statement 1 with Nguyễn Văn An')


@pytest.mark.parametrize("where", ["send", "on_success"])
def test_an_outbox_error_that_quotes_a_row_keeps_the_first_line_only(db, where):
    from kernel.db import unit_of_work
    from kernel.outbox import FAILED, OutboxAttempt, OutboxMessage, OutboxWorker, Topic, enqueue
    from tests.conftest import T0

    def fail(*_):
        raise RuntimeError(ROW_DETAIL)

    topic = Topic("t", send=fail if where == "send" else (lambda d: {"ok": True}),
                  on_success=fail if where == "on_success" else None, schedule=())
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="k", payload={}, now=T0)
    OutboxWorker(sessions=db, topics={"t": topic}, clock=lambda: T0).drain()
    with db() as s:
        message = s.query(OutboxMessage).one()
        [attempt] = s.query(OutboxAttempt).all()
        assert message.status == FAILED and "uq_shipments_tracking_number" in message.last_error
        for text in (message.last_error, attempt.detail):
            for personal in ("Nguyễn", "0912345678", "001085012345"):
                assert personal not in text, text


# --- a token revoked or a user changed records the reason given -----------------------------------

def _audit(db, subject_type, subject_id, action):
    with db() as s:
        return s.query(AuditEntry).filter_by(subject_type=subject_type, subject_id=str(subject_id),
                                             action=action).one()


def test_revoking_a_token_records_the_reason_given_and_needs_none(client, auth, db):
    first, second = (_issue(client, auth).json["id"] for _ in range(2))
    r = client.delete(f"/api/v1/admin/tokens/{first}", headers=auth("admin"),
                      json={"reason": "Lộ token  trên máy trạm quầy 3"})
    assert r.status_code == 200, r.json
    assert _audit(db, "api_token", first, "token.revoke").reason == "Lộ token trên máy trạm quầy 3"
    assert client.delete(f"/api/v1/admin/tokens/{second}", headers=auth("admin")).status_code == 200
    assert _audit(db, "api_token", second, "token.revoke").reason is None
    refused = client.delete(f"/api/v1/admin/tokens/{first}", headers=auth("admin"), json={"reason": "x\x00"})
    assert refused.status_code == 400 and refused.json["code"] == "validation_error"


def test_changing_a_user_records_the_reason_given(client, auth, db):
    r = client.post("/api/v1/admin/users", headers=auth("admin"),
                    json={"username": "ketoan", "full_name": "Lê Thị Lan", "roles": ["finance"],
                          "password": "correct-horse-battery"})
    user_id = r.json["id"]
    changed = client.patch(f"/api/v1/admin/users/{user_id}", headers=auth("admin"),
                           json={"active": False, "reason": "Nghỉ việc từ 01/12/2026"})
    assert changed.status_code == 200, changed.json
    assert _audit(db, "user", user_id, "user.update").reason == "Nghỉ việc từ 01/12/2026"
    too_long = client.patch(f"/api/v1/admin/users/{user_id}", headers=auth("admin"),
                            json={"active": True, "reason": "x" * 1001})
    assert too_long.status_code == 400


def test_the_command_line_revokes_a_token_with_a_reason(cli, db):
    raw = cli("token", "create", "--role", "auditor", "--name", "Thanh tra").output.strip().splitlines()[-1]
    with db() as s:
        [token] = s.query(ApiToken).all()
    assert cli("token", "revoke", str(token.id), "--reason", "Hết đợt thanh tra").exit_code == 0
    assert _audit(db, "api_token", token.id, "token.revoke").reason == "Hết đợt thanh tra"


# --- no personal data in the logs over a whole payment flow ---------------------------------------

def test_a_whole_payment_flow_logs_no_name_phone_id_number_or_account(app, client, auth, test_settings, db, caplog):
    import logging

    from api import outbox_topics
    from kernel.logs import JSONFormatter
    from kernel.outbox import OutboxWorker
    from tests.factories import dossier_body, send_callback

    caplog.set_level(logging.INFO, logger="hccpay")
    body = dossier_body(("Lệ phí cấp giấy chứng nhận", "charge", 150_000))
    body["applicant"] = {"name": "Trịnh Thị Hoài Thương", "phone": "0987654321", "id_number": "001185012345"}
    r = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    assert r.status_code == 201, r.json
    code = r.json["payment_request"]["payment_code"]
    assert client.get(f"/pay/{code}").status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").status_code == 200
    assert send_callback(client, test_settings, "bank", code=code, amount=200_000).status_code == 200  # overpaid
    assert client.get(f"/api/v1/payment-requests/{code}/receipt.pdf").status_code == 200
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    refund = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                         json={"amount_vnd": 50_000, "expected_refundable_vnd": 200_000, "reason": "Nộp thừa"})
    assert refund.status_code in (200, 201), refund.json
    client.get(f"/api/v1/dossiers/{body['code']}", headers=auth("intake"))
    client.post("/api/v1/dossiers", json=body, headers=auth("intake"))  # a repeat, refused or replayed
    bad = {**body, "code": body["code"] + "X", "applicant": {**body["applicant"], "phone": "09876543210000"}}
    client.post("/api/v1/dossiers", json=bad, headers=auth("intake"))  # refused: the phone is not one
    runtime = app.extensions["hccpay"]
    OutboxWorker(sessions=runtime.sessions, topics=outbox_topics(test_settings, runtime.sessions),
                 clock=lambda: __import__("kernel.clock", fromlist=["now_utc"]).now_utc(), batch=5).run_once()
    formatter = JSONFormatter()
    lines = [formatter.format(rec) for rec in caplog.records if rec.levelno >= logging.INFO]
    assert lines
    for personal in ("Trịnh", "Thương", "0987654321", "001185012345", "NGUYEN VAN AN", "0123456789",
                     "987654321"):
        leaked = [line for line in lines if personal in line]
        assert not leaked, (personal, leaked[:3])


# --- HSTS wherever the site is served over https ----------------------------------------------------

def test_a_site_whose_public_url_is_https_sends_hsts_even_when_its_proxy_does_not_say_so(test_settings, db):
    """TLS ends at the proxy; without HCCPAY_TRUST_PROXY the app sees http, but the browser gets the answer over
    https and must be told to stay there. Over plain http a browser ignores the header (RFC 6797 8.1)."""
    from api import create_app

    site = create_app(test_settings.with_overrides(public_url="https://hcc.example.gov.vn", secure_cookies=True))
    assert site.test_client().get("/staff/login").headers.get("Strict-Transport-Security") == "max-age=31536000"
    demo = create_app(test_settings)  # `make run`: http://127.0.0.1
    assert "Strict-Transport-Security" not in demo.test_client().get("/staff/login").headers
    for app in (site, demo):
        app.extensions["hccpay"].engine.dispose()


# --- a failed statement import keeps no row values either -------------------------------------------

def test_a_statement_import_that_fails_records_its_error_without_the_row_postgresql_quotes(client, auth, db,
                                                                                          monkeypatch):
    from reconciliation.models import StatementImport
    from tests.recon_factories import upload, vcb_csv

    def fail(*_):
        raise RuntimeError(ROW_DETAIL)

    monkeypatch.setattr("reconciliation.importer._store_chunk_with_retries", fail)
    r = upload(client, auth, vcb_csv(("5001", "", "150.000", "HS0000001 Nguyen Van An")))
    assert r.status_code == 500
    with db() as s:
        [failed] = s.query(StatementImport).all()
    assert failed.status == "failed" and "uq_shipments_tracking_number" in failed.error
    for personal in ("Nguyễn", "0912345678", "001085012345"):
        assert personal not in failed.error
