"""Who is calling: a Bearer token, or the web session of our own pages (writes need X-CSRFToken).

`current_api_user` is the caller (None for a visitor). A presented token that is unknown or
revoked is refused (401) even where visitors are welcome, so a client never silently loses its
identity.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.local import LocalProxy
from wtforms import ValidationError

from ..accounts.models import ApiToken, User
from ..accounts.tokens import find_api_token, touch_api_token
from ..errors import DomainError
from ..extensions import db

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bearer_secret() -> str | None:
    """The token of an `Authorization: Bearer …` header ('' when it names none).

    Other schemes are not ours (e.g. a proxy's Basic auth in front of the site): ignored.
    """
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def _unauthorized(reason: str) -> DomainError:
    return DomainError("unauthorized", details={"reason": reason})


def authenticate(now) -> User | None:
    """Resolve the caller once per request; raise 401 for a bad token, 403 for a bad CSRF token."""
    secret = bearer_secret()
    if secret is not None:
        token = find_api_token(secret) if secret else None
        if token is None:
            raise _unauthorized("invalid_token")
        # A write commits the note with its own change; a read has nothing else to commit.
        if touch_api_token(token, now=now) and request.method not in WRITE_METHODS:
            db.session.commit()
        g.api_token = token
        g.api_auth = "bearer"
        g.api_user = token.user
        return token.user
    user = current_user._get_current_object()
    if user is not None and getattr(user, "is_authenticated", False):
        g.api_auth = "session"
        g.api_user = user
        if request.method in WRITE_METHODS:
            _require_csrf()
        return user
    g.api_auth = None
    g.api_user = None
    return None


def _require_csrf() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except (ValidationError, CSRFError):
        raise DomainError("forbidden", details={"reason": "csrf"}) from None


def forget_request_state() -> None:
    """Drop per-request caches kept on `g`.

    In production every request has its own application context; tests (and anything else
    that keeps one context around several requests) would otherwise see the previous
    request's user.
    """
    for name in ("_login_user", "api_user", "api_auth", "api_token"):
        g.pop(name, None)


def caller() -> Any:
    """The authenticated user of this request (None for a visitor)."""
    return g.get("api_user")


def current_token() -> ApiToken | None:
    token = g.get("api_token")
    return db.session.get(ApiToken, token.id) if token is not None else None


current_api_user: User | None = LocalProxy(caller)  # type: ignore[assignment]
