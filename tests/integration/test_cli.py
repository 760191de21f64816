"""The `hccpay` command line against the test database."""
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from cli import main
from kernel.audit import AuditEntry, record
from kernel.auth import authenticate_token
from tests.conftest import T0


@pytest.fixture
def run(database_url, db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HCCPAY_DEMO", "1")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_token_create_prints_the_token_alone_on_the_last_line(run, db):
    result = run("token", "create", "--role", "finance", "--name", "Kế toán Lan")
    assert result.exit_code == 0
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"hcc_[A-Za-z0-9_\-]{40,}", last)
    with db() as s:
        principal = authenticate_token(s, last)
    assert principal is not None and principal.roles == {"finance"}


def test_token_create_refuses_an_unknown_role(run):
    result = run("token", "create", "--role", "boss", "--name", "x")
    assert result.exit_code != 0 and "unknown role" in result.output


def test_a_revoked_token_no_longer_authenticates(run, db):
    raw = run("token", "create", "--role", "intake", "--name", "một cửa").output.strip().splitlines()[-1]
    with db() as s:
        token_id = authenticate_token(s, raw).id
    assert run("token", "revoke", str(token_id)).exit_code == 0
    with db() as s:
        assert authenticate_token(s, raw) is None


def test_tokens_are_stored_hashed(run, db):
    raw = run("token", "create", "--role", "admin", "--name", "ops").output.strip().splitlines()[-1]
    listing = run("token", "list").output
    assert raw not in listing and "ops" in listing


def test_audit_verify_passes_then_fails_after_tampering(run, db):
    with db() as s, s.begin():
        for i in range(3):
            record(s, actor="t", action="a", subject_type="x", subject_id=i, at=T0)
    ok = run("audit", "verify")
    assert ok.exit_code == 0 and "ok (3 rows)" in ok.output
    with db() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="someone else"))
    broken = run("audit", "verify")
    assert broken.exit_code == 1


def test_demo_seed_is_repeatable_and_prints_tokens_and_pay_urls(run, db):
    first = run("demo", "seed")
    assert first.exit_code == 0, first.output
    second = run("demo", "seed")
    assert first.output == second.output
    assert "/pay/HS" in first.output and "hcc_demo_intake_" in first.output
