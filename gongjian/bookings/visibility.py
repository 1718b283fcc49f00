"""Who sees which bookings (product.md §2).

A booker sees their own bookings, an organization's members its bookings, a unit's managers
every booking at the unit's venues, district admins everything; to everyone else a booking
does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..accounts.models import Membership, User, unit_managers
from ..accounts.services import can_manage_unit, managed_unit_ids
from ..errors import NotAllowed
from ..extensions import db
from ..venues.intervals import local_instant
from ..venues.models import Venue
from .models import Booking, BookingStatus

# Open-ended periods stop here, far from datetime's limits.
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_view_booking(user, booking: Booking) -> bool:
    if not _is_user(user):
        return False
    if user.is_admin or booking.booker_id == user.id:
        return True
    if booking.organization_id is not None and db.session.get(
        Membership, (user.id, booking.organization_id)
    ) is not None:
        return True
    return can_manage_unit(user, booking.venue.unit_id)


def visible_booking_ids(user, booking_ids) -> set[int]:
    """Of these booking ids, the ones `user` may see (can_view_booking, in one query)."""
    ids = sorted({i for i in booking_ids if i is not None})
    if not _is_user(user) or not ids:
        return set()
    query = sa.select(Booking.id).where(Booking.id.in_(ids))
    if not user.is_admin:
        organizations = sa.select(Membership.organization_id).where(Membership.user_id == user.id)
        managed = sa.select(unit_managers.c.unit_id).where(unit_managers.c.user_id == user.id)
        query = query.join(Venue, Venue.id == Booking.venue_id).where(sa.or_(
            Booking.booker_id == user.id,
            Booking.organization_id.in_(organizations),
            Venue.unit_id.in_(managed),
        ))
    return set(db.session.scalars(query))


def manageable_booking_ids(user, booking_ids) -> set[int]:
    """Of these booking ids, the ones at units `user` manages (every one for district admins),
    in one query: what the unit desk may open."""
    ids = sorted({i for i in booking_ids if i is not None})
    if not _is_user(user) or not ids:
        return set()
    query = sa.select(Booking.id).where(Booking.id.in_(ids))
    if not user.is_admin:
        managed = sa.select(unit_managers.c.unit_id).where(unit_managers.c.user_id == user.id)
        query = query.join(Venue, Venue.id == Booking.venue_id).where(Venue.unit_id.in_(managed))
    return set(db.session.scalars(query))


def can_view_person(viewer, person: User) -> bool:
    """A person's contact details: themselves, district admins, and the managers of a unit
    at which they have booked."""
    if not _is_user(viewer):
        return False
    if viewer.is_admin or viewer.id == person.id:
        return True
    booked_at_managed_unit = (
        sa.select(Booking.id)
        .join(Venue, Venue.id == Booking.venue_id)
        .join(unit_managers, unit_managers.c.unit_id == Venue.unit_id)
        .where(Booking.booker_id == person.id, unit_managers.c.user_id == viewer.id)
        .limit(1)
    )
    return db.session.scalar(booked_at_managed_unit) is not None


def _period_condition(first: date, last: date):
    """Bookings overlapping local midnight of `first` … local midnight after `last`, each in
    its own venue's time zone."""
    zones = db.session.scalars(sa.select(Venue.timezone).distinct()).all()
    conditions = []
    for name in zones:
        zone = ZoneInfo(name)
        start = local_instant(first, 0, zone)
        end = local_instant(last + timedelta(days=1), 0, zone)
        conditions.append(sa.and_(Venue.timezone == name, Booking.start_at < end,
                                  Booking.end_at > start))
    return sa.or_(*conditions) if conditions else sa.false()


def visible_bookings_query(
    *,
    user,
    scope: str = "mine",
    unit_id: int | None = None,
    statuses: Sequence[BookingStatus] = (),
    first: date | None = None,
    last: date | None = None,
) -> sa.Select:
    """Bookings for a list: `mine` = booked by the user or by an organization they belong to;
    `unit` = at the venues of units the user manages (all units for district admins)."""
    if not _is_user(user):
        raise NotAllowed()
    query = sa.select(Booking).join(Venue, Venue.id == Booking.venue_id)
    if scope == "unit":
        if unit_id is not None:
            if not can_manage_unit(user, unit_id):
                raise NotAllowed()
        elif not user.is_admin:
            managed = managed_unit_ids(user)
            if not managed:
                raise NotAllowed()
            query = query.where(Venue.unit_id.in_(sorted(managed)))
    else:
        organizations = sa.select(Membership.organization_id).where(Membership.user_id == user.id)
        query = query.where(sa.or_(Booking.booker_id == user.id,
                                   Booking.organization_id.in_(organizations)))
    if unit_id is not None:
        query = query.where(Venue.unit_id == unit_id)
    if statuses:
        query = query.where(Booking.status.in_(list(statuses)))
    if first is not None or last is not None:
        query = query.where(_period_condition(first or EARLIEST, last or LATEST))
    return query.order_by(Booking.start_at, Booking.id)


def organization_bookings_query(organization_id: int, *, ended_after: datetime) -> sa.Select:
    """An organization's bookings that end after `ended_after` (e.g. 30 days ago), by start:
    for its members' page, whose caller checks that the viewer may see them."""
    return (
        sa.select(Booking)
        .where(Booking.organization_id == organization_id, Booking.end_at > ended_after)
        .order_by(Booking.start_at, Booking.id)
    )
