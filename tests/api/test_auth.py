"""Tokens, Bearer and session authentication, CSRF on session writes."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import sqlalchemy as sa

from gongjian.accounts.models import ApiToken
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import DEFAULT_PASSWORD


def test_issuing_a_token_stores_only_its_hash(api, make):
    user = make.user(email="token@example.cn")
    make.commit()
    response = api.post("/api/v1/tokens",
                        json={"email": "Token@Example.cn", "password": DEFAULT_PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "id"}
    assert len(body["token"]) >= 40
    stored = db.session.get(ApiToken, body["id"])
    assert stored.user_id == user.id
    assert stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in stored.token_hash


def test_the_token_authenticates_and_revoking_it_ends_that(api, make):
    user = make.user(email="revoke@example.cn")
    make.commit()
    token = api.post("/api/v1/tokens", json={"email": "revoke@example.cn",
                                             "password": DEFAULT_PASSWORD}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=bearer).get_json()["id"] == user.id
    assert api.delete("/api/v1/tokens/current", headers=bearer).status_code == 204
    refused = api.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert api.delete("/api/v1/tokens/current", headers=bearer).status_code == 401


def test_wrong_password_is_401_with_the_envelope(api, make):
    make.user(email="someone@example.cn")
    make.commit()
    response = api.post("/api/v1/tokens", json={"email": "someone@example.cn",
                                                "password": "wrong-password"})
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized"
    assert error["details"] == {"reason": "invalid_credentials"}
    assert error["message"]


def test_an_unknown_token_is_refused_even_where_visitors_are_welcome(api, make):
    make.venue()
    make.commit()
    assert api.get("/api/v1/venues").status_code == 200
    response = api.get("/api/v1/venues", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.get_json()["error"]["details"] == {"reason": "invalid_token"}
    assert api.get("/api/v1/venues", headers={"Authorization": "Bearer"}).status_code == 401
    # Other schemes belong to whatever stands in front of the site (a proxy's Basic auth).
    assert api.get("/api/v1/venues", headers={"Authorization": "Basic abc"}).status_code == 200


def test_signed_in_routes_need_credentials(api):
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def _log_in(api, email: str) -> str:
    """Sign in through the web page; answer the page's CSRF token."""
    page = api.client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    csrf = csrf or re.search(r'name="csrf_token" value="([^"]+)"', page)
    api.client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD,
                                     "csrf_token": csrf.group(1)})
    return csrf.group(1)


def test_the_web_session_reads_and_writes_with_the_csrf_header(api, make):
    admin = make.user(email="session-admin@example.cn", is_admin=True)
    make.commit()
    csrf = _log_in(api, "session-admin@example.cn")
    assert api.get("/api/v1/me").get_json()["id"] == admin.id

    refused = api.post("/api/v1/streets", json={"name": "无令牌街道"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["details"] == {"reason": "csrf"}
    wrong = api.post("/api/v1/streets", json={"name": "错令牌街道"},
                     headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 403

    created = api.post("/api/v1/streets", json={"name": "会话街道"}, headers={"X-CSRFToken": csrf})
    assert created.status_code == 201
    assert created.get_json()["name"] == "会话街道"


def test_bearer_writes_need_no_csrf_token(api, make):
    admin = make.user(is_admin=True)
    make.commit()
    assert api.post("/api/v1/streets", json={"name": "令牌街道"}, as_=admin).status_code == 201


def test_the_session_has_no_current_token_to_revoke(api, make):
    make.user(email="session-user@example.cn")
    make.commit()
    csrf = _log_in(api, "session-user@example.cn")
    response = api.delete("/api/v1/tokens/current", headers={"X-CSRFToken": csrf})
    assert response.status_code == 404


def test_tokens_are_listed_nowhere_in_clear(api, make):
    user = make.user()
    make.commit()
    api.token_for(user)
    hashes = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert all(len(h) == 64 for h in hashes)


def test_a_token_notes_when_it_was_used_at_most_every_five_minutes(api, app, make):
    """last_used_at shows a token in use (the account page lists it) without a write on every
    request: it moves only when five minutes have passed since the last note."""
    user = make.user()
    make.commit()
    api.token_for(user)

    def used_at(minutes: int):
        app.config["CLOCK"] = lambda: NOW + timedelta(minutes=minutes)
        assert api.get("/api/v1/bookings", as_=user).status_code == 200
        db.session.expire_all()
        return db.session.scalars(sa.select(ApiToken.last_used_at)
                                  .where(ApiToken.user_id == user.id)).one() - NOW

    assert used_at(0) == timedelta(0)
    assert used_at(4) == timedelta(0)
    assert used_at(5) == timedelta(minutes=5)
    assert used_at(9) == timedelta(minutes=5)
    assert used_at(11) == timedelta(minutes=11)
