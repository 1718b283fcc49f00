"""The production set-up of the README, started for real (issue 9): `flask db upgrade`, gunicorn
with deploy/gunicorn.conf.py and two workers on PostgreSQL, Redis for the rate limits, one
scheduler process — then `/readyz` must answer 200, and the login limit must hold across the
workers (an in-memory limiter would let every worker count on its own).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import POSTGRES_URL, REQUIRE_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("GONGJIAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **kwargs) -> tuple[int, bytes]:
    request = urllib.request.Request(url, **kwargs)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_for(url: str, status: int, seconds: float) -> int:
    """Poll a real server process until it answers `status` (or the deadline passes)."""
    deadline = time.monotonic() + seconds
    last = 0
    while time.monotonic() < deadline:
        try:
            last = _get(url)[0]
        except OSError:
            last = 0
        if last == status:
            return last
        time.sleep(0.2)
    return last


@pytest.fixture
def deploy_database():
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("GONGJIAN_REQUIRE_POSTGRES=1 but GONGJIAN_TEST_POSTGRES_URL is not set")
        pytest.skip("GONGJIAN_TEST_POSTGRES_URL is not set")
    url = sa.engine.make_url(POSTGRES_URL)
    name = f"{url.database}_deploy"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis unreachable at {REDIS_URL} (../shared/services.sh starts it)")
    yield REDIS_URL
    client.flushdb()


def test_the_production_setup_becomes_ready_and_shares_rate_limits(deploy_database, redis_db,
                                                                   tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "GONGJIAN_ENV": "production",
        "GONGJIAN_SECRET_KEY": "deploy-test-" + "0" * 40,
        "GONGJIAN_DATABASE_URL": deploy_database,
        "GONGJIAN_REDIS_URL": redis_db,
        "GONGJIAN_TRUSTED_HOSTS": "127.0.0.1,localhost",
        "GONGJIAN_BIND": f"127.0.0.1:{port}",
        "GONGJIAN_WORKERS": "2",
        "GONGJIAN_RATE_LIMIT_LOGIN": "5 per minute",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        logs = {name: stack.enter_context((tmp_path / f"{name}.log").open("wb"))
                for name in ("web", "scheduler")}
        _run_and_check(flask, env, base, logs, tmp_path)
    # One JSON line per request on stdout, with the request id.
    assert '"path": "/readyz"' in (tmp_path / "web.log").read_text()


def _run_and_check(flask, env, base, logs, tmp_path) -> None:
    web = subprocess.Popen([str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "app:app"],
                           cwd=ROOT, env=env, stdout=logs["web"], stderr=subprocess.STDOUT)
    scheduler = None
    try:
        assert _wait_for(base + "/healthz", 200, 30) == 200
        # Up, but not ready: no scheduler has beaten yet.
        assert _get(base + "/readyz")[0] == 503
        scheduler = subprocess.Popen([*flask, "scheduler"], cwd=ROOT, env=env,
                                     stdout=logs["scheduler"], stderr=subprocess.STDOUT)
        assert _wait_for(base + "/readyz", 200, 30) == 200, (tmp_path / "web.log").read_text()

        # Ten token requests (they share the sign-in budget) spread over both workers: the
        # shared budget of 5 holds.
        statuses = [_get(base + "/api/v1/tokens", method="POST",
                         data=b'{"email": "a@b.cn", "password": "wrong"}',
                         headers={"Content-Type": "application/json",
                                  "Connection": "close"})[0] for _ in range(10)]
        assert statuses == [401] * 5 + [429] * 5
    finally:
        for process in (scheduler, web):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            return {name: connection.scalar(sa.text(f'SELECT count(*) FROM "{name}"'))
                    for name in sorted(names)}
    finally:
        engine.dispose()


def test_a_pg_dump_of_the_district_restores_with_pg_restore(deploy_database, tmp_path):
    """The README's backup and restore: `pg_dump -Fc`, then `pg_restore --clean --if-exists`
    into a fresh database; every row comes back and the app runs on the copy."""
    env = {**os.environ, "GONGJIAN_DATABASE_URL": deploy_database,
           "GONGJIAN_SECRET_KEY": "restore-test-" + "0" * 40}
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    source = sa.engine.make_url(deploy_database)
    libpq = source.set(drivername="postgresql")
    dump = tmp_path / "gongjian.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump),
                    libpq.render_as_string(hide_password=False)], check=True)

    copy = source.set(database=f"{source.database}_restored")
    server = sa.create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy.database}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{copy.database}"'))
    try:
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d",
                        copy.set(drivername="postgresql").render_as_string(hide_password=False),
                        str(dump)], check=True)
        restored = copy.render_as_string(hide_password=False)
        before, after = _table_counts(deploy_database), _table_counts(restored)
        assert before == after
        assert before["bookings"] > 0 and before["venues"] > 0 and before["users"] > 0
        engine = sa.create_engine(restored)
        with engine.connect() as connection:
            listed = connection.scalar(sa.text(
                "SELECT count(*) FROM venues JOIN units ON units.id = venues.unit_id "
                "WHERE venues.archived_at IS NULL AND units.active"))
        engine.dispose()

        from gongjian import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": restored, "SECRET_KEY": "x" * 40})
        with app.app_context():
            client = app.test_client()
            venues = client.get("/api/v1/venues")
            assert venues.status_code == 200
            assert venues.get_json()["total"] == listed > 0
            current = subprocess.run([*flask, "db", "current"], cwd=ROOT, capture_output=True,
                                     text=True, env={**env, "GONGJIAN_DATABASE_URL": restored})
            heads = subprocess.run([*flask, "db", "heads"], cwd=ROOT, capture_output=True,
                                   text=True, env=env)
            assert current.stdout.split()[0] == heads.stdout.split()[0]
            from gongjian.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{copy.database}" WITH (FORCE)'))
        server.dispose()
