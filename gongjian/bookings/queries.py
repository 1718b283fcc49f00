"""What the signed-in user's own pages list: their bookings and their notices.

Selection only (no rules): who may see a booking is decided in visibility.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..accounts.models import Notification
from ..extensions import db
from ..venues.models import Venue
from .models import ACTIVE_STATUSES, Booking
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
    return sa.and_(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)


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


def user_notifications(*, user, page: int = 1,
                       per_page: int = NOTICES_PER_PAGE) -> Page[Notification]:
    """The user's notices, newest first."""
    mine = Notification.user_id == user.id
    total = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(mine)) or 0
    query = (sa.select(Notification).where(mine)
             .order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(per_page).offset((page - 1) * per_page))
    return Page(list(db.session.scalars(query)), page, per_page, total)
