"""Forms of the hours editor and the closures page (gongjian/venues/hours_views.py).

Shape only: times read as "HH:MM" (also "9:00", "1800" and the full-width colon a Chinese
keyboard types), dates as YYYY-MM-DD, required fields. Every rule — windows within one day, no
overlap, the end after the start — is the services'; `window_message` words what they refuse,
on the row it concerns.

The weekly grid is a plain form whose field names say where each value sits, so it works
without JavaScript (each day shows blank rows to fill) and the editor's script can add rows by
the same pattern:

    t<i>-from, t<i>-until             validity of timetable i (dates; "until" may be empty)
    t<i>-d<weekday>-<row>-start/-end  one window of that weekday (weekday 0 = Monday)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from .baselines import BASELINES, DEFAULT_BASELINE, WEEKDAY_NAMES, BaselineResult
from .intervals import format_hhmm, parse_hhmm
from .models import ClosureReason, OpeningHours
from .services import Window

DAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
             _l("Saturday"), _l("Sunday"))
CLOSURE_REASONS = {
    ClosureReason.MAINTENANCE.value: _l("Maintenance"),
    ClosureReason.EVENT.value: _l("Event of the unit"),
    ClosureReason.HOLIDAY.value: _l("Holiday"),
    ClosureReason.SUSPENSION.value: _l("Suspension (暂停开放)"),
}
NOTE_MAX = 500
MIN_ROWS = 2  # rows shown per day without JavaScript (the filled ones, then blanks)
MAX_TIMETABLES = 20
MAX_ROWS_PER_DAY = 24
FIELD_NAME = re.compile(r"t(\d{1,2})-(?:(from|until)|d([0-6])-(\d{1,2})-(start|end))")
TIME_SHAPES = re.compile(r"(\d{1,2})[:：.](\d{2})|(\d{2})(\d{2})")


def read_time(text: str, *, allow_24: bool = True) -> int:
    """Minutes after midnight from "HH:MM" (also "9:00", "0900", "18：00"); ValueError else."""
    found = TIME_SHAPES.fullmatch(text.strip())
    if not found:
        raise ValueError(text)
    hours, minutes = (found.group(1), found.group(2)) if found.group(1) else (
        found.group(3), found.group(4))
    return parse_hhmm(f"{int(hours):02d}:{minutes}", allow_24=allow_24)


def read_date(text: str) -> date:
    return date.fromisoformat(text.strip())


# The weekly grid --------------------------------------------------------------------------


@dataclass
class Row:
    start: str = ""
    end: str = ""
    start_error: str = ""
    end_error: str = ""
    error: str = ""  # about the window as a whole (overlap)

    @property
    def blank(self) -> bool:
        return not self.start.strip() and not self.end.strip()

    @property
    def messages(self) -> list[str]:
        return [m for m in (self.start_error, self.end_error, self.error) if m]


@dataclass
class Timetable:
    index: int
    valid_from: str = ""
    valid_until: str = ""
    days: list[list[Row]] = field(default_factory=lambda: [[] for _ in range(7)])
    errors: dict[str, str] = field(default_factory=dict)  # "from" / "until" → message
    result: BaselineResult | None = None
    new: bool = False  # the blank timetable offered for a new season

    @property
    def blank(self) -> bool:
        return (not self.valid_from.strip() and not self.valid_until.strip()
                and all(row.blank for rows in self.days for row in rows))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.messages for rows in self.days for row in rows)

    def window_count(self) -> int:
        return sum(1 for rows in self.days for row in rows if not row.blank)

    def padded(self) -> Timetable:
        """With blank rows to type into: at least MIN_ROWS a day and always one blank."""
        for rows in self.days:
            while len(rows) < MIN_ROWS or not rows or not rows[-1].blank:
                rows.append(Row())
        return self

    def state(self, today: date) -> str:
        """"current", "upcoming" or "ended" as of today (unreadable dates: "current")."""
        try:
            first = read_date(self.valid_from)
            last = read_date(self.valid_until) if self.valid_until.strip() else None
        except ValueError:
            return "current"
        if first > today:
            return "upcoming"
        if last is not None and last < today:
            return "ended"
        return "current"

    def weekly(self) -> list[tuple[int, int, int]]:
        """The readable windows as (weekday, start, end), for the baseline check."""
        found = []
        for weekday, rows in enumerate(self.days):
            for row in rows:
                try:
                    found.append((weekday, read_time(row.start), read_time(row.end)))
                except ValueError:
                    continue
        return found


@dataclass
class Grid:
    timetables: list[Timetable]
    windows: list[Window] = field(default_factory=list)
    # Where each of `windows` was typed: (timetable position, weekday, row position).
    positions: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(t.has_errors for t in self.timetables)

    def row(self, window_index: int) -> Row:
        t, d, r = self.positions[window_index]
        return self.timetables[t].days[d][r]

    def timetable_of(self, window_index: int) -> Timetable:
        return self.timetables[self.positions[window_index][0]]

    def error_count(self) -> int:
        return sum(len(t.errors) + sum(len(row.messages) for rows in t.days for row in rows)
                   for t in self.timetables)

    def for_display(self) -> Grid:
        """The timetables as the page shows them: blank rows added and one blank new timetable
        at the end."""
        shown = [t.padded() for t in self.timetables]
        taken = {t.index for t in shown}
        index = next(i for i in range(MAX_TIMETABLES + 1) if i not in taken)
        shown.append(Timetable(index=index, new=True).padded())
        return Grid(shown, self.windows, self.positions)


def grid_from_hours(hours: Sequence[OpeningHours]) -> Grid:
    """The saved windows as timetables, one per validity (from, until), by first date."""
    groups: dict[tuple[date, date | None], list[OpeningHours]] = {}
    for w in hours:
        groups.setdefault((w.valid_from, w.valid_until), []).append(w)
    order = sorted(groups, key=lambda k: (k[0], k[1] or date.max))
    timetables = []
    for i, key in enumerate(order):
        t = Timetable(index=i, valid_from=key[0].isoformat(),
                      valid_until=key[1].isoformat() if key[1] else "")
        for w in sorted(groups[key], key=lambda w: (w.weekday, w.start_minute)):
            t.days[w.weekday].append(Row(format_hhmm(w.start_minute), format_hhmm(w.end_minute)))
        timetables.append(t)
    return Grid(timetables)


def grid_from_form(form: Mapping[str, str]) -> Grid:
    """The typed grid, with the shape errors on their rows and the readable windows listed in
    the order the service will see them."""
    found: dict[int, Timetable] = {}
    cells: dict[tuple[int, int, int], Row] = {}
    for name in form:
        match = FIELD_NAME.fullmatch(name)
        if not match:
            continue
        i = int(match.group(1))
        if i >= MAX_TIMETABLES:
            continue
        t = found.setdefault(i, Timetable(index=i))
        value = str(form.get(name, ""))[:40]
        if match.group(2) == "from":
            t.valid_from = value
        elif match.group(2) == "until":
            t.valid_until = value
        else:
            weekday, position = int(match.group(3)), int(match.group(4))
            if position >= MAX_ROWS_PER_DAY:
                continue
            row = cells.setdefault((i, weekday, position), Row())
            setattr(row, match.group(5), value)
    for (i, weekday, _position), row in sorted(cells.items()):
        found[i].days[weekday].append(row)
    timetables = [t for _i, t in sorted(found.items()) if not t.blank]
    grid = Grid(timetables)
    for position, t in enumerate(timetables):
        for rows in t.days:
            rows[:] = [row for row in rows if not row.blank]
        first, last = _read_validity(t)
        for weekday, rows in enumerate(t.days):
            for r, row in enumerate(rows):
                start, end = _read_row(row)
                if start is None or end is None or first is None or last is False:
                    continue
                grid.windows.append(Window(weekday, start, end, first, last))
                grid.positions.append((position, weekday, r))
    return grid


def _read_validity(t: Timetable) -> tuple[date | None, date | None | bool]:
    """(valid_from, valid_until) of a timetable; None / False where unreadable (error set)."""
    first: date | None = None
    last: date | None | bool = None
    if not t.valid_from.strip():
        if t.window_count():
            t.errors["from"] = _("Give the first date this timetable applies.")
    else:
        try:
            first = read_date(t.valid_from)
        except ValueError:
            t.errors["from"] = _("Enter a date like 2026-05-01.")
    if t.valid_until.strip():
        try:
            last = read_date(t.valid_until)
        except ValueError:
            t.errors["until"] = _("Enter a date like 2026-09-30, or leave it empty.")
            last = False
    return first, last


def _read_row(row: Row) -> tuple[int | None, int | None]:
    values: list[int | None] = []
    for name in ("start", "end"):
        text = getattr(row, name).strip()
        if not text:
            setattr(row, f"{name}_error", _("Give both the opening and the closing time."))
            values.append(None)
            continue
        try:
            values.append(read_time(text))
        except ValueError:
            setattr(row, f"{name}_error", _("Write a time from 00:00 to 24:00 as HH:MM."))
            values.append(None)
    return values[0], values[1]


def window_message(field_name: str, code: str, window: Window) -> str:
    """What the service's refusal of one window means, in the words of the editor."""
    if field_name == "end" and code == "not_after_start":
        if window.end_minute < window.start_minute:
            return _("A window cannot cross midnight: split it as %(start)s–24:00 and "
                     "00:00–%(end)s on the next day.", start=format_hhmm(window.start_minute),
                     end=format_hhmm(window.end_minute))
        return _("The closing time must be after the opening time.")
    if field_name == "start" and code == "out_of_range":
        return _("A window cannot open at 24:00; the day’s last window closes at 24:00.")
    if field_name == "end" and code == "out_of_range":
        return _("Write midnight at the end of a day as 24:00.")
    if field_name == "valid_until" and code == "before_valid_from":
        return _("The last date cannot be before the first date.")
    return _("Not a valid value.")


def overlap_message(weekday: int, other: Window) -> str:
    return _("This window overlaps %(start)s–%(end)s on %(day)s; windows of one day may touch "
             "but not overlap.", start=format_hhmm(other.start_minute),
             end=format_hhmm(other.end_minute), day=DAY_NAMES[weekday])


# Flask-WTF forms ---------------------------------------------------------------------------


def baseline_choices() -> list[SelectChoice]:
    return [SelectChoice(key, str(b.title)) for key, b in BASELINES.items()]


class HoursForm(FlaskForm):
    """The grid's CSRF token and the baseline it is checked against (the grid itself is read by
    `grid_from_form`)."""

    baseline = SelectField(_l("Check against"), choices=baseline_choices,
                           default=DEFAULT_BASELINE, validate_choice=False)

    def baseline_key(self) -> str:
        return self.baseline.data if self.baseline.data in BASELINES else DEFAULT_BASELINE


class VenueChoiceField(SelectMultipleField):
    def pre_validate(self, form) -> None:
        offered = {choice.value for choice in self.choices}
        if any(value not in offered for value in self.data or ()):
            raise ValidationError(_("Choose venues from the list: only the venues you manage "
                                    "can be given this timetable."))


class CopyForm(FlaskForm):
    targets = VenueChoiceField(
        _l("Venues to give this timetable"), coerce=int,
        validators=[InputRequired(message=_l("Choose at least one venue."))])


class HolidaysForm(FlaskForm):
    closed_on_holidays = BooleanField(
        _l("Closed on statutory holidays, open on make-up working days (调休)"))


class ButtonForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class TimeField(StringField):
    """A local time as HH:MM; 24:00 (midnight at the day's end) only where `allow_24`."""

    def __init__(self, *args, allow_24: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.allow_24 = allow_24
        self.minute: int | None = None

    def pre_validate(self, form) -> None:
        self.minute = None
        if not (self.data or "").strip():
            return
        try:
            self.minute = read_time(self.data, allow_24=self.allow_24)
        except ValueError:
            upper = "24:00" if self.allow_24 else "23:59"
            raise ValidationError(_("Write a time from 00:00 to %(upper)s as HH:MM.",
                                    upper=upper)) from None


def _date_field(label):
    return DateField(label, validators=[InputRequired(message=_l("Enter a date."))],
                     render_kw={"autocomplete": "off"})


def _note_field(label):
    return TextAreaField(label, validators=[
        DataRequired(message=_l("Say why: the bookers read it.")),
        Length(max=NOTE_MAX, message=_l("Use at most %(n)d characters.", n=NOTE_MAX))],
        render_kw={"rows": 2, "maxlength": NOTE_MAX})


TIME_KW = {"autocomplete": "off", "placeholder": "HH:MM", "maxlength": 5, "size": 5}


class ClosureForm(FlaskForm):
    """Close the venue for a period: from a local date and time to another."""

    start_date = _date_field(_l("First day"))
    start_time = TimeField(_l("From"), default="00:00", render_kw=TIME_KW,
                           validators=[InputRequired(message=_l("Enter a time."))])
    end_date = _date_field(_l("Last day"))
    end_time = TimeField(_l("Until"), default="24:00", allow_24=True, render_kw=TIME_KW,
                         validators=[InputRequired(message=_l("Enter a time."))])
    reason = SelectField(_l("Reason"), choices=lambda: [SelectChoice(code, str(label)) for
                                                        code, label in CLOSURE_REASONS.items()],
                         default=ClosureReason.MAINTENANCE.value)
    note = _note_field(_l("What bookers are told"))
    expected = HiddenField()


class SuspendForm(FlaskForm):
    """Suspend the venue (暂停开放) from a local date and time until further notice."""

    start_date = _date_field(_l("From (date)"))
    start_time = TimeField(_l("From (time)"), render_kw=TIME_KW,
                           validators=[InputRequired(message=_l("Enter a time."))])
    note = _note_field(_l("Why the venue is suspended (bookers are told)"))
    expected = HiddenField()


def expected_ids(text: str | None) -> list[int]:
    """The booking ids a preview listed ("3,5,8"); anything unreadable counts as none."""
    ids = []
    for part in (text or "").split(","):
        if part.strip().isdigit():
            ids.append(int(part.strip()))
    return sorted(ids)


def weekday_name(weekday: int) -> str:
    return str(DAY_NAMES[weekday])


def weekday_short(weekday: int) -> str:
    return str(WEEKDAY_NAMES[weekday])
