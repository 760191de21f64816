"""What the service does on its worst days."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import event, func, select

from api import create_app
from kernel.clock import now_utc
from kernel.inbox import queued_count
from payments.inbox_apply import drain
from payments.models import Dossier, Payment, PaymentRequest
from payments.service import create_dossier
from payments.validation import parse_dossier
from sandbox.bank import callback_request
from sandbox.server import serve_in_thread
from tests.factories import assert_ledger_ok, dossier_body
from tests.faults.conftest import ROOT, TcpProxy, wait_until, worker_pids

pytestmark = pytest.mark.faults


def open_requests(db, settings, n: int) -> list[str]:
    with db() as s, s.begin():
        return [create_dossier(s, data=parse_dossier(dossier_body(("Lệ phí", "charge", 50_000))), settings=settings,
                               actor="fault-test", now=now_utc())[1].payment_code for _ in range(n)]


def count(db, model, *where) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_killing_a_worker_under_load_loses_no_acknowledged_callback_and_doubles_none(gunicorn, appliers, db,
                                                                                      test_settings):
    """kill -9 of a gunicorn worker (answering callbacks) and of a `hccpay worker` (applying them)."""
    url, master = gunicorn
    codes = open_requests(db, test_settings, 120)
    acknowledged, unacknowledged = set(), set()
    lock = threading.Lock()
    killed = threading.Event()

    def send(index: int, code: str) -> bool:
        path, headers, body = callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=50_000,
                                               txn_id=f"KILL-{index}", at=now_utc())
        try:
            return requests.post(f"{url}{path}", data=body, headers=headers, timeout=10).status_code == 200
        except requests.RequestException:
            return False

    def client(chunk):
        for index, code in chunk:
            if index == 40 and not killed.is_set():  # a third of the way in, kill -9 a worker of each kind
                killed.set()
                os.kill(worker_pids(master)[0], signal.SIGKILL)
                appliers[0].kill()
            ok = send(index, code)
            with lock:
                (acknowledged if ok else unacknowledged).add((index, code))

    work = list(enumerate(codes))
    threads = [threading.Thread(target=client, args=(work[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert killed.is_set() and acknowledged
    # The bank retries what it did not see acknowledged, until it is.
    wait_until(lambda: len(worker_pids(master)) == 2, timeout=30)
    for index, code in sorted(unacknowledged):
        wait_until(lambda: send(index, code), timeout=30)
    wait_until(lambda: nothing_queued(db), timeout=60)  # the surviving worker applies what the other held
    assert appliers[0].poll() is not None and appliers[1].poll() is None
    for index, code in acknowledged | unacknowledged:
        assert count(db, Payment, Payment.provider_ref == f"KILL-{index}") == 1
    assert count(db, Payment) == len(codes)
    assert count(db, PaymentRequest, PaymentRequest.status == "paid") == len(codes)
    assert_ledger_ok(db)


def nothing_queued(db) -> bool:
    with db() as s:
        return queued_count(s) == 0


@pytest.fixture
def appliers(database_url, db):
    """Two `hccpay worker` processes applying queued callbacks."""
    env = dict(os.environ, DATABASE_URL=database_url, HCCPAY_DEMO="1", HCCPAY_LOG_LEVEL="WARNING")
    processes = [subprocess.Popen([str(ROOT / ".venv/bin/hccpay"), "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    yield processes
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


@pytest.fixture
def behind_proxy(database_url, db, test_settings, tokens):
    """The app reaching PostgreSQL through a relay the test can cut."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the database drop is a PostgreSQL scenario (SQLite is a local file)")
    proxy = TcpProxy(5432)
    proxy.start()
    proxied = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    app = create_app(test_settings.with_overrides(database_url=proxied))
    server = serve_in_thread(app)
    yield server.url, proxy
    server.stop()
    proxy.cut()
    app.extensions["hccpay"].engine.dispose()


def test_while_the_database_is_away_the_service_answers_503_and_recovers_without_restart(behind_proxy, tokens,
                                                                                        test_settings, db):
    url, proxy = behind_proxy
    intake = {"Authorization": f"Bearer {tokens['intake']}"}
    created = requests.post(f"{url}/api/v1/dossiers", json=dossier_body(), headers=intake, timeout=10)
    code = created.json()["payment_request"]["payment_code"]
    proxy.cut()
    away = [requests.get(f"{url}/healthz", timeout=10),
            requests.get(f"{url}/api/v1/payment-requests/{code}", timeout=10),
            requests.post(f"{url}/api/v1/dossiers", json=dossier_body(), headers=intake, timeout=10)]
    path, headers, body = callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="AWAY-1", at=now_utc())
    away.append(requests.post(f"{url}{path}", data=body, headers=headers, timeout=10))
    assert [r.status_code for r in away] == [503, 503, 503, 503]
    assert {r.json()["code"] for r in away} == {"database_unavailable"}
    proxy.start()
    wait_until(lambda: requests.get(f"{url}/healthz", timeout=10).status_code == 200)
    retried = requests.post(f"{url}{path}", data=body, headers=headers, timeout=10)
    assert retried.status_code == 200
    drain(db, test_settings)
    assert requests.get(f"{url}/api/v1/payment-requests/{code}", timeout=10).json()["status"] == "paid"
    assert_ledger_ok(db)


@pytest.fixture
def limited_app(test_settings, db, tokens, database_url):
    """An app whose new database connections run under a restriction chosen by the test."""
    app = create_app(test_settings)
    engine = app.extensions["hccpay"].engine
    restriction = {"sql": None}

    @event.listens_for(engine, "connect")
    def _restrict(dbapi_conn, _record):
        if restriction["sql"]:
            cursor = dbapi_conn.cursor()
            cursor.execute(restriction["sql"])
            cursor.close()
            if engine.dialect.name == "postgresql":
                dbapi_conn.commit()

    def restrict(sql: str | None):
        restriction["sql"] = sql
        engine.dispose()  # the next connections are made under it

    yield app.test_client(), restrict, engine.dialect.name
    engine.dispose()


def _nothing_written_on(client, tokens, db, expected_code: str):
    intake = {"Authorization": f"Bearer {tokens['intake']}"}
    before = count(db, Dossier)
    r = client.post("/api/v1/dossiers", json=dossier_body(), headers=intake)
    assert r.status_code == 503 and r.json["code"] == expected_code, r.json
    assert count(db, Dossier) == before


def test_a_read_only_database_gives_a_clear_503_and_writes_nothing(limited_app, tokens, db):
    client, restrict, dialect = limited_app
    restrict("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY" if dialect == "postgresql"
             else "PRAGMA query_only = ON")
    _nothing_written_on(client, tokens, db, "database_read_only")
    restrict(None)
    assert client.post("/api/v1/dossiers", json=dossier_body(),
                       headers={"Authorization": f"Bearer {tokens['intake']}"}).status_code == 201


def test_a_full_disk_gives_a_clear_503_and_writes_nothing(limited_app, tokens, db):
    """The disk fills up half-way through a dossier (dossier and fee items written, its payment
    request not): the driver's "disk full" error becomes a 503 and the transaction leaves nothing."""
    client, _, dialect = limited_app
    engine = client.application.extensions["hccpay"].engine
    if dialect == "postgresql":
        from psycopg.errors import DiskFull as full
    else:
        from sqlite3 import OperationalError as full

    @event.listens_for(engine, "do_execute")
    def _disk_full(cursor, statement, parameters, context):
        if statement.startswith("INSERT INTO payment_requests"):
            raise full("could not extend file: No space left on device" if dialect == "postgresql"
                       else "database or disk is full")

    _nothing_written_on(client, tokens, db, "storage_full")
    event.remove(engine, "do_execute", _disk_full)


def test_gateways_down_for_a_while_are_drained_exactly_once_when_back(test_settings, db, tokens):
    """Courier bookings and SMS queue up while their services are down and go out once after."""
    from api import build_worker
    from kernel.outbox import DONE, OutboxMessage
    from sandbox.courier import create_courier
    from sandbox.sms import create_sms_gateway
    from tests.postal_factories import make_dossier, shipment_body

    sms = serve_in_thread(create_sms_gateway("key"))
    courier = serve_in_thread(create_courier("courier-key", test_settings.secret("HCCPAY_COURIER_WEBHOOK_SECRET")))
    try:
        settings = test_settings.with_overrides(sms_gateway_url=sms.url, sms_api_key="key", courier_url=courier.url,
                                                courier_api_key="courier-key")
        for service in (sms, courier):
            requests.post(f"{service.url}/_control", json={"mode": "down"}, timeout=5)
        app = create_app(settings)
        client = app.test_client()
        make_dossier(db, settings, code="FAULT-SHIP-1")
        r = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="FAULT-SHIP-1"),
                        headers={"Authorization": f"Bearer {tokens['intake']}"})
        assert r.status_code == 201, r.json
        clock = {"at": now_utc()}
        outbox = build_worker(settings, db).outbox
        outbox.clock = lambda: clock["at"]
        for _ in range(3):  # a few rounds while both are down: backing off, not lost
            outbox.drain()
            clock["at"] += timedelta(minutes=15)
        with db() as s:
            waiting = s.execute(select(OutboxMessage).where(OutboxMessage.topic.in_(["sms", "courier.book"]))).scalars().all()
        assert waiting and all(m.status == "pending" and m.attempts >= 2 for m in waiting)
        for service in (sms, courier):
            requests.post(f"{service.url}/_control", json={"mode": "ok"}, timeout=5)
        clock["at"] += timedelta(hours=13)
        outbox.drain()
        with db() as s:
            sent = s.execute(select(OutboxMessage).where(OutboxMessage.topic.in_(["sms", "courier.book"]))).scalars().all()
        assert {m.status for m in sent} == {DONE} and {m.topic for m in sent} == {"sms", "courier.book"}
        # Exactly once on the other side: one order at the courier, one text per SMS message.
        assert len(requests.get(f"{sms.url}/sms", timeout=5).json()["messages"]) == \
            len([m for m in sent if m.topic == "sms"])
        assert len(requests.get(f"{courier.url}/_orders", timeout=5).json()["orders"]) == 1
        app.extensions["hccpay"].engine.dispose()
    finally:
        sms.stop()
        courier.stop()
