"""The app factory, configuration and the home page."""

from __future__ import annotations

import pytest

from gongjian import create_app
from gongjian.extensions import db


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("GONGJIAN_ENV", "production")
    monkeypatch.delenv("GONGJIAN_SECRET_KEY", raising=False)
    monkeypatch.setenv("GONGJIAN_TRUSTED_HOSTS", "gongjian.example.cn")
    with pytest.raises(RuntimeError, match="GONGJIAN_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_needs_trusted_hosts(monkeypatch):
    monkeypatch.setenv("GONGJIAN_ENV", "production")
    monkeypatch.setenv("GONGJIAN_SECRET_KEY", "x" * 32)
    monkeypatch.delenv("GONGJIAN_TRUSTED_HOSTS", raising=False)
    with pytest.raises(RuntimeError, match="GONGJIAN_TRUSTED_HOSTS"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_environment_configures_the_database(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("GONGJIAN_DATABASE_URL", url)
    monkeypatch.setenv("GONGJIAN_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url
    assert app.config["SECRET_KEY"] == "from-the-environment"


@pytest.mark.parametrize(("environment", "kept"), [
    ({}, 8),
    ({"GONGJIAN_THREADS": "12"}, 12),
    ({"GONGJIAN_THREADS": "12", "GONGJIAN_DB_POOL_SIZE": "3"}, 3),
])
def test_each_process_keeps_a_connection_for_every_gunicorn_thread(monkeypatch, tmp_path,
                                                                    environment, kept):
    """Every thread may hold a connection at once; none of them is closed when given back,
    so a busy worker never opens a connection per request."""
    for name in ("GONGJIAN_THREADS", "GONGJIAN_DB_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pool.db'}",
                      "SECRET_KEY": "x" * 32})
    with app.app_context():
        held = [db.engine.connect() for _ in range(12)]
        for connection in held:
            connection.close()
        assert db.engine.pool.checkedin() == kept
        db.engine.dispose()


def test_an_in_memory_database_is_one_connection_shared():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32})
    with app.app_context(), db.engine.connect() as first, db.engine.connect() as second:
        assert first.connection.dbapi_connection is second.connection.dbapi_connection


def test_home_page_lists_units_and_venues_in_chinese_by_default(app, make, client):
    venue = make.venue(name="篮球馆")
    make.commit()
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "篮球馆" in html and venue.unit.name in html
    assert '<html lang="zh-CN">' in html


def test_home_page_switches_to_english(app, make, client):
    make.venue(name="Court")
    make.commit()
    html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Venues open to the community" in html


def test_login_refuses_an_outside_next_and_follows_an_inside_one(app, make, client):
    make.user(email="li@example.cn")
    make.commit()

    def login(next_url: str):
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        return client.post(f"/login?next={next_url}", data={
            "csrf_token": token, "email": "li@example.cn", "password": "correct-horse"})

    assert login("https://evil.example/steal").headers["Location"] == "/"
    client.post("/logout", data={})  # refused without CSRF: still logged in
    assert login("//evil.example").headers["Location"] == "/"
    assert login("/?lang=en").headers["Location"] == "/?lang=en"


def test_forms_refuse_a_missing_csrf_token(app, make, client):
    make.user(email="li@example.cn")
    make.commit()
    response = client.post("/login", data={"email": "li@example.cn", "password": "correct-horse"})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session
