"""Feed tokens and URLs (product.md §8). The owner can always see the URL; regenerating revokes.

A URL token is `<owner id>-<HMAC of the owner's random secret>`: unguessable (256-bit MAC,
≥128 bits kept), derivable again at any time, and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64encode
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, request

from ..accounts.models import FeedToken, Unit, User
from ..extensions import db

MAC_CHARS = 32  # 32 base64url characters = 192 bits


def _secret_for(*, user_id: int | None = None, unit_id: int | None = None,
                create: bool = True) -> FeedToken | None:
    column = FeedToken.user_id if user_id is not None else FeedToken.unit_id
    owner_id = user_id if user_id is not None else unit_id
    token = db.session.scalar(sa.select(FeedToken).where(column == owner_id))
    if token is None and create:
        token = FeedToken(user_id=user_id, unit_id=unit_id, secret=secrets.token_hex(32))
        db.session.add(token)
        db.session.flush()
    return token


def _mac(kind: str, owner_id: int, secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{kind}:{owner_id}:{secret}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")[:MAC_CHARS]


def user_feed_token(user: User) -> str:
    return f"{user.id}-{_mac('user', user.id, _secret_for(user_id=user.id).secret)}"


def unit_feed_token(unit: Unit) -> str:
    return f"{unit.id}-{_mac('unit', unit.id, _secret_for(unit_id=unit.id).secret)}"


def _resolve(kind: str, token: str) -> int | None:
    owner_text, _, mac = token.partition("-")
    if not owner_text.isdigit() or len(mac) != MAC_CHARS:
        return None
    owner_id = int(owner_text)
    stored = (_secret_for(user_id=owner_id, create=False) if kind == "user"
              else _secret_for(unit_id=owner_id, create=False))
    if stored is None or not hmac.compare_digest(mac, _mac(kind, owner_id, stored.secret)):
        return None
    return owner_id


def user_for_feed_token(token: str) -> User | None:
    owner_id = _resolve("user", token)
    return db.session.get(User, owner_id) if owner_id is not None else None


def unit_for_feed_token(token: str) -> Unit | None:
    owner_id = _resolve("unit", token)
    return db.session.get(Unit, owner_id) if owner_id is not None else None


def regenerate_user_feed_token(user: User, *, now: datetime) -> str:
    """A new secret: the old URL answers 404 from now on."""
    token = _secret_for(user_id=user.id)
    token.secret = secrets.token_hex(32)
    token.created_at = now
    db.session.flush()
    return user_feed_token(user)


def regenerate_unit_feed_token(unit: Unit, *, now: datetime) -> str:
    token = _secret_for(unit_id=unit.id)
    token.secret = secrets.token_hex(32)
    token.created_at = now
    db.session.flush()
    return unit_feed_token(unit)


def base_url() -> str:
    """GONGJIAN_BASE_URL when set, else the request's own (trusted) host."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    return request.host_url.rstrip("/")


def personal_feed_url(user: User) -> str:
    return f"{base_url()}/feeds/me/{user_feed_token(user)}.ics"


def unit_feed_url(unit: Unit) -> str:
    return f"{base_url()}/feeds/units/{unit_feed_token(unit)}.ics"


def venue_feed_url(venue_id: int) -> str:
    return f"{base_url()}/feeds/venues/{venue_id}.ics"
