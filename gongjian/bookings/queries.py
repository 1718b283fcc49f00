"""What the signed-in user's own pages list: their bookings and their notices.

Selection only (no rules): who may see a booking is decided in visibility.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..accounts.models import Notification
from ..extensions import db
from ..venues.intervals import local_instant
from ..venues.models import Venue
from .models import Booking, BookingStatus
from .notifications import UNIT_NOTICE_KINDS
from .visibility import visible_bookings_query

T = TypeVar("T")

PAST_PER_PAGE = 20
NOTICES_PER_PAGE = 30


@dataclass
class Page(Generic[T]):
    """One page of a list, counted from 1."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _with_details(query: sa.Select) -> sa.Select:
    """Load what a booking row shows (venue, unit, organization) in a few queries, not N."""
    return query.options(
        selectinload(Booking.venue).selectinload(Venue.unit),
        selectinload(Booking.organization),
    )


def _is_upcoming(now: datetime):
    return sa.and_(Booking.holds_slot, Booking.end_at > now)


def upcoming_bookings(*, user, now: datetime) -> list[Booking]:
    """The user's and their organizations' pending or confirmed bookings that have not ended,
    soonest first."""
    query = visible_bookings_query(user=user, scope="mine").where(_is_upcoming(now))
    query = query.order_by(None).order_by(Booking.start_at, Booking.id)
    return list(db.session.scalars(_with_details(query)))


def past_bookings(*, user, now: datetime, page: int = 1,
                  per_page: int = PAST_PER_PAGE) -> Page[Booking]:
    """Every other booking of the user and their organizations (ended, or no longer holding a
    slot), newest first."""
    query = visible_bookings_query(user=user, scope="mine").where(sa.not_(_is_upcoming(now)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery())) or 0
    query = (query.order_by(None).order_by(Booking.start_at.desc(), Booking.id.desc())
             .limit(per_page).offset((page - 1) * per_page))
    return Page(list(db.session.scalars(_with_details(query))), page, per_page, total)


# The unit desk (gongjian/bookings/desk.py) ---------------------------------------------------

QUEUE_PER_PAGE = 50
# The statuses whose counts make a booker's record on the approval queue.
RECORD_STATUSES = (BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


def _desk_details(query: sa.Select) -> sa.Select:
    """Load what a desk row shows (venue, unit, booker, organization) in a few queries."""
    return query.options(
        selectinload(Booking.venue).selectinload(Venue.unit),
        selectinload(Booking.organization),
        selectinload(Booking.booker),
    )


def approval_queue(*, user, now: datetime, unit_id: int | None = None,
                   venue_id: int | None = None, page: int = 1,
                   per_page: int = QUEUE_PER_PAGE) -> Page[Booking]:
    """Pending requests that have not started, at the units the user manages (every unit for
    district admins; or one unit, or one venue), soonest first."""
    query = visible_bookings_query(user=user, scope="unit", unit_id=unit_id,
                                   statuses=[BookingStatus.PENDING]).where(Booking.start_at > now)
    if venue_id is not None:
        query = query.where(Booking.venue_id == venue_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery())) or 0
    query = query.limit(per_page).offset((page - 1) * per_page)
    return Page(list(db.session.scalars(_desk_details(query))), page, per_page, total)


@dataclass(frozen=True)
class BookerRecord:
    """How a booker's past bookings ended, across the district."""

    completed: int = 0
    no_show: int = 0


def booker_records(booker_ids) -> dict[int, BookerRecord]:
    """Completed and no-show counts of each of these bookers, in one grouped query."""
    ids = sorted({i for i in booker_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Booking.booker_id, Booking.status, sa.func.count(Booking.id))
        .where(Booking.booker_id.in_(ids), Booking.status.in_(RECORD_STATUSES))
        .group_by(Booking.booker_id, Booking.status)
    )
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    for booker_id, status, number in rows:
        counts[booker_id][BookingStatus(status).value] = number
    return {i: BookerRecord(**found) for i, found in counts.items()}


def unit_notices(*, user, limit: int = 10) -> list[Notification]:
    """The user's latest notices about their units' bookings (requests, cancellations)."""
    query = (sa.select(Notification)
             .where(Notification.user_id == user.id, Notification.kind.in_(UNIT_NOTICE_KINDS))
             .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def unread_unit_notice_count(*, user) -> int:
    return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.kind.in_(UNIT_NOTICE_KINDS),
        Notification.read_at.is_(None))) or 0


def unit_calendar_bookings(*, user, unit_id: int, first: date, last: date,
                           venue_ids: Sequence[int] | None = None) -> list[Booking]:
    """Every booking (any status) at the unit's venues overlapping the local dates
    first … last, by start; only at `venue_ids` when given."""
    query = visible_bookings_query(user=user, scope="unit", unit_id=unit_id, first=first,
                                   last=last)
    if venue_ids is not None:
        query = query.where(Booking.venue_id.in_(list(venue_ids)))
    return list(db.session.scalars(_desk_details(query)))


def _local_today(now: datetime):
    """Bookings overlapping today, "today" being the local date in each venue's own zone."""
    zones = db.session.scalars(sa.select(Venue.timezone).distinct()).all()
    conditions = []
    for name in zones:
        zone = ZoneInfo(name)
        today = now.astimezone(zone).date()
        conditions.append(sa.and_(
            Venue.timezone == name,
            Booking.start_at < local_instant(today + timedelta(days=1), 0, zone),
            Booking.end_at > local_instant(today, 0, zone)))
    return sa.or_(*conditions) if conditions else sa.false()


def todays_unit_bookings(*, user, now: datetime, unit_id: int | None = None) -> list[Booking]:
    """Today's bookings at the units the user manages (or one unit), by start; requests
    nobody decided and bookings that were cancelled or rejected are left out."""
    query = visible_bookings_query(
        user=user, scope="unit", unit_id=unit_id,
        statuses=[BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW],
    ).where(_local_today(now))
    return list(db.session.scalars(_desk_details(query)))


def recently_ended_unchecked(*, user, now: datetime, window: timedelta,
                             unit_id: int | None = None) -> list[Booking]:
    """Bookings at the user's units that ended within `window` before now, confirmed or
    completed, without a check-in: the ones a no-show may still be recorded for."""
    query = visible_bookings_query(
        user=user, scope="unit", unit_id=unit_id,
        statuses=[BookingStatus.CONFIRMED, BookingStatus.COMPLETED],
    ).where(Booking.end_at <= now, Booking.end_at >= now - window,
            Booking.checked_in_at.is_(None))
    return list(db.session.scalars(_desk_details(query)))


def user_notifications(*, user, page: int = 1,
                       per_page: int = NOTICES_PER_PAGE) -> Page[Notification]:
    """The user's notices, newest first."""
    mine = Notification.user_id == user.id
    total = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(mine)) or 0
    query = (sa.select(Notification).where(mine)
             .order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(per_page).offset((page - 1) * per_page))
    return Page(list(db.session.scalars(query)), page, per_page, total)
