"""Venues: their settings, weekly opening hours, closures and the open intervals they make."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from .. import audit
from ..accounts.models import Unit
from ..accounts.services import can_manage_unit
from ..db import execute_core
from ..errors import DomainError, InvalidInput, NotAllowed, NotFound
from ..extensions import db
from . import holidays
from .intervals import Interval, local_dates, local_instant, merge, subtract
from .models import (
    LONGEST_BOOKING_MINUTES,
    RULE_DEFAULTS,
    Audience,
    Closure,
    ClosureReason,
    OpeningHours,
    Venue,
    VenueKind,
)

# The end of an open-ended closure (a suspension).
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)

VENUE_TEXT_FIELDS = {
    "name": 200, "sport": 60, "address": 300, "floor": 40, "description": 20000,
    "booking_notes": 20000,
}
VENUE_BOOL_FIELDS = ("step_free", "accessible_toilet", "requires_approval", "requires_check_in")
VENUE_INT_FIELDS = {
    "capacity": (1, 100000),
    "slot_minutes": (5, 1440),
    "min_duration_minutes": (1, LONGEST_BOOKING_MINUTES),
    "max_duration_minutes": (1, LONGEST_BOOKING_MINUTES),
    "min_notice_minutes": (0, 60 * 24 * 365),
    "max_advance_days": (0, 730),
    "max_active_per_user": (1, 1000),
    "max_active_per_org": (1, 10000),
    "buffer_minutes": (0, 24 * 60),
    "cancel_deadline_minutes": (0, 60 * 24 * 30),
    "max_series_days": (1, 730),
}
VENUE_FIELDS: tuple[str, ...] = (
    "name", "kind", "sport", "capacity", "equipment", "address", "floor", "step_free",
    "accessible_toilet", "description", "booking_notes", "timezone", *RULE_DEFAULTS,
)


def require_manager(actor, unit_id: int) -> None:
    if not can_manage_unit(actor, unit_id):
        raise NotAllowed()


def get_venue(venue_id: int, *, include_archived: bool = False) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None or (not include_archived and (venue.is_archived or not venue.unit.active)):
        raise NotFound("venue")
    return venue


def _clean_venue_fields(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check the shape and ranges of venue settings; answer the cleaned values."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    unknown = set(values) - set(VENUE_FIELDS)
    for name in sorted(unknown):
        errors[name] = "unknown"
    for name, limit in VENUE_TEXT_FIELDS.items():
        if name in values:
            value = values[name]
            if not isinstance(value, str) or len(value) > limit:
                errors[name] = "invalid"
            elif name == "name" and not value.strip():
                errors[name] = "required"
            else:
                clean[name] = value.strip() if name == "name" else value
    for name in VENUE_BOOL_FIELDS:
        if name in values:
            if isinstance(values[name], bool):
                clean[name] = values[name]
            else:
                errors[name] = "invalid"
    for name, (low, high) in VENUE_INT_FIELDS.items():
        if name in values:
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors[name] = "out_of_range"
            else:
                clean[name] = value
    for name, enum in (("kind", VenueKind), ("audience", Audience)):
        if name in values:
            try:
                clean[name] = enum(values[name])
            except ValueError:
                errors[name] = "invalid"
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
            clean["timezone"] = values["timezone"]
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            errors["timezone"] = "invalid"
    if "equipment" in values:
        tags = values["equipment"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            errors["equipment"] = "invalid"
        else:
            clean["equipment"] = sorted({t.strip() for t in tags if t.strip()})
    if creating:
        for name in ("name", "kind", "capacity"):
            if name not in values and name not in errors:
                errors[name] = "required"
    if errors:
        raise InvalidInput(errors)
    return clean


def _check_durations(venue: Venue) -> None:
    if venue.min_duration_minutes > venue.max_duration_minutes:
        raise InvalidInput({"min_duration_minutes": "greater_than_max"})


VENUE_AUDIT_FIELDS = VENUE_FIELDS + ("archived_at",)


def create_venue(*, unit: Unit, actor, now: datetime, **values: Any) -> Venue:
    """Create a venue of a unit the actor manages; omitted rule settings take their defaults."""
    require_manager(actor, unit.id)
    clean = _clean_venue_fields(values, creating=True)
    venue = Venue(unit=unit, created_at=now, **{**RULE_DEFAULTS, **clean})
    venue.audience = Audience(venue.audience)
    _check_durations(venue)
    db.session.add(venue)
    db.session.flush()
    audit.record(actor=actor, action="venue.create", obj=venue, now=now,
                 after=audit.snapshot(venue, VENUE_AUDIT_FIELDS), unit_id=unit.id,
                 venue_id=venue.id)
    return venue


def update_venue(*, venue: Venue, actor, now: datetime, **values: Any) -> Venue:
    require_manager(actor, venue.unit_id)
    clean = _clean_venue_fields(values, creating=False)
    before = audit.snapshot(venue, VENUE_AUDIT_FIELDS)
    for name, value in clean.items():
        setattr(venue, name, value)
    _check_durations(venue)
    db.session.flush()
    audit.record(actor=actor, action="venue.update", obj=venue, now=now, before=before,
                 after=audit.snapshot(venue, VENUE_AUDIT_FIELDS), unit_id=venue.unit_id,
                 venue_id=venue.id)
    return venue


def archive_venue(*, venue: Venue, actor, now: datetime) -> Venue:
    """Archived venues vanish from search and take no bookings; their history stays."""
    require_manager(actor, venue.unit_id)
    if venue.archived_at is None:
        venue.archived_at = now
        db.session.flush()
        audit.record(actor=actor, action="venue.archive", obj=venue, now=now,
                     after={"archived_at": now}, unit_id=venue.unit_id, venue_id=venue.id)
    return venue


def get_managed_venue(venue_id: int, *, actor) -> Venue:
    """A venue the actor may change; to anyone else it does not exist (nobody learns about
    other units' venues), and neither does an archived venue."""
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.is_archived or not can_manage_unit(actor, venue.unit_id):
        raise NotFound("venue")
    return venue


def managed_units_query(actor, *, name: str = "") -> sa.Select:
    """The units the actor manages (every unit for a district admin), by name; `name` keeps
    those whose name contains it."""
    select = sa.select(Unit).order_by(Unit.name, Unit.id)
    if not getattr(actor, "is_admin", False):
        from ..accounts.models import unit_managers

        select = select.join(unit_managers, unit_managers.c.unit_id == Unit.id).where(
            unit_managers.c.user_id == actor.id)
    name = name.strip()
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        select = select.where(Unit.name.ilike(f"%{escaped}%", escape="\\"))
    return select


# Opening hours ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    weekday: int
    start_minute: int
    end_minute: int
    valid_from: date
    valid_until: date | None = None


def _validities_overlap(a: Window, b: Window) -> bool:
    a_end = a.valid_until or date.max
    b_end = b.valid_until or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


def validate_windows(windows: Sequence[Window]) -> None:
    """Windows lie within one local day (end ≤ 24:00) and never overlap; touching is fine."""
    errors: dict[str, str] = {}
    for i, w in enumerate(windows):
        if not 0 <= w.weekday <= 6:
            errors[f"{i}.weekday"] = "out_of_range"
        if not 0 <= w.start_minute < 1440:
            errors[f"{i}.start"] = "out_of_range"
        if not 0 < w.end_minute <= 1440:
            errors[f"{i}.end"] = "out_of_range"
        elif f"{i}.start" not in errors and w.end_minute <= w.start_minute:
            # A window crossing midnight is two windows: …–24:00 and 00:00–… the next day.
            errors[f"{i}.end"] = "not_after_start"
        if w.valid_until is not None and w.valid_until < w.valid_from:
            errors[f"{i}.valid_until"] = "before_valid_from"
    if errors:
        raise InvalidInput(errors)
    ordered = sorted(windows, key=lambda w: (w.weekday, w.start_minute))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.weekday != a.weekday or b.start_minute >= a.end_minute:
                continue
            if _validities_overlap(a, b):
                raise DomainError("hours_overlap", {"weekday": a.weekday})


def set_opening_hours(*, venue: Venue, windows: Sequence[Window], actor, now: datetime) -> None:
    """Replace the venue's whole weekly timetable."""
    require_manager(actor, venue.unit_id)
    validate_windows(windows)
    before = [_window_dict(w) for w in venue.opening_hours]
    venue.opening_hours.clear()
    db.session.flush()
    for w in sorted(windows, key=lambda w: (w.weekday, w.start_minute, w.valid_from)):
        venue.opening_hours.append(
            OpeningHours(weekday=w.weekday, start_minute=w.start_minute,
                         end_minute=w.end_minute, valid_from=w.valid_from,
                         valid_until=w.valid_until)
        )
    venue.hours_version = uuid.uuid4().hex
    db.session.flush()
    audit.record(actor=actor, action="venue.opening_hours", obj=venue, now=now,
                 before={"windows": before},
                 after={"windows": [_window_dict(w) for w in venue.opening_hours]},
                 unit_id=venue.unit_id, venue_id=venue.id)


def _window_dict(w) -> dict[str, Any]:
    return {"weekday": w.weekday, "start_minute": w.start_minute, "end_minute": w.end_minute,
            "valid_from": w.valid_from, "valid_until": w.valid_until}


_WINDOWS_QUERY = sa.select(
    OpeningHours.weekday, OpeningHours.start_minute, OpeningHours.end_minute,
    OpeningHours.valid_from, OpeningHours.valid_until,
).where(OpeningHours.venue_id == sa.bindparam("venue_id"))


# Timetables by (venue id, hours_version), as every booking check needs its venue's: a new
# timetable comes with a new version, read with the venue row (under its lock when booking),
# so a kept timetable is never another than the row's own. Emptied when full.
_TIMETABLES: dict[tuple[int, str], tuple[sa.Row, ...]] = {}
TIMETABLES_KEPT = 4096


def weekly_windows(venue: Venue) -> Sequence[OpeningHours]:
    """The venue's weekly windows: the loaded relationship, else the timetable of its version,
    kept or read as plain rows (loading them as objects would cost the booking path more)."""
    if "opening_hours" in sa.inspect(venue).dict:
        return venue.opening_hours
    key = (venue.id, venue.hours_version)
    windows = _TIMETABLES.get(key)
    if windows is None:
        windows = tuple(execute_core(db.session, _WINDOWS_QUERY, {"venue_id": venue.id}))
        if venue.hours_version is not None:  # a venue never given a timetable has no version
            if len(_TIMETABLES) >= TIMETABLES_KEPT:
                _TIMETABLES.clear()
            _TIMETABLES[key] = windows
    return windows


def day_windows(venue: Venue, day: date, windows: Sequence[OpeningHours] | None = None,
                ) -> list[OpeningHours]:
    """The weekly windows that open the venue on its local date `day`: that weekday's valid
    windows, or — with `closed_on_holidays` — none on a statutory holiday and the working-day
    windows on a make-up working day (gongjian/venues/holidays.py)."""
    return holidays.windows_on(venue.opening_hours if windows is None else windows, day,
                               observes_holidays=venue.closed_on_holidays)


def opening_windows(venue: Venue, start: datetime, end: datetime,
                    weekly: Sequence[OpeningHours] | None = None) -> list[Interval]:
    """The venue's windows of each local date (`day_windows`), as merged UTC intervals.

    Covers every window that overlaps [start, end); windows that touch (also across local
    midnight) join into one interval. Closures are not subtracted here. `weekly`: the venue's
    windows (`weekly_windows`) when the caller already holds them.
    """
    zone = venue.zone
    days = local_dates(start - timedelta(days=1), end, zone)
    if weekly is None:
        weekly = weekly_windows(venue)
    intervals = [
        (local_instant(day, w.start_minute, zone), local_instant(day, w.end_minute, zone))
        for day in days
        for w in day_windows(venue, day, weekly)
    ]
    # A window inside a skipped DST hour maps to an empty (or reversed) interval: it never opens.
    intervals = [(s, e) for s, e in intervals if s < e]
    return [iv for iv in merge(intervals) if iv[0] < end and iv[1] > start]


# Closures --------------------------------------------------------------------------------


# The venue's closures overlapping [start, end) (also read beside a booking's other rules).
CLOSURES_QUERY = sa.select(Closure.start_at, Closure.end_at).where(
    Closure.venue_id == sa.bindparam("venue_id"),
    Closure.start_at < sa.bindparam("end"),
    sa.or_(Closure.end_at.is_(None), Closure.end_at > sa.bindparam("start")),
)


def closure_intervals(venue_id: int, start: datetime, end: datetime) -> list[Interval]:
    rows = execute_core(db.session, CLOSURES_QUERY,
                        {"venue_id": venue_id, "start": start, "end": end})
    return closed_intervals(rows)


def closed_intervals(rows: Iterable[tuple[datetime, datetime | None]]) -> list[Interval]:
    """Closure rows as merged intervals; one with no end lasts until FOREVER."""
    return merge((s, e if e is not None else FOREVER) for s, e in rows)


def open_intervals(venue: Venue, start: datetime, end: datetime) -> list[Interval]:
    """When the venue is open within [start, end): its windows minus its closures, clipped."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    windows = [(max(s, start), min(e, end)) for s, e in opening_windows(venue, start, end)]
    return subtract(windows, closure_intervals(venue.id, start, end))


def add_closure(
    *, venue: Venue, start: datetime, end: datetime | None, reason: ClosureReason | str,
    note: str = "", actor, now: datetime,
) -> Closure:
    """Record a closure; no end means the venue is suspended until the closure is removed."""
    require_manager(actor, venue.unit_id)
    errors: dict[str, str] = {}
    try:
        reason = ClosureReason(reason)
    except ValueError:
        errors["reason"] = "invalid"
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.utcoffset() is None:
            errors[name] = "naive_time"
    if "start" not in errors and "end" not in errors and end is not None and end <= start:
        errors["end"] = "not_after_start"
    if len(note) > 500:
        errors["note"] = "too_long"
    if errors:
        raise InvalidInput(errors)
    closure = Closure(venue=venue, start_at=start, end_at=end, reason=reason, note=note,
                      created_by_id=actor.id if actor else None, created_at=now)
    db.session.add(closure)
    db.session.flush()
    audit.record(actor=actor, action="closure.create", obj=closure, now=now,
                 after={"start_at": start, "end_at": end, "reason": reason, "note": note},
                 unit_id=venue.unit_id, venue_id=venue.id)
    return closure


def remove_closure(*, closure: Closure, actor, now: datetime) -> None:
    venue = closure.venue
    require_manager(actor, venue.unit_id)
    audit.record(actor=actor, action="closure.delete", obj=closure, now=now,
                 before={"start_at": closure.start_at, "end_at": closure.end_at,
                         "reason": closure.reason, "note": closure.note},
                 unit_id=venue.unit_id, venue_id=venue.id)
    db.session.delete(closure)
    db.session.flush()


def venues_by_ids(ids: Iterable[int]) -> list[Venue]:
    return list(db.session.scalars(sa.select(Venue).where(Venue.id.in_(list(ids)))))


def closure_intervals_by_venue(
    venue_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, list[Interval]]:
    """The merged closures of several venues overlapping [start, end), in one query."""
    ids = sorted(set(venue_ids))
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Closure.venue_id, Closure.start_at, Closure.end_at).where(
        Closure.venue_id.in_(ids),
        Closure.start_at < end,
        sa.or_(Closure.end_at.is_(None), Closure.end_at > start),
    ))
    found: dict[int, list[Interval]] = {}
    for venue_id, s, e in rows:
        found.setdefault(venue_id, []).append((s, e if e is not None else FOREVER))
    return {venue_id: merge(intervals) for venue_id, intervals in found.items()}


def local_day_bounds(venue: Venue, instant: datetime) -> Interval:
    """Local midnight to the next local midnight of the venue's date at `instant`, in UTC."""
    day = instant.astimezone(venue.zone).date()
    return local_instant(day, 0, venue.zone), local_instant(day, 24 * 60, venue.zone)


def open_intervals_on_local_day(
    venues: Sequence[Venue], instant: datetime
) -> dict[int, list[Interval]]:
    """Each venue's open intervals (windows minus closures) on its own local date of
    `instant`, clipped to that day; one query for all closures (load `opening_hours` first)."""
    bounds = {venue.id: local_day_bounds(venue, instant) for venue in venues}
    if not bounds:
        return {}
    closures = closure_intervals_by_venue(
        bounds, min(s for s, _ in bounds.values()), max(e for _, e in bounds.values()))
    result: dict[int, list[Interval]] = {}
    for venue in venues:
        start, end = bounds[venue.id]
        windows = [(max(s, start), min(e, end)) for s, e in opening_windows(venue, start, end)]
        result[venue.id] = subtract(windows, closures.get(venue.id, ()))
    return result


# The hours editor and the closures page (gongjian/venues/hours_views.py) -----------------------


def copy_opening_hours(*, source: Venue, targets: Sequence[Venue], actor,
                       now: datetime) -> None:
    """Give each target venue the source's whole weekly timetable (validity dates included),
    each through `set_opening_hours` (one audit event each); the caller commits all or none."""
    require_manager(actor, source.unit_id)
    windows = [Window(w.weekday, w.start_minute, w.end_minute, w.valid_from, w.valid_until)
               for w in source.opening_hours]
    if not windows:  # copying nothing would wipe the targets' hours
        raise InvalidInput({"source": "no_hours"})
    for target in targets:
        if target.id == source.id or target.is_archived:
            raise NotFound("venue")
        set_opening_hours(venue=target, windows=windows, actor=actor, now=now)


def set_closed_on_holidays(*, venue: Venue, closed: bool, actor, now: datetime) -> Venue:
    """Switch the venue's holiday rule (gongjian/venues/holidays.py) on or off."""
    require_manager(actor, venue.unit_id)
    if venue.closed_on_holidays != closed:
        before = {"closed_on_holidays": venue.closed_on_holidays}
        venue.closed_on_holidays = closed
        db.session.flush()
        audit.record(actor=actor, action="venue.update", obj=venue, now=now, before=before,
                     after={"closed_on_holidays": closed}, unit_id=venue.unit_id,
                     venue_id=venue.id)
    return venue


def current_and_future_closures(venue: Venue, now: datetime) -> list[Closure]:
    """The venue's closures that have not ended at `now` (suspensions never end), by start."""
    return list(db.session.scalars(
        sa.select(Closure).where(Closure.venue_id == venue.id,
                                 sa.or_(Closure.end_at.is_(None), Closure.end_at > now))
        .order_by(Closure.start_at, Closure.id)))


def lift_closure(*, closure: Closure, actor, now: datetime) -> Closure | None:
    """Reopen now: a closure (or suspension) that has begun ends at `now`, so the past stays
    closed in the records and the openness figures; one that has not begun is removed.
    Answers the closure when it was kept, None when it was removed."""
    venue = closure.venue
    require_manager(actor, venue.unit_id)
    if closure.start_at >= now:
        remove_closure(closure=closure, actor=actor, now=now)
        return None
    if closure.end_at is not None and closure.end_at <= now:
        return closure  # already over
    before = {"end_at": closure.end_at}
    closure.end_at = now
    db.session.flush()
    audit.record(actor=actor, action="closure.update", obj=closure, now=now, before=before,
                 after={"end_at": now}, unit_id=venue.unit_id, venue_id=venue.id)
    return closure


def managed_venues(actor, *, exclude: Venue | None = None) -> list[Venue]:
    """The venues (not archived) of the units the actor manages, by unit and name."""
    units = managed_units_query(actor).subquery()
    select = (sa.select(Venue).join(units, units.c.id == Venue.unit_id)
              .where(Venue.archived_at.is_(None))
              .order_by(units.c.name, units.c.id, Venue.name, Venue.id))
    if exclude is not None:
        select = select.where(Venue.id != exclude.id)
    return list(db.session.scalars(select))
