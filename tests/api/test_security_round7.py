"""Security probe, round 7: authentication, roles, secrets, audit and logs."""
import json

from sqlalchemy import select

from kernel.audit import AuditEntry, verify_chain

# --- who made a staff account -------------------------------------------------------------


def test_a_staff_user_made_with_the_cli_is_audited_as_the_api_and_the_page_do(cli, db):
    result = cli("user", "create", "--username", "quantri2", "--full-name", "Lê Thị Lan", "--role", "admin",
                 "--password", "a-long-enough-password")
    assert result.exit_code == 0, result.output
    with db() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "user.create")).scalars().all()
        assert verify_chain(s).ok
    assert [(e.actor, json.loads(e.data)) for e in entries] == [("cli", {"username": "quantri2", "roles": ["admin"]})]
