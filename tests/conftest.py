"""Test fixtures: a database built by the real migrations (SQLite by default, PostgreSQL when
DATABASE_URL says so), cleaned between tests, and an app with a token per role."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings as hypothesis_settings
from sqlalchemy import text

from config import load_settings
from kernel import migrate
from kernel.audit import verify_chain
from kernel.db import make_engine, make_session_factory, unit_of_work
from migrations.registry import target_metadata
from sandbox.bank import create_bank_app
from sandbox.server import serve_in_thread
from tests.factories import assert_ledger_ok

# Property tests check what is true, not how fast: on CI's two busy cores one example can take longer than
# Hypothesis's 200 ms deadline, which it reports as a failure (a flaky one: the example passes when rerun).
hypothesis_settings.register_profile("hccpay", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("hccpay")

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội, a Wednesday


def pytest_configure(config):
    """`HCCPAY_TEST_NOW=2027-02-04T16:00:00+07:00 make test` runs the suite as if started at that
    instant (the process clock moved there, ticking on). The suite must pass whenever CI runs: a
    Saturday in Hà Nội, Tết, months after the days a test's data names."""
    at = os.environ.get("HCCPAY_TEST_NOW")
    if at:
        import time_machine

        traveller = time_machine.travel(datetime.fromisoformat(at), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = _database_url(tmp_path_factory)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # start from nothing: the migrations must build everything
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def test_settings(database_url):
    env = {"HCCPAY_DEMO": "1", "DATABASE_URL": database_url}
    return load_settings(env, testing=True)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine):
    return make_session_factory(engine)


def _wipe(engine) -> None:
    tables = [t.name for t in reversed(target_metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def db(engine, sessions):
    """A clean database for this test; yields the session factory."""
    _wipe(engine)
    return sessions


@pytest.fixture
def ledger_checked(db):
    """After the test, the books balance (a module asks for it with
    `pytestmark = pytest.mark.usefixtures("ledger_checked")`)."""
    yield
    assert_ledger_ok(db)


@pytest.fixture
def ledger_and_audit_checked(db):
    """After the test, the books balance and the audit log's hash chain holds (modules of finance's
    decisions, which write both)."""
    yield
    assert_ledger_ok(db)
    with db() as s:
        assert verify_chain(s).ok


@pytest.fixture
def session(db):
    """One session in one transaction, committed at the end of the test."""
    with unit_of_work(db) as s:
        yield s


def applies_queued_callbacks(client_class):
    """A test client that runs the workers' inbox step after every request, as a worker would
    moments after a callback is answered; `client.queued_only()` is the plain client."""
    from payments.inbox_apply import drain

    class Client(client_class):
        def open(self, *args, **kwargs):
            response = super().open(*args, **kwargs)
            runtime = self.application.extensions["hccpay"]
            drain(runtime.sessions, runtime.settings)
            return response

        def queued_only(self):
            return client_class(self.application, self.application.response_class, use_cookies=True)

    return Client


@pytest.fixture
def app(test_settings, db):
    from api import create_app

    app = create_app(test_settings)
    app.test_client_class = applies_queued_callbacks(app.test_client_class or FlaskClient)
    yield app
    app.extensions["hccpay"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(app, db):
    """A raw API token per role."""
    from kernel.auth import ROLES, create_token

    raw = {}
    with unit_of_work(db) as s:
        for role in ROLES:
            _, raw[role] = create_token(s, role=role, name=f"test {role}", actor="test", now=T0)
    return raw


@pytest.fixture
def cli(database_url, db, monkeypatch):
    """`cli("token", "list")` -> the result of `hccpay token list` against the test database."""
    from click.testing import CliRunner

    from cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HCCPAY_DEMO", "1")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def taken_port():
    """A local port something already listens on (start-up must refuse it with a sentence)."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.fixture
def auth(tokens):
    """`auth("intake")` -> headers for that role."""
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


@dataclass(frozen=True)
class Served:
    url: str
    settings: object
    app: object

    def settle(self) -> None:
        """Apply what callbacks queued now, rather than within the applier thread's next beat."""
        from payments.inbox_apply import drain

        drain(self.app.extensions["hccpay"].sessions, self.settings)


@pytest.fixture
def served(test_settings, db, tokens):
    """The app on a real port (threaded werkzeug), its public URL pointing at itself."""
    import socket

    from api import create_app
    from sandbox.server import serve_in_thread

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = test_settings.with_overrides(public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    server = serve_in_thread(app, port=port)
    stop = threading.Event()
    applier = threading.Thread(target=_apply_callbacks_until, args=(app, stop), daemon=True)
    applier.start()
    yield Served(server.url, settings, app)
    stop.set()
    applier.join(timeout=10)
    server.stop()
    app.extensions["hccpay"].engine.dispose()


def _apply_callbacks_until(app, stop) -> None:
    """The workers' inbox step beside a served app (the outbox stays for each test to drive)."""
    from payments.inbox_apply import apply_queued

    runtime = app.extensions["hccpay"]
    while not stop.wait(0.05):
        while apply_queued(runtime.sessions, runtime.settings):
            pass


@pytest.fixture
def acquirer(test_settings):
    """The sandbox acquirer on a real port; `.settings` point the POS refund calls at it."""
    server = serve_in_thread(create_bank_app(test_settings, "http://127.0.0.1:9"))
    server.settings = test_settings.with_overrides(pos_gateway_url=f"{server.url}/pos")
    server.mode = lambda mode: requests.post(f"{server.url}/pos/_control", json={"mode": mode}, timeout=5)
    server.refunds = lambda: requests.get(f"{server.url}/pos/refunds", timeout=5).json()["refunds"]
    yield server
    server.stop()
