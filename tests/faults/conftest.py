"""Fault tests: real processes, killed workers, a database that goes away, fills up or turns read-only.

Run with `make test-faults` (CI runs them on PostgreSQL). They are slower than the suite and
are kept out of `make test`.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 20.0, interval: float = 0.1):
    """Poll `check` until it returns a true value or the deadline passes (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        threading.Event().wait(interval)
    raise AssertionError("condition not met before the deadline")


@pytest.fixture
def gunicorn(database_url, db):
    """The app under gunicorn (2 workers) on a free port; yields (url, master process)."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, HCCPAY_DEMO="1", HCCPAY_PUBLIC_RATE_LIMIT="",
               HCCPAY_LOG_LEVEL="WARNING")
    process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                "--graceful-timeout", "5", "api:create_app()"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    wait_until(up, timeout=30)
    yield url, process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)


def worker_pids(master: subprocess.Popen) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


class TcpProxy:
    """A TCP relay the test can cut and restore: the app's way to the database."""

    def __init__(self, target_port: int):
        self.target_port, self.port = target_port, free_port()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._server.settimeout(0.2)
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        server = self._server
        while self._running:
            try:
                client, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        """The database goes away: refuse new connections and break the open ones."""
        self._running = False
        if self._server:
            self._server.close()
        with self._lock:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                except OSError:
                    pass
            self._conns = []


def python() -> str:
    return sys.executable
