"""Availability: when a venue is open, busy and free, and which venues are free for a range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..venues.intervals import Interval, covers, local_instant, merge, subtract
from ..venues.models import Closure, Venue
from ..venues.services import closure_intervals, opening_windows
from .models import Booking
from .services import LONGEST_BOOKING, busy_intervals


@dataclass(frozen=True)
class Availability:
    venue: Venue
    open: list[Interval]
    busy: list[Interval]
    free: list[Interval]


def venue_availability(*, venue: Venue, start: datetime, end: datetime) -> Availability:
    """Open = weekly windows (joined where they touch) minus closures; busy = slot-holding
    bookings; free = open minus busy widened by the venue's buffer. All clipped to the range."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    windows = [(max(s, start), min(e, end)) for s, e in opening_windows(venue, start, end)]
    open_ = subtract(windows, closure_intervals(venue.id, start, end))
    buffer = timedelta(minutes=venue.buffer_minutes)
    bookings = busy_intervals(venue.id, start - buffer, end + buffer)
    busy = [(max(s, start), min(e, end)) for s, e in merge(bookings) if s < end and e > start]
    free = subtract(open_, ((s - buffer, e + buffer) for s, e in bookings))
    return Availability(venue=venue, open=open_, busy=busy, free=free)


def free_venue_ids(candidates: sa.Select, start: datetime, end: datetime) -> list[int]:
    """Of the venues `candidates` selects, those open throughout [start, end) and free then."""
    clashing_booking = sa.select(Booking.id).where(
        Booking.venue_id == Venue.id,
        Booking.holds_slot,
        Booking.start_at < end,
        Booking.start_at > start - LONGEST_BOOKING,
        Booking.end_at > start,
    )
    clashing_closure = sa.select(Closure.id).where(
        Closure.venue_id == Venue.id,
        Closure.start_at < end,
        sa.or_(Closure.end_at.is_(None), Closure.end_at > start),
    )
    query = (
        candidates.where(Venue.archived_at.is_(None), ~clashing_booking.exists(),
                         ~clashing_closure.exists())
        .options(selectinload(Venue.opening_hours))
    )
    venues: Sequence[Venue] = db.session.scalars(query).all()
    found = []
    for venue in venues:
        if not covers(opening_windows(venue, start, end), start, end):
            continue
        if venue.buffer_minutes and busy_intervals(
            venue.id, start - timedelta(minutes=venue.buffer_minutes),
            end + timedelta(minutes=venue.buffer_minutes),
        ):
            continue
        found.append(venue.id)
    return found


def free_venue_ids_local(
    candidates: sa.Select, *, day: date, start_minute: int, end_minute: int
) -> list[int]:
    """Of the venues `candidates` selects, those open and free throughout a local time range
    (minutes after local midnight of `day`) read in each venue's own time zone."""
    zones = db.session.scalars(
        sa.select(candidates.order_by(None).subquery().c.timezone).distinct())
    found: set[int] = set()
    for zone_name in sorted(zones):
        zone = ZoneInfo(zone_name)
        start, end = local_instant(day, start_minute, zone), local_instant(day, end_minute, zone)
        if start < end:
            found.update(free_venue_ids(candidates.where(Venue.timezone == zone_name), start, end))
    return sorted(found)


def venues_in_use(venue_ids: Sequence[int], at: datetime) -> set[int]:
    """Which of the venues hold a slot-holding booking at the instant `at` (one query)."""
    if not venue_ids:
        return set()
    return set(db.session.scalars(sa.select(Booking.venue_id).distinct().where(
        Booking.venue_id.in_(list(venue_ids)),
        Booking.holds_slot,
        Booking.start_at <= at,
        Booking.start_at > at - LONGEST_BOOKING,
        Booking.end_at > at,
    )))
