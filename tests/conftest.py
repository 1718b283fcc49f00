"""Fixtures: an app on a real database built by the migrations, a fixed clock, factories.

Every test that takes `app` runs on SQLite, and again on PostgreSQL when
GONGJIAN_TEST_POSTGRES_URL is set (CI sets it and GONGJIAN_REQUIRE_POSTGRES=1, which turns a
missing or unreachable PostgreSQL into a failure instead of a skip).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

from gongjian import create_app
from gongjian.extensions import db

from .factories import Factory

POSTGRES_URL = os.environ.get("GONGJIAN_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("GONGJIAN_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgres"]

# Tuesday 1 December 2026, 10:00 in Shanghai.
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _build_app(url: str):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": True,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "gongjian.test",
        # Room for the 20-way race: every attempt holds its own connection.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 25, "max_overflow": 5},
    })
    return app


def _reset_schema(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "test.db"
    app = _build_app(f"sqlite:///{path}")
    _reset_schema(app)
    yield app
    _dispose(app)


@pytest.fixture(scope="session")
def postgres_app():
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("GONGJIAN_REQUIRE_POSTGRES=1 but GONGJIAN_TEST_POSTGRES_URL is not set")
        pytest.skip("GONGJIAN_TEST_POSTGRES_URL is not set")
    app = _build_app(POSTGRES_URL)
    try:
        _reset_schema(app)
    except sa.exc.OperationalError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield app
    _dispose(app)


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(sa.text(f"DELETE FROM {name}"))


@pytest.fixture(params=BACKENDS)
def app(request):
    backend = request.param
    the_app = request.getfixturevalue(f"{backend}_app")
    with the_app.app_context():
        yield the_app
        db.session.remove()
    _empty_tables(the_app)


@pytest.fixture
def sqlite_only_app(sqlite_app):
    with sqlite_app.app_context():
        yield sqlite_app
        db.session.remove()
    _empty_tables(sqlite_app)


class IsolatedClient(FlaskClient):
    """Requests share the test's app context (and so its `g`); forget the signed-in user, the
    language and the CSRF token each request cached there, as a fresh request would."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for name in ("_login_user", "_flask_babel", "csrf_token"):
                g.pop(name, None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def make(app) -> Factory:
    return Factory(now=NOW)
