"""Admin round 9: the users API tells a lock-out only while it lasts, as the admin page does."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from kernel.clock import now_utc
from kernel.users import User, create_user
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("ledger_checked")

PASSWORD = "mot-mat-khau-dai"


def test_the_users_api_shows_a_lock_out_only_while_it_lasts(client, auth, db):
    ends = now_utc() + timedelta(minutes=9)
    with db() as s, s.begin():
        create_user(s, username="ketoan9", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
        create_user(s, username="duyet9", full_name="Trần Văn Minh", roles=["approver"], password=PASSWORD, now=T0)
        create_user(s, username="thungan9", full_name="Phạm Thu", roles=["cashier"], password=PASSWORD, now=T0)
        s.execute(update(User).where(User.username == "ketoan9").values(locked_until=now_utc() - timedelta(minutes=1)))
        s.execute(update(User).where(User.username == "duyet9").values(locked_until=ends))
    r = client.get("/api/v1/admin/users", headers=auth("admin"))
    assert r.status_code == 200
    users = {u["username"]: u for u in r.json["users"]}
    assert users["ketoan9"]["locked_until"] is None  # it ended a minute ago: the account logs in
    assert users["duyet9"]["locked_until"] is not None
    assert users["duyet9"]["locked_until"][:16] == ends.isoformat()[:16]
    assert users["thungan9"]["locked_until"] is None
