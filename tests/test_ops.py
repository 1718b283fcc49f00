"""Production plumbing (issue 9): health and readiness, request logs, metrics, headers, cookies."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian import create_app
from gongjian.errors import DomainError
from gongjian.extensions import db
from gongjian.jobs_models import SchedulerLock

from .conftest import NOW, POSTGRES_URL
from .factories import local
from .pages import login


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


def beat(at):
    db.session.merge(SchedulerLock(name="scheduler", holder="test", heartbeat_at=at))
    db.session.commit()


def test_healthz_answers_while_the_process_runs(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_with_a_recent_scheduler_heartbeat(app, client, clock):
    beat(NOW - timedelta(seconds=90))
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["scheduler"] == {"ok": True,
                                           "heartbeat_at": "2026-12-01T01:58:30+00:00"}


def test_readyz_is_not_ready_without_a_scheduler(app, client, clock):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["scheduler"] == {"ok": False, "heartbeat_at": None}


def test_readyz_is_not_ready_when_the_heartbeat_is_older_than_two_minutes(app, client, clock):
    beat(NOW - timedelta(minutes=2, seconds=1))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["scheduler"]["ok"] is False


def test_readyz_is_not_ready_when_the_schema_lags_the_migrations(app, client, clock):
    beat(NOW)
    head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'dbc9b0d28b51'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
    finally:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :head"),
                           {"head": head})
        db.session.commit()
    assert response.status_code == 503
    migrations = response.get_json()["checks"]["migrations"]
    assert migrations == {"ok": False, "current": "dbc9b0d28b51", "head": head}


def test_readyz_is_not_ready_when_the_database_is_unreachable(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "SECRET_KEY": "x"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "database": {"ok": False, "error": "OperationalError"}}


def test_an_unreachable_database_is_a_503_to_try_again_not_a_500(tmp_path):
    """Where PostgreSQL is restarting (connection refused), pages and the API say so."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "SECRET_KEY": "x"})
    client = app.test_client()
    response = client.get("/api/v1/venues", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == {
        "code": "busy", "message": "The system is busy; please try again in a moment.",
        "details": {}}
    page = client.get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "The system is busy; please try again in a moment." in page.get_data(as_text=True)


def test_a_refusal_stands_when_the_database_goes_away_before_its_rollback(postgres_app, caplog):
    """PostgreSQL restarting between a refusal and its rollback: the refusal is the answer
    (nothing was written), the lost connection is logged, the next request connects afresh."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES_URL, "SECRET_KEY": "x"})

    @app.get("/refused-as-the-database-leaves")
    def refused_as_the_database_leaves():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        other = sa.create_engine(POSTGRES_URL)
        with other.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.dispose()
        raise DomainError("conflict")

    client = app.test_client()
    try:
        with caplog.at_level(logging.WARNING):
            refused = client.get("/refused-as-the-database-leaves",
                                 headers={"Accept": "application/json"})
        again = client.get("/api/v1/venues")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "conflict")
    assert again.status_code == 200
    assert any("the database went away before the rollback" in record.getMessage()
               for record in caplog.records)


def test_what_postgresql_prepared_outlives_the_rollback_ending_each_read(postgres_app):
    """Every read-only request ends its transaction by rolling back; the statements psycopg
    prepared on the connection (after five runs) stay, so PostgreSQL stops parsing and
    planning them for every request (psycopg on its own forgets them at each rollback)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES_URL, "SECRET_KEY": "x"})
    client = app.test_client()
    try:
        assert [client.get("/api/v1/venues").status_code for _ in range(7)] == [200] * 7
        with app.app_context():
            prepared = db.session.scalars(sa.text(
                "SELECT statement FROM pg_prepared_statements")).all()
            db.session.rollback()
            kept = db.session.scalars(sa.text(
                "SELECT statement FROM pg_prepared_statements")).all()
    finally:
        with app.app_context():
            db.engine.dispose()
    assert any("FROM venues" in statement for statement in prepared)
    assert kept == prepared


def test_the_database_going_away_after_the_answer_keeps_the_answer(postgres_app, caplog):
    """PostgreSQL restarting between the answer and the end of its session: the failed
    rollback is logged, the answer stands, and the next request connects afresh."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES_URL, "SECRET_KEY": "x"})
    cut: list[int] = []

    @app.after_request
    def cut_the_connection(response):
        if not cut:
            cut.append(db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar())
            other = sa.create_engine(POSTGRES_URL)
            with other.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": cut[0]})
            other.dispose()
        return response

    client = app.test_client()
    try:
        with caplog.at_level(logging.WARNING):
            first = client.get("/api/v1/venues")
        again = client.get("/api/v1/venues")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert (first.status_code, first.get_json()["items"]) == (200, [])
    assert again.status_code == 200
    assert any("the database went away before the session ended" in record.getMessage()
               for record in caplog.records)


@pytest.mark.parametrize("path", ["/login", "/api/v1/venues", "/no-such-page", "/healthz"])
def test_every_response_carries_the_security_headers(app, client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_request_id_is_kept_from_the_proxy_or_made_up(app, client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers[
        "X-Request-ID"] == "abc-123"
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32


def test_each_request_logs_one_json_line(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="gongjian.requests"):
        client.get("/healthz?x=1", headers={"X-Request-ID": "req-7"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "gongjian.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert (line["method"], line["path"], line["status"], line["request_id"]) == (
        "GET", "/healthz", 200, "req-7")
    assert isinstance(line["ms"], float)


def test_metrics_are_for_admins_or_the_metrics_token(app, make, client):
    resident, admin = make.user(), make.user(is_admin=True)
    make.commit()
    assert client.get("/metrics").status_code == 403
    login(client, resident)
    assert client.get("/metrics").status_code == 403
    login(client, admin)
    assert client.get("/metrics").status_code == 200
    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        client.get("/logout")
        with client.session_transaction() as session:
            session.clear()
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    finally:
        app.config["METRICS_TOKEN"] = None
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_and_booking_outcomes(app, make, client):
    venue = make.venue()
    admin = make.user(is_admin=True)
    make.commit()
    login(client, admin)
    before = client.get("/metrics").get_data(as_text=True)
    make.booking(venue=venue, start=local(2026, 12, 2, 9), end=local(2026, 12, 2, 10))
    with pytest.raises(Exception):  # noqa: B017 - the conflict is the point
        make.booking(venue=venue, start=local(2026, 12, 2, 9), end=local(2026, 12, 2, 10))
    db.session.rollback()
    after = client.get("/metrics").get_data(as_text=True)
    created = 'gongjian_bookings_total{outcome="created"}'
    conflict = 'gongjian_bookings_total{outcome="conflict"}'
    assert _sample(after, created) == _sample(before, created) + 1
    assert _sample(after, conflict) == _sample(before, conflict) + 1
    assert 'gongjian_http_requests_total{endpoint="ops.metrics",method="GET",status="200"}' in after


def test_production_cookies_are_secure_and_proxies_are_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGJIAN_PROXIES", "1")
    app = create_app({"ENV": "production", "SECRET_KEY": "k" * 32,
                      "TRUSTED_HOSTS": ["gongjian.example"],
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client = app.test_client()
    response = client.get("/healthz", headers={"Host": "gongjian.example",
                                               "X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_request_bodies_beyond_the_limit_are_refused(app, client):
    response = client.post("/api/v1/tokens", data=b"x" * (16 * 1024 * 1024 + 1),
                           content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
