"""The `hccpay` command line against the test database."""
import json
import re

from sqlalchemy import update

from kernel.audit import AuditEntry, record
from kernel.auth import authenticate_token
from kernel.clock import now_utc
from tests.conftest import T0


def test_token_create_prints_the_token_alone_on_the_last_line(cli, db):
    result = cli("token", "create", "--role", "finance", "--name", "Kế toán Lan")
    assert result.exit_code == 0
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"hcc_[A-Za-z0-9_\-]{40,}", last)
    with db() as s:
        principal = authenticate_token(s, last, now=now_utc())
    assert principal is not None and principal.roles == {"finance"}


def test_tokens_made_and_revoked_on_the_command_line_are_audited_as_through_the_api(cli, db):
    raw = cli("token", "create", "--role", "auditor", "--name", "Thanh tra").output.strip().splitlines()[-1]
    with db() as s:
        token_id = authenticate_token(s, raw, now=now_utc()).id
    assert cli("token", "revoke", str(token_id)).exit_code == 0
    with db() as s:
        entries = s.query(AuditEntry).filter_by(subject_type="api_token", subject_id=str(token_id)) \
            .order_by(AuditEntry.id).all()
    assert [(e.action, e.actor) for e in entries] == [("token.create", "cli"), ("token.revoke", "cli")]
    assert json.loads(entries[0].data) == {"role": "auditor", "name": "Thanh tra", "expires_at": None}


def test_token_create_refuses_an_unknown_role(cli):
    result = cli("token", "create", "--role", "boss", "--name", "x")
    assert result.exit_code != 0 and "unknown role" in result.output


def test_a_revoked_token_no_longer_authenticates(cli, db):
    raw = cli("token", "create", "--role", "intake", "--name", "một cửa").output.strip().splitlines()[-1]
    with db() as s:
        token_id = authenticate_token(s, raw, now=now_utc()).id
    assert cli("token", "revoke", str(token_id)).exit_code == 0
    with db() as s:
        assert authenticate_token(s, raw, now=now_utc()) is None


def test_tokens_are_stored_hashed(cli, db):
    raw = cli("token", "create", "--role", "admin", "--name", "ops").output.strip().splitlines()[-1]
    listing = cli("token", "list").output
    assert raw not in listing and "ops" in listing


def test_audit_verify_passes_then_fails_after_tampering(cli, db):
    with db() as s, s.begin():
        for i in range(3):
            record(s, actor="t", action="a", subject_type="x", subject_id=i, at=T0)
    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and "audit chain ok (3 rows; no seal yet" in ok.output
    with db() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="someone else"))
    broken = cli("audit", "verify")
    assert broken.exit_code == 1


def test_demo_seed_is_repeatable_and_prints_tokens_and_pay_urls(cli, db):
    first = cli("demo", "seed")
    assert first.exit_code == 0, first.output
    second = cli("demo", "seed")
    assert first.output == second.output
    assert "/pay/HS" in first.output and "hcc_demo_intake_" in first.output


def test_demo_seed_suggests_an_unpaid_request_and_names_its_tokens_in_vietnamese(cli, db, test_settings):
    from sqlalchemy import select

    from kernel.auth import ApiToken
    from kernel.clock import now_utc
    from kernel.db import unit_of_work
    from payments.credits import IncomingCredit, record_credits
    from payments.ledger import Accounts
    from payments.models import PaymentRequest

    seeded = cli("demo", "seed").output
    suggested = re.search(r"sandbox pay (HS\d+)", seeded).group(1)
    assert re.search(rf"{suggested} .*\(pending\)", seeded)
    with unit_of_work(db) as s:
        owed = s.execute(select(PaymentRequest.amount_vnd)
                         .where(PaymentRequest.payment_code == suggested)).scalar_one()
        record_credits(s, [IncomingCredit(provider="bank", provider_ref="DEMO-PAID", channel="vietqr_transfer",
                                          amount_vnd=owed, booked_at=now_utc(), payment_code=suggested,
                                          clearing_account=Accounts.bank("970436", "0071001234567"))],
                       settings=test_settings, actor="test", now=now_utc())
    again = cli("demo", "seed").output
    assert re.search(rf"{suggested} .*\(paid\)", again) and f"sandbox pay {suggested} " not in again
    with db() as s:
        names = set(s.execute(select(ApiToken.name)).scalars())
    assert "Quầy thu ngân (demo)" in names and not any(n.startswith("demo ") for n in names)


def test_sandbox_pay_refuses_outside_demo_mode(cli, monkeypatch):
    # it signs with the server's own secrets: in production it would credit money that never arrived
    from tests.unit.test_config import FULL

    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HCCPAY_DEMO", "0")
    result = cli("sandbox", "pay", "HS40881023160")
    assert result.exit_code == 1 and "runs only with HCCPAY_DEMO=1" in result.output


def test_serve_names_the_setting_that_moves_the_demo_sandboxes_when_their_port_is_taken(cli, monkeypatch,
                                                                                       taken_port):
    import waitress

    class Unserved:  # bound, never run
        def run(self):
            raise AssertionError("served")

        def close(self):
            pass

    monkeypatch.setattr(waitress, "create_server", lambda *a, **k: Unserved())
    monkeypatch.setenv("HCCPAY_SANDBOX_PORT", str(taken_port))
    result = cli("serve", "--no-worker")
    assert result.exit_code == 1
    assert "HCCPAY_SANDBOX_PORT" in result.output and f"ports {taken_port}-{taken_port + 2}" in result.output


def test_demo_seed_on_moved_ports_suggests_a_payment_that_reaches_the_service_from_another_terminal(cli, monkeypatch):
    """`PORT=8170 HCCPAY_SANDBOX_PORT=8171 make run` (8000-8003 taken): the suggested command, typed in
    another terminal without those settings, must pay the service on 8170, not look for one on 8000."""
    monkeypatch.setenv("PORT", "8170")
    monkeypatch.setenv("HCCPAY_SANDBOX_PORT", "8171")
    [hint] = [line for line in cli("demo", "seed").output.splitlines() if "sandbox pay" in line]
    assert hint.endswith("--via sepay --url http://127.0.0.1:8170"), hint
    monkeypatch.delenv("PORT")
    monkeypatch.delenv("HCCPAY_SANDBOX_PORT")
    [hint] = [line for line in cli("demo", "seed").output.splitlines() if "sandbox pay" in line]
    assert hint.endswith("--via sepay"), hint  # the default service needs no --url
