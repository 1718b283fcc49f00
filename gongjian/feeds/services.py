"""Calendar feeds (product.md §8): feed tokens and URLs, which bookings each feed shows, its
revision for HTTP caching, and rendering it.

A URL token is `<owner id>-<HMAC of the owner's random secret>`: unguessable (192 bits kept of a
256-bit MAC), derivable again at any time so the owner can always see the URL, compared in
constant time, and revoked by replacing the secret. The MAC is keyed with SECRET_KEY as well:
rotating the secret key changes every feed URL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from base64 import urlsafe_b64encode
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from ipaddress import ip_address
from threading import Lock
from typing import NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import force_locale
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager, selectinload

from .. import clock
from ..accounts.models import FeedToken, Membership, Unit, User
from ..accounts.services import can_manage_unit, is_member
from ..audit import AuditEvent
from ..bookings.models import Booking, BookingStatus
from ..extensions import db
from ..venues.models import Venue
from .i18n import gettext as _
from .ics import CalendarInfo, Links, View, build_calendar

MAC_CHARS = 32  # 32 base64url characters = 192 bits
TOKEN_PATTERN = re.compile(rf"([1-9][0-9]{{0,17}})-([A-Za-z0-9_-]{{{MAC_CHARS}}})")

# §8: every feed shows 90 days back to 365 days ahead; the personal feed keeps a cancelled
# booking for 30 days after its cancellation, as STATUS:CANCELLED, so phones drop it.
WINDOW_BEFORE = timedelta(days=90)
WINDOW_AFTER = timedelta(days=365)
CANCELLED_KEPT = timedelta(days=30)
# Part of every ETag: bump it when the calendar's shape changes, so cached copies are refetched.
FORMAT_VERSION = "1"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# How long a computed feed revision may answer conditional requests (see RevisionMemo).
REVISION_TTL = timedelta(minutes=5)


# Tokens --------------------------------------------------------------------------------------


def _secret_for(*, user_id: int | None = None, unit_id: int | None = None) -> FeedToken:
    """The owner's feed secret, made on first sight of their URL."""
    column = FeedToken.user_id if user_id is not None else FeedToken.unit_id
    owner_id = user_id if user_id is not None else unit_id
    query = sa.select(FeedToken).where(column == owner_id)
    token = db.session.scalar(query)
    if token is None:
        # Two first looks at one owner's URL may race: the loser's insert does nothing and it
        # reads the winner's row. (No savepoint: the SQLite driver's would commit early.)
        insert = (postgresql.insert if db.session.get_bind().dialect.name == "postgresql"
                  else sqlite.insert)
        db.session.execute(insert(FeedToken).values(
            user_id=user_id, unit_id=unit_id, secret=secrets.token_hex(32),
            created_at=clock.now(),
        ).on_conflict_do_nothing())
        token = db.session.scalar(query)
    return token


def _mac(kind: str, owner_id: int, secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{kind}:{owner_id}:{secret}".encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")[:MAC_CHARS]


def user_feed_token(user: User) -> str:
    return f"{user.id}-{_mac('user', user.id, _secret_for(user_id=user.id).secret)}"


def unit_feed_token(unit: Unit) -> str:
    return f"{unit.id}-{_mac('unit', unit.id, _secret_for(unit_id=unit.id).secret)}"


class FeedSource(NamedTuple):
    """What a feed URL leads to, read in one query: its owner, the owner's secret (private
    feeds) and the change marker that lets a remembered revision answer (RevisionMemo)."""

    owner: User | Unit | Venue
    secret: FeedToken | None
    marker: int | None


def _change_marker() -> sa.ScalarSelect[int | None]:
    """The newest audit event's id: an index lookup, however many bookings a feed has."""
    return sa.select(sa.func.max(AuditEvent.id)).scalar_subquery()


def _resolve(kind: str, token: str) -> FeedSource | None:
    """The owner and the secret behind a URL token; None unless it matches."""
    match = TOKEN_PATTERN.fullmatch(token)
    if match is None:
        return None
    owner_id, mac = int(match[1]), match[2]
    owner, column = (User, FeedToken.user_id) if kind == "user" else (Unit, FeedToken.unit_id)
    row = db.session.execute(
        sa.select(owner, FeedToken, _change_marker())
        .join(owner, owner.id == column).where(column == owner_id)
    ).first()
    if row is None or not hmac.compare_digest(mac, _mac(kind, owner_id, row[1].secret)):
        return None
    return FeedSource(*row)


def user_feed_owner(token: str) -> FeedSource | None:
    return _resolve("user", token)


def unit_feed_owner(token: str) -> FeedSource | None:
    return _resolve("unit", token)


def user_for_feed_token(token: str) -> User | None:
    found = user_feed_owner(token)
    return found.owner if found else None


def unit_for_feed_token(token: str) -> Unit | None:
    found = unit_feed_owner(token)
    return found.owner if found else None


def regenerate_user_feed_token(user: User, *, now: datetime) -> str:
    """A new secret: the old URL answers 404 from now on."""
    token = _secret_for(user_id=user.id)
    token.secret = secrets.token_hex(32)
    token.created_at = now
    db.session.flush()
    return user_feed_token(user)


def regenerate_unit_feed_token(unit: Unit, *, now: datetime) -> str:
    """A new secret for the unit's feed: the old URL answers 404 from now on."""
    token = _secret_for(unit_id=unit.id)
    token.secret = secrets.token_hex(32)
    token.created_at = now
    db.session.flush()
    return unit_feed_token(unit)


# URLs ----------------------------------------------------------------------------------------


def _is_loopback(hostname: str) -> bool:
    if hostname in LOOPBACK_HOSTS:
        return True
    try:
        return ip_address(hostname).is_loopback
    except ValueError:
        return False


def base_url() -> str:
    """GONGJIAN_BASE_URL when set, else the request's own (trusted) host.

    The host is announced as https (behind a TLS proxy the app itself sees http), except on a
    loopback host, where a development server keeps its own scheme. Outside a request (jobs,
    e-mail) SERVER_NAME stands in for the request's host.
    """
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        host, scheme = request.host, request.scheme
    elif current_app.config.get("SERVER_NAME"):
        host = current_app.config["SERVER_NAME"]
        scheme = current_app.config.get("PREFERRED_URL_SCHEME", "http")
    else:
        raise RuntimeError("absolute URLs need GONGJIAN_BASE_URL outside a request")
    hostname = urlsplit(f"//{host}").hostname or ""
    return f"{scheme if _is_loopback(hostname) else 'https'}://{host}"


def personal_feed_url(user: User) -> str:
    return f"{base_url()}/feeds/me/{user_feed_token(user)}.ics"


def unit_feed_url(unit: Unit) -> str:
    return f"{base_url()}/feeds/units/{unit_feed_token(unit)}.ics"


def venue_feed_url(venue_id: int) -> str:
    return f"{base_url()}/feeds/venues/{venue_id}.ics"


def booking_ics_url(booking_id: int) -> str:
    return f"{base_url()}/bookings/{booking_id}.ics"


def webcal_url(url: str) -> str:
    """The same feed for the subscribe handlers of calendar apps."""
    return "webcal://" + url.split("://", 1)[1]


# Which bookings each feed shows ------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """One calendar: which bookings it holds, and what the calendar says about itself.

    `scope` is every booking the feed could show in its window, whatever their status, so that
    a booking leaving the feed (rejected, say) still changes its revision; `shown` narrows it
    to the bookings the calendar lists. Both are built only when needed: a conditional request
    answered from the revision memo never needs them.
    """

    key: str  # the owner and the reader's locale, part of the ETag
    conditions: Callable[[], tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]]
    info: CalendarInfo
    private: bool
    # Last-Modified of a feed without bookings: when its URL came to be.
    since: datetime
    # The clock's time the window is drawn at.
    as_of: datetime

    @cached_property
    def _where(self) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
        return self.conditions()

    @property
    def scope(self) -> sa.ColumnElement[bool]:
        return self._where[0]

    @property
    def shown(self) -> sa.ColumnElement[bool]:
        return self._where[1]


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    return now - WINDOW_BEFORE, now + WINDOW_AFTER


def _overlapping(now: datetime) -> sa.ColumnElement[bool]:
    start, end = feed_window(now)
    return sa.and_(Booking.end_at > start, Booking.start_at < end)


def _in(locale: str, text: str, **variables: str) -> str:
    with force_locale(locale):
        return _(text, **variables)


def _default_timezone() -> str:
    return current_app.config.get("DEFAULT_TIMEZONE", "Asia/Shanghai")


def personal_feed(user: User, *, now: datetime, links: Links, locale: str,
                  secret: FeedToken | None = None) -> Feed:
    """The user's bookings and those of every organization they belong to.

    Pending, confirmed, completed and no-show bookings (so past events stay in the calendar),
    and cancelled ones for 30 days after their cancellation. Rejected and expired requests never
    took place and leave the feed.
    """
    def conditions():
        organizations = sa.select(Membership.organization_id).where(
            Membership.user_id == user.id)
        scope = sa.and_(
            sa.or_(Booking.booker_id == user.id, Booking.organization_id.in_(organizations)),
            _overlapping(now),
        )
        shown = sa.or_(
            Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED,
                                BookingStatus.COMPLETED, BookingStatus.NO_SHOW]),
            sa.and_(Booking.status == BookingStatus.CANCELLED,
                    sa.func.coalesce(Booking.cancelled_at, Booking.updated_at)
                    > now - CANCELLED_KEPT),
        )
        return scope, shown

    secret = secret or _secret_for(user_id=user.id)
    return Feed(
        key=f"user:{user.id}:{_mac('user', user.id, secret.secret)}:{locale}",
        conditions=conditions,
        info=CalendarInfo(name=_in(locale, "My bookings · Gongjian"),
                          timezone=_default_timezone(),
                          view=View.PERSONAL, links=links, locale=locale),
        private=True,
        since=secret.created_at,
        as_of=now,
    )


def unit_feed(unit: Unit, *, now: datetime, links: Links, locale: str,
              secret: FeedToken | None = None) -> Feed:
    """Every booking at the unit's venues, in any status, with booker, organization and title."""
    venues = db.session.execute(
        sa.select(Venue.id, Venue.name, Venue.address, Venue.floor, Venue.timezone)
        .where(Venue.unit_id == unit.id).order_by(Venue.id)
    ).all()
    secret = secret or _secret_for(unit_id=unit.id)
    timezone = venues[0].timezone if venues else _default_timezone()
    return Feed(
        # Names that the events repeat are part of the key, so renaming a venue refreshes.
        key=f"unit:{unit.id}:{_mac('unit', unit.id, secret.secret)}:{locale}:{unit.name}:"
            f"{unit.address}:{[tuple(row) for row in venues]}",
        conditions=lambda: (
            sa.and_(Booking.venue_id.in_([row.id for row in venues]), _overlapping(now)),
            sa.true(),
        ),
        info=CalendarInfo(name=_in(locale, "%(unit)s · bookings", unit=unit.name),
                          timezone=timezone, view=View.UNIT, links=links, locale=locale),
        private=True,
        since=secret.created_at,
        as_of=now,
    )


def public_venue(venue_id: int) -> FeedSource | None:
    """A venue whose busy times anyone may see: not archived, its unit active."""
    row = db.session.execute(
        sa.select(Venue, _change_marker()).join(Venue.unit)
        .where(Venue.id == venue_id, Venue.archived_at.is_(None), Unit.active.is_(True))
        .options(contains_eager(Venue.unit))
    ).first()
    return FeedSource(row[0], None, row[1]) if row else None


def venue_feed(venue: Venue, *, now: datetime, links: Links, locale: str) -> Feed:
    """The venue's busy blocks: the bookings that hold a slot, without names or titles."""
    unit = venue.unit
    return Feed(
        key=f"venue:{venue.id}:{locale}:{venue.name}:{venue.address}:{venue.floor}:"
            f"{venue.timezone}:{unit.name}:{unit.address}",
        conditions=lambda: (sa.and_(Booking.venue_id == venue.id, _overlapping(now)),
                            Booking.holds_slot),
        info=CalendarInfo(name=_in(locale, "%(venue)s · booked times", venue=venue.name),
                          timezone=venue.timezone, view=View.PUBLIC, links=links,
                          locale=locale),
        private=False,
        since=venue.created_at,
        as_of=now,
    )


# Revision: answering a conditional request without building the calendar ------------------


@dataclass(frozen=True)
class Revision:
    etag: str
    last_modified: datetime


class RevisionMemo:
    """Feed revisions computed lately in this process, so that polling an unchanged feed is
    answered without reading its bookings (a large feed's aggregate takes milliseconds).

    An entry holds while no audit event has been written since (every booking change writes
    one, §4) and for at most REVISION_TTL: changes that are not audited (a renamed person or
    organization, a membership, a transaction that committed after a later one) and the
    window's movement show within that time. Calendar clients poll hourly at most.
    """

    def __init__(self, size: int = 4096) -> None:
        self._entries: OrderedDict[str, tuple[Revision, int | None, datetime]] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, key: str, *, marker: int | None, now: datetime) -> Revision | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        revision, seen_marker, at = entry
        if seen_marker != marker or not timedelta(0) <= now - at < REVISION_TTL:
            return None
        return revision

    def put(self, key: str, revision: Revision, *, marker: int | None, now: datetime) -> None:
        with self._lock:
            self._entries[key] = (revision, marker, now)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


REVISIONS = RevisionMemo()


def _memo_key(feed: Feed) -> str:
    return f"{FORMAT_VERSION}|{feed.info.links.base_url}|{feed.key}"


def known_revision(feed: Feed, *, marker: int | None) -> Revision | None:
    """The feed's revision if this process computed it lately and nothing changed since."""
    return REVISIONS.get(_memo_key(feed), marker=marker, now=feed.as_of)


def feed_revision(feed: Feed, *, marker: int | None = None) -> Revision:
    """The feed's content revision from one aggregate query over its bookings.

    Any change to a booking bumps its revision and updated_at; a booking entering or leaving
    the window changes the count and the id sum; a cancellation passing its 30 days changes
    how many are shown.
    """
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Booking.id), 0),
            sa.func.coalesce(sa.func.sum(Booking.revision), 0),
            sa.func.max(Booking.updated_at),
            sa.func.coalesce(sa.func.sum(sa.case((feed.shown, 1), else_=0)), 0),
        ).where(feed.scope)
    ).one()
    count, id_sum, revision_sum, last_change, shown = row
    fingerprint = "|".join(str(part) for part in (
        _memo_key(feed), count, id_sum, revision_sum,
        last_change.isoformat() if last_change else "", shown))
    etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:40]
    revision = Revision(etag=etag, last_modified=max(filter(None, (last_change, feed.since))))
    REVISIONS.put(_memo_key(feed), revision, marker=marker, now=feed.as_of)
    return revision


def feed_bookings(feed: Feed) -> list[Booking]:
    """The bookings the feed shows, in time order, with what their events tell."""
    # selectin, not joined: a feed's thousands of bookings share a handful of venues and
    # people, each loaded once rather than repeated on every row.
    query = (
        sa.select(Booking)
        .where(feed.scope, feed.shown)
        .options(selectinload(Booking.venue).selectinload(Venue.unit))
        .order_by(Booking.start_at, Booking.id)
    )
    if feed.info.view != View.PUBLIC:
        query = query.options(selectinload(Booking.booker), selectinload(Booking.organization))
    return list(db.session.scalars(query))


def render_feed(feed: Feed) -> bytes:
    return build_calendar(feed_bookings(feed), feed.info)


# A single booking --------------------------------------------------------------------------


def can_download_booking(user, booking: Booking) -> bool:
    """Its booker, members of its organization and the unit's managers (§8)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        user.id == booking.booker_id
        or (booking.organization_id is not None and is_member(user, booking.organization_id))
        or can_manage_unit(user, booking.venue.unit_id)
    )


def booking_calendar(booking: Booking, *, reader: User, links: Links,
                     locale: str) -> CalendarInfo:
    """A single booking's calendar, told as the unit's feed tells it to a manager."""
    view = View.UNIT if can_manage_unit(reader, booking.venue.unit_id) else View.PERSONAL
    return CalendarInfo(name=booking.title, timezone=booking.venue.timezone, view=view,
                        links=links, locale=locale)


def booking_revision(booking: Booking, info: CalendarInfo) -> Revision:
    fingerprint = "|".join(str(part) for part in (
        FORMAT_VERSION, info.links.base_url, "booking", booking.id, booking.revision,
        booking.updated_at.isoformat(), info.view, info.locale))
    return Revision(etag=hashlib.sha256(fingerprint.encode()).hexdigest()[:40],
                    last_modified=booking.updated_at)


def render_booking(booking: Booking, info: CalendarInfo) -> bytes:
    return build_calendar([booking], info)


def renew_personal_feed(*, user: User, now: datetime) -> str:
    """The user's personal feed gets a new URL; the old one answers 404. Answers the new URL."""
    regenerate_user_feed_token(user, now=now)
    return personal_feed_url(user)


def renew_unit_feed(*, unit: Unit, actor, now: datetime) -> str:
    """A manager of the unit (or a district admin) gives its feed a new URL; answers it."""
    from ..accounts.services import can_manage_unit
    from ..errors import NotAllowed

    if not can_manage_unit(actor, unit.id):
        raise NotAllowed()
    regenerate_unit_feed_token(unit, now=now)
    return unit_feed_url(unit)
