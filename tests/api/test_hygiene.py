"""Secrets never appear in logs or error bodies; personal data never appears in logs."""
import json
import logging

import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from tests.factories import make_request, send_callback

PHONE, ID_NUMBER, NAME = "0912345678", "022088001234", "Nguyễn Văn An"


@pytest.fixture
def logs():
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    from kernel.logs import JSONFormatter

    handler = Keep()
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("hccpay")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_a_whole_payment_logs_no_phone_id_number_or_name(client, auth, test_settings, db, logs):
    code = make_request(client, auth)
    client.get(f"/api/v1/payment-requests/{code}")
    send_callback(client, test_settings, "bank", code=code, amount=50_000)
    send_callback(client, test_settings, "sepay", code=code, amount=50_000)
    from api import build_worker

    build_worker(test_settings, db).outbox.drain()  # SMS to a gateway that is not there: logged failures
    text = "\n".join(logs)
    for secret in (PHONE, NAME):
        assert secret not in text


def test_refused_credentials_are_not_echoed_and_not_stored(client, test_settings, db, logs):
    key = "Apikey sk-live-this-must-not-leak"
    r = client.post("/api/v1/callbacks/sepay", data=b"{}", headers={"Authorization": key,
                                                                    "Content-Type": "application/json"})
    assert r.status_code == 401 and "sk-live" not in r.get_data(as_text=True)
    bad_token = client.get("/api/v1/dossiers/X", headers={"Authorization": "Bearer hcc_secret-token-value"})
    assert "secret-token-value" not in bad_token.get_data(as_text=True)
    with db() as s:
        [row] = s.execute(select(InboundCallback)).scalars().all()
    assert row.headers["Authorization"] == "<redacted>"
    assert "sk-live" not in "\n".join(logs)


def test_an_unexpected_error_answers_with_a_request_id_and_no_internals(app, client, logs):
    secret = app.extensions["hccpay"].settings.secret("HCCPAY_BANK_WEBHOOK_SECRET")

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError(f"internal detail with {secret}")

    r = client.get("/boom-for-test", headers={"X-Request-Id": "req-12345"})
    assert r.status_code == 500 and r.json["code"] == "internal_error"
    assert r.json["details"]["request_id"] == "req-12345" and r.headers["X-Request-Id"] == "req-12345"
    body = r.get_data(as_text=True)
    assert "internal detail" not in body and secret not in body
    assert any("req-12345" in line for line in logs)


def test_a_database_error_does_not_carry_the_statement_parameters(database_url):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from kernel.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as failed:
            conn.execute(text("SELECT no_such_column FROM dossiers WHERE applicant_phone = :phone"),
                         {"phone": "0901234567"})
    finally:
        engine.dispose()
    assert "0901234567" not in str(failed.value)  # logged with the request id: no phone numbers in logs


def test_every_request_is_logged_once_with_its_id_and_route_not_its_path(client, auth, logs):
    code = make_request(client, auth)
    r = client.get(f"/api/v1/payment-requests/{code}", headers={"X-Request-Id": "trace-42"})
    [line] = [json.loads(entry) for entry in logs if '"trace-42"' in entry]
    assert (line["message"], line["method"], line["status"]) == ("request", "GET", r.status_code)
    assert line["route"] == "/api/v1/payment-requests/<string:code>" and code not in json.dumps(line)


@pytest.mark.parametrize("url", ["/api/v1/refunds?status=%00", "/api/v1/refunds?status=awaiting%00approval",
                                 "/api/v1/refunds?status=whatever", "/api/v1/reconciliation/lines?import_id=1&status=%00"])
def test_odd_query_values_are_a_400_on_both_databases(client, auth, url):
    r = client.get(url, headers=auth("finance"))
    assert r.status_code == 400 and r.json["code"] == "invalid_parameter", r.json
