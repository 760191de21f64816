"""Wiring only, no business rule lives here: the app factory, the worker and the sandboxes."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from config import Settings, load_settings
from kernel.admin_routes import admin_ns
from kernel.audit import seal as seal_audit_log
from kernel.clock import business_date, now_utc
from kernel.db import make_engine, make_session_factory
from kernel.http import HccApi, Runtime, error_response, init_http, request_id, runtime
from kernel.events import WEBHOOK_TOPIC, webhook_topic
from kernel.jobs import PeriodicJob
from kernel.jsonobjects import UniqueKeysJSONProvider
from kernel import migrate
from kernel.logs import configure_logging
from kernel.metrics import init_metrics, register_counts
from kernel.notify import SMS_TOPIC, SmsGatewayClient, sms_topic
from kernel.outbox import OutboxWorker, Topic
from kernel.ratelimit import purge as purge_rate_counters
from kernel.worker import Worker
from payments.callback_routes import callbacks_ns
from payments.inbox_apply import worker_queue
from payments.money_routes import cash_ns, checkout_ns, finance_ns, payments_ns
from payments.clients import PosGatewayClient, pos_refund_topic
from payments.refund_routes import receipts_ns, refunds_ns
from payments.refunds import POS_REFUND_TOPIC
from payments.routes import dossiers_ns, requests_ns
from payments.service import expire_due_requests
from postal.clients import CourierClient
from postal.routes import courier_callbacks_ns, postal_ns
from postal.service import BOOK_TOPIC, CANCEL_TOPIC, TRACK_TOPIC, dispatch_paid_deliveries
from postal.tracking import courier_topics, enqueue_tracking_polls
from reconciliation.exceptions import open_counts as open_exception_counts
from reconciliation.routes import recon_ns
from reconciliation.sweep import sweep as reconciliation_sweep
from web import init_web

API_PREFIX = "/api/v1"
NAMESPACES = (dossiers_ns, requests_ns, checkout_ns, payments_ns, refunds_ns, receipts_ns, callbacks_ns, finance_ns,
              cash_ns, admin_ns, postal_ns, courier_callbacks_ns, recon_ns)
# Every outbox topic the service writes, delivered or not in this deployment (`outbox_topics`): messages
# wait under a topic whose client is not configured, and /admin/outbox?topic= lists them by these names.
OUTBOX_TOPICS = (WEBHOOK_TOPIC, SMS_TOPIC, POS_REFUND_TOPIC, BOOK_TOPIC, CANCEL_TOPIC, TRACK_TOPIC)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for `settings` (default: from the environment)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    app = Flask(__name__, static_folder=None)  # pages serve their assets from web/static
    # The first value signs the pages' session cookie; the others still verify it (rotation, as for every secret).
    app.config.update(SECRET_KEY=settings.secret("HCCPAY_SECRET_KEY"),
                      SECRET_KEY_FALLBACKS=list(settings.secret_values("HCCPAY_SECRET_KEY")[1:]),
                      TESTING=settings.testing,
                      MAX_CONTENT_LENGTH=20 * 1024 * 1024, RESTX_MASK_SWAGGER=False,
                      RESTX_JSON={"ensure_ascii": False}, RESTX_ERROR_404_HELP=False)
    app.json = UniqueKeysJSONProvider(app)  # a member named twice is refused; Vietnamese unescaped
    engine = make_engine(settings.database_url)
    init_http(app, Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine)))
    app.extensions["hccpay_outbox_topics"] = frozenset(OUTBOX_TOPICS)

    blueprint = Blueprint("api", __name__, url_prefix=API_PREFIX)
    api = HccApi(
        blueprint, version="1", title="HCC Pay API", doc="/docs",
        description="Fee collection for the public-administration service centre. Errors are "
                    '{"code", "message", "details"?}; money is integer VND; times are ISO 8601 UTC.',
        authorizations={"bearer": {"type": "apiKey", "in": "header", "name": "Authorization",
                                   "description": "Bearer <API token>"}},
    )
    for namespace in NAMESPACES:
        api.add_namespace(namespace)
    app.register_blueprint(blueprint)
    init_web(app, settings)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/readyz", "readyz", readyz)
    init_metrics(app, app.extensions["hccpay"].sessions)
    register_counts("hccpay_reconciliation_open_exceptions", "Open reconciliation exceptions of the business day",
                    "kind", lambda session: open_exception_counts(session, settings=settings,
                                                                  today=business_date(now_utc())))
    return app


def healthz():
    """Liveness: the process answers and the database answers."""
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", reported as such
        return error_response(503, "database_unavailable", f"database check failed: {type(exc).__name__}",
                              {"request_id": request_id()})
    return jsonify(status="ok")


def readyz():
    """Readiness: the database answers and its schema is at this code's migration head."""
    try:
        current = migrate.is_current(runtime().engine)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported as such
        return error_response(503, "database_unavailable", f"database check failed: {type(exc).__name__}",
                              {"request_id": request_id()})
    if not current:
        return error_response(503, "migrations_pending", "the database schema is not current: run hccpay db upgrade",
                              {"request_id": request_id()})
    return jsonify(status="ready")


# --- the worker -----------------------------------------------------------------------

def outbox_topics(settings: Settings, sessions: sessionmaker[Session]) -> dict[str, Topic]:
    """Every kind of outbound message this deployment can deliver."""
    topics: dict[str, Topic] = {"webhook": webhook_topic(sessions, settings.secret_values("HCCPAY_SECRET_KEY"),
                                                          clock=now_utc, public_only=not settings.demo,
                                                          private_networks=settings.webhook_private_networks)}
    if settings.pos_gateway_url:
        client = PosGatewayClient(settings.pos_gateway_url, settings.secret_values("HCCPAY_POS_WEBHOOK_SECRET"),
                                  clock=now_utc)
        topics["pos.refund"] = pos_refund_topic(client, sessions, settings)
    if settings.sms_gateway_url and settings.sms_api_key:
        topics["sms"] = sms_topic(SmsGatewayClient(settings.sms_gateway_url, settings.sms_api_key))
    if settings.courier_url and settings.courier_api_key:
        topics.update(courier_topics(CourierClient(settings.courier_url, settings.courier_api_key), settings))
    return topics


def periodic_jobs(settings: Settings) -> list[PeriodicJob]:
    def expire(session: Session, now):
        return expire_due_requests(session, settings=settings, now=now)

    def dispatch(session: Session, now):
        return dispatch_paid_deliveries(session, settings=settings, now=now)

    def poll(session: Session, now):
        return enqueue_tracking_polls(session, now=now)

    def reconcile(session: Session, now):
        return reconciliation_sweep(session, settings=settings, now=now)

    def seal_audit(session: Session, now):
        return seal_audit_log(session, secrets=settings.secret_values("HCCPAY_SECRET_KEY"), now=now)

    return [PeriodicJob("payments.expire_requests", timedelta(minutes=1), expire),
            PeriodicJob("postal.dispatch_paid_deliveries", timedelta(minutes=1), dispatch),
            PeriodicJob("postal.poll_tracking", timedelta(minutes=15), poll),
            PeriodicJob("reconciliation.sweep", timedelta(hours=1), reconcile),
            PeriodicJob("kernel.rate_limit_purge", timedelta(hours=1), purge_rate_counters),
            PeriodicJob("kernel.audit_seal", timedelta(hours=1), seal_audit)]


def build_worker(settings: Settings, sessions: sessionmaker[Session] | None = None) -> Worker:
    configure_logging(settings.log_level)  # JSON lines, as the app's: `hccpay worker` has no app to do it
    sessions = sessions or make_session_factory(make_engine(settings.database_url))
    outbox = OutboxWorker(sessions=sessions, topics=outbox_topics(settings, sessions), clock=now_utc,
                          max_claims=settings.outbox_max_claims)
    return Worker(outbox=outbox, jobs=periodic_jobs(settings), clock=now_utc,
                  inbound=[worker_queue(sessions, settings)])


# --- sandboxes (demo mode) ------------------------------------------------------------

def start_sandboxes(settings: Settings) -> list:
    """Serve the simulated bank/gateways, SMS gateway and courier for an offline demo."""
    from sandbox.bank import create_bank_app
    from sandbox.courier import create_courier
    from sandbox.server import serve_in_thread
    from sandbox.sms import create_sms_gateway

    host = settings.sandbox_host
    courier = create_courier(settings.courier_api_key or "", settings.secret("HCCPAY_COURIER_WEBHOOK_SECRET"))
    started = []
    try:
        for app, port in ((create_sms_gateway(settings.sms_api_key or ""), settings.sandbox_sms_port),
                          (create_bank_app(settings, settings.public_url), settings.sandbox_bank_port),
                          (courier, settings.sandbox_courier_port)):
            started.append(serve_in_thread(app, host, port))
    except OSError:  # a port taken: none of them stays listening
        for server in started:
            server.stop()
        raise
    return started
