"""API tokens (product.md §9): random, shown once, stored only as their SHA-256, revocable."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from ..db import adopt_row, execute_core, row_columns
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


class LiveToken(NamedTuple):
    """A live token, as much of it as authenticating a request needs."""

    id: int
    last_used_at: datetime | None
    user: User


@functools.cache
def _live_token_query() -> sa.Select:
    # Built when first asked, after every model is mapped. The token as two columns beside
    # its user's row, read as a plain statement: every API request asks.
    return (sa.select(ApiToken.id.label("token_id"),
                      ApiToken.last_used_at.label("token_last_used_at"), *row_columns(User))
            .join(ApiToken.user)
            .where(ApiToken.token_hash == sa.bindparam("token_hash"),
                   ApiToken.revoked_at.is_(None)))


_TOUCH = (sa.update(ApiToken.__table__).where(ApiToken.id == sa.bindparam("token_id"))
          .values(last_used_at=sa.bindparam("now")))


def find_api_token(secret: str) -> LiveToken | None:
    """The live (not revoked) token with this secret, if any, with its user (one query)."""
    row = execute_core(db.session, _live_token_query(),
                       {"token_hash": hash_token(secret)}).first()
    if row is None:
        return None
    return LiveToken(row.token_id, row.token_last_used_at,
                     adopt_row(db.session, User, row._mapping))


def touch_api_token(token: LiveToken, *, now: datetime) -> bool:
    """Note that the token was used; answers whether anything changed."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return False
    execute_core(db.session, _TOUCH, {"token_id": token.id, "now": now})
    return True


def revoke_api_token(*, token: ApiToken, now: datetime) -> None:
    """A revoked token never authenticates again."""
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.flush()
