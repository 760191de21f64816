"""A deadlock or serialization failure is a lost race, not an outage: the request that PostgreSQL chose as
the victim is answered 409 concurrent_update ("try again"), with nothing written, not 503."""
import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from kernel.db import lost_race, unavailable_reason, unit_of_work
from kernel.http import to_error_response
from kernel.users import User, create_user, login
from tests.conftest import T0
from tests.locks import wait_until_blocked


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_lost_race_answers_409_concurrent_update(app, sqlstate):
    exc = OperationalError("UPDATE ...", {}, FakeDriverError(sqlstate))
    assert lost_race(exc)
    with app.test_request_context("/api/v1/anything"):
        response = to_error_response(exc)
    assert response.status_code == 409
    assert response.json["code"] == "concurrent_update" and "try again" in response.json["message"]
    assert unavailable_reason(exc) is not None  # the workers still wait and retry it, as before


def test_a_connection_lost_is_still_503_database_unavailable(app):
    exc = OperationalError("SELECT 1", {}, FakeDriverError("08006"))
    assert not lost_race(exc)
    with app.test_request_context("/api/v1/anything"):
        response = to_error_response(exc)
    assert response.status_code == 503 and response.json["code"] == "database_unavailable"


def test_a_request_that_deadlocks_with_another_transaction_is_409_and_writes_nothing(app, engine, db, auth):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): it cannot deadlock")
    with unit_of_work(db) as s:
        user_id = create_user(s, username="mai", full_name="Mai", roles=["cashier"], password="x" * 12, now=T0).id
        assert login(s, username="mai", password="x" * 12, now=T0).ok  # a session row to end
    client = app.test_client()
    answers = {}
    # The request locks the user, then its sessions (update_user -> end_sessions); the other transaction
    # holds the sessions and then asks for the user: opposite orders. PostgreSQL looks for a cycle once,
    # deadlock_timeout after a wait begins: the request's look (5 s) must come after the cycle closes, even
    # on a loaded machine (with the default 1 s it could find none, and the other's look, 30 s, would
    # make the other the victim), and before the other's.
    def set_timeout(connection, _record):
        with connection.cursor() as cursor:
            cursor.execute("SET deadlock_timeout = '5s'")
        connection.commit()  # a SET in a transaction rolled back would be undone with it

    app_engine = app.extensions["hccpay"].engine
    event.listen(app_engine, "connect", set_timeout)
    app_engine.dispose()  # the app's next connection is a new one, with that timeout
    with engine.connect() as other:
        other.execute(text("SET LOCAL deadlock_timeout = '30s'"))
        other.execute(text("UPDATE staff_sessions SET csrf_token = csrf_token WHERE user_id = :u"), {"u": user_id})
        holder_pid = other.execute(text("SELECT pg_backend_pid()")).scalar_one()
        request = threading.Thread(target=lambda: answers.update(r=client.patch(
            f"/api/v1/admin/users/{user_id}", json={"active": False}, headers=auth("admin"))))
        request.start()
        wait_until_blocked(engine, request, holder_pid=holder_pid)
        other.execute(text("SELECT id FROM users WHERE id = :u FOR UPDATE"), {"u": user_id})  # closes the cycle
        other.rollback()
    request.join(timeout=30)
    event.remove(app_engine, "connect", set_timeout)
    r = answers["r"]
    assert r.status_code == 409 and r.json["code"] == "concurrent_update", r.json
    with db() as s:
        assert s.get(User, user_id).active is True
    again = client.patch(f"/api/v1/admin/users/{user_id}", json={"active": False}, headers=auth("admin"))
    assert again.status_code == 200 and again.json["active"] is False  # trying again works


@pytest.mark.parametrize("error", [ProgrammingError("SELECT x FROM payments", {}, FakeDriverError("42P01")),
                                   ProgrammingError("SELECT x FROM payments", {}, FakeDriverError("42703"))])
def test_a_schema_behind_the_code_is_503_migrations_pending_not_a_500(app, error):
    with app.test_request_context("/api/v1/anything"):
        response = to_error_response(error)
    assert (response.status_code, response.json["code"]) == (503, "migrations_pending")


def test_a_node_on_an_unmigrated_sqlite_file_answers_503_migrations_pending(tmp_path, test_settings):
    from api import create_app

    app = create_app(test_settings.with_overrides(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    r = app.test_client().get("/api/v1/payment-requests/HS40881023160")
    assert (r.status_code, r.json["code"]) == (503, "migrations_pending")
    app.extensions["hccpay"].engine.dispose()
