"""Mainland China's statutory holidays and make-up working days (调休), and the one rule that
turns a venue's weekly windows into the windows of a local date.

The calendar comes from the maintained `chinese_calendar` package (PyPI `chinesecalendar`), which
carries the State Council's yearly holiday arrangements; nothing is typed in by hand here.

What a venue with the switch "closed on statutory holidays, open on make-up working days" does
(`Venue.closed_on_holidays`; off by default, when the weekly timetable alone counts):

- **Statutory holiday** — every date of an arrangement's holiday block, the weekend days inside
  it included (Spring Festival 2025: 28 January to 4 February): the venue has no opening
  windows that local date.
- **Make-up working day** — a Saturday or Sunday the arrangement turns into a working day
  (Sunday 26 January and Saturday 8 February 2025): the venue opens with its *working-day*
  timetable instead of that weekend day's. The arrangements do not say which weekday a make-up
  day stands for, so the rule is fixed and visible in the editor: **the windows of Monday**
  valid on that date; if the timetable has none on Monday (a venue closed on Mondays), those of
  the first of Tuesday … Friday that has any. A venue open on no weekday stays closed.
- **Any other date** — the weekly timetable as it is.
- **A year the package has no data for** (e.g. the next year's arrangement is not published
  yet, or the installed package predates it): every date is ordinary; the hours editor says so,
  and upgrading the package brings the new year in.

Dates are the venue's local dates, whatever its time zone. Whether a date is a rest day for the
openness figures (§7 `rest_day_hours`) stays "Saturday or Sunday": that figure is defined by the
weekday, not by this calendar.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Protocol, TypeVar

import chinese_calendar

# Monday first, then the other working weekdays: where a make-up working day takes its windows.
WORKING_WEEKDAYS = (0, 1, 2, 3, 4)


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # 法定节假日: closed
    MAKEUP = "makeup"  # 调休上班: open with the working-day windows


class WeeklyWindow(Protocol):
    weekday: int
    start_minute: int
    end_minute: int
    valid_from: date
    valid_until: date | None


W = TypeVar("W", bound=WeeklyWindow)


@lru_cache(maxsize=1)
def _calendar() -> tuple[dict[date, DayKind], dict[date, str], tuple[date, ...], range]:
    """The package's dates read once: kind and festival name by date, the sorted dates, and
    the years it covers."""
    kinds: dict[date, DayKind] = {}
    names: dict[date, str] = {}
    for day, name in chinese_calendar.holidays.items():
        kinds[day], names[day] = DayKind.HOLIDAY, name
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # make-up working days are weekend days; nothing else changes
            kinds[day], names[day] = DayKind.MAKEUP, name
    years = [day.year for day in chinese_calendar.holidays]
    return kinds, names, tuple(sorted(kinds)), range(min(years), max(years) + 1)


def covered_years() -> range:
    """The years whose arrangement the installed package knows."""
    return _calendar()[3]


def is_known(day: date) -> bool:
    return day.year in covered_years()


def day_kind(day: date) -> DayKind | None:
    """HOLIDAY, MAKEUP, or None for an ordinary date (or one of a year without data)."""
    return _calendar()[0].get(day)


def festival(day: date) -> str:
    """The English name of the holiday a special date belongs to ("Spring Festival"), or ""."""
    return _calendar()[1].get(day, "")


def special_days(first: date, last: date) -> dict[date, DayKind]:
    """Every holiday and make-up working day from `first` to `last`, both inclusive."""
    kinds, _names, ordered, _years = _calendar()
    return {day: kinds[day]
            for day in ordered[bisect_left(ordered, first):bisect_right(ordered, last)]}


def _valid_on(window: WeeklyWindow, day: date) -> bool:
    return window.valid_from <= day and (window.valid_until is None or day <= window.valid_until)


def windows_on(windows: Iterable[W], day: date, *, observes_holidays: bool) -> list[W]:
    """The weekly windows that open the venue on local date `day` (module docstring: a
    statutory holiday has none, a make-up working day takes Monday's — or the first working
    weekday's — windows, every other date its own weekday's)."""
    kind = day_kind(day) if observes_holidays else None
    if kind is None:  # the common case, on every booking's path: keep it lean
        weekday = day.weekday()
        return [w for w in windows if w.weekday == weekday and _valid_on(w, day)]
    if kind is DayKind.HOLIDAY:
        return []
    valid = [w for w in windows if _valid_on(w, day)]
    for weekday in WORKING_WEEKDAYS:
        found = [w for w in valid if w.weekday == weekday]
        if found:
            return found
    return []


def makeup_weekday(windows: Sequence[WeeklyWindow], day: date) -> int | None:
    """Which weekday's windows a make-up working day opens with (None: it stays closed)."""
    for weekday in WORKING_WEEKDAYS:
        if any(w.weekday == weekday and _valid_on(w, day) for w in windows):
            return weekday
    return None
