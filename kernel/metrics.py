"""Prometheus metrics at /metrics: HTTP requests of this process, and figures read from the
database at scrape time (they are the same whichever node is scraped): callbacks by outcome,
outbox depth, and whatever other packages register (e.g. open reconciliation exceptions).

With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR so the request counters of all
workers add up (prometheus_client's multiprocess mode).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.clock import now_utc
from kernel.inbox import InboundCallback, queued_count
from kernel.outbox import OutboxMessage

REQUESTS = Counter("hccpay_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("hccpay_http_request_seconds", "HTTP request latency", ["route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

# name -> function(session) yielding metric families; packages add their own (see reconciliation).
DATABASE_GAUGES: dict[str, Callable[[Session], Iterable[GaugeMetricFamily]]] = {}


def _callbacks(session: Session):
    family = GaugeMetricFamily("hccpay_callbacks_last_24h", "Inbound callbacks received in the last 24 h",
                               labels=["provider", "outcome"])
    since = now_utc() - timedelta(hours=24)
    for provider, status, count in session.execute(
            select(InboundCallback.provider, InboundCallback.status, func.count())
            .where(InboundCallback.received_at >= since).group_by(InboundCallback.provider, InboundCallback.status)):
        family.add_metric([provider, status], count)
    yield family


def _inbox_queue(session: Session):
    family = GaugeMetricFamily("hccpay_callbacks_queued", "Verified callbacks waiting for a worker to apply them")
    family.add_metric([], queued_count(session))
    yield family


def _outbox(session: Session):
    family = GaugeMetricFamily("hccpay_outbox_messages", "Outbound messages not yet delivered",
                               labels=["topic", "status"])
    for topic, status, count in session.execute(
            select(OutboxMessage.topic, OutboxMessage.status, func.count())
            .where(OutboxMessage.status != "done").group_by(OutboxMessage.topic, OutboxMessage.status)):
        family.add_metric([topic, status], count)
    yield family


DATABASE_GAUGES.update({"callbacks": _callbacks, "inbox_queue": _inbox_queue, "outbox": _outbox})


def register_counts(name: str, documentation: str, label: str,
                    counts: Callable[[Session], dict[str, int]]) -> None:
    """Add a gauge read from the database at scrape time: `counts(session)` gives label -> value."""
    def collect(session: Session):
        family = GaugeMetricFamily(name, documentation, labels=[label])
        for key, value in sorted(counts(session).items()):
            family.add_metric([key], value)
        yield family

    DATABASE_GAUGES[name] = collect


class _DatabaseCollector:
    def __init__(self, sessions):
        self.sessions = sessions

    def collect(self):
        with self.sessions() as session:
            for gauges in DATABASE_GAUGES.values():
                yield from gauges(session)


def init_metrics(app: Flask, sessions) -> None:
    def registry() -> CollectorRegistry:
        reg = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.MultiProcessCollector(reg)
        else:
            reg.register(REQUESTS)
            reg.register(LATENCY)
        reg.register(_DatabaseCollector(sessions))
        return reg

    @app.before_request
    def _start():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        if "metrics_started" in g:
            LATENCY.labels(route).observe(time.perf_counter() - g.metrics_started)
        return response

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
