"""The app factory: wiring only, no business rule lives here."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from config import Settings, load_settings
from kernel.db import make_engine, make_session_factory
from kernel.http import HccApi, Runtime, error_response, init_http, runtime
from kernel.logs import configure_logging
from payments.routes import dossiers_ns, requests_ns

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for `settings` (default: from the environment)."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret("HCCPAY_SECRET_KEY"), TESTING=settings.testing,
                      MAX_CONTENT_LENGTH=20 * 1024 * 1024, RESTX_MASK_SWAGGER=False, RESTX_JSON={"ensure_ascii": False},
                      RESTX_ERROR_404_HELP=False, JSON_SORT_KEYS=False)
    app.json.ensure_ascii = False
    engine = make_engine(settings.database_url)
    init_http(app, Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine)))

    blueprint = Blueprint("api", __name__, url_prefix=API_PREFIX)
    api = HccApi(
        blueprint, version="1", title="HCC Pay API", doc="/docs",
        description="Fee collection for the public-administration service centre. Errors are "
                    '{"code", "message", "details"?}; money is integer VND; times are ISO 8601 UTC.',
        authorizations={"bearer": {"type": "apiKey", "in": "header", "name": "Authorization",
                                   "description": "Bearer <API token>"}},
    )
    for namespace in (dossiers_ns, requests_ns):
        api.add_namespace(namespace)
    app.register_blueprint(blueprint)
    app.add_url_rule("/healthz", "healthz", healthz)
    return app


def healthz():
    """Liveness: the process answers and the database answers."""
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", reported as such
        return error_response(503, "database_unavailable", f"database check failed: {type(exc).__name__}")
    return jsonify(status="ok")
