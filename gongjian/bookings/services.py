"""Booking rules (product.md §5) and lifecycle (§6): the one place they live.

Every function takes `now`; none touches the request. They flush, the caller commits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..accounts.models import Membership, Organization, Unit, User
from ..accounts.services import can_manage_unit
from ..db import UTCDateTime, adopt_row, execute_core, row_columns
from ..errors import DomainError, InvalidInput, NotAllowed, NotFound, Violation
from ..extensions import db
from ..metrics import count_booking
from ..venues.intervals import (
    Interval,
    covers,
    minutes_since_local_midnight,
    overlapping,
    subtract,
)
from ..venues.models import (
    LONGEST_BOOKING_MINUTES,
    Audience,
    Closure,
    ClosureReason,
    OpeningHours,
    Venue,
)
from ..venues.services import (
    CLOSURES_QUERY,
    add_closure,
    closed_intervals,
    closure_intervals,
    opening_windows,
    weekly_windows,
)
from .models import ACTIVE_STATUSES, Booking, BookingStatus
from .notifications import notify_booker, notify_managers

CHECK_IN_OPENS = timedelta(minutes=15)
NO_SHOW_GRACE = timedelta(minutes=15)
NO_SHOW_MARK_WINDOW = timedelta(hours=48)
SUGGESTION_COUNT = 3
SUGGESTION_HORIZON = timedelta(days=7)
# What the rules read reaches this far either side of a request that may need suggestions.
SUGGESTION_NEAR = timedelta(days=1)
LONGEST_BOOKING = timedelta(minutes=LONGEST_BOOKING_MINUTES)
TITLE_MAX = 200
# Instants outside these years are typos; refusing them keeps date arithmetic in range.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
REASON_MAX = 500
AUDITED_FIELDS = ("status", "start_at", "end_at", "title", "attendees", "reason", "rating",
                  "checked_in_at", "late_cancellation")


# Parsing at the edges ------------------------------------------------------------------

# RFC 3339 date-time (seconds may be left out); `fromisoformat` alone also takes ISO 8601
# forms RFC 3339 does not (basic format, week dates, "+08" offsets).
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})",
    re.IGNORECASE | re.ASCII,
)


def parse_instant(text: Any) -> datetime:
    """An RFC 3339 instant with an offset; anything else is `invalid_time`."""
    if not isinstance(text, str) or not RFC3339.fullmatch(text.strip()):
        raise DomainError("invalid_time")
    try:
        value = datetime.fromisoformat(text.strip().upper())
    except ValueError:
        raise DomainError("invalid_time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainError("invalid_time")
    return value


# Checking --------------------------------------------------------------------------------


@dataclass
class Verdict:
    """The outcome of checking one booking request against every rule."""

    violations: list[Violation] = field(default_factory=list)
    conflicts: list[Interval] = field(default_factory=list)
    suggestions: list[Interval] = field(default_factory=list)
    # The venue's zone: the API shows times with the venue's offset (§9).
    zone: ZoneInfo | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    def fail(self, code: str, **params: Any) -> None:
        self.violations.append(Violation(code, params))

    def error(self) -> DomainError:
        details: dict[str, Any] = {}
        if any(v.code == "conflict" for v in self.violations):
            details["conflicts"] = [_interval_json(iv, self.zone) for iv in self.conflicts]
            details["suggestions"] = [_interval_json(iv, self.zone) for iv in self.suggestions]
        first = self.violations[0]
        return DomainError(first.code, first.params, violations=self.violations, details=details)


def _interval_json(interval: Interval, zone: ZoneInfo | None) -> dict[str, str]:
    start, end = (interval[0].astimezone(zone), interval[1].astimezone(zone)) if zone else interval
    return {"start": start.isoformat(), "end": end.isoformat()}


def _require_times(start: datetime, end: datetime) -> None:
    for value in (start, end):
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise DomainError("invalid_time")
    if end <= start or not (start.year >= EARLIEST_YEAR and end.year <= LATEST_YEAR):
        raise DomainError("invalid_time")


def _is_id(value: Any) -> bool:
    # bool is an int to Python: a JSON `true` must not name venue 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _takes_bookings(venue: Venue | None) -> bool:
    """Not archived, and its unit not deactivated by the street office."""
    if venue is None or venue.archived_at is not None:
        return False
    return bool(execute_core(db.session, _UNIT_ACTIVE, {"unit_id": venue.unit_id}).scalar())


_UNIT_ACTIVE = sa.select(Unit.active).where(Unit.id == sa.bindparam("unit_id"))


def _require_venue(venue_id: Any) -> Venue:
    venue = db.session.get(Venue, venue_id) if _is_id(venue_id) else None
    if not _takes_bookings(venue):
        raise DomainError("venue_not_found")
    return venue


def _clean_title(title: Any) -> str:
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput({"title": "required"})
    if len(title.strip()) > TITLE_MAX:
        raise InvalidInput({"title": "too_long"})
    return title.strip()


def _require_attendees(attendees: Any) -> int:
    if isinstance(attendees, bool) or not isinstance(attendees, int):
        raise InvalidInput({"attendees": "not_an_integer"})
    return attendees


def _on_grid(instant: datetime, venue: Venue) -> bool:
    minutes = minutes_since_local_midnight(instant, venue.zone)
    return minutes == int(minutes) and int(minutes) % venue.slot_minutes == 0


@functools.cache
def _active_count_query(owner: str, own_series: bool) -> sa.Select:
    """Built once: count the owner's slot-holding, unfinished bookings at a venue."""
    one_per_series = sa.func.coalesce(-Booking.series_id, Booking.id)
    query = sa.select(sa.func.count(sa.distinct(one_per_series))).where(
        getattr(Booking, owner) == sa.bindparam("owner"),
        Booking.venue_id == sa.bindparam("venue_id"),
        Booking.holds_slot,
        Booking.end_at > sa.bindparam("now"),
    )
    if own_series:
        query = query.where(sa.or_(Booking.series_id.is_(None),
                                   Booking.series_id != sa.bindparam("series_id")))
    return query


def _active_count(owner: str, value: int, venue_id: int, now: datetime,
                  series_id: int | None) -> int:
    """Active bookings not yet ended at the venue; a series counts once (its own excluded)."""
    query = _active_count_query(owner, series_id is not None)
    params = {"owner": value, "venue_id": venue_id, "now": now, "series_id": series_id}
    return execute_core(db.session, query, params).scalar() or 0


@functools.cache
def _busy_query(excluding: bool) -> sa.Select:
    query = sa.select(Booking.start_at, Booking.end_at).where(
        Booking.venue_id == sa.bindparam("venue_id"),
        Booking.holds_slot,
        Booking.start_at < sa.bindparam("end"),
        # Bookings never last over a day: this bound keeps the index scan short.
        Booking.start_at > sa.bindparam("earliest_start"),
        Booking.end_at > sa.bindparam("start"),
    ).order_by(Booking.start_at)
    if excluding:
        query = query.where(Booking.id != sa.bindparam("exclude_id"))
    return query


def busy_intervals(
    venue_id: int, start: datetime, end: datetime, *, exclude_id: int | None = None
) -> list[Interval]:
    """Intervals of the venue's slot-holding bookings that overlap [start, end)."""
    params = {"venue_id": venue_id, "start": start, "end": end,
              "earliest_start": start - LONGEST_BOOKING, "exclude_id": exclude_id}
    rows = execute_core(db.session, _busy_query(exclude_id is not None), params)
    return [(s, e) for s, e in rows]


@dataclass
class Surroundings:
    """What the rules read of a venue around one request: its closures and slot-holding
    bookings overlapping [start, end), and how many of those the booker holds."""

    start: datetime
    end: datetime
    closures: list[Interval]
    busy: list[Interval]
    held: int


@functools.cache
def _surroundings_query(own_series: bool) -> sa.CompoundSelect:
    """Built once: the closures, the busy intervals and the booker's count (the statements of
    `closure_intervals`, `busy_intervals`, `_active_count`) in one statement, so a booking
    reads them in one round trip; each row says what it is."""
    no_instant, no_count = sa.cast(sa.null(), UTCDateTime), sa.cast(sa.null(), sa.Integer)
    held = _active_count_query("booker_id", own_series)
    return sa.union_all(
        CLOSURES_QUERY.with_only_columns(sa.literal_column("'closure'").label("kind"),
                                         Closure.start_at, Closure.end_at, no_count),
        _busy_query(False).order_by(None).with_only_columns(
            sa.literal_column("'busy'"), Booking.start_at, Booking.end_at, no_count),
        held.with_only_columns(sa.literal_column("'held'"), no_instant, no_instant,
                               *held.selected_columns),
    )


def read_surroundings(venue: Venue, booker: User, start: datetime, end: datetime, *,
                      now: datetime, series_id: int | None = None) -> Surroundings:
    params = {"venue_id": venue.id, "start": start, "end": end,
              "earliest_start": start - LONGEST_BOOKING, "owner": booker.id, "now": now,
              "series_id": series_id}
    rows = execute_core(db.session, _surroundings_query(series_id is not None), params).all()
    return Surroundings(
        start=start, end=end,
        closures=closed_intervals((s, e) for kind, s, e, _ in rows if kind == "closure"),
        busy=sorted((s, e) for kind, s, e, _ in rows if kind == "busy"),
        held=next(n for kind, _, _, n in rows if kind == "held"),
    )


def evaluate(
    *,
    venue: Venue,
    booker: User,
    start: datetime,
    end: datetime,
    attendees: int,
    organization_id: int | None,
    now: datetime,
    series_id: int | None = None,
    check_advance: bool = True,
    suggest: bool = True,
) -> Verdict:
    """Check a request against every rule of §5 after `venue_not_found`, in the contract's order.

    Answers every failed rule; the first one names the error.
    """
    verdict = Verdict(zone=venue.zone)
    if booker.is_suspended_at(now):
        verdict.fail("booker_suspended")

    if organization_id is None:
        if venue.audience == Audience.ORGANIZATIONS:
            verdict.fail("audience_not_allowed", audience=venue.audience.value)
    else:
        if venue.audience == Audience.RESIDENTS:
            verdict.fail("audience_not_allowed", audience=venue.audience.value)
        organization = (db.session.get(Organization, organization_id)
                        if _is_id(organization_id) else None)
        if (
            organization is None
            or not organization.is_approved
            or db.session.get(Membership, (booker.id, organization_id)) is None
        ):
            verdict.fail("not_org_member")

    if not (_on_grid(start, venue) and _on_grid(end, venue)):
        verdict.fail("misaligned", slot_minutes=venue.slot_minutes)

    minutes = (end - start).total_seconds() / 60
    if minutes < venue.min_duration_minutes:
        verdict.fail("too_short", minutes=venue.min_duration_minutes)
    elif minutes > venue.max_duration_minutes:
        verdict.fail("too_long", minutes=venue.max_duration_minutes)

    if start < now + timedelta(minutes=venue.min_notice_minutes) or start < now:
        verdict.fail("too_soon", minutes=venue.min_notice_minutes)
    if check_advance and start > now + timedelta(days=venue.max_advance_days):
        verdict.fail("too_far_ahead", days=venue.max_advance_days)

    if not 1 <= attendees <= venue.capacity:
        verdict.fail("over_capacity", capacity=venue.capacity)

    weekly = weekly_windows(venue)
    if not covers(opening_windows(venue, start, end, weekly), start, end):
        verdict.fail("outside_opening_hours")
    # One read for the closures, the quota and the conflicts; wide enough for the nearest
    # suggestions too when there may be a conflict to answer.
    buffer = timedelta(minutes=venue.buffer_minutes)
    near = SUGGESTION_NEAR if suggest else timedelta(0)
    around = read_surroundings(venue, booker, start - near - buffer, end + near + buffer,
                               now=now, series_id=series_id)
    if overlapping(around.closures, start, end):
        verdict.fail("closed")

    if around.held >= venue.max_active_per_user:
        verdict.fail("quota_exceeded", limit=venue.max_active_per_user)
    elif _is_id(organization_id) and _active_count(
        "organization_id", organization_id, venue.id, now, series_id
    ) >= venue.max_active_per_org:
        verdict.fail("quota_exceeded", limit=venue.max_active_per_org)

    clashes = overlapping(around.busy, start - buffer, end + buffer)
    if clashes:
        verdict.fail("conflict")
        verdict.conflicts = clashes
        if suggest:
            verdict.suggestions = suggest_free_slots(venue=venue, start=start, end=end, now=now,
                                                     weekly=weekly, around=around)
    return verdict


def check_booking(
    *,
    venue_id: int,
    booker: User,
    start: datetime,
    end: datetime,
    attendees: int,
    title: str = "-",
    organization_id: int | None = None,
    now: datetime,
) -> Verdict:
    """Dry run of create_booking: the same checks in the same order, nothing written."""
    _require_times(start, end)
    _clean_title(title)
    attendees = _require_attendees(attendees)
    venue = _require_venue(venue_id)
    return evaluate(venue=venue, booker=booker, start=start, end=end, attendees=attendees,
                    organization_id=organization_id, now=now)


def suggest_free_slots(*, venue: Venue, start: datetime, end: datetime, now: datetime,
                       count: int = SUGGESTION_COUNT,
                       weekly: Sequence[OpeningHours] | None = None,
                       around: Surroundings | None = None) -> list[Interval]:
    """Up to `count` free intervals of the same length, nearest to the requested start first.

    With `around` (what `evaluate` read), the slots as near to the start as what it covers come
    from it: when there are `count` of them, none further away can be nearer, so no other read
    is needed. Otherwise the whole SUGGESTION_HORIZON is read.
    """
    length = end - start
    earliest = max(start - SUGGESTION_HORIZON, now + timedelta(minutes=venue.min_notice_minutes))
    latest_start = min(start + SUGGESTION_HORIZON,
                       now + timedelta(days=venue.max_advance_days))
    if around is not None:
        # Slots that start within `reach` of the start, buffers included, lie inside `around`.
        buffer = timedelta(minutes=venue.buffer_minutes)
        reach = min(start - (around.start + buffer), around.end - buffer - length - start)
        first, last = max(earliest, start - reach), min(latest_start, start + reach)
        if first <= last:
            free = free_intervals(venue, first, last + length, weekly, around=around)
            nearest = _nearest_slots(venue, free, start, length, last, count)
            if len(nearest) == count:
                return nearest
    if latest_start < earliest:
        return []
    free = free_intervals(venue, earliest, latest_start + length, weekly)
    return _nearest_slots(venue, free, start, length, latest_start, count)


def _nearest_slots(venue: Venue, free: list[Interval], start: datetime, length: timedelta,
                   latest_start: datetime, count: int) -> list[Interval]:
    """The `count` slots on the venue's grid that fit in `free`, nearest to `start`."""
    step = timedelta(minutes=venue.slot_minutes)
    candidates: list[datetime] = []
    for free_start, free_end in free:
        offset = minutes_since_local_midnight(free_start, venue.zone) % venue.slot_minutes
        first = free_start if offset == 0 else free_start + timedelta(
            minutes=venue.slot_minutes - offset)
        last = min(free_end - length, latest_start)
        if last < first:
            continue
        # The slots of this free interval form a run first, first + step, …, last; only the
        # `count` on each side of the requested start can be among the nearest.
        slots = (last - first) // step
        middle = min(max((start - first) // step, 0), slots)
        for k in range(max(middle - count, 0), min(middle + count, slots) + 1):
            candidates.append(first + k * step)
    candidates.sort(key=lambda s: (abs(s - start), s))
    return [(s, s + length) for s in candidates[:count]]


def free_intervals(venue: Venue, start: datetime, end: datetime,
                   weekly: Sequence[OpeningHours] | None = None,
                   around: Surroundings | None = None) -> list[Interval]:
    """Open time minus closures and slot-holding bookings (widened by the venue's buffer);
    `around`, when it covers [start, end) and the buffer, saves reading them."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    buffer = timedelta(minutes=venue.buffer_minutes)
    if around is None:
        closures = closure_intervals(venue.id, start, end)
        busy = busy_intervals(venue.id, start - buffer, end + buffer)
    else:
        closures, busy = around.closures, around.busy
    open_now = subtract(
        [(max(s, start), min(e, end)) for s, e in opening_windows(venue, start, end, weekly)],
        closures,
    )
    return subtract(open_now, [(s - buffer, e + buffer) for s, e in busy])


# Creating ----------------------------------------------------------------------------------


def _is_overlap_error(exc: Exception) -> bool:
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in ("23P01", "40P01", "40001"):  # exclusion violation, deadlock, serialization
        return True
    return "booking_overlap" in str(orig)


@contextmanager
def _database_backstops() -> Iterator[None]:
    """The database's own refusals of an insert (exclusion constraint, trigger) → conflict;
    SQLite's lock timeout → busy."""
    try:
        yield
    except (IntegrityError, OperationalError) as exc:
        if _is_overlap_error(exc):
            raise DomainError("conflict", details={"conflicts": [], "suggestions": []}) from exc
        if "database is locked" in str(exc):
            raise DomainError("busy") from exc
        raise


def insert_booking(booking: Booking) -> Booking:
    """Flush a new booking (one of a series: the series' collection holds it)."""
    db.session.add(booking)
    with _database_backstops():
        db.session.flush()
    return booking


_INSERT_BOOKING = sa.insert(Booking).returning(Booking.id)
# What a new booking holds besides what create_booking is given.
NEW_BOOKING = {
    "series_id": None, "decided_at": None, "decided_by_id": None, "cancelled_at": None,
    "cancelled_by_id": None, "late_cancellation": False, "checked_in_at": None, "reason": "",
    "rating": None, "rating_comment": "", "rated_at": None, "revision": 0,
    "reminders_sent": [],
}


def insert_new_booking(**values: Any) -> Booking:
    """Insert one booking in one plain statement and hand the session the object as if it
    had been loaded: the ORM's own insert, or one returning the whole row to load, costs
    half as much again, and nothing else in the transaction waits on it."""
    row = {**NEW_BOOKING, **values}
    with _database_backstops():
        booking_id = execute_core(db.session, _INSERT_BOOKING, row).scalar_one()
    return adopt_row(db.session, Booking, {"id": booking_id, **row})


@functools.cache
def _lock_bookable_venue(dialect: str) -> sa.Executable:
    """Built once per dialect: the venue's row, if it takes bookings, read under its write
    lock, as a plain statement (`adopt_row` makes the object)."""
    bookable = (Venue.id == sa.bindparam("venue_id"), Venue.archived_at.is_(None),
                Venue.unit_id.in_(sa.select(Unit.id).where(Unit.active)))
    if dialect == "postgresql":
        return (sa.select(*row_columns(Venue)).where(*bookable)
                .with_for_update(of=Venue.__table__))
    # A no-op write makes the driver open the transaction with BEGIN IMMEDIATE (the database's
    # write lock) and answers the row in the same statement.
    return (sa.update(Venue.__table__).where(*bookable)
            .values(slot_minutes=Venue.slot_minutes).returning(*row_columns(Venue)))


def lock_venue(venue_id: Any) -> Venue:
    """Serialize writers of one venue's bookings: lock first, then check, then insert.

    One round trip: PostgreSQL reads the venue row `FOR UPDATE`; SQLite writes it unchanged,
    which takes the database's write lock. Archived venues and those of deactivated units are
    `venue_not_found`. The venue is as the lock found it, even one the session held before.
    """
    if not _is_id(venue_id):
        raise DomainError("venue_not_found")
    statement = _lock_bookable_venue(db.session.get_bind().dialect.name)
    row = execute_core(db.session, statement, {"venue_id": venue_id}).first()
    if row is None:
        raise DomainError("venue_not_found")
    return adopt_row(db.session, Venue, row._mapping)


def create_booking(
    *,
    venue_id: int,
    booker: User,
    start: datetime,
    end: datetime,
    title: str,
    attendees: int,
    organization_id: int | None = None,
    now: datetime,
) -> Booking:
    """Book [start, end) at a venue if every rule of §5 holds; pending when approval is needed."""
    _require_times(start, end)
    title = _clean_title(title)
    attendees = _require_attendees(attendees)
    try:
        venue = lock_venue(venue_id)
    except OperationalError as exc:
        raise DomainError("busy") from exc
    verdict = evaluate(venue=venue, booker=booker, start=start, end=end, attendees=attendees,
                       organization_id=organization_id, now=now)
    if not verdict.ok:
        error = verdict.error()
        count_booking(error.code)
        raise error
    status = BookingStatus.PENDING if venue.requires_approval else BookingStatus.CONFIRMED
    try:
        booking = insert_new_booking(
            venue_id=venue.id, booker_id=booker.id, organization_id=organization_id,
            title=title, attendees=attendees, start_at=start, end_at=end, status=status,
            created_at=now, updated_at=now)
    except DomainError as error:
        count_booking(error.code)
        raise
    count_booking("created")
    audit.record(actor=booker, action="booking.create", obj=booking, now=now,
                 after=audit.snapshot(booking, AUDITED_FIELDS), unit_id=venue.unit_id,
                 venue_id=venue.id)
    notify_managers(booking, "booking_requested" if status == BookingStatus.PENDING
                    else "booking_created", now=now)
    return booking


# Lifecycle -------------------------------------------------------------------------------


def get_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("booking")
    return booking


def _transition(booking: Booking, status: BookingStatus, *, actor, now: datetime, action: str,
                **changes: Any) -> Booking:
    """Move a booking to `status` (with any other changes), audited; racing changes → stale."""
    before = audit.snapshot(booking, AUDITED_FIELDS)
    booking.status = status
    booking.updated_at = now
    for name, value in changes.items():
        setattr(booking, name, value)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise DomainError("stale") from exc
    audit.record(actor=actor, action=action, obj=booking, now=now, before=before,
                 after=audit.snapshot(booking, AUDITED_FIELDS),
                 unit_id=booking.venue.unit_id, venue_id=booking.venue_id)
    return booking


def _invalid(booking: Booking) -> DomainError:
    return DomainError("invalid_transition", {"status": booking.status.value})


def _clean_reason(reason: str | None, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError("reason_required")
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": "too_long"})
    return reason


def _require_manager(actor, booking: Booking) -> None:
    if not can_manage_unit(actor, booking.venue.unit_id):
        raise NotAllowed()


def approve_booking(*, booking: Booking, actor, now: datetime) -> Booking:
    """A manager confirms a pending request before it starts."""
    _require_manager(actor, booking)
    if booking.status != BookingStatus.PENDING or booking.start_at <= now:
        raise _invalid(booking)
    _transition(booking, BookingStatus.CONFIRMED, actor=actor, now=now, action="booking.approve",
                decided_at=now, decided_by_id=actor.id)
    notify_booker(booking, "booking_approved", now=now)
    return booking


def reject_booking(*, booking: Booking, actor, reason: str, now: datetime) -> Booking:
    """A manager refuses a pending request, always with a reason."""
    _require_manager(actor, booking)
    if booking.status != BookingStatus.PENDING:
        raise _invalid(booking)
    reason = _clean_reason(reason, required=True)
    _transition(booking, BookingStatus.REJECTED, actor=actor, now=now, action="booking.reject",
                decided_at=now, decided_by_id=actor.id, reason=reason)
    notify_booker(booking, "booking_rejected", now=now)
    return booking


def cancel_role(actor, booking: Booking, now: datetime) -> str | None:
    """How `actor` may cancel now: "booker" (a pending request, or before the start),
    "manager" (with a reason, before the end), or None."""
    if actor is None or booking.status not in ACTIVE_STATUSES:
        return None
    if actor.id == booking.booker_id and (
        booking.status == BookingStatus.PENDING or now < booking.start_at
    ):
        return "booker"
    if now < booking.end_at and can_manage_unit(actor, booking.venue.unit_id):
        return "manager"
    return None


def cancels_late(booking: Booking, now: datetime) -> bool:
    """The booker cancelling a confirmed booking after start − cancel_deadline_minutes."""
    deadline = booking.start_at - timedelta(minutes=booking.venue.cancel_deadline_minutes)
    return booking.status == BookingStatus.CONFIRMED and now > deadline


def cancel_booking(*, booking: Booking, actor, now: datetime, reason: str = "") -> Booking:
    """The booker cancels before the start; a manager, with a reason, before the end."""
    is_booker = actor is not None and actor.id == booking.booker_id
    if not (is_booker or can_manage_unit(actor, booking.venue.unit_id)):
        raise NotAllowed()
    role = cancel_role(actor, booking, now)
    if role is None:
        raise _invalid(booking)
    as_booker = role == "booker"
    reason = _clean_reason(reason, required=not as_booker)
    _transition(booking, BookingStatus.CANCELLED, actor=actor, now=now, action="booking.cancel",
                cancelled_at=now, cancelled_by_id=actor.id, reason=reason,
                late_cancellation=as_booker and cancels_late(booking, now))
    if as_booker:
        notify_managers(booking, "booking_cancelled", now=now)
    else:
        notify_booker(booking, "booking_cancelled_by_manager", now=now)
    return booking


def can_check_in(actor, booking: Booking) -> bool:
    if actor is None:
        return False
    if actor.id == booking.booker_id or can_manage_unit(actor, booking.venue.unit_id):
        return True
    return booking.organization_id is not None and (
        db.session.get(Membership, (actor.id, booking.organization_id)) is not None
    )


def check_in_is_open(booking: Booking, now: datetime) -> bool:
    """Check-in runs from 15 min before the start until the end (start + 15 min where the
    venue requires check-in)."""
    closes = booking.start_at + NO_SHOW_GRACE if booking.venue.requires_check_in else (
        booking.end_at)
    return booking.start_at - CHECK_IN_OPENS <= now < closes


def check_in_booking(*, booking: Booking, actor, now: datetime) -> Booking:
    """Record arrival: from 15 min before the start until the end (start + 15 min where the
    venue requires check-in). The booking completes at its end."""
    if not can_check_in(actor, booking):
        raise NotAllowed()
    if booking.status != BookingStatus.CONFIRMED:
        raise _invalid(booking)
    if booking.checked_in_at is not None:
        return booking
    if not check_in_is_open(booking, now):
        raise DomainError("check_in_not_open")
    booking.checked_in_at = now
    booking.updated_at = now
    before = {"checked_in_at": None}
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise DomainError("stale") from exc
    audit.record(actor=actor, action="booking.check_in", obj=booking, now=now, before=before,
                 after={"checked_in_at": now}, unit_id=booking.venue.unit_id,
                 venue_id=booking.venue_id)
    return booking


def no_show_is_markable(booking: Booking, now: datetime) -> bool:
    """Confirmed, or completed without a check-in; nobody checked in; after start + 15 min and
    within 48 h after the end (also the unit desk's buttons)."""
    markable = booking.status == BookingStatus.CONFIRMED or (
        booking.status == BookingStatus.COMPLETED and booking.checked_in_at is None
    )
    return (markable and booking.checked_in_at is None
            and booking.start_at + NO_SHOW_GRACE <= now <= booking.end_at + NO_SHOW_MARK_WINDOW)


def mark_no_show(*, booking: Booking, actor, now: datetime) -> Booking:
    """A manager records that nobody came: after the start, within 48 h after the end."""
    _require_manager(actor, booking)
    if not no_show_is_markable(booking, now):
        raise _invalid(booking)
    _transition(booking, BookingStatus.NO_SHOW, actor=actor, now=now, action="booking.no_show")
    notify_booker(booking, "booking_no_show", now=now)
    return booking


def complete_booking(*, booking: Booking, now: datetime, actor=None) -> Booking:
    """A confirmed booking completes at its end if checked in or check-in is not required."""
    if booking.status != BookingStatus.CONFIRMED or now < booking.end_at:
        raise _invalid(booking)
    if booking.venue.requires_check_in and booking.checked_in_at is None:
        raise _invalid(booking)
    _transition(booking, BookingStatus.COMPLETED, actor=actor, now=now,
                action="booking.complete")
    notify_booker(booking, "booking_completed", now=now)
    return booking


def expire_booking(*, booking: Booking, now: datetime) -> Booking:
    """A request nobody decided before its start expires."""
    if booking.status != BookingStatus.PENDING or now < booking.start_at:
        raise _invalid(booking)
    _transition(booking, BookingStatus.EXPIRED, actor=None, now=now, action="booking.expire")
    notify_booker(booking, "booking_expired", now=now)
    return booking


def release_no_show(*, booking: Booking, now: datetime) -> Booking:
    """Nobody checked in by start + 15 min where check-in is required: the slot is released."""
    if (booking.status != BookingStatus.CONFIRMED or not booking.venue.requires_check_in
            or booking.checked_in_at is not None or now < booking.start_at + NO_SHOW_GRACE):
        raise _invalid(booking)
    _transition(booking, BookingStatus.NO_SHOW, actor=None, now=now, action="booking.no_show")
    notify_booker(booking, "booking_no_show", now=now)
    return booking


def rate_booking(*, booking: Booking, actor, rating: Any, comment: str = "",
                 now: datetime) -> Booking:
    """The booker rates a completed booking 1–5, optionally with a comment."""
    if actor is None or actor.id != booking.booker_id:
        raise NotAllowed()
    if booking.status != BookingStatus.COMPLETED:
        raise _invalid(booking)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput({"rating": "out_of_range"})
    if not isinstance(comment, str) or len(comment) > 1000:
        raise InvalidInput({"comment": "too_long"})
    before = {"rating": booking.rating, "rating_comment": booking.rating_comment}
    booking.rating = rating
    booking.rating_comment = comment.strip()
    booking.rated_at = now
    booking.updated_at = now
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise DomainError("stale") from exc
    audit.record(actor=actor, action="booking.rate", obj=booking, now=now, before=before,
                 after={"rating": rating, "rating_comment": booking.rating_comment},
                 unit_id=booking.venue.unit_id, venue_id=booking.venue_id)
    return booking


# Closures that hit bookings --------------------------------------------------------------


def bookings_hit_by(venue: Venue, start: datetime, end: datetime | None,
                    now: datetime) -> list[Booking]:
    """Slot-holding bookings that a closure of [start, end) would cancel (not yet ended)."""
    query = sa.select(Booking).where(
        Booking.venue_id == venue.id,
        Booking.holds_slot,
        Booking.end_at > max(start, now),
    ).order_by(Booking.start_at)
    if end is not None:
        query = query.where(Booking.start_at < end)
    return list(db.session.scalars(query))


def close_venue(*, venue: Venue, start: datetime, end: datetime | None,
                reason: ClosureReason | str, note: str = "", actor,
                now: datetime) -> tuple[Closure, list[Booking]]:
    """Add a closure and cancel, with its reason, every booking it hits; bookers are told."""
    closure = add_closure(venue=venue, start=start, end=end, reason=reason, note=note,
                          actor=actor, now=now)
    cancelled = bookings_hit_by(venue, start, end, now)
    text = note.strip() or closure.reason.value
    for booking in cancelled:
        _transition(booking, BookingStatus.CANCELLED, actor=actor, now=now,
                    action="booking.cancel", cancelled_at=now,
                    cancelled_by_id=actor.id if actor else None, reason=text[:REASON_MAX])
        notify_booker(booking, "booking_cancelled_by_manager", now=now)
    return closure, cancelled


def bookings_outside_opening_hours(venue: Venue, now: datetime) -> list[Booking]:
    """Slot-holding bookings not yet ended that the venue's opening hours (as they are now,
    holidays included) no longer cover whole: a new timetable or holiday rule keeps them, and
    the hours editor names them so a manager can decide."""
    upcoming = db.session.scalars(sa.select(Booking).where(
        Booking.venue_id == venue.id,
        Booking.holds_slot,
        Booking.end_at > now,
    ).order_by(Booking.start_at))
    weekly = weekly_windows(venue)
    return [b for b in upcoming if not covers(
        opening_windows(venue, b.start_at, b.end_at, weekly), b.start_at, b.end_at)]


# Scheduled batches (each idempotent) ---------------------------------------------------------


def _due(*conditions) -> list[Booking]:
    return list(db.session.scalars(
        sa.select(Booking).join(Booking.venue).where(*conditions).order_by(Booking.id)
    ))


def expire_pending(*, now: datetime) -> int:
    due = _due(Booking.status == BookingStatus.PENDING, Booking.start_at <= now)
    for booking in due:
        expire_booking(booking=booking, now=now)
    return len(due)


def complete_past(*, now: datetime) -> int:
    due = _due(
        Booking.status == BookingStatus.CONFIRMED,
        Booking.end_at <= now,
        sa.or_(Venue.requires_check_in.is_(False), Booking.checked_in_at.is_not(None)),
    )
    for booking in due:
        complete_booking(booking=booking, now=now)
    return len(due)


def mark_no_shows(*, now: datetime) -> int:
    due = _due(
        Booking.status == BookingStatus.CONFIRMED,
        Venue.requires_check_in.is_(True),
        Booking.checked_in_at.is_(None),
        Booking.start_at <= now - NO_SHOW_GRACE,
    )
    for booking in due:
        release_no_show(booking=booking, now=now)
    return len(due)


def apply_no_show_rule(*, now: datetime, limit: int = 3, window_days: int = 90,
                       suspension_days: int = 30) -> list[User]:
    """`limit` no-shows within `window_days` suspend booking rights for `suspension_days`.

    No-shows before the user's last such suspension are not counted again; a suspension that
    has run out is lifted.
    """
    window_start = now - timedelta(days=window_days)
    counted_from = sa.func.coalesce(User.no_show_suspended_at, window_start)
    rows = db.session.execute(
        sa.select(User.id)
        .join(Booking, Booking.booker_id == User.id)
        .where(
            Booking.status == BookingStatus.NO_SHOW,
            Booking.start_at >= window_start,
            Booking.start_at > counted_from,
            Booking.start_at <= now,
            sa.or_(User.suspended_until.is_(None), User.suspended_until <= now),
        )
        .group_by(User.id)
        .having(sa.func.count(Booking.id) >= limit)
    )
    suspended = []
    for (user_id,) in rows.all():
        user = db.session.get(User, user_id)
        until = now + timedelta(days=suspension_days)
        audit.record(actor=None, action="user.suspend_no_shows", obj=user, now=now,
                     before={"suspended_until": user.suspended_until},
                     after={"suspended_until": until})
        user.suspended_until = until
        user.no_show_suspended_at = now
        suspended.append(user)
    lifted = db.session.scalars(sa.select(User).where(User.suspended_until <= now))
    for user in lifted:
        audit.record(actor=None, action="user.lift_no_show_suspension", obj=user, now=now,
                     before={"suspended_until": user.suspended_until},
                     after={"suspended_until": None})
        user.suspended_until = None
    db.session.flush()
    return suspended
