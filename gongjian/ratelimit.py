"""Rate limits of product.md §9: signing in and issuing tokens per IP, API writes per caller.

Storage is in memory by default and Redis when `REDIS_URL` (GONGJIAN_REDIS_URL) is set;
`RATE_LIMITS = "off"` (GONGJIAN_RATE_LIMITS=off) lifts every limit, e.g. for load tests.
Exceeding a limit raises a 429, which the one error handler answers (the JSON envelope on
the API).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

DEFAULT_LOGIN_LIMIT = "30 per minute"
DEFAULT_WRITE_LIMIT = "120 per minute"

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def _login_limit() -> str:
    return current_app.config.get("RATE_LIMIT_LOGIN", DEFAULT_LOGIN_LIMIT)


def _write_limit() -> str:
    return current_app.config.get("RATE_LIMIT_WRITES", DEFAULT_WRITE_LIMIT)


def writer_key() -> str:
    """Who is writing: the Bearer token, else the signed-in session's user, else the IP."""
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return "token:" + hashlib.sha256(secret.strip().encode("utf-8", "replace")).hexdigest()
    user_id = session.get("_user_id")
    if user_id:
        return f"user:{user_id}"
    return "ip:" + (get_remote_address() or "")


def _limits_off() -> bool:
    return str(current_app.config.get("RATE_LIMITS", "on")).lower() == "off"


def _unless_off(shared_limit: Callable[[Callable], Callable]) -> Callable[[Callable], Callable]:
    """The limit as a view decorator that, where limits are off, calls the view directly:
    asking the limiter costs every write its filtering and bookkeeping even then."""

    def decorate(view: Callable) -> Callable:
        limited = shared_limit(view)

        @functools.wraps(view)
        def either(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs) if _limits_off() else limited(*args, **kwargs)

        return either

    return decorate


# Signing in (POST /login) and issuing API tokens share one per-IP budget.
login_limit = _unless_off(limiter.shared_limit(
    _login_limit, scope="login", key_func=get_remote_address, methods=["POST"]))
# Every API write (POST, PUT, PATCH, DELETE) of one caller shares one budget.
write_limit = _unless_off(limiter.shared_limit(
    _write_limit, scope="api-write", key_func=writer_key))


def init_app(app: Flask) -> None:
    config = app.config
    for name in ("RATE_LIMIT_LOGIN", "RATE_LIMIT_WRITES"):
        value = os.environ.get("GONGJIAN_" + name)
        if value and name not in config:
            config[name] = value
    config.setdefault("RATE_LIMIT_LOGIN", DEFAULT_LOGIN_LIMIT)
    config.setdefault("RATE_LIMIT_WRITES", DEFAULT_WRITE_LIMIT)
    config.setdefault("RATELIMIT_STORAGE_URI", config.get("REDIS_URL") or "memory://")
    # Decided per request, so one process may hold apps with limits on and off.
    config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    # Every limit is a view's own (the decorators above check it); the limiter's check before
    # each request would look for application-wide limits there are none of.
    before = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in before:
        before.remove(limiter._check_request_limit)

