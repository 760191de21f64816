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
