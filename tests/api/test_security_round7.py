"""Security probe, round 7: authentication, roles, secrets, audit and logs."""
import json
import logging

import pytest
from sqlalchemy import select

from config import SECRETS, ConfigError, load_settings
from kernel.audit import AuditEntry, verify_chain
from kernel.logs import JSONFormatter
from kernel.users import User
from tests.api.test_pages import log_in, page_csrf, staff_user  # noqa: F401 - staff_user is a fixture
from tests.unit.test_config import FULL

# --- who made a staff account -------------------------------------------------------------


def test_a_staff_user_made_with_the_cli_is_audited_as_the_api_and_the_page_do(cli, db):
    result = cli("user", "create", "--username", "quantri2", "--full-name", "Lê Thị Lan", "--role", "admin",
                 "--password", "a-long-enough-password")
    assert result.exit_code == 0, result.output
    with db() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "user.create")).scalars().all()
        assert verify_chain(s).ok
    assert [(e.actor, json.loads(e.data)) for e in entries] == [("cli", {"username": "quantri2", "roles": ["admin"]})]


# --- what a logged database error says ---------------------------------------------------------

# What PostgreSQL (psycopg) says when a row breaks a constraint: the DETAIL line quotes the row or the key,
# i.e. the applicant's name and phone that `hide_parameters` keeps out of the statement part.
PG_MESSAGE = ('new row for relation "dossiers" violates check constraint "ck_dossiers_total"\n'
              "DETAIL:  Failing row contains (7, Nguyễn Văn An, 0912345678, 079203001234).")
PII = ("Nguyễn Văn An", "0912345678", "079203001234")


class FakeCheckViolation(Exception):
    """Stands for psycopg.errors.CheckViolation: the suite runs on SQLite, whose messages quote no values."""


def _crash_on_postgresql(client, auth, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    import payments.routes as routes

    def crash(*_args, **_kwargs):
        raise IntegrityError("INSERT INTO dossiers ...", {}, FakeCheckViolation(PG_MESSAGE), hide_parameters=True)

    monkeypatch.setattr(routes.service, "create_dossier", crash)
    from tests.factories import dossier_body
    return client.post("/api/v1/dossiers", json=dossier_body(), headers=auth("intake"))


def test_an_unexpected_database_error_is_logged_without_the_row_postgresql_quotes(client, auth, monkeypatch,
                                                                                 caplog):
    caplog.set_level(logging.INFO, logger="hccpay")
    r = _crash_on_postgresql(client, auth, monkeypatch)
    assert r.status_code == 500 and r.json["code"] == "internal_error"
    request_id = r.json["details"]["request_id"]
    crashes = [rec for rec in caplog.records if rec.getMessage() == "unexpected error"]
    assert len(crashes) == 1 and crashes[0].request_id == request_id
    for rec in caplog.records:  # what reaches stderr: every record as the JSON formatter writes it
        line = JSONFormatter().format(rec)
        assert not [p for p in PII if p in line], line
    logged = json.loads(JSONFormatter().format(crashes[0]))
    assert "violates check constraint" in logged["exception"]  # what went wrong is still there


# --- secrets outside demo mode ------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_public_demo_secret_outside_demo_mode_stops_start_up_naming_it(name):
    with pytest.raises(ConfigError, match=name):
        load_settings(FULL | {name: SECRETS[name]})
    with pytest.raises(ConfigError, match=name):  # kept for rotation beside a real one, it still verifies
        load_settings(FULL | {name: f"{FULL[name]},{SECRETS[name]}"})


@pytest.mark.parametrize("name, demo_value", [("HCCPAY_COURIER_API_KEY", "demo-courier-api-key"),
                                              ("HCCPAY_SMS_API_KEY", "demo-sms-api-key")])
def test_a_public_demo_api_key_outside_demo_mode_stops_start_up_naming_it(name, demo_value):
    url = "HCCPAY_COURIER_URL" if name == "HCCPAY_COURIER_API_KEY" else "HCCPAY_SMS_GATEWAY_URL"
    with pytest.raises(ConfigError, match=name):
        load_settings(FULL | {url: "https://gateway.example", name: demo_value})


@pytest.mark.parametrize("name", ["HCCPAY_SECRET_KEY", "HCCPAY_BANK_WEBHOOK_SECRET", "HCCPAY_POS_WEBHOOK_SECRET",
                                  "HCCPAY_COURIER_WEBHOOK_SECRET"])
def test_a_short_signing_key_of_ours_outside_demo_mode_stops_start_up_naming_it(name):
    with pytest.raises(ConfigError, match=f"{name}.*16"):
        load_settings(FULL | {name: "s3cret"})
    with pytest.raises(ConfigError, match=name):  # an old value kept for rotation signs nothing, but verifies
        load_settings(FULL | {name: f"{'n' * 16},short"})
    assert load_settings(FULL | {name: "k" * 16}).secret(name) == "k" * 16


def test_demo_mode_keeps_its_public_values_and_takes_short_ones():
    settings = load_settings({"HCCPAY_DEMO": "1", "HCCPAY_BANK_WEBHOOK_SECRET": "short"})
    assert settings.secret("HCCPAY_BANK_WEBHOOK_SECRET") == "short"
    assert settings.secret("HCCPAY_SECRET_KEY") == SECRETS["HCCPAY_SECRET_KEY"]


# --- staff logins are visible to operators -------------------------------------------------------

def _login_lines(caplog) -> list[tuple[str, str | None, int | None]]:
    return [(rec.getMessage(), getattr(rec, "reason", None), getattr(rec, "user_id", None))
            for rec in caplog.records if rec.name == "hccpay.auth"]


def test_refused_logins_and_the_lock_out_are_logged_by_user_id_never_by_name_or_password(client, staff_user, db,
                                                                                          caplog):
    caplog.set_level(logging.INFO, logger="hccpay")
    staff_user("ketoan")
    with db() as s:
        user_id = s.execute(select(User.id)).scalar_one()
    log_in(client, "nobody.here", "some-wrong-password")
    for _ in range(5):
        log_in(client, "ketoan", "some-wrong-password")
    assert _login_lines(caplog) == ([("staff login refused", "invalid", None)]
                                    + [("staff login refused", "invalid", user_id)] * 4
                                    + [("staff login refused", "locked", user_id)])
    assert all(rec.request_id != "-" for rec in caplog.records if rec.name == "hccpay.auth")
    for rec in caplog.records:
        line = JSONFormatter().format(rec)
        assert "ketoan" not in line and "nobody.here" not in line and "some-wrong-password" not in line, line


def test_a_login_is_logged_with_the_user_id(client, staff_user, caplog):
    caplog.set_level(logging.INFO, logger="hccpay")
    staff_user("ketoan")
    assert log_in(client, "ketoan").status_code == 302
    [(message, reason, user_id)] = _login_lines(caplog)
    assert message == "staff login" and reason is None and user_id is not None


# --- a 401 says how to authenticate ----------------------------------------------------------------

def test_a_401_for_a_missing_or_unknown_token_names_the_bearer_scheme(client, auth):
    missing = client.get("/api/v1/dossiers/X")
    assert missing.status_code == 401 and missing.json["code"] == "unauthenticated"
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="hccpay"'
    unknown = client.get("/api/v1/dossiers/X", headers={"Authorization": "Bearer hcc_unknown"})
    assert unknown.status_code == 401 and unknown.json["code"] == "invalid_token"
    assert unknown.headers["WWW-Authenticate"] == 'Bearer realm="hccpay", error="invalid_token"'
    assert "WWW-Authenticate" not in client.get("/api/v1/dossiers/X", headers=auth("intake")).headers  # a 404


def test_a_refused_callback_signature_offers_no_bearer_token_scheme(client):
    r = client.post("/api/v1/callbacks/courier", data=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and "Bearer" not in r.headers.get("WWW-Authenticate", "")


# --- what the audit log says of a user's change ------------------------------------------------------

def test_the_admin_page_audits_a_user_change_as_done_as_the_api_does(client, staff_user, db):
    staff_user("quantri", ("admin",))
    staff_user("ketoan", ("finance",))
    log_in(client, "quantri")
    with db() as s:
        user_id = s.execute(select(User.id).where(User.username == "ketoan")).scalar_one()
    r = client.post(f"/staff/admin/users/{user_id}", data={"roles": ["finance", "approver", "finance"],
                                                           "csrf_token": page_csrf(client)})
    assert r.status_code == 302
    with db() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "user.update")).scalar_one()
        assert s.get(User, user_id).roles == ["approver", "finance"]
    # What was done (sorted, without repeats), as `PATCH /admin/users/<id>` records it, not the form's list.
    assert json.loads(entry.data) == {"roles": ["approver", "finance"], "active": None, "password_reset": False}


# --- rotating the app key ---------------------------------------------------------------------------

def test_a_page_session_signed_with_the_previous_app_key_is_still_read_while_both_are_set(test_settings, db):
    from api import create_app

    old_key = test_settings.secret("HCCPAY_SECRET_KEY")
    before = create_app(test_settings)
    cookie = before.session_interface.get_signing_serializer(before).dumps({"_flashes": [["message", "Đã lưu"]]})
    rotated = create_app(test_settings.with_overrides(
        secrets={**test_settings.secrets, "HCCPAY_SECRET_KEY": ("a-brand-new-app-key-0123456789", old_key)}))
    try:
        # The first value signs, every value verifies, as for every other secret.
        assert rotated.session_interface.get_signing_serializer(rotated).loads(cookie) == {
            "_flashes": [["message", "Đã lưu"]]}
    finally:
        for app in (before, rotated):
            app.extensions["hccpay"].engine.dispose()


# --- the proxy in front logs no paths either ---------------------------------------------------------

PATH_VARIABLES = ("$request ", "$request\"", "$request'", "$request_uri", "$uri", "$args", "$query_string",
                  "$http_referer", "$document_uri", "$arg_")


def test_the_example_nginx_front_logs_requests_without_their_paths_or_queries():
    """nginx's default `combined` access log writes the request line: payment codes (the key to a receipt with a
    name), receipt verification codes and VNPay's return parameters, which the app and gunicorn keep out."""
    import re
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf))
    logs = re.findall(r"^\s*access_log\s+([^;]+);", conf, re.MULTILINE)
    assert logs, "no access_log: nginx would write its default, combined, with the request line"
    for directive in logs:
        parts = directive.split()
        if parts == ["off"]:
            continue
        assert len(parts) >= 2 and parts[1] in formats, f"access_log {directive} uses a format with the path"
        assert not [v for v in PATH_VARIABLES if v in formats[parts[1]] + "'"], formats[parts[1]]


# --- every line logged during a request carries its id -------------------------------------------------

def test_a_line_logged_during_a_request_without_its_id_gets_it_from_the_request(app):
    """E.g. `reconciliation.days._after_commit` logs a failure of the work it runs after a close commits,
    inside the request but with no request id of its own."""
    from flask import g

    record = logging.LogRecord("hccpay.reconciliation", logging.ERROR, __file__, 1, "work after the commit failed",
                               None, None)
    with app.test_request_context("/api/v1/reconciliation/days/2026-11-25/close/approve", method="POST"):
        g.request_id = "3f2b-close"
        assert json.loads(JSONFormatter().format(record))["request_id"] == "3f2b-close"
    assert "request_id" not in json.loads(JSONFormatter().format(record))  # a worker's line: none to give
