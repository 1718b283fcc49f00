"""The venue page (its calendar, details, rules and booking form) and the series page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..accounts.models import Membership, Organization, OrganizationStatus
from ..clock import now
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..labels import BOOKING_STATUSES, label
from ..templating import local_range
from ..venues.intervals import format_hhmm
from ..venues.models import Audience, Venue
from ..venues.services import get_venue
from .forms import WEEKDAY_NAMES, BookingForm, SeriesForm
from .models import BookingStatus
from .series import Occurrence, create_series, preview_series
from .services import CHECK_IN_OPENS, NO_SHOW_GRACE, create_booking

bp = Blueprint("bookings", __name__)

# Shape codes the series services name per field (InvalidInput details), as field messages.
FIELD_MESSAGES = {
    "too_many_occurrences": _l("A series has at most 52 occurrences; choose an earlier last date."),
    "no_occurrences": _l("No chosen weekday falls between the first and the last date."),
    "until_or_count": _l("Give either a last date or a number of occurrences."),
}
FORM_FIELDS = frozenset(["title", "attendees", "start_date", "until", "count", "weekdays",
                         "interval_weeks", "start_time", "end_time"])


@dataclass
class Row:
    """One occurrence as the page shows it, in the venue's local time."""

    day: str
    weekday: str
    time: str
    ok: bool
    messages: list[str]


def _row(venue: Venue, start: datetime, end: datetime, *, ok: bool, messages: list[str]) -> Row:
    start, end = start.astimezone(venue.zone), end.astimezone(venue.zone)
    return Row(day=start.date().isoformat(), weekday=str(WEEKDAY_NAMES[start.weekday()]),
               time=f"{start:%H:%M}–{end:%H:%M}", ok=ok, messages=messages)


def _rows(venue: Venue, occurrences: list[Occurrence]) -> list[Row]:
    return [_row(venue, o.start, o.end, ok=o.ok, messages=[v.message for v in o.violations])
            for o in occurrences]


def _organization_choices(user, none_label: str | None = None) -> list[SelectChoice]:
    """No organization (labelled `none_label`, default "— none —"), then the approved
    organizations the user belongs to."""
    organizations = db.session.scalars(
        sa.select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id,
               Organization.status == OrganizationStatus.APPROVED)
        .order_by(Organization.name)
    ).all()
    return [SelectChoice("", none_label or _("— none —"))] + [
        SelectChoice(org.id, org.name) for org in organizations]


def _show_refusal(venue: Venue, form: SeriesForm, error: DomainError) -> None:
    """Shape errors go on their fields; a rule's refusal is flashed."""
    fields = error.details.get("fields") if isinstance(error, InvalidInput) else None
    if fields and all(name in FORM_FIELDS for name in fields):
        for name, code in fields.items():
            field = getattr(form, name)
            field.errors = [*field.errors, str(FIELD_MESSAGES.get(code, _("Not valid.")))]
        return
    if error.code == "invalid_time":
        # make_pattern's only non-field refusal: the times of day are in the wrong order.
        form.end_time.errors = [*form.end_time.errors, _("The end must be after the start.")]
        return
    occurrence = error.details.get("occurrence")
    if occurrence:
        day = datetime.fromisoformat(occurrence["start"]).astimezone(venue.zone).date()
        flash(_("%(day)s: %(message)s", day=day.isoformat(), message=error.message), "danger")
    else:
        flash(error.message, "danger")


@bp.route("/venues/<int:venue_id>/series", methods=["GET", "POST"])
@login_required
def series(venue_id: int):
    venue = get_venue(venue_id)
    booker = current_user._get_current_object()
    form = SeriesForm()
    form.organization.choices = _organization_choices(booker)
    rows: list[Row] | None = None
    result = None
    if form.validate_on_submit():
        arguments = dict(venue_id=venue.id, booker=booker, title=form.title.data,
                         attendees=form.attendees.data,
                         organization_id=form.organization.data, now=now(),
                         **form.recurrence())
        if form.book.data:
            try:
                created = create_series(all_or_nothing=form.all_or_nothing.data, **arguments)
            except DomainError as error:
                db.session.rollback()
                _show_refusal(venue, form, error)
            else:
                result = {
                    "booked": [_row(venue, b.start_at, b.end_at, ok=True,
                                    messages=[label(BOOKING_STATUSES, b.status)])
                               for b in created.bookings],
                    "skipped": _rows(venue, created.skipped),
                }
                db.session.commit()
                flash(_("Booked %(count)d of %(total)d dates.", count=len(created.bookings),
                        total=len(created.bookings) + len(created.skipped)), "success")
        else:
            try:
                rows = _rows(venue, preview_series(**arguments))
            except DomainError as error:
                _show_refusal(venue, form, error)
    return render_template("bookings/series.html", venue=venue, form=form, rows=rows,
                           result=result)


# The venue page ------------------------------------------------------------------------

# Which form fields a refused rule concerns: they are marked invalid next to the messages.
# The page's script marks the same fields after its live check (passed in the page's data).
FIELDS_BY_CODE: dict[str, tuple[str, ...]] = {
    "audience_not_allowed": ("organization",),
    "not_org_member": ("organization",),
    "misaligned": ("start", "end"),
    "too_short": ("start", "end"),
    "too_long": ("start", "end"),
    "too_soon": ("date", "start"),
    "too_far_ahead": ("date",),
    "over_capacity": ("attendees",),
    "outside_opening_hours": ("start", "end"),
    "closed": ("date", "start", "end"),
    "conflict": ("date", "start", "end"),
}
AUDIENCE_WORDS = {
    Audience.RESIDENTS: _l("residents"),
    Audience.ORGANIZATIONS: _l("organizations"),
    Audience.BOTH: _l("residents and organizations"),
}
CLOSURE_WORDS = {
    "maintenance": _l("maintenance"),
    "event": _l("event"),
    "holiday": _l("holiday"),
    "suspension": _l("suspended"),
}
# The calendar's range when the venue has no opening hours at all.
DEFAULT_DAY = (8 * 60, 22 * 60)
MIDNIGHT = time(0, 0)


def _span(minutes: int) -> str:
    """A duration in words: "45 minutes", "2 hours", "1 hour 30 minutes"."""
    hours, rest = divmod(minutes, 60)
    in_minutes = ngettext("%(num)d minute", "%(num)d minutes", rest)
    if not hours:
        return in_minutes
    in_hours = ngettext("%(num)d hour", "%(num)d hours", hours)
    if not rest:
        return in_hours
    return _("%(hours)s %(minutes)s", hours=in_hours, minutes=in_minutes)


def _days(days: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", days)


def rule_sentences(venue: Venue) -> list[str]:
    """The venue's booking rules (product.md §5 settings) in plain words."""
    rules = []
    if venue.min_notice_minutes:
        rules.append(_("Book at least %(notice)s and at most %(days)s ahead.",
                       notice=_span(venue.min_notice_minutes),
                       days=_days(venue.max_advance_days)))
    else:
        rules.append(_("Book at most %(days)s ahead.", days=_days(venue.max_advance_days)))
    if venue.min_duration_minutes == venue.max_duration_minutes:
        rules.append(_("Each booking lasts exactly %(length)s, in steps of %(step)s.",
                       length=_span(venue.min_duration_minutes),
                       step=_span(venue.slot_minutes)))
    else:
        rules.append(_("Each booking lasts %(shortest)s to %(longest)s, in steps of %(step)s.",
                       shortest=_span(venue.min_duration_minutes),
                       longest=_span(venue.max_duration_minutes),
                       step=_span(venue.slot_minutes)))
    if venue.buffer_minutes:
        rules.append(_("Bookings keep %(gap)s free before and after each other.",
                       gap=_span(venue.buffer_minutes)))
    rules.append(_("Needs the unit's approval.") if venue.requires_approval
                 else _("Confirmed at once."))
    if venue.requires_check_in:
        rules.append(_("Check in on arrival, from %(before)s before until %(after)s after the "
                       "start; without check-in the booking counts as a no-show.",
                       before=_span(int(CHECK_IN_OPENS.total_seconds()) // 60),
                       after=_span(int(NO_SHOW_GRACE.total_seconds()) // 60)))
    else:
        rules.append(_("No check-in needed."))
    if venue.cancel_deadline_minutes:
        rules.append(_("Cancel at least %(notice)s before the start; later cancellations are "
                       "recorded as late.", notice=_span(venue.cancel_deadline_minutes)))
    else:
        rules.append(_("Cancel any time before the start."))
    rules.append(_("Open to: %(audience)s.", audience=AUDIENCE_WORDS[venue.audience]))
    per_person = ngettext("%(num)d active booking", "%(num)d active bookings",
                          venue.max_active_per_user)
    if venue.audience == Audience.RESIDENTS:
        rules.append(_("Up to %(bookings)s per person.", bookings=per_person))
    else:
        rules.append(_("Up to %(bookings)s per person and %(org)d per organization.",
                       bookings=per_person, org=venue.max_active_per_org))
    return rules


@dataclass
class HoursRow:
    day: str
    windows: list[str] = field(default_factory=list)


def _current_windows(venue: Venue, today: date) -> list:
    """Opening-hour windows still valid today or later."""
    return [w for w in venue.opening_hours if w.valid_until is None or w.valid_until >= today]


def weekly_hours(venue: Venue, today: date) -> list[HoursRow]:
    """Monday to Sunday, each day's windows ("08:00–12:00"), with their validity when limited."""
    names = get_day_names("wide", locale=get_locale())
    rows = [HoursRow(names[day]) for day in range(7)]
    windows = sorted(_current_windows(venue, today), key=lambda w: (w.start_minute, w.valid_from))
    for window in windows:
        hours = f"{format_hhmm(window.start_minute)}–{format_hhmm(window.end_minute)}"
        upcoming = window.valid_from > today
        if upcoming and window.valid_until:
            hours = _("%(hours)s (%(first)s to %(last)s)", hours=hours,
                      first=window.valid_from.isoformat(), last=window.valid_until.isoformat())
        elif upcoming:
            hours = _("%(hours)s (from %(first)s)", hours=hours,
                      first=window.valid_from.isoformat())
        elif window.valid_until:
            hours = _("%(hours)s (until %(last)s)", hours=hours,
                      last=window.valid_until.isoformat())
        rows[window.weekday].windows.append(hours)
    return rows


def _calendar_hours(venue: Venue, today: date) -> tuple[str, str]:
    """The calendar's first and last time of day: the earliest opening and the latest close."""
    windows = _current_windows(venue, today)
    first, last = ((min(w.start_minute for w in windows), max(w.end_minute for w in windows))
                   if windows else DEFAULT_DAY)
    return f"{format_hhmm(first)}:00", f"{format_hhmm(last)}:00"


@dataclass
class Suggestion:
    """A free slot offered after a clash: posts the same booking at another time."""

    label: str
    day: str
    start: str
    end: str


def _suggestions(venue: Venue, form: BookingForm, intervals: Iterable[dict]) -> list[Suggestion]:
    zone = venue.zone
    found = []
    for item in intervals:
        start = datetime.fromisoformat(item["start"]).astimezone(zone)
        end = datetime.fromisoformat(item["end"]).astimezone(zone)
        ends_at_midnight = end.time() == MIDNIGHT and end.date() == start.date() + timedelta(1)
        if end.date() != start.date() and not ends_at_midnight:
            continue  # across midnight: the form holds one date (the calendar offers it)
        if start.date() == form.date.data:
            shown = f"{start:%H:%M}–{'24:00' if ends_at_midnight else f'{end:%H:%M}'}"
        else:
            shown = local_range(start, end, zone)
        found.append(Suggestion(label=_("Book %(range)s instead", range=shown),
                                day=start.date().isoformat(), start=f"{start:%H:%M}",
                                end=f"{end:%H:%M}"))
    return found


def _calendar_data(venue: Venue, today: date, *, selectable: bool) -> dict:
    """What static/js/venue.js needs: the API's URLs, the grid and the words it shows."""
    language = str(get_locale() or "zh")
    slot_min, slot_max = _calendar_hours(venue, today)
    return {
        "venueId": venue.id,
        "timezone": venue.timezone,
        "language": language,
        "locale": "zh-cn" if language == "zh" else "en",
        "availabilityUrl": url_for("api.get_availability", venue_id=venue.id),
        "checkUrl": url_for("api.check_booking"),
        "slotMinutes": venue.slot_minutes,
        "slotMinTime": slot_min,
        "slotMaxTime": slot_max,
        "firstDay": today.isoformat(),
        "endDay": (today + timedelta(days=venue.max_advance_days + 1)).isoformat(),
        "selectable": selectable,
        "fieldsByCode": {code: list(names) for code, names in FIELDS_BY_CODE.items()},
        "labels": {
            "booked": _("Booked"),
            "closed": _("Closed"),
            "reasons": {code: str(word) for code, word in CLOSURE_WORDS.items()},
            "statuses": {status.value: label(BOOKING_STATUSES, status)
                         for status in (BookingStatus.PENDING, BookingStatus.CONFIRMED)},
            "ok": _("This time is free and meets every rule."),
            "problems": _("This booking cannot be made:"),
            "endBeforeStart": _("The end must be after the start."),
            "skipped": _("This time does not exist at the venue: the clocks skip it "
                         "(daylight saving time)."),
            "checkFailed": _("The live check is not available right now; you can still book."),
            "calendarFailed": _("The calendar could not be loaded; the form still works."),
            "nearby": _("Free times nearby:"),
            "previous": _("Previous"),
            "next": _("Next"),
            "today": _("Today"),
            "week": _("Week"),
            "day": _("Day"),
            # {range} is filled in by the script.
            "use": _("Use %(range)s", range="{range}"),
        },
    }


def _booking_form(user) -> BookingForm:
    form = BookingForm()
    form.organization.choices = _organization_choices(user, _("Myself"))
    return form


def _venue_page(venue: Venue, form: BookingForm | None, *,
                problems: list[str] | None = None, marked: Iterable[str] = (),
                suggestions: list[Suggestion] | None = None):
    today = now().astimezone(venue.zone).date()
    page = render_template(
        "bookings/venue.html", venue=venue, form=form, rules=rule_sentences(venue),
        hours=weekly_hours(venue, today), problems=problems or [], marked=frozenset(marked),
        suggestions=suggestions or [], today=today,
        last_day=today + timedelta(days=venue.max_advance_days),
        calendar=_calendar_data(venue, today, selectable=form is not None),
    )
    # A form shown again with its errors is a page like any other (200): the status codes of
    # the refusals are the API's business, and browsers log a 4xx page load as an error.
    return page


@bp.get("/venues/<int:venue_id>")
def venue(venue_id: int):
    venue = get_venue(venue_id)
    form = _booking_form(current_user) if current_user.is_authenticated else None
    return _venue_page(venue, form)


def _wall_instant(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """The instant of a wall-clock time at the venue; None when the clocks skip it (a DST
    gap). A time that occurs twice (clocks turned back) is its first occurrence."""
    wall = datetime.combine(day, clock)
    instant = wall.replace(tzinfo=zone)
    if instant.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _requested_times(venue: Venue, form: BookingForm) -> tuple[datetime, datetime] | None:
    """The form's local date and times as instants; None (with field errors) if they are not."""
    day, start_clock, end_clock = form.date.data, form.start.data, form.end.data
    # An end of 00:00 is the midnight that ends the date; any other end must follow the start.
    end_day = day + timedelta(days=1) if end_clock == MIDNIGHT else day
    if end_day == day and end_clock <= start_clock:
        form.end.errors = [*form.end.errors, _("The end must be after the start.")]
        return None
    start = _wall_instant(day, start_clock, venue.zone)
    end = _wall_instant(end_day, end_clock, venue.zone)
    for field_, instant, clock in ((form.start, start, start_clock), (form.end, end, end_clock)):
        if instant is None:
            field_.errors = [*field_.errors, _(
                "%(time)s does not exist on %(date)s at this venue: the clocks skip it "
                "(daylight saving time).", time=f"{clock:%H:%M}", date=day.isoformat())]
    if start is None or end is None:
        return None
    return start, end


def _refused(venue: Venue, form: BookingForm, error: DomainError):
    """The page again, keeping what was typed, with every failed rule and, after a clash,
    free slots nearby to book in one click."""
    if isinstance(error, InvalidInput):
        for name in error.details.get("fields", {}):
            target = getattr(form, name, None)
            if target is not None:
                target.errors = [*target.errors, _("Not valid.")]
        return _venue_page(venue, form, problems=[error.message])
    marked = {name for v in error.violations for name in FIELDS_BY_CODE.get(v.code, ())}
    return _venue_page(venue, form,
                       problems=[v.message for v in error.violations], marked=marked,
                       suggestions=_suggestions(venue, form,
                                                error.details.get("suggestions", [])))


@bp.post("/venues/<int:venue_id>/book")
def book(venue_id: int):
    venue = get_venue(venue_id)
    if not current_user.is_authenticated:
        flash(_("Log in to book this venue."), "info")
        return redirect(url_for("accounts.login",
                                next=url_for("bookings.venue", venue_id=venue.id)))
    booker = current_user._get_current_object()
    form = _booking_form(booker)
    if not form.validate_on_submit():
        return _venue_page(venue, form)
    times = _requested_times(venue, form)
    if times is None:
        return _venue_page(venue, form)
    try:
        booking = create_booking(
            venue_id=venue.id, booker=booker, start=times[0], end=times[1],
            title=form.title.data, attendees=form.attendees.data,
            organization_id=form.organization.data, now=now())
    except DomainError as error:
        db.session.rollback()
        return _refused(venue, form, error)
    pending = booking.status == BookingStatus.PENDING
    db.session.commit()
    flash(_("Booked: pending approval") if pending else _("Booked: confirmed"), "success")
    return redirect(url_for("my.bookings"))
