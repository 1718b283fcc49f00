"""Openness figures (product.md §7) for venues, units, communities, streets and the district.

Hours are exact inside (Fraction); `Figures.to_dict` rounds half up: hours, medians and
satisfaction to 2 decimals, ratios to 4. Opening hours come from `hours.open_microseconds`, per
weekly window. Booking figures are SQL aggregates grouped by the level's key (and sub-period:
a monthly series is one scan): one main statement over the bookings that start in the period,
one narrow statement for bookings that start before it and reach in, one for the medians and,
on PostgreSQL, one for the distinct counts (so the main one may run in parallel). Python loops
only over venues, units and result groups, never over bookings.

Definitions where §7 leaves a choice:
- Evening = local time from 18:00 to midnight; a window 00:00–02:00 is night, not evening.
- A booking is *decided* when `decided_at` is set: only approve and reject set it, so these are
  exactly the approval-required bookings a manager decided (expired and still pending ones are
  not). *Approved* = decided and not `rejected` (approved, then cancelled, completed or missed
  stays approved). The median of decided_at − created_at is the mean of the middle two for an
  even count; on SQLite to the whole second.
- `bookings`, `people_served`, distinct counts, ratings and decisions take bookings *starting*
  in the period; booked and used hours take every booking overlapping it, clipped.
- Sub-periods (months): a booking counts in the sub-period where it starts; its booked and
  used hours are split at the sub-period's end (bookings last at most a day).
- A unit without agreements has committed_hours 0 and commitment_rate null; overlapping
  agreements (with the community and with the street) add up.
- Units include their archived venues (clipped to their life); the public board shows active
  units and their open venues only.
- The policy baseline (BASELINE_*): at least 21 open hours a week, at least 10 of them in the
  evening or at the weekend (each hour counted once), scaled by the period's days ÷ 7.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..accounts.models import Community, Street, Unit, User
from ..accounts.services import can_manage_unit, managed_unit_ids
from ..bookings.models import Booking, BookingStatus
from ..db import UTCDateTime
from ..errors import NotAllowed
from ..extensions import db
from ..venues.intervals import format_hhmm
from ..venues.models import Closure, OpeningHours, Venue
from .hours import OpenParts, WindowRow, open_microseconds
from .models import Agreement
from .periods import Period

BOOKED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
SERVED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
STATUSES = tuple(BookingStatus)
HOURS_PLACES = 2
RATIO_PLACES = 4
LONGEST_BOOKING = timedelta(days=1)

# The policy baseline every unit is held to, beside its own agreements: at least this many
# open hours a week, of which at least this many in the evening (after 18:00) or on Saturday
# and Sunday. Scaled to a period by its days ÷ 7.
BASELINE_WEEKLY_HOURS = Fraction(21)
BASELINE_WEEKLY_OFF_HOURS = Fraction(10)
IDLE_UTILIZATION = Fraction(1, 10)


class Level(StrEnum):
    VENUE = "venue"
    UNIT = "unit"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"


def round_half_up(value: Fraction | None, places: int) -> Decimal | None:
    if value is None:
        return None
    scaled = value * 10**places
    whole = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(whole).scaleb(-places)


def _ratio(numerator: Fraction | int, denominator: Fraction | int) -> Fraction | None:
    return None if not denominator else Fraction(numerator) / Fraction(denominator)


@dataclass
class Figures:
    """The §7 figures of one venue or group over one period, exact."""

    open_hours: Fraction = Fraction(0)
    evening_hours: Fraction = Fraction(0)
    rest_day_hours: Fraction = Fraction(0)
    off_hours: Fraction = Fraction(0)  # evening or rest day, each hour once (for the baseline)
    booked_hours: Fraction = Fraction(0)
    used_hours: Fraction = Fraction(0)
    bookings: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in STATUSES})
    people_served: int = 0
    distinct_bookers: int = 0
    organizations_served: int = 0
    approved: int = 0
    rejected: int = 0
    median_decision_hours: Fraction | None = None
    rating_sum: int = 0
    ratings: int = 0
    committed_hours: Fraction | None = None  # None for venues (agreements belong to units)

    def add_open(self, parts: OpenParts) -> None:
        self.open_hours += parts.open_hours
        self.evening_hours += parts.evening_hours
        self.rest_day_hours += parts.rest_day_hours
        self.off_hours += parts.off_hours

    @property
    def bookings_total(self) -> int:
        return sum(self.bookings.values())

    @property
    def utilization(self) -> Fraction | None:
        return _ratio(self.booked_hours, self.open_hours)

    @property
    def approval_rate(self) -> Fraction | None:
        return _ratio(self.approved, self.approved + self.rejected)

    @property
    def cancellation_rate(self) -> Fraction | None:
        return _ratio(self.bookings["cancelled"], self.bookings_total)

    @property
    def no_show_rate(self) -> Fraction | None:
        return _ratio(self.bookings["no_show"],
                      self.bookings["completed"] + self.bookings["no_show"])

    @property
    def satisfaction(self) -> Fraction | None:
        return _ratio(self.rating_sum, self.ratings)

    @property
    def commitment_rate(self) -> Fraction | None:
        if self.committed_hours is None:
            return None
        return _ratio(self.open_hours, self.committed_hours)

    def to_dict(self) -> dict[str, Any]:
        """The §7 names; hours and satisfaction to 2 decimals, ratios to 4 (half up)."""
        def h(value):
            return _number(round_half_up(value, HOURS_PLACES))

        def r(value):
            return _number(round_half_up(value, RATIO_PLACES))

        return {
            "open_hours": h(self.open_hours),
            "evening_hours": h(self.evening_hours),
            "rest_day_hours": h(self.rest_day_hours),
            "booked_hours": h(self.booked_hours),
            "used_hours": h(self.used_hours),
            "utilization": r(self.utilization),
            "bookings": {"total": self.bookings_total, **self.bookings},
            "people_served": self.people_served,
            "distinct_bookers": self.distinct_bookers,
            "organizations_served": self.organizations_served,
            "approval_rate": r(self.approval_rate),
            "median_decision_hours": h(self.median_decision_hours),
            "cancellation_rate": r(self.cancellation_rate),
            "no_show_rate": r(self.no_show_rate),
            "satisfaction": h(self.satisfaction),
            "ratings": self.ratings,
            "committed_hours": h(self.committed_hours),
            "commitment_rate": r(self.commitment_rate),
        }


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# Scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which units (and venues) a computation covers; None means no restriction."""

    unit_ids: Collection[int] | None = None
    venue_ids: Collection[int] | None = None
    street_id: int | None = None
    community_id: int | None = None
    unit_type: str | None = None
    active_units_only: bool = False

    def unit_conditions(self) -> list[Any]:
        conditions: list[Any] = []
        if self.unit_ids is not None:
            conditions.append(Unit.id.in_(list(self.unit_ids)))
        if self.community_id is not None:
            conditions.append(Unit.community_id == self.community_id)
        if self.street_id is not None:
            conditions.append(Community.street_id == self.street_id)
        if self.unit_type is not None:
            conditions.append(Unit.type == self.unit_type)
        if self.active_units_only:
            conditions.append(Unit.active.is_(True))
        return conditions

    def venue_conditions(self) -> list[Any]:
        conditions = self.unit_conditions()
        if self.venue_ids is not None:
            conditions.append(Venue.id.in_(list(self.venue_ids)))
        return conditions


@dataclass(frozen=True)
class _VenueRow:
    id: int
    unit_id: int
    community_id: int
    street_id: int
    timezone: str
    created_at: datetime
    archived_at: datetime | None


_UNIT_KEYS = {
    Level.UNIT: lambda unit_id, community_id, street_id: unit_id,
    Level.COMMUNITY: lambda unit_id, community_id, street_id: community_id,
    Level.STREET: lambda unit_id, community_id, street_id: street_id,
    Level.DISTRICT: lambda unit_id, community_id, street_id: None,
}


def _venue_key(level: Level, v: _VenueRow):
    if level == Level.VENUE:
        return v.id
    return _UNIT_KEYS[level](v.unit_id, v.community_id, v.street_id)


def _sql_key(level: Level):
    return {
        Level.VENUE: Booking.venue_id,
        Level.UNIT: Venue.unit_id,
        Level.COMMUNITY: Unit.community_id,
        Level.STREET: Community.street_id,
        Level.DISTRICT: sa.literal(0),
    }[level]


def _load_venues(scope: Scope) -> list[_VenueRow]:
    rows = db.session.execute(
        sa.select(Venue.id, Venue.unit_id, Unit.community_id, Community.street_id,
                  Venue.timezone, Venue.created_at, Venue.archived_at)
        .join(Unit, Venue.unit_id == Unit.id)
        .join(Community, Unit.community_id == Community.id)
        .where(*scope.venue_conditions())
        .order_by(Venue.id)
    )
    return [_VenueRow(*row) for row in rows]


def _load_units(scope: Scope) -> list[tuple[int, int, int]]:
    return list(db.session.execute(
        sa.select(Unit.id, Unit.community_id, Community.street_id)
        .join(Community, Unit.community_id == Community.id)
        .where(*scope.unit_conditions())
        .order_by(Unit.id)
    ))


def _venue_scope_subquery(scope: Scope):
    return (sa.select(Venue.id).join(Unit, Venue.unit_id == Unit.id)
            .join(Community, Unit.community_id == Community.id)
            .where(*scope.venue_conditions()))


def _load_windows(scope: Scope) -> dict[int, list[WindowRow]]:
    windows: dict[int, list[WindowRow]] = defaultdict(list)
    # Dates read as they come (text on SQLite, parsed here: much faster than the generic path).
    rows = db.session.execute(
        sa.select(OpeningHours.venue_id, OpeningHours.weekday, OpeningHours.start_minute,
                  OpeningHours.end_minute, sa.type_coerce(OpeningHours.valid_from, sa.String),
                  sa.type_coerce(OpeningHours.valid_until, sa.String))
        .where(OpeningHours.venue_id.in_(_venue_scope_subquery(scope)))
    )
    for venue_id, weekday, start, end, valid_from, valid_until in rows:
        windows[venue_id].append(WindowRow(weekday, start, end, _date(valid_from),
                                           _date(valid_until)))
    return windows


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return _parse_date(value)


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> date:
    return date.fromisoformat(text)


def _load_closures(scope: Scope, start: datetime, end: datetime):
    closures: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(Closure.venue_id, Closure.start_at, Closure.end_at)
        .where(Closure.venue_id.in_(_venue_scope_subquery(scope)), Closure.start_at < end,
               sa.or_(Closure.end_at.is_(None), Closure.end_at > start))
    )
    for venue_id, closure_start, closure_end in rows:
        closures[venue_id].append((closure_start, closure_end or end))
    return closures


def _committed(scope: Scope, periods: Sequence[Period]) -> dict[int, list[Fraction]]:
    """Per unit and sub-period: Σ committed hours per week × days valid inside ÷ 7."""
    committed: dict[int, list[Fraction]] = defaultdict(lambda: [Fraction(0)] * len(periods))
    rows = db.session.execute(
        sa.select(Agreement.unit_id, Agreement.valid_from, Agreement.valid_until,
                  Agreement.committed_hours_per_week)
        .join(Unit, Agreement.unit_id == Unit.id)
        .join(Community, Unit.community_id == Community.id)
        .where(*scope.unit_conditions(), Agreement.valid_from <= periods[-1].last,
               sa.or_(Agreement.valid_until.is_(None),
                      Agreement.valid_until >= periods[0].first))
    )
    for unit_id, valid_from, valid_until, per_week in rows:
        for i, period in enumerate(periods):
            days = period.overlap_days(valid_from, valid_until)
            if days:
                committed[unit_id][i] += Fraction(per_week) * days / 7
    return committed


# SQL building blocks ---------------------------------------------------------------------------


def _epoch(column, dialect: str):
    """Seconds since 1970 of an instant column (PostgreSQL exact; SQLite whole seconds)."""
    if dialect == "sqlite":
        return sa.func.unixepoch(column)
    return sa.extract("epoch", column)


def _least(a, b, dialect: str):
    return sa.func.min(a, b) if dialect == "sqlite" else sa.func.least(a, b)


def _greatest(a, b, dialect: str):
    return sa.func.max(a, b) if dialect == "sqlite" else sa.func.greatest(a, b)


class _Bounds:
    """The sub-period bounds b0 < b1 < … < bn, per time zone, as SQL expressions."""

    def __init__(self, periods: Sequence[Period], zones: Collection[str]) -> None:
        self.zones = sorted(zones)
        self.instants: dict[str, list[datetime]] = {}
        for name in self.zones:
            zone = ZoneInfo(name)
            self.instants[name] = [periods[0].bounds(zone)[0],
                                   *(p.bounds(zone)[1] for p in periods)]
        self.count = len(periods)

    def _pick(self, values: dict[str, Any]):
        if len(values) == 1:
            return next(iter(values.values()))
        return sa.case(values, value=Venue.timezone)

    def instant(self, k: int):
        return self._pick({z: sa.literal(self.instants[z][k], UTCDateTime) for z in self.zones})

    def epoch(self, k: int):
        return self._pick({z: sa.literal(int(self.instants[z][k].timestamp()))
                           for z in self.zones})

    @property
    def earliest(self) -> datetime:
        return min(v[0] for v in self.instants.values())

    @property
    def latest(self) -> datetime:
        return max(v[-1] for v in self.instants.values())

    @property
    def latest_start(self) -> datetime:
        return max(v[0] for v in self.instants.values())


def _unindexed(dialect: str):
    """The start and end columns for range conditions that should not pick an index.

    On SQLite they are written `+bookings.start_at`: statistics make a skip-scan of
    (status, start_at) look cheap for a whole-year range, and it is many times slower than
    walking the bookings by venue or in table order.
    """
    if dialect == "sqlite":
        return (sa.literal_column("+bookings.start_at", UTCDateTime),
                sa.literal_column("+bookings.end_at", UTCDateTime))
    return Booking.start_at, Booking.end_at


def _starting_in(bounds: _Bounds, dialect: str) -> list[Any]:
    """Bookings that start within [b0, bn)."""
    start, _ = _unindexed(dialect)
    conditions = [start >= bounds.earliest, start < bounds.latest]
    if len(bounds.zones) > 1:
        conditions += [start >= bounds.instant(0), start < bounds.instant(bounds.count)]
    return conditions


def _booking_query(level: Level, scope: Scope, bounds: _Bounds, dialect: str):
    """One grouped statement over the bookings that start in the periods: per key and
    sub-period (of the start) every booking aggregate. Hours are clipped to the end of the
    start's sub-period; what lies beyond it spills into the next one."""
    n = bounds.count
    start, end = Booking.start_at, Booking.end_at
    # Durations: PostgreSQL subtracts timestamps (exact intervals, cheap); SQLite subtracts
    # epoch seconds.
    if dialect == "sqlite":
        start_t, end_t, bound = _epoch(start, dialect), _epoch(end, dialect), bounds.epoch
    else:
        start_t, end_t, bound = start, end, bounds.instant
    if n == 1:
        index = sa.literal(0)
        edge = bound(1)
    else:
        index = sa.case(*((start < bounds.instant(k + 1), k) for k in range(n - 1)),
                        else_=n - 1)
        edge = sa.case(*((start < bounds.instant(k + 1), bound(k + 1)) for k in range(n - 1)),
                       else_=bound(n))
    inside = _least(end_t, edge, dialect) - start_t
    spill = _least(end_t, bound(n), dialect) - edge
    end_s = end_t
    completed = Booking.status == BookingStatus.COMPLETED
    booked_not_used = Booking.status.in_([s for s in BOOKED if s != BookingStatus.COMPLETED])
    decided = Booking.decided_at.is_not(None)
    served = Booking.status.in_(SERVED)

    def total(condition, value):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

    def duration(condition, value):
        return sa.func.sum(sa.case((condition, value)))  # NULL when nothing matches

    def count(condition):
        return sa.func.count(sa.case((condition, 1)))

    def distinct(condition, column):
        return sa.func.count(sa.distinct(sa.case((condition, column))))

    columns = [
        _sql_key(level).label("key"),
        index.label("i"),
        # Booked = used (completed) + the other booked statuses: each row's duration is
        # computed once.
        duration(booked_not_used, inside).label("booked"),
        duration(completed, inside).label("used"),
        *((duration(sa.and_(booked_not_used, end_s > edge), spill).label("booked_spill"),
           duration(sa.and_(completed, end_s > edge), spill).label("used_spill"))
          if n > 1 else ()),
        *(count(Booking.status == s).label(f"n_{s.value}") for s in STATUSES),
        total(completed, Booking.attendees).label("people"),
        # PostgreSQL aggregates the rest in parallel, which DISTINCT would prevent.
        *((distinct(served, Booking.booker_id).label("bookers"),
           distinct(served, Booking.organization_id).label("organizations"))
          if dialect == "sqlite" else ()),
        sa.func.coalesce(sa.func.sum(Booking.rating), 0).label("rating_sum"),
        sa.func.count(Booking.rating).label("ratings"),
        count(sa.and_(decided, Booking.status != BookingStatus.REJECTED)).label("approved"),
        count(sa.and_(decided, Booking.status == BookingStatus.REJECTED)).label("rejected"),
    ]
    query = (
        sa.select(*columns)
        .select_from(Booking)
        .join(Venue, Booking.venue_id == Venue.id)
        .where(*_starting_in(bounds, dialect))
        # With one period the rows arrive grouped by venue (and unit): no sort is needed.
        .group_by(*((sa.text("1"),) if n == 1 else (sa.text("1"), sa.text("2"))))
    )
    return _join_scope(query, level, scope)


def _distinct_query(level: Level, scope: Scope, bounds: _Bounds, dialect: str):
    """Distinct bookers and organizations of confirmed or completed bookings per key and
    sub-period (PostgreSQL; SQLite counts them in the main statement)."""
    n = bounds.count
    start = Booking.start_at
    index = sa.case(*((start < bounds.instant(k + 1), k) for k in range(n - 1)),
                    else_=n - 1) if n > 1 else sa.literal(0)
    query = (
        sa.select(_sql_key(level).label("key"), index.label("i"),
                  sa.func.count(sa.distinct(Booking.booker_id)),
                  sa.func.count(sa.distinct(Booking.organization_id)))
        .select_from(Booking)
        .join(Venue, Booking.venue_id == Venue.id)
        .where(Booking.status.in_(SERVED), *_starting_in(bounds, dialect))
        .group_by(sa.text("1"), sa.text("2"))
    )
    return _join_scope(query, level, scope)


def _early_query(level: Level, scope: Scope, bounds: _Bounds, dialect: str):
    """Booked and used seconds of bookings that start before the periods and reach into them
    (a narrow range: here an index is welcome)."""
    if dialect == "sqlite":
        start_t = bounds.epoch(0)
        end_t = _least(_epoch(Booking.end_at, dialect), bounds.epoch(1), dialect)
    else:
        start_t = bounds.instant(0)
        end_t = _least(Booking.end_at, bounds.instant(1), dialect)
    booked = Booking.status.in_(BOOKED)
    completed = Booking.status == BookingStatus.COMPLETED
    query = (
        sa.select(_sql_key(level).label("key"),
                  sa.func.sum(sa.case((booked, end_t - start_t))),
                  sa.func.sum(sa.case((completed, end_t - start_t))))
        .select_from(Booking)
        .join(Venue, Booking.venue_id == Venue.id)
        .where(Booking.start_at >= bounds.earliest - LONGEST_BOOKING,
               Booking.start_at < bounds.latest_start,
               Booking.start_at < bounds.instant(0), Booking.end_at > bounds.instant(0),
               Booking.status.in_(BOOKED))
        .group_by(sa.text("1"))
    )
    return _join_scope(query, level, scope)


def _join_scope(query, level: Level, scope: Scope):
    if level in (Level.COMMUNITY, Level.STREET) or scope.unit_conditions():
        query = query.join(Unit, Venue.unit_id == Unit.id).join(
            Community, Unit.community_id == Community.id)
    if scope.venue_conditions():
        query = query.where(*scope.venue_conditions())
    return query


def _median_query(level: Level, scope: Scope, bounds: _Bounds, dialect: str):
    """Median of decided_at − created_at per (key, sub-period), by window functions."""
    n = bounds.count
    start = Booking.start_at
    index = sa.case(*((start < bounds.instant(k + 1), k) for k in range(n - 1)),
                    else_=n - 1) if n > 1 else sa.literal(0)
    if dialect != "sqlite":
        # percentile_cont interpolates intervals exactly: the mean of the middle two.
        query = (
            sa.select(_sql_key(level).label("key"), index.label("i"),
                      sa.func.percentile_cont(0.5).within_group(
                          Booking.decided_at - Booking.created_at),
                      sa.literal(1))
            .select_from(Booking)
            .join(Venue, Booking.venue_id == Venue.id)
            .where(Booking.decided_at.is_not(None), *_starting_in(bounds, dialect))
            .group_by(sa.text("1"), sa.text("2"))
        )
        return _join_scope(query, level, scope)
    seconds = _epoch(Booking.decided_at, dialect) - _epoch(Booking.created_at, dialect)
    decided = (
        sa.select(_sql_key(level).label("key"), index.label("i"), seconds.label("s"))
        .select_from(Booking)
        .join(Venue, Booking.venue_id == Venue.id)
        .where(Booking.decided_at.is_not(None), *_starting_in(bounds, dialect))
    )
    decided = _join_scope(decided, level, scope).subquery()
    ranked = sa.select(
        decided.c.key, decided.c.i, decided.c.s,
        sa.func.row_number().over(partition_by=[decided.c.key, decided.c.i],
                                  order_by=decided.c.s).label("rn"),
        sa.func.count().over(partition_by=[decided.c.key, decided.c.i]).label("n"),
    ).subquery()
    middle = sa.or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    return (sa.select(ranked.c.key, ranked.c.i, sa.func.sum(ranked.c.s), sa.func.count())
            .where(middle).group_by(ranked.c.key, ranked.c.i))


# Computing ---------------------------------------------------------------------------------


def compute_series(periods: Sequence[Period], *, level: Level | str,
                   scope: Scope = Scope()) -> dict[Any, list[Figures]]:
    """Every §7 figure per key of `level` (venue, unit, community, street id; None for the
    district) for each of the consecutive periods given."""
    level = Level(level)
    periods = list(periods)
    for a, b in zip(periods, periods[1:], strict=False):
        if b.first != a.last + timedelta(days=1):
            raise ValueError("sub-periods must be consecutive")
    venues = _load_venues(scope)
    results: dict[Any, list[Figures]] = {}
    if level == Level.VENUE:
        for v in venues:
            results[v.id] = [Figures() for _ in periods]
    else:
        unit_keys = {unit_id: _UNIT_KEYS[level](unit_id, community_id, street_id)
                     for unit_id, community_id, street_id in _load_units(scope)}
        for key in unit_keys.values():
            results.setdefault(key, [Figures(committed_hours=Fraction(0)) for _ in periods])
        for unit_id, values in _committed(scope, periods).items():
            if unit_id not in unit_keys:
                continue
            for figures, value in zip(results[unit_keys[unit_id]], values, strict=True):
                figures.committed_hours += value
    if not venues:
        return results

    zones = {v.timezone for v in venues}
    bounds = _Bounds(periods, zones)
    windows = _load_windows(scope)
    closures = _load_closures(scope, bounds.earliest, bounds.latest)
    open_time: dict[Any, list[list[int]]] = {key: [[0, 0, 0, 0] for _ in periods]
                                             for key in results}
    for v in venues:
        sums = open_time[_venue_key(level, v)]
        zone = ZoneInfo(v.timezone)
        for total, period in zip(sums, periods, strict=True):
            parts = open_microseconds(zone=zone, windows=windows.get(v.id, ()),
                                      closures=closures.get(v.id, ()), created_at=v.created_at,
                                      archived_at=v.archived_at, period=period)
            for k in range(4):
                total[k] += parts[k]
    for key, sums in open_time.items():
        for figures, total in zip(results[key], sums, strict=True):
            figures.add_open(OpenParts.from_microseconds(total))

    dialect = db.session.get_bind().dialect.name
    n = len(periods)

    def group(key):
        return results.get(None if level == Level.DISTRICT else key)

    for row in db.session.execute(_booking_query(level, scope, bounds, dialect)).mappings():
        series = group(row["key"])
        if series is None:
            continue
        i = row["i"]
        figures = series[i]
        figures.booked_hours += _hours(row["booked"]) + _hours(row["used"])
        figures.used_hours += _hours(row["used"])
        if n > 1 and i + 1 < n:
            series[i + 1].booked_hours += (_hours(row["booked_spill"])
                                           + _hours(row["used_spill"]))
            series[i + 1].used_hours += _hours(row["used_spill"])
        for s in STATUSES:
            figures.bookings[s.value] += row[f"n_{s.value}"]
        figures.people_served += int(row["people"])
        if dialect == "sqlite":
            figures.distinct_bookers += row["bookers"]
            figures.organizations_served += row["organizations"]
        figures.rating_sum += int(row["rating_sum"])
        figures.ratings += row["ratings"]
        figures.approved += row["approved"]
        figures.rejected += row["rejected"]
    if dialect != "sqlite":
        for key, i, bookers, organizations in db.session.execute(
                _distinct_query(level, scope, bounds, dialect)):
            series = group(key)
            if series is not None:
                series[i].distinct_bookers += bookers
                series[i].organizations_served += organizations
    for key, booked, used in db.session.execute(_early_query(level, scope, bounds, dialect)):
        series = group(key)
        if series is not None:
            series[0].booked_hours += _hours(booked)
            series[0].used_hours += _hours(used)
    for key, i, total, count in db.session.execute(_median_query(level, scope, bounds, dialect)):
        key = None if level == Level.DISTRICT else key
        if key in results:
            results[key][i].median_decision_hours = _hours(total) / count
    return results


def _hours(value) -> Fraction:
    """Hours of a duration from SQL: an interval (timedelta) or seconds (int, Decimal)."""
    if value is None:
        return Fraction(0)
    if isinstance(value, timedelta):
        return Fraction(value // timedelta(microseconds=1), 3_600_000_000)
    return Fraction(value) / 3600


def compute_figures(period: Period, *, level: Level | str,
                    scope: Scope = Scope()) -> dict[Any, Figures]:
    """Every §7 figure per key of `level` over one period."""
    return {key: series[0] for key, series in
            compute_series([period], level=level, scope=scope).items()}


def monthly_series(period: Period, *, level: Level | str,
                   scope: Scope = Scope()) -> tuple[list[Period], dict[Any, list[Figures]]]:
    months = list(period.months())
    return months, compute_series(months, level=level, scope=scope)


def venue_figures(venue: Venue, period: Period) -> Figures:
    return compute_figures(period, level=Level.VENUE, scope=Scope(venue_ids=[venue.id]))[
        venue.id]


def unit_openness(unit: Unit, period: Period) -> tuple[Figures, list[tuple[Venue, Figures]]]:
    """The unit's figures (distinct counts and medians across the unit) and each venue's."""
    scope = Scope(unit_ids=[unit.id])
    unit_figures = compute_figures(period, level=Level.UNIT, scope=scope)[unit.id]
    by_venue = compute_figures(period, level=Level.VENUE, scope=scope)
    venues = db.session.scalars(
        sa.select(Venue).where(Venue.unit_id == unit.id).order_by(Venue.id)).all()
    return unit_figures, [(v, by_venue[v.id]) for v in venues if v.id in by_venue]


def district_figures(period: Period, scope: Scope = Scope()) -> Figures:
    return compute_figures(period, level=Level.DISTRICT, scope=scope)[None]


# Who may read a unit's figures ------------------------------------------------------------------


def require_unit_reader(actor, unit_id: int) -> None:
    """A unit's full figures are for its managers and district admins."""
    if not can_manage_unit(actor, unit_id):
        raise NotAllowed()


def readable_unit_ids(actor) -> list[int] | None:
    """Units whose figures the actor may read: None (every unit) for district admins, the
    managed units for a manager; anyone else is refused."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed()
    if actor.is_admin:
        return None
    managed = managed_unit_ids(actor)
    if not managed:
        raise NotAllowed()
    return sorted(managed)


# The district table, shortfalls and the baseline ------------------------------------------------


@dataclass
class UnitRow:
    unit: Unit
    figures: Figures
    baseline_gap: Fraction
    agreement_gap: Fraction | None

    @property
    def community(self) -> Community:
        return self.unit.community


SORT_KEYS = {
    "name": lambda row: row.unit.name,
    "open_hours": lambda row: row.figures.open_hours,
    "evening_hours": lambda row: row.figures.evening_hours,
    "rest_day_hours": lambda row: row.figures.rest_day_hours,
    "booked_hours": lambda row: row.figures.booked_hours,
    "utilization": lambda row: row.figures.utilization,
    "people_served": lambda row: row.figures.people_served,
    "bookings": lambda row: row.figures.bookings_total,
    "satisfaction": lambda row: row.figures.satisfaction,
    "committed_hours": lambda row: row.figures.committed_hours,
    "commitment_rate": lambda row: row.figures.commitment_rate,
    "baseline_gap": lambda row: row.baseline_gap,
}


def baseline_hours(period: Period) -> tuple[Fraction, Fraction]:
    """The policy baseline over a period: (open hours, evening-or-rest-day hours)."""
    weeks = Fraction(period.days, 7)
    return BASELINE_WEEKLY_HOURS * weeks, BASELINE_WEEKLY_OFF_HOURS * weeks


def baseline_gap(figures: Figures, period: Period) -> Fraction:
    """Hours missing to reach the baseline (the larger of its two shortfalls; 0 when met)."""
    total, off = baseline_hours(period)
    return max(Fraction(0), total - figures.open_hours, off - figures.off_hours)


def agreement_gap(figures: Figures) -> Fraction | None:
    """Committed hours not opened (0 when kept); None without an agreement in the period."""
    if not figures.committed_hours:
        return None
    return max(Fraction(0), figures.committed_hours - figures.open_hours)


def district_table(period: Period, scope: Scope = Scope(), *, sort: str = "open_hours",
                   descending: bool = True) -> list[UnitRow]:
    """Every unit in scope with its figures, sorted (None values last)."""
    figures = compute_figures(period, level=Level.UNIT, scope=scope)
    units = db.session.scalars(
        sa.select(Unit).join(Community, Unit.community_id == Community.id)
        .where(*scope.unit_conditions())
        .options(selectinload(Unit.community).selectinload(Community.street))
    ).all()
    rows = [UnitRow(u, figures[u.id], baseline_gap(figures[u.id], period),
                    agreement_gap(figures[u.id])) for u in units]
    key = SORT_KEYS.get(sort, SORT_KEYS["open_hours"])
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=lambda r: (key(r), -r.unit.id if descending else r.unit.id),
                 reverse=descending)
    missing.sort(key=lambda r: r.unit.id)
    return present + missing


def shortfalls(rows: Sequence[UnitRow]) -> tuple[list[UnitRow], list[UnitRow]]:
    """Units behind their agreements, and units below the policy baseline, largest gap first."""
    behind = sorted((r for r in rows if r.agreement_gap), key=lambda r: -r.agreement_gap)
    below = sorted((r for r in rows if r.baseline_gap), key=lambda r: -r.baseline_gap)
    return behind, below


# Unit dashboard extras ------------------------------------------------------------------------


def booking_heatmap(unit: Unit, period: Period) -> list[list[int]]:
    """Booked (confirmed, completed, no-show) bookings starting in the period, counted by local
    weekday (0 = Monday) × hour of their start: 7 rows of 24."""
    grid = [[0] * 24 for _ in range(7)]
    venues = _load_venues(Scope(unit_ids=[unit.id]))
    if not venues:
        return grid
    bounds = _Bounds([period], {v.timezone for v in venues})
    dialect = db.session.get_bind().dialect.name
    conditions = [Venue.unit_id == unit.id, Booking.status.in_(BOOKED),
                  Booking.start_at >= bounds.instant(0), Booking.start_at < bounds.instant(1)]
    if dialect == "postgresql":
        local = sa.func.timezone(Venue.timezone, Booking.start_at)
        query = (sa.select(sa.extract("isodow", local) - 1, sa.extract("hour", local),
                           sa.func.count())
                 .select_from(Booking).join(Venue, Booking.venue_id == Venue.id).where(*conditions)
                 .group_by(sa.text("1"), sa.text("2")))
        for weekday, hour, count in db.session.execute(query):
            grid[int(weekday)][int(hour)] += count
        return grid
    # SQLite has no zones: count per zone and UTC quarter-hour, then turn each into local time.
    quarter = sa.func.strftime("%Y-%m-%d %H:", Booking.start_at).op("||")(
        sa.func.printf("%02d", sa.cast(sa.func.strftime("%M", Booking.start_at), sa.Integer)
                       // 15 * 15))
    query = (sa.select(Venue.timezone, quarter, sa.func.count())
             .select_from(Booking).join(Venue, Booking.venue_id == Venue.id).where(*conditions)
             .group_by(sa.text("1"), sa.text("2")))
    for zone_name, text, count in db.session.execute(query):
        instant = datetime.fromisoformat(text + "+00:00").astimezone(ZoneInfo(zone_name))
        grid[instant.weekday()][instant.hour] += count
    return grid


def people_by_community(unit: Unit, period: Period) -> list[tuple[str | None, int]]:
    """People served (attendees of completed bookings starting in the period) by the community
    of the organization booked for, else of the booker; None where unknown."""
    venues = _load_venues(Scope(unit_ids=[unit.id]))
    if not venues:
        return []
    bounds = _Bounds([period], {v.timezone for v in venues})
    from ..accounts.models import Organization

    community_id = sa.func.coalesce(Organization.community_id, User.community_id)
    query = (
        sa.select(Community.id, Community.name, sa.func.sum(Booking.attendees))
        .select_from(Booking)
        .join(Venue, Booking.venue_id == Venue.id)
        .join(User, Booking.booker_id == User.id)
        .outerjoin(Organization, Booking.organization_id == Organization.id)
        .outerjoin(Community, Community.id == community_id)
        .where(Venue.unit_id == unit.id, Booking.status == BookingStatus.COMPLETED,
               Booking.start_at >= bounds.instant(0), Booking.start_at < bounds.instant(1))
        .group_by(Community.id, Community.name)
    )
    rows = [(name, int(total)) for _id, name, total in db.session.execute(query)]
    return sorted(rows, key=lambda r: (-r[1], r[0] or ""))


def venue_flags(venue_figures: Sequence[tuple[Venue, Figures]]) -> dict[int, list[str]]:
    """Per venue: 'idle' (utilization under 10 %), 'no_hours' (no open hours in the period)."""
    flags: dict[int, list[str]] = {}
    for venue, figures in venue_figures:
        marks = []
        if figures.open_hours == 0:
            marks.append("no_hours")
        elif figures.utilization is not None and figures.utilization < IDLE_UTILIZATION:
            marks.append("idle")
        if marks:
            flags[venue.id] = marks
    return flags


# The public board -------------------------------------------------------------------------------


@dataclass
class BoardRow:
    unit: Unit
    month: Figures
    year: Figures
    venues: list[tuple[Venue, list[tuple[int, str]]]]


def weekly_timetable(venue: Venue, on: date) -> list[tuple[int, str]]:
    """The venue's windows valid on `on`, as (weekday, 'HH:MM–HH:MM'), in weekly order."""
    return [(w.weekday, f"{format_hhmm(w.start_minute)}–{format_hhmm(w.end_minute)}")
            for w in sorted(venue.opening_hours, key=lambda w: (w.weekday, w.start_minute))
            if w.is_valid_on(on)]


def public_board(month: Period, year: Period, on: date) -> list[BoardRow]:
    """Each active unit's figures for the last full month and the year so far, and the weekly
    opening hours of its open venues."""
    scope = Scope(active_units_only=True)
    by_month = compute_figures(month, level=Level.UNIT, scope=scope)
    by_year = compute_figures(year, level=Level.UNIT, scope=scope)
    units = db.session.scalars(
        sa.select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)
        .options(selectinload(Unit.venues).selectinload(Venue.opening_hours),
                 selectinload(Unit.community))
    ).all()
    return [BoardRow(u, by_month[u.id], by_year[u.id],
                     [(v, weekly_timetable(v, on)) for v in u.venues if v.archived_at is None])
            for u in units]


def streets() -> list[Street]:
    return list(db.session.scalars(sa.select(Street).order_by(Street.id)))


def communities() -> list[Community]:
    return list(db.session.scalars(sa.select(Community).order_by(Community.street_id,
                                                                 Community.id)))
