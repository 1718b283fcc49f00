"""Openness figures (product.md §7) for venues, units, communities, streets and the district.

Hours are exact inside (Fraction); `Figures.to_dict` rounds half up: hours, medians and
satisfaction to 2 decimals, ratios to 4. Opening hours come from `hours.open_microseconds`, per
weekly window. Booking figures are SQL aggregates read from two indexes made for them
(stats/models.py): one statement over the bookings that start in the period, grouped by status
and venue (SQLite, added up per key here) or key (PostgreSQL), for counts, attendees, ratings,
decisions and clipped time; a narrow one for bookings that start before a sub-period and reach
into it; and one each for the distinct counts and the medians, grouped by the level's key.
PostgreSQL reads all sub-periods of a series in one statement of each kind, SQLite one month
at a time so that each statement streams from the index in order instead of sorting every
booking. Python loops only over venues, units and result groups, never over bookings.

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
  used hours are split at the sub-periods' edges (bookings last at most LONGEST_BOOKING).
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
from copy import copy
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
from sqlalchemy.sql import operators

from ..accounts.models import Community, Street, Unit, User
from ..accounts.services import can_manage_unit, managed_unit_ids
from ..bookings.models import Booking, BookingStatus
from ..db import UTCDateTime, read_all
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
    closed_on_holidays: bool


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
        Level.VENUE: Venue.id,
        Level.UNIT: Venue.unit_id,
        Level.COMMUNITY: Unit.community_id,
        Level.STREET: Community.street_id,
        Level.DISTRICT: sa.literal(0),
    }[level]


def _load_venues(scope: Scope) -> list[_VenueRow]:
    rows = db.session.execute(
        sa.select(Venue.id, Venue.unit_id, Unit.community_id, Community.street_id,
                  Venue.timezone, Venue.created_at, Venue.archived_at, Venue.closed_on_holidays)
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


def _venue_scope_subquery(scope: Scope, zone: str | None = None):
    query = sa.select(Venue.id)
    if scope.unit_conditions():
        query = query.join(Unit, Venue.unit_id == Unit.id).join(
            Community, Unit.community_id == Community.id)
    if zone is not None:
        query = query.where(Venue.timezone == zone)
    return query.where(*scope.venue_conditions())


def _load_windows(scope: Scope) -> dict[int, list[WindowRow]]:
    windows: dict[int, list[WindowRow]] = defaultdict(list)
    # Dates read as they come (text on SQLite, parsed here: much faster than the generic path);
    # Core rows, without the ORM's processing per row.
    rows = db.session.connection().execute(
        sa.select(OpeningHours.venue_id, OpeningHours.weekday, OpeningHours.start_minute,
                  OpeningHours.end_minute, sa.type_coerce(OpeningHours.valid_from, sa.String),
                  sa.type_coerce(OpeningHours.valid_until, sa.String))
        .where(OpeningHours.venue_id.in_(_venue_scope_subquery(scope)))
    ).all()
    shared: dict[tuple, WindowRow] = {}  # venues repeat a few timetables: one object each
    for row in rows:
        window = shared.get(row[1:])
        if window is None:
            weekday, start, end, valid_from, valid_until = row[1:]
            window = shared[row[1:]] = WindowRow(weekday, start, end, _date(valid_from),
                                                 _date(valid_until))
        windows[row[0]].append(window)
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
    """The sub-period bounds b0 < b1 < … < bn, per time zone, as SQL expressions.

    A statement reads the bookings starting in the sub-periods `first` … `last` − 1: all of
    them, or one each when `parts` splits them."""

    def __init__(self, periods: Sequence[Period], zones: Collection[str]) -> None:
        self.zones = sorted(zones)
        self.instants: dict[str, list[datetime]] = {}
        for name in self.zones:
            zone = ZoneInfo(name)
            self.instants[name] = [periods[0].bounds(zone)[0],
                                   *(p.bounds(zone)[1] for p in periods)]
        self.count = len(periods)
        self.first, self.last = 0, self.count
        self.zoned = False  # a view of one of several zones

    def parts(self, dialect: str) -> list[_Bounds]:
        """One statement per sub-period on SQLite: each reads its bookings from the index
        already grouped by venue and status, where one statement for all of them would sort
        every booking by sub-period. PostgreSQL hashes them all in one."""
        if dialect != "sqlite" or self.count == 1:
            return [self]
        parts = []
        for k in range(self.count):
            part = copy(self)
            part.first, part.last = k, k + 1
            parts.append(part)
        return parts

    def by_zone(self) -> list[_Bounds]:
        """One view per time zone, for statements over bookings alone (no join to the venues
        to pick each one's bounds)."""
        if len(self.zones) == 1:
            return [self]
        views = []
        for zone in self.zones:
            view = copy(self)
            view.zones, view.instants, view.zoned = [zone], {zone: self.instants[zone]}, True
            views.append(view)
        return views

    @property
    def single(self) -> bool:
        return self.last - self.first == 1

    def _pick(self, values: dict[str, Any]):
        if len(values) == 1:
            return next(iter(values.values()))
        return sa.case(values, value=Venue.timezone)

    def instant(self, k: int):
        return self._pick({z: sa.literal(self.instants[z][k], UTCDateTime) for z in self.zones})

    def epoch(self, k: int):
        return self._pick({z: sa.literal(int(self.instants[z][k].timestamp()))
                           for z in self.zones})

    def low(self, k: int) -> datetime:
        """The earliest of the zones' bound k."""
        return min(v[k] for v in self.instants.values())

    def high(self, k: int) -> datetime:
        """The latest of the zones' bound k."""
        return max(v[k] for v in self.instants.values())


def _starting_in(bounds: _Bounds, dialect: str) -> list[Any]:
    """Bookings that start within the statement's sub-periods (in their venue's zone)."""
    start = Booking.start_at
    conditions = [start >= bounds.low(bounds.first), start < bounds.high(bounds.last)]
    if len(bounds.zones) > 1:
        # Each venue's own bounds only filter (on SQLite they would otherwise count as
        # extra index ranges and talk the planner into the narrower (venue_id, start_at)).
        start = _plus(start) if dialect == "sqlite" else start
        conditions += [start >= bounds.instant(bounds.first),
                       start < bounds.instant(bounds.last)]
    return conditions


def _sub_period(bounds: _Bounds):
    """The index of the sub-period a booking starts in."""
    if bounds.single:
        return sa.literal(bounds.first)
    return sa.case(*((Booking.start_at < bounds.instant(k + 1), k)
                     for k in range(bounds.first, bounds.last - 1)), else_=bounds.last - 1)


# How SQLite is led to the figures indexes. Every statement names the scope's venues (and the
# statuses it reads): equality on the leading index columns turns a year of a district's
# bookings into index ranges, read venue by venue in index order. Statements that also join
# the venues (for the key) join them as `bookings.venue_id = +venues.id`: without statistics
# SQLite cannot tell that venues are few, and would read the bookings first through
# (status, start_at) and visit the table for each; the unary plus leaves it only the
# venues-first order, which also hands the rows over grouped by unit. PostgreSQL plans well
# without either (and scans the table in parallel when every venue counts).


def _plus(column):
    """`+column`: the same value, which SQLite will not look up in an index."""
    return sa.sql.expression.UnaryExpression(column, operator=operators.custom_op("+"),
                                             type_=column.type)


def _venue_of_booking(dialect: str):
    return Booking.venue_id == (_plus(Venue.id) if dialect == "sqlite" else Venue.id)


def _by_venue(query, scope: Scope, bounds: _Bounds, dialect: str, *, statuses):
    """Bookings of the scope's venues in one time zone (`bounds.by_zone`) and in the given
    statuses, for statements over bookings alone, grouped by venue and status."""
    (zone,) = bounds.zones
    if dialect == "sqlite" or set(statuses) != set(STATUSES):
        query = query.where(Booking.status.in_(statuses))
    if dialect == "sqlite" or scope.venue_conditions() or bounds.zoned:
        query = query.where(Booking.venue_id.in_(
            _venue_scope_subquery(scope, zone if bounds.zoned else None)))
    return query


def _booking_query(level: Level, scope: Scope, bounds: _Bounds, dialect: str):
    """Per group, status and sub-period (of the start), the bookings that start in the
    periods: how many, their attendees, ratings and decisions, and their time clipped to the
    end of that sub-period (what lies beyond it is `_reaching_query`'s).

    Grouping by status instead of testing it in every aggregate keeps the work per booking to
    a few plain sums. The group is the venue on SQLite (the index hands the rows over in that
    order; the caller adds the venues up per key) and the key on PostgreSQL (it hashes the
    groups, and a series' venues × statuses × months would outgrow the hash table)."""
    start, end = Booking.start_at, Booking.end_at
    # Durations: PostgreSQL subtracts timestamps (exact intervals, cheap); SQLite subtracts
    # epoch seconds.
    if dialect == "sqlite":
        start_t, end_t, bound = _epoch(start, dialect), _epoch(end, dialect), bounds.epoch
    else:
        start_t, end_t, bound = start, end, bounds.instant
    if bounds.single:
        edge = bound(bounds.last)
    else:
        edge = sa.case(*((start < bounds.instant(k + 1), bound(k + 1))
                         for k in range(bounds.first, bounds.last - 1)), else_=bound(bounds.last))
    by_venue = dialect == "sqlite" or level == Level.VENUE
    group = Booking.venue_id if by_venue else _sql_key(level)
    query = (
        sa.select(group, sa.type_coerce(Booking.status, sa.String),
                  _sub_period(bounds), sa.func.count(), sa.func.sum(Booking.attendees),
                  sa.func.sum(_least(end_t, edge, dialect) - start_t),
                  sa.func.coalesce(sa.func.sum(Booking.rating), 0),
                  sa.func.count(Booking.rating), sa.func.count(Booking.decided_at))
        .select_from(Booking)
        .where(*_starting_in(bounds, dialect))
    )
    i = () if bounds.single else (sa.text("3"),)
    if dialect == "sqlite":
        query = query.group_by(Booking.venue_id, Booking.status, *i)
        return _by_venue(query, scope, bounds, dialect, statuses=STATUSES)
    if level != Level.VENUE or len(bounds.zones) > 1 or scope.venue_conditions():
        query = _join_scope(query.join(Venue, _venue_of_booking(dialect)), level, scope, dialect)
    keys = () if level == Level.DISTRICT else (sa.text("1"),)
    return query.group_by(*keys, Booking.status, *i)


def _reaching_query(scope: Scope, bounds: _Bounds, k: int, dialect: str):
    """Per venue and status, the time inside sub-period k of the booked bookings that start
    before it and reach into it (they start at most LONGEST_BOOKING earlier: a narrow range)."""
    if dialect == "sqlite":
        start_t = bounds.epoch(k)
        end_t = _least(_epoch(Booking.end_at, dialect), bounds.epoch(k + 1), dialect)
    else:
        start_t = bounds.instant(k)
        end_t = _least(Booking.end_at, bounds.instant(k + 1), dialect)
    query = (
        sa.select(Booking.venue_id, sa.type_coerce(Booking.status, sa.String),
                  sa.func.sum(end_t - start_t))
        .select_from(Booking)
        .where(Booking.start_at >= bounds.low(k) - LONGEST_BOOKING,
               Booking.start_at < bounds.high(k),
               Booking.start_at < bounds.instant(k), Booking.end_at > bounds.instant(k))
        .group_by(Booking.venue_id, Booking.status)
    )
    return _by_venue(query, scope, bounds, dialect, statuses=BOOKED)


def _key_columns(level: Level, bounds: _Bounds, key, i) -> list[Any]:
    """What a statement per key and sub-period groups by (the district and a single
    sub-period are constants)."""
    return [*(() if level == Level.DISTRICT else (key,)), *(() if bounds.single else (i,))]


def _group_by_key(query, level: Level, bounds: _Bounds):
    columns = _key_columns(level, bounds, sa.text("1"), sa.text("2"))
    return query.group_by(*columns) if columns else query


def _distinct_query(level: Level, scope: Scope, bounds: _Bounds, dialect: str):
    """Distinct bookers and organizations of confirmed or completed bookings per key and
    sub-period: distinct across the key's venues, so grouped by the key itself."""
    query = (
        sa.select(_sql_key(level).label("key"), _sub_period(bounds).label("i"),
                  sa.func.count(sa.distinct(Booking.booker_id)),
                  sa.func.count(sa.distinct(Booking.organization_id)))
        .select_from(Booking)
        .join(Venue, _venue_of_booking(dialect))
        .where(Booking.status.in_(SERVED), *_starting_in(bounds, dialect))
    )
    return _group_by_key(_join_scope(query, level, scope, dialect), level, bounds)


def _join_scope(query, level: Level, scope: Scope, dialect: str):
    if level in (Level.COMMUNITY, Level.STREET) or scope.unit_conditions():
        query = query.join(Unit, Venue.unit_id == Unit.id).join(
            Community, Unit.community_id == Community.id)
    if scope.venue_conditions():
        query = query.where(*scope.venue_conditions())
    if dialect == "sqlite":
        query = query.where(Booking.venue_id.in_(_venue_scope_subquery(scope)))
    return query


def _median_query(level: Level, scope: Scope, bounds: _Bounds, dialect: str):
    """Median of decided_at − created_at per (key, sub-period), over the decided bookings
    (ix_bookings_decided holds just them): the middle value or the two middle ones, summed,
    and how many."""
    decided = Booking.decided_at.is_not(None)
    if dialect != "sqlite":
        # percentile_cont interpolates intervals exactly: the mean of the middle two.
        query = (
            sa.select(_sql_key(level).label("key"), _sub_period(bounds).label("i"),
                      sa.func.percentile_cont(0.5).within_group(
                          Booking.decided_at - Booking.created_at),
                      sa.literal(1))
            .select_from(Booking)
            .join(Venue, _venue_of_booking(dialect))
            .where(decided, *_starting_in(bounds, dialect))
        )
        return _group_by_key(_join_scope(query, level, scope, dialect), level, bounds)
    seconds = _epoch(Booking.decided_at, dialect) - _epoch(Booking.created_at, dialect)
    rows = (
        sa.select(_sql_key(level).label("key"), _sub_period(bounds).label("i"),
                  seconds.label("s"))
        .select_from(Booking)
        .join(Venue, _venue_of_booking(dialect))
        .where(decided, *_starting_in(bounds, dialect))
    )
    rows = _join_scope(rows, level, scope, dialect).subquery()
    groups = _key_columns(level, bounds, rows.c.key, rows.c.i)
    ranked = sa.select(
        rows.c.key, rows.c.i, rows.c.s,
        sa.func.row_number().over(partition_by=groups or None, order_by=rows.c.s).label("rn"),
        sa.func.count().over(partition_by=groups or None).label("n"),
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
    dialect = db.session.get_bind().dialect.name
    n = len(periods)
    # The booking aggregates, started first: SQLite reads them meanwhile (db.read_all).
    if dialect == "sqlite":
        booking_statements = [_booking_query(level, scope, part, dialect)
                              for zone in bounds.by_zone() for part in zone.parts(dialect)]
    else:
        booking_statements = [_booking_query(level, scope, bounds, dialect)]
    parts = bounds.parts(dialect)
    distinct_statements = [_distinct_query(level, scope, part, dialect) for part in parts]
    median_statements = [_median_query(level, scope, part, dialect) for part in parts]
    reaching_statements = [(k, _reaching_query(scope, zone, k, dialect))
                           for k in range(n) for zone in bounds.by_zone()]
    rows_of = read_all(db.session, [*booking_statements, *distinct_statements,
                                    *median_statements, *(s for _, s in reaching_statements)])

    windows = _load_windows(scope)
    closures = _load_closures(scope, bounds.low(0), bounds.high(bounds.count))
    open_time: dict[Any, list[list[int]]] = {key: [[0, 0, 0, 0] for _ in periods]
                                             for key in results}
    for v in venues:
        sums = open_time[_venue_key(level, v)]
        zone = ZoneInfo(v.timezone)
        for total, period in zip(sums, periods, strict=True):
            parts_open = open_microseconds(
                zone=zone, windows=windows.get(v.id, ()), closures=closures.get(v.id, ()),
                created_at=v.created_at, archived_at=v.archived_at, period=period,
                closed_on_holidays=v.closed_on_holidays)
            for k in range(4):
                total[k] += parts_open[k]
    for key, sums in open_time.items():
        for figures, total in zip(results[key], sums, strict=True):
            figures.add_open(OpenParts.from_microseconds(total))

    # Per key as SQL names it (the district is 0) and per venue: the key's figures and its
    # booked and used time (microseconds, summed exactly and turned into hours once).
    durations = {key: [[0, 0] for _ in periods] for key in results}
    of_key = {0 if key is None else key: (results[key], durations[key]) for key in results}
    of_venue = {v.id: (results[_venue_key(level, v)], durations[_venue_key(level, v)])
                for v in venues}
    booked = {s.value for s in BOOKED}
    completed = BookingStatus.COMPLETED.value
    rejected = BookingStatus.REJECTED.value
    answers = iter(rows_of())

    groups = of_venue if dialect == "sqlite" or level == Level.VENUE else of_key
    for _ in booking_statements:
        for group, status, i, count, attendees, length, rating_sum, ratings, decided in next(
                answers):
            if group not in groups:
                continue
            series, sums = groups[group]
            figures = series[i]
            figures.bookings[status] += count
            figures.rating_sum += rating_sum
            figures.ratings += ratings
            if decided:
                if status == rejected:
                    figures.rejected += decided
                else:
                    figures.approved += decided
            if status in booked:
                sums[i][0] += _microseconds(length)
                if status == completed:
                    sums[i][1] += _microseconds(length)
                    figures.people_served += attendees
    for _ in distinct_statements:
        for key, i, bookers, organizations in next(answers):
            if key in of_key:
                figures = of_key[key][0][i]
                figures.distinct_bookers += bookers
                figures.organizations_served += organizations
    for _ in median_statements:
        for key, i, total, count in next(answers):
            if key in of_key:
                of_key[key][0][i].median_decision_hours = _hours(total) / count
    for k, _ in reaching_statements:
        for venue_id, status, length in next(answers):
            if venue_id in of_venue:
                _series, sums = of_venue[venue_id]
                sums[k][0] += _microseconds(length)
                if status == completed:
                    sums[k][1] += _microseconds(length)
    for key, series in results.items():
        for figures, (booked_time, used_time) in zip(series, durations[key], strict=True):
            figures.booked_hours += Fraction(booked_time, 3_600_000_000)
            figures.used_hours += Fraction(used_time, 3_600_000_000)
    return results


def _microseconds(value) -> int:
    """A duration from SQL in microseconds: an interval (timedelta) or whole seconds."""
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    return int(value) * 1_000_000


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
