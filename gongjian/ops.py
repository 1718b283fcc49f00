"""Running in production: health, readiness, request logs, metrics and security headers.

- `GET /healthz`: the process answers. `GET /readyz`: the database answers, the schema is at
  the migrations' head and the scheduler's heartbeat is under 2 minutes old (product.md §10).
- One JSON log line per request on the `gongjian.requests` logger: method, path, status,
  duration in ms and a request id (the proxy's `X-Request-ID`, else a new one, echoed back).
- `GET /metrics` in Prometheus text format, for district admins or `Authorization: Bearer
  <GONGJIAN_METRICS_TOKEN>`. Under gunicorn, `PROMETHEUS_MULTIPROC_DIR` makes every worker's
  counters add up (deploy/gunicorn.conf.py sets it).
- Security headers on every response; cookies secure in production; request size limits;
  `ProxyFix` for the proxies in front (`GONGJIAN_PROXIES`, default 1 in production).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from werkzeug.middleware.proxy_fix import ProxyFix

from .clock import now
from .extensions import db
from .metrics import LATENCY, REQUESTS

bp = Blueprint("ops", __name__)
log = logging.getLogger("gongjian.requests")

HEARTBEAT_WITHIN = timedelta(minutes=2)

# Pages need no inline script (JavaScript lives in static/js); FullCalendar and Bootstrap set
# inline styles, so styles may be inline.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    # FullCalendar's injected CSS declares its icon font as a data: URL; Chrome reports a
    # violation for the declaration even when no icon is shown.
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
}


# -- health -------------------------------------------------------------------------------


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


def _schema_state() -> tuple[str | None, set[str]]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return ",".join(sorted(current)) or None, heads if current != heads else set()


@bp.get("/readyz")
def readyz():
    from .jobs import last_heartbeat

    checks: dict[str, dict] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = {"ok": True}
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(error).__name__}
    if checks["database"]["ok"]:
        current, missing = _schema_state()
        checks["migrations"] = {"ok": not missing, "current": current,
                                **({"head": ",".join(sorted(missing))} if missing else {})}
        beat = last_heartbeat()
        fresh = beat is not None and now() - beat <= HEARTBEAT_WITHIN
        checks["scheduler"] = {"ok": fresh, "heartbeat_at": beat.isoformat() if beat else None}
    ready = all(check["ok"] for check in checks.values()) and len(checks) == 3
    response = jsonify({"status": "ready" if ready else "not_ready", "checks": checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


# -- metrics ------------------------------------------------------------------------------


def _metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(secret.strip(), token):
        return True
    return bool(getattr(current_user, "is_authenticated", False) and current_user.is_admin)


@bp.get("/metrics")
def metrics():
    if not _metrics_allowed():
        return jsonify({"error": {"code": "forbidden", "message": "forbidden", "details": {}}}), 403
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, content_type=CONTENT_TYPE_LATEST)


# -- every request ------------------------------------------------------------------------


def _start() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("ENV") == "production":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    started = g.get("request_started")
    if started is not None:
        elapsed = time.perf_counter() - started
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(request.method, endpoint).observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(json.dumps({
                "method": request.method, "path": request.path, "status": response.status_code,
                "ms": round(elapsed * 1000, 2), "request_id": request_id,
                "remote": request.remote_addr,
            }, ensure_ascii=False))
    return response


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that brings
    no session cookie (API clients and phones polling feeds): such a request starts empty."""

    def open_session(self, app: Flask, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    config = app.config
    production = config.get("ENV") == "production"
    config.setdefault("METRICS_TOKEN", os.environ.get("GONGJIAN_METRICS_TOKEN") or None)
    # Photos (≤ 5 MB) and agreement PDFs are the largest uploads.
    config["MAX_CONTENT_LENGTH"] = config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024
    config["MAX_FORM_MEMORY_SIZE"] = config.get("MAX_FORM_MEMORY_SIZE") or 1024 * 1024
    for name in ("SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"):
        config[name] = config.get(name) or "Lax"
    config["SESSION_COOKIE_HTTPONLY"] = config["REMEMBER_COOKIE_HTTPONLY"] = True
    if production:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    proxies = int(os.environ.get("GONGJIAN_PROXIES", "1" if production else "0"))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies, x_prefix=proxies)
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(bp)
