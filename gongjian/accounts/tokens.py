"""API tokens (product.md §9): random, shown once, stored only as their SHA-256, revocable."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..errors import DomainError
from ..extensions import db
from .models import ApiToken, User
from .services import authenticate

TOKEN_PREFIX = "gj_"
# last_used_at is bookkeeping, not an audit trail: refresh it at most this often.
TOUCH_INTERVAL = timedelta(minutes=5)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue_api_token(*, email: str, password: str, now: datetime) -> tuple[ApiToken, str]:
    """Issue a new token to whoever proves the account's password; the secret is shown once."""
    user = authenticate(email, password)
    if user is None:
        raise DomainError("unauthorized", details={"reason": "invalid_credentials"})
    return issue_token_for(user=user, now=now)


def issue_token_for(*, user: User, now: datetime) -> tuple[ApiToken, str]:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=hash_token(secret), created_at=now)
    db.session.add(token)
    db.session.flush()
    return token, secret


@functools.cache
def _live_token_query() -> sa.Select:
    # Built when first asked, after every model is mapped (joinedload needs the mappers).
    return (sa.select(ApiToken)
            .where(ApiToken.token_hash == sa.bindparam("token_hash"),
                   ApiToken.revoked_at.is_(None))
            .options(joinedload(ApiToken.user)))


def find_api_token(secret: str) -> ApiToken | None:
    """The live (not revoked) token with this secret, if any, with its user (one query: every
    API request asks)."""
    return db.session.scalars(_live_token_query(), {"token_hash": hash_token(secret)}).first()


def touch_api_token(token: ApiToken, *, now: datetime) -> bool:
    """Note that the token was used; answers whether anything changed."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return False
    token.last_used_at = now
    db.session.flush()
    return True


def revoke_api_token(*, token: ApiToken, now: datetime) -> None:
    """A revoked token never authenticates again."""
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.flush()
