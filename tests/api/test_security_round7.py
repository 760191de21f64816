"""Security probe, round 7: authentication, roles, secrets, audit and logs."""
import json
import logging

from sqlalchemy import select

from kernel.audit import AuditEntry, verify_chain
from kernel.logs import JSONFormatter

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
