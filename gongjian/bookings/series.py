"""Recurring series (product.md §5, §9): weekly occurrences that are ordinary bookings.

Every occurrence is checked against every rule of §5 like a single booking, except that
`too_far_ahead` applies to the first occurrence only, and the whole series must end within the
venue's `max_series_days` of its first occurrence (`series_too_long`). Services flush; the
caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import OperationalError

from .. import audit
from ..accounts.models import User
from ..errors import DomainError, InvalidInput, NotFound, Violation
from ..extensions import db
from ..venues.models import Venue
from .models import ACTIVE_STATUSES, Booking, BookingStatus, Series
from .notifications import notices_suppressed, notify_series_booker, notify_series_managers
from .services import (
    AUDITED_FIELDS,
    _clean_title,
    _require_attendees,
    _require_venue,
    approve_booking,
    cancel_booking,
    evaluate,
    insert_booking,
    lock_venue,
    reject_booking,
)

MAX_OCCURRENCES = 52
SERIES_FIELDS = ("title", "attendees", "start_date", "until", "count", "weekdays",
                 "interval_weeks", "start_minute", "end_minute")


@dataclass
class Occurrence:
    """One date of a series: its instants and every rule it breaks."""

    start: datetime
    end: datetime
    violations: list[Violation] = field(default_factory=list)
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def codes(self) -> list[str]:
        return [v.code for v in self.violations]


@dataclass
class Pattern:
    """The recurrence, checked for shape: which local dates, which local minutes."""

    start_date: date
    until: date | None
    count: int | None
    weekdays: list[int]
    interval_weeks: int
    start_minute: int
    end_minute: int

    def dates(self) -> list[date]:
        """Chosen weekdays of every `interval_weeks`-th week from start_date's week."""
        monday = self.start_date - timedelta(days=self.start_date.weekday())
        found: list[date] = []
        week = 0
        while True:
            for weekday in self.weekdays:
                day = monday + timedelta(weeks=week, days=weekday)
                if day < self.start_date:
                    continue
                if self.until is not None and day > self.until:
                    return found
                found.append(day)
                if len(found) > MAX_OCCURRENCES:
                    raise InvalidInput({"until": "too_many_occurrences"})
                if self.count is not None and len(found) == self.count:
                    return found
            week += self.interval_weeks

    def instants(self, venue: Venue, day: date) -> tuple[datetime, datetime]:
        """The local wall-clock times on `day` in the venue's zone (DST-correct)."""
        midnight = datetime.combine(day, time(0), tzinfo=venue.zone)
        # Aware arithmetic within one zone is wall-clock arithmetic: 19:00 stays 19:00.
        start = midnight + timedelta(minutes=self.start_minute)
        end = midnight + timedelta(minutes=self.end_minute)
        return start.astimezone(venue.zone), end.astimezone(venue.zone)


def _minutes(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and len(value) == 5 and value[2] == ":" and (
            value[:2] + value[3:]).isdigit():
        hours, mins = int(value[:2]), int(value[3:])
        if mins >= 60:
            raise InvalidInput({name: "not_a_time"})
        minutes = hours * 60 + mins
    else:
        raise InvalidInput({name: "not_a_time"})
    if not 0 <= minutes <= 24 * 60:
        raise InvalidInput({name: "not_a_time"})
    return minutes


def make_pattern(*, start_date: Any, until: Any = None, count: Any = None, weekdays: Any,
                 interval_weeks: Any = 1, start_time: Any, end_time: Any) -> Pattern:
    """Check the recurrence's shape: until or count (1–52), weekdays 0–6, times HH:MM."""
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        raise InvalidInput({"start_date": "not_a_date"})
    if (until is None) == (count is None):
        raise InvalidInput({"until": "until_or_count"})
    if until is not None and (not isinstance(until, date) or isinstance(until, datetime)
                              or until < start_date):
        raise InvalidInput({"until": "not_a_date"})
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or not 1 <= count <= MAX_OCCURRENCES):
        raise InvalidInput({"count": "out_of_range"})
    if (not isinstance(weekdays, list | tuple) or not weekdays
            or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6
                   for d in weekdays)):
        raise InvalidInput({"weekdays": "out_of_range"})
    if (isinstance(interval_weeks, bool) or not isinstance(interval_weeks, int)
            or not 1 <= interval_weeks <= 52):
        raise InvalidInput({"interval_weeks": "out_of_range"})
    start_minute = _minutes(start_time, "start_time")
    end_minute = _minutes(end_time, "end_time")
    if end_minute <= start_minute:
        raise DomainError("invalid_time")
    return Pattern(start_date, until, count, sorted(set(weekdays)), interval_weeks,
                   start_minute, end_minute)


def _occurrences(*, venue: Venue, booker: User, pattern: Pattern, attendees: int,
                 organization_id: int | None, now: datetime) -> list[Occurrence]:
    days = pattern.dates()
    if not days:
        raise InvalidInput({"weekdays": "no_occurrences"})
    found: list[Occurrence] = []
    first_start: datetime | None = None
    for index, day in enumerate(days):
        start, end = pattern.instants(venue, day)
        verdict = evaluate(venue=venue, booker=booker, start=start, end=end, attendees=attendees,
                           organization_id=organization_id, now=now,
                           check_advance=index == 0, suggest=False)
        if first_start is None:
            first_start = start
        if end > first_start + timedelta(days=venue.max_series_days):
            verdict.fail("series_too_long", days=venue.max_series_days)
        found.append(Occurrence(start, end, verdict.violations,
                                None if verdict.ok else verdict.error()))
    return found


def preview_series(*, venue_id: Any, booker: User, title: Any = "-", attendees: Any,
                   organization_id: int | None = None, now: datetime,
                   **recurrence: Any) -> list[Occurrence]:
    """Every occurrence of a proposed series with its verdict; nothing is written."""
    _clean_title(title)
    attendees = _require_attendees(attendees)
    pattern = make_pattern(**recurrence)
    venue = _require_venue(venue_id)
    return _occurrences(venue=venue, booker=booker, pattern=pattern, attendees=attendees,
                        organization_id=organization_id, now=now)


@dataclass
class SeriesResult:
    series: Series
    bookings: list[Booking]
    skipped: list[Occurrence]


def create_series(*, venue_id: Any, booker: User, title: Any, attendees: Any,
                  organization_id: int | None = None, all_or_nothing: bool = False,
                  now: datetime, **recurrence: Any) -> SeriesResult:
    """Book every free occurrence in one transaction (or none, if all_or_nothing and any fails).

    The venue is locked before checking, so what was free when checked is free when inserted.
    """
    title = _clean_title(title)
    attendees = _require_attendees(attendees)
    pattern = make_pattern(**recurrence)
    try:
        venue = lock_venue(venue_id)
    except OperationalError as exc:
        raise DomainError("busy") from exc
    # Checked before anything is inserted: the series' own occurrences never count against
    # its quota, nor clash with each other (one per day).
    occurrences = _occurrences(venue=venue, booker=booker, pattern=pattern,
                               attendees=attendees, organization_id=organization_id, now=now)
    failed = [o for o in occurrences if not o.ok]
    if failed and (all_or_nothing or len(failed) == len(occurrences)):
        error = failed[0].error
        assert error is not None
        error.details.setdefault("occurrence", {"start": failed[0].start.isoformat(),
                                                "end": failed[0].end.isoformat()})
        raise error

    series = Series(venue=venue, booker=booker, organization_id=organization_id, title=title,
                    attendees=attendees, start_date=pattern.start_date, until=pattern.until,
                    count=pattern.count, weekdays=pattern.weekdays,
                    interval_weeks=pattern.interval_weeks, start_minute=pattern.start_minute,
                    end_minute=pattern.end_minute, created_at=now)
    db.session.add(series)
    db.session.flush()
    audit.record(actor=booker, action="series.create", obj=series, now=now,
                 after=audit.snapshot(series, SERIES_FIELDS), unit_id=venue.unit_id,
                 venue_id=venue.id)
    status = BookingStatus.PENDING if venue.requires_approval else BookingStatus.CONFIRMED
    created = []
    for occurrence in occurrences:
        if not occurrence.ok:
            continue
        booking = insert_booking(Booking(
            venue=venue, booker=booker, organization_id=organization_id, title=title,
            attendees=attendees, start_at=occurrence.start, end_at=occurrence.end,
            status=status, created_at=now, updated_at=now, series=series,
        ))
        audit.record(actor=booker, action="booking.create", obj=booking, now=now,
                     after=audit.snapshot(booking, AUDITED_FIELDS), unit_id=venue.unit_id,
                     venue_id=venue.id)
        created.append(booking)
    notify_series_managers(series, created, "series_requested" if status == BookingStatus.PENDING
                           else "series_created", now=now)
    return SeriesResult(series, created, failed)


def get_series(series_id: Any) -> Series:
    series = db.session.get(Series, series_id) if (
        isinstance(series_id, int) and not isinstance(series_id, bool)) else None
    if series is None:
        raise NotFound("series")
    return series


def _active(series: Series) -> list[Booking]:
    return [b for b in series.bookings if b.status in ACTIVE_STATUSES]


def cancel_series(*, series: Series, scope: str, actor, now: datetime, booking_id: Any = None,
                  reason: str = "") -> list[Booking]:
    """Cancel one occurrence, it and the following ones, or every occurrence yet to start.

    Each goes through cancel_booking (same permissions and rules); for `following` and `all`,
    occurrences no longer active or already started are left alone. One notice tells about
    the whole cancellation.
    """
    if scope not in ("one", "following", "all"):
        raise InvalidInput({"scope": "not_allowed"})
    if scope == "all":
        chosen = [b for b in _active(series) if b.start_at > now]
    else:
        anchor = next((b for b in series.bookings if b.id == booking_id), None)
        if anchor is None:
            raise InvalidInput({"booking_id": "not_in_series"})
        if scope == "one":
            chosen = [anchor]
        else:
            chosen = [b for b in _active(series)
                      if b.start_at >= anchor.start_at and (b is anchor or b.start_at > now)]
    if not chosen:
        raise DomainError("invalid_transition", {"status": BookingStatus.CANCELLED.value})
    with notices_suppressed():
        cancelled = [cancel_booking(booking=b, actor=actor, now=now, reason=reason)
                     for b in chosen]
    if actor is not None and actor.id == series.booker_id:
        notify_series_managers(series, cancelled, "series_cancelled", now=now)
    else:
        notify_series_booker(series, cancelled, "series_cancelled_by_manager", now=now)
    return cancelled


def _pending(series: Series) -> list[Booking]:
    return [b for b in series.bookings if b.status == BookingStatus.PENDING]


def approve_series(*, series: Series, actor, now: datetime) -> list[Booking]:
    """A manager confirms every pending occurrence of a series that has not started."""
    pending = [b for b in _pending(series) if b.start_at > now]
    if not pending:
        raise DomainError("invalid_transition", {"status": BookingStatus.PENDING.value})
    with notices_suppressed():
        approved = [approve_booking(booking=b, actor=actor, now=now) for b in pending]
    notify_series_booker(series, approved, "series_approved", now=now)
    return approved


def reject_series(*, series: Series, actor, reason: str, now: datetime) -> list[Booking]:
    """A manager refuses every pending occurrence of a series, with one reason."""
    pending = _pending(series)
    if not pending:
        raise DomainError("invalid_transition", {"status": BookingStatus.PENDING.value})
    with notices_suppressed():
        rejected = [reject_booking(booking=b, actor=actor, reason=reason, now=now)
                    for b in pending]
    notify_series_booker(series, rejected, "series_rejected", now=now)
    return rejected
