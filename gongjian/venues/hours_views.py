"""The unit manager's opening-hours editor and closures page (blueprint "hours").

- `/manage/venues/<id>/hours` (`hours.edit`): the weekly grid, grouped into timetables by
  validity (a summer and a winter timetable), saved whole through `set_opening_hours`; "check"
  shows whether each timetable meets a policy baseline (gongjian/venues/baselines.py) and
  "fill" starts a timetable from a baseline's template. `…/hours/check` answers the same check
  as JSON for the editor's live panel; `…/hours/copy` gives the saved timetable to other venues
  the user manages (all or none); `…/hours/holidays` switches the holiday rule
  (gongjian/venues/holidays.py).
- `/manage/venues/<id>/closures` (`hours.closures`): current and future closures; adding a
  closure or suspending the venue (暂停开放) first previews every booking it would cancel, and
  saves only the preview the manager saw; `…/closures/<cid>/lift` reopens now.

Who reaches what (tests/venues/test_hours_authz.py): visitors are sent to sign in (302); the
venue's managers and district admins reach every page; to anyone else — another unit's manager,
a resident — the venue does not exist (404), nor does an archived venue. A form shown again
with its errors answers 200, as every page does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..bookings.services import bookings_hit_by, bookings_outside_opening_hours, close_venue
from ..clock import now
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db
from . import holidays
from .baselines import BASELINES, check_baseline
from .hours_forms import (
    CLOSURE_REASONS,
    MAX_TIMETABLES,
    ButtonForm,
    ClosureForm,
    CopyForm,
    Grid,
    HolidaysForm,
    HoursForm,
    Row,
    SuspendForm,
    Timetable,
    expected_ids,
    grid_from_form,
    grid_from_hours,
    overlap_message,
    weekday_name,
    window_message,
)
from .intervals import format_hhmm, local_instant
from .models import Closure, ClosureReason, Venue
from .services import (
    copy_opening_hours,
    current_and_future_closures,
    get_managed_venue,
    lift_closure,
    managed_venues,
    set_closed_on_holidays,
    set_opening_hours,
    validate_windows,
)

bp = Blueprint("hours", __name__)

FESTIVALS = {
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-Autumn Festival"),
}
HOLIDAY_HORIZON_DAYS = 366


@bp.context_processor
def _helpers() -> dict[str, Any]:
    from .manage import venue_pages  # the console's tabs above each venue page

    return {"venue_pages": venue_pages, "weekday_name": weekday_name,
            "closure_reason_label": lambda code: str(CLOSURE_REASONS.get(str(code), code))}


def _managed_venue(venue_id: int) -> Venue:
    try:
        return get_managed_venue(venue_id, actor=current_user)
    except NotFound:
        abort(404)


def _today(venue: Venue) -> date:
    return now().astimezone(venue.zone).date()


# The weekly editor ----------------------------------------------------------------------------


def _check(grid: Grid, key: str) -> Grid:
    for t in grid.timetables:
        t.result = check_baseline(BASELINES[key], t.weekly())
    return grid


def _copy_form(venue: Venue, formdata=None) -> CopyForm:
    form = CopyForm(prefix="copy", formdata=formdata)
    form.targets.choices = [SelectChoice(v.id, v.name, optgroup=v.unit.name)
                            for v in managed_venues(current_user, exclude=venue)]
    return form


@dataclass
class SpecialDay:
    """A holiday block or a make-up working day as the editor lists it."""

    kind: str
    first: date
    last: date
    names: str
    weekday: int | None = None  # make-up day: whose windows it opens with
    spans: str = ""


def _festivals(days: Sequence[date]) -> str:
    names = dict.fromkeys(holidays.festival(d) for d in days)
    return ", ".join(str(FESTIVALS.get(name, name)) for name in names if name)


def upcoming_special_days(venue: Venue, today: date) -> list[SpecialDay]:
    """Holiday blocks and make-up working days of the coming year, with what the venue does."""
    found = holidays.special_days(today, today + timedelta(days=HOLIDAY_HORIZON_DAYS))
    items: list[SpecialDay] = []
    ordered = sorted(found)
    for kind, group in groupby(enumerate(ordered),
                               key=lambda pair: (found[pair[1]], pair[1].toordinal() - pair[0])):
        days = [d for _i, d in group]
        if kind[0] is holidays.DayKind.HOLIDAY:
            items.append(SpecialDay("holiday", days[0], days[-1], _festivals(days)))
            continue
        for day in days:
            windows = holidays.windows_on(venue.opening_hours, day, observes_holidays=True)
            spans = ", ".join(f"{format_hhmm(w.start_minute)}–{format_hhmm(w.end_minute)}"
                              for w in sorted(windows, key=lambda w: w.start_minute))
            items.append(SpecialDay("makeup", day, day, _festivals([day]),
                                    holidays.makeup_weekday(venue.opening_hours, day), spans))
    return sorted(items, key=lambda item: item.first)


def _editor(venue: Venue, form: HoursForm, grid: Grid, *, copy_form: CopyForm | None = None,
            notice: str = "", status: int = 200):
    today = _today(venue)
    key = form.baseline_key()
    shown = _check(grid, key).for_display()
    years = holidays.covered_years()
    horizon = today + timedelta(days=HOLIDAY_HORIZON_DAYS)
    return render_template(
        "hours/edit.html", venue=venue, form=form, grid=shown, today=today,
        baseline=BASELINES[key], baselines=BASELINES, notice=notice,
        copy_form=copy_form or _copy_form(venue),
        holidays_form=HolidaysForm(prefix="hol", formdata=None,
                                   closed_on_holidays=venue.closed_on_holidays),
        special_days=upcoming_special_days(venue, today),
        holiday_years=years, holidays_unknown_from=(
            years.stop if horizon.year >= years.stop else None),
    ), status


@bp.route("/manage/venues/<int:venue_id>/hours", methods=["GET", "POST"])
@login_required
def edit(venue_id: int):
    venue = _managed_venue(venue_id)
    form = HoursForm()
    if request.method == "GET":
        if request.args.get("baseline") in BASELINES:
            form.baseline.data = request.args["baseline"]
        return _editor(venue, form, grid_from_hours(venue.opening_hours))

    grid = grid_from_form(request.form)
    action = request.form.get("action", "save")
    if action.startswith("fill-"):
        notice = _fill(grid, action.removeprefix("fill-"), venue, form)
        return _editor(venue, form, grid, notice=notice)
    if action == "check" or grid.has_errors:
        return _editor(venue, form, grid)
    try:
        set_opening_hours(venue=venue, windows=grid.windows, actor=current_user, now=now())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        venue = db.session.get(Venue, venue_id)
        for message in _show_window_errors(grid, error):
            flash(message, "danger")
        return _editor(venue, form, grid)
    flash(_("The opening hours of “%(name)s” are saved.", name=venue.name), "success")
    _warn_outside(venue)
    return redirect(url_for("hours.edit", venue_id=venue.id, baseline=form.baseline_key()), 303)


def _fill(grid: Grid, which: str, venue: Venue, form: HoursForm) -> str:
    """Replace one timetable's windows by the chosen baseline's template (nothing is saved);
    answers the notice to show."""
    baseline = BASELINES[form.baseline_key()]
    index = int(which) if which.isdigit() else -1
    target = next((t for t in grid.timetables if t.index == index), None)
    if target is None:
        unused = max((t.index for t in grid.timetables), default=-1) + 1
        target = Timetable(index=index if 0 <= index < MAX_TIMETABLES else unused,
                           valid_from=_today(venue).isoformat())
        grid.timetables.append(target)
        grid.timetables.sort(key=lambda t: t.index)
    target.days = [[] for _ in range(7)]
    for weekday, start, end in baseline.template:
        target.days[weekday].append(Row(format_hhmm(start), format_hhmm(end)))
    return _("The timetable is filled in from “%(title)s”. Check the hours, then save.",
             title=baseline.title)


def _show_window_errors(grid: Grid, error: DomainError) -> list[str]:
    """Put the service's refusal on the rows it concerns; answers what fits no row."""
    if isinstance(error, InvalidInput):
        unplaced = []
        for name, code in error.details.get("fields", {}).items():
            index, _dot, field_name = name.partition(".")
            if not index.isdigit() or int(index) >= len(grid.windows):
                unplaced.append(error.message)
                continue
            window = grid.windows[int(index)]
            message = window_message(field_name, code, window)
            if field_name in ("valid_until", "valid_from"):
                grid.timetable_of(int(index)).errors["until"] = message
            elif field_name == "start":
                grid.row(int(index)).start_error = message
            else:
                grid.row(int(index)).end_error = message
        return unplaced
    if error.code == "hours_overlap":
        weekday = error.violations[0].params.get("weekday")
        marked = False
        same_day = [i for i, w in enumerate(grid.windows) if w.weekday == weekday]
        for a in same_day:
            for b in same_day:
                if a >= b:
                    continue
                try:  # the service's own rule, asked pair by pair
                    validate_windows([grid.windows[a], grid.windows[b]])
                except DomainError:
                    grid.row(a).error = overlap_message(weekday, grid.windows[b])
                    grid.row(b).error = overlap_message(weekday, grid.windows[a])
                    marked = True
        if marked:
            return []
    return [error.message]


def _warn_outside(venue: Venue) -> None:
    outside = bookings_outside_opening_hours(venue, now())
    if outside:
        flash(ngettext(
            "%(num)d upcoming booking now lies outside the opening hours. It is kept: "
            "cancel it from the approval queue or close the venue for that time if it cannot "
            "take place.",
            "%(num)d upcoming bookings now lie outside the opening hours. They are kept: "
            "cancel them from the approval queue or close the venue for that time if they "
            "cannot take place.", len(outside)), "warning")


@bp.post("/manage/venues/<int:venue_id>/hours/check")
@login_required
def check(venue_id: int):
    """The baseline check of the typed grid, and what would stop it from saving (nothing is
    written)."""
    venue = _managed_venue(venue_id)
    form = HoursForm()
    grid = grid_from_form(request.form)
    problems: list[dict[str, Any]] = []
    if not grid.has_errors and grid.windows:
        try:
            validate_windows(grid.windows)
        except DomainError as error:
            problems += [{"message": message} for message in _show_window_errors(grid, error)]
    key = form.baseline_key()
    _check(grid, key)
    for position, t in enumerate(grid.timetables):
        for name, message in t.errors.items():
            problems.append({"field": f"t{t.index}-{name}", "message": message})
        for weekday, rows in enumerate(t.days):
            for r, row in enumerate(rows):
                for message in row.messages:
                    problems.append({"timetable": position, "weekday": weekday, "row": r,
                                     "message": f"{weekday_name(weekday)}: {message}"})
    return jsonify({
        "venue_id": venue.id,
        "baseline": {"key": key, "title": str(BASELINES[key].title)},
        "timetables": [{"index": t.index, "valid_from": t.valid_from,
                        "valid_until": t.valid_until, **t.result.as_dict()}
                       for t in grid.timetables if t.result is not None],
        "problems": problems,
    })


@bp.post("/manage/venues/<int:venue_id>/hours/copy")
@login_required
def copy(venue_id: int):
    """Give the saved timetable to other venues the user manages: all of them or none."""
    venue = _managed_venue(venue_id)
    form = _copy_form(venue, request.form)
    if not form.validate_on_submit():
        return _editor(venue, HoursForm(formdata=None), grid_from_hours(venue.opening_hours),
                       copy_form=form)
    try:
        targets = [get_managed_venue(target_id, actor=current_user)
                   for target_id in form.targets.data]
        copy_opening_hours(source=venue, targets=targets, actor=current_user, now=now())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        venue = db.session.get(Venue, venue_id)
        form.targets.errors = [_("Nothing was copied: %(problem)s", problem=_copy_problem(error))]
        return _editor(venue, HoursForm(formdata=None), grid_from_hours(venue.opening_hours),
                       copy_form=form)
    flash(ngettext("The timetable is copied to %(num)d venue: %(names)s.",
                   "The timetable is copied to %(num)d venues: %(names)s.", len(targets),
                   names="、".join(t.name for t in targets)), "success")
    return redirect(url_for("hours.edit", venue_id=venue.id), 303)


def _copy_problem(error: DomainError) -> str:
    fields = error.details.get("fields", {}) if isinstance(error, InvalidInput) else {}
    if fields.get("source") == "no_hours":
        return _("this venue has no opening hours yet; save them first.")
    return error.message


@bp.post("/manage/venues/<int:venue_id>/hours/holidays")
@login_required
def holidays_switch(venue_id: int):
    venue = _managed_venue(venue_id)
    form = HolidaysForm(prefix="hol")
    if not form.validate_on_submit():
        abort(400)
    closed = bool(form.closed_on_holidays.data)
    set_closed_on_holidays(venue=venue, closed=closed, actor=current_user, now=now())
    db.session.commit()
    if closed:
        flash(_("“%(name)s” now closes on statutory holidays and opens on make-up working "
                "days with its working-day hours.", name=venue.name), "success")
        _warn_outside(venue)
    else:
        flash(_("“%(name)s” now follows its weekly timetable on holidays too.",
                name=venue.name), "success")
    return redirect(url_for("hours.edit", venue_id=venue.id, _anchor="holidays"), 303)


# Closures ------------------------------------------------------------------------------------


@dataclass
class Hit:
    """A booking a closure would cancel, read before the dry run is rolled back."""

    id: int
    start: datetime
    end: datetime
    booker: str
    organization: str
    title: str
    status: str


def _closures_page(venue: Venue, closure_form: ClosureForm, suspend_form: SuspendForm, *,
                   preview: dict | None = None):
    current = now()
    closures = current_and_future_closures(venue, current)
    return render_template(
        "hours/closures.html", venue=venue, closure_form=closure_form,
        suspend_form=suspend_form, closures=closures, now=current, preview=preview,
        lift_forms={c.id: ButtonForm(prefix=f"lift{c.id}", formdata=None) for c in closures},
        suspended=next((c for c in closures if c.end_at is None and c.start_at <= current),
                       None),
    ), 200


def _blank_forms(venue: Venue) -> tuple[ClosureForm, SuspendForm]:
    local = now().astimezone(venue.zone)
    closure_form = ClosureForm(prefix="closure", formdata=None)
    suspend_form = SuspendForm(prefix="suspend", formdata=None, start_date=local.date(),
                               start_time=f"{local:%H:%M}")
    return closure_form, suspend_form


@bp.route("/manage/venues/<int:venue_id>/closures", methods=["GET", "POST"])
@login_required
def closures(venue_id: int):
    venue = _managed_venue(venue_id)
    closure_form, suspend_form = _blank_forms(venue)
    if request.method == "GET":
        return _closures_page(venue, closure_form, suspend_form)

    which = request.form.get("which")
    if which == "closure":
        form = closure_form = ClosureForm(prefix="closure")
    elif which == "suspend":
        form = suspend_form = SuspendForm(prefix="suspend")
    else:
        abort(400)
    if not form.validate_on_submit():
        return _closures_page(venue, closure_form, suspend_form)
    zone = venue.zone
    start = local_instant(form.start_date.data, form.start_time.minute, zone)
    if isinstance(form, ClosureForm):
        end = local_instant(form.end_date.data, form.end_time.minute, zone)
        reason = form.reason.data
    else:
        end, reason = None, ClosureReason.SUSPENSION.value
    note = form.note.data.strip()
    try:
        closure, hit = close_venue(venue=venue, start=start, end=end, reason=reason, note=note,
                                   actor=current_user, now=now())
    except DomainError as error:
        db.session.rollback()
        venue = db.session.get(Venue, venue_id)
        _closure_errors(form, error)
        return _closures_page(venue, closure_form, suspend_form)
    ids = sorted(b.id for b in hit)
    if request.form.get("action") == "save" and expected_ids(form.expected.data) == ids:
        db.session.commit()
        _flash_closure(closure, len(ids))
        return redirect(url_for("hours.closures", venue_id=venue_id), 303)
    # A preview (or a save whose bookings changed since the preview): nothing is kept.
    db.session.rollback()
    hits = [Hit(b.id, b.start_at, b.end_at, b.booker.name,
                b.organization.name if b.organization else "", b.title, b.status.value)
            for b in bookings_hit_by(venue, start, end, now())]
    venue = db.session.get(Venue, venue_id)
    form.expected.data = ",".join(str(h.id) for h in hits)
    preview = {"form": form, "which": which, "start": start, "end": end, "reason": reason,
               "note": note, "hits": hits,
               "changed": request.form.get("action") == "save"}
    return _closures_page(venue, closure_form, suspend_form, preview=preview)


def _closure_errors(form, error: DomainError) -> None:
    fields = error.details.get("fields", {}) if isinstance(error, InvalidInput) else {}
    if not fields:
        flash(error.message, "danger")
        return
    for name in fields:
        if name == "end" and hasattr(form, "end_date"):
            form.end_date.errors = [*form.end_date.errors,
                                    _("The closure must end after it starts.")]
        elif name == "note":
            form.note.errors = [*form.note.errors, _("Use at most %(n)d characters.", n=500)]
        else:
            flash(error.message, "danger")


def _flash_closure(closure: Closure, cancelled: int) -> None:
    from ..templating import local_datetime

    zone = closure.venue.zone
    if closure.end_at is None:
        text = _("The venue is suspended from %(start)s until further notice.",
                 start=local_datetime(closure.start_at, zone))
    else:
        text = _("The venue is closed from %(start)s to %(end)s.",
                 start=local_datetime(closure.start_at, zone),
                 end=local_datetime(closure.end_at, zone))
    if cancelled:
        text += " " + ngettext(
            "%(num)d booking was cancelled and its booker notified.",
            "%(num)d bookings were cancelled and their bookers notified.", cancelled)
    flash(text, "success")


@bp.post("/manage/venues/<int:venue_id>/closures/<int:closure_id>/lift")
@login_required
def lift(venue_id: int, closure_id: int):
    """Reopen now: remove a closure that has not begun, end one that has."""
    venue = _managed_venue(venue_id)
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.venue_id != venue.id:
        abort(404)
    form = ButtonForm(prefix=f"lift{closure_id}")
    if not form.validate_on_submit():
        abort(400)
    suspension = closure.end_at is None
    kept = lift_closure(closure=closure, actor=current_user, now=now())
    db.session.commit()
    if kept is None:
        flash(_("The closure is removed."), "success")
    elif suspension:
        flash(_("The suspension is lifted: the venue is open again."), "success")
    else:
        flash(_("The closure has ended: the venue is open again."), "success")
    return redirect(url_for("hours.closures", venue_id=venue.id), 303)
