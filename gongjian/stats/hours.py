"""Opening-hour arithmetic per weekly window (product.md §7 `open_hours` and its parts).

Each window is counted once per matching date by calendar arithmetic; only the few dates that
need it (the venue's first and last day, the edges of a closure, a daylight-saving change) are
expanded into instants. Dates fully inside a closure count nothing. All results are exact
(Fraction hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ..venues.holidays import special_days, windows_on
from ..venues.intervals import Interval, clip, local_instant, merge, subtract
from .periods import Period

EVENING_MINUTE = 18 * 60  # "after 18:00 local"
REST_DAYS = (5, 6)  # Saturday and Sunday
ONE_MICROSECOND = timedelta(microseconds=1)
HOUR = timedelta(hours=1)


class WindowRow(NamedTuple):  # a tuple: a district has tens of thousands of windows
    weekday: int
    start_minute: int
    end_minute: int
    valid_from: date
    valid_until: date | None


@dataclass
class OpenParts:
    """Open hours and their parts; `off_hours` is evening or rest-day (each hour once)."""

    open_hours: Fraction = Fraction(0)
    evening_hours: Fraction = Fraction(0)
    rest_day_hours: Fraction = Fraction(0)
    off_hours: Fraction = Fraction(0)

    @classmethod
    def from_microseconds(cls, parts: Sequence[int]) -> OpenParts:
        return cls(*(Fraction(value, 3_600_000_000) for value in parts))


def hours(delta: timedelta) -> Fraction:
    return Fraction(delta // ONE_MICROSECOND, 3_600_000_000)


def weekday_count(first: date, last: date, weekday: int) -> int:
    """How many dates in [first, last] fall on weekday (0 = Monday)."""
    if last < first:
        return 0
    full, rest = divmod((last - first).days + 1, 7)
    return full + (1 if (weekday - first.weekday()) % 7 < rest else 0)


@lru_cache(maxsize=256)
def irregular_days(zone_name: str, first: date, last: date) -> frozenset[date]:
    """Local dates whose length is not 24 h (a daylight-saving change) in the zone."""
    zone = ZoneInfo(zone_name)
    found = set()
    day = first
    offset = datetime.combine(day, time()).replace(tzinfo=zone).utcoffset()
    while day <= last:
        following = day + timedelta(days=1)
        next_offset = datetime.combine(following, time()).replace(tzinfo=zone).utcoffset()
        if next_offset != offset:
            found.add(day)
        day, offset = following, next_offset
    return frozenset(found)


def _merge_dates(ranges: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


@lru_cache(maxsize=4096)
def _window_parts(weekday: int, start_minute: int, end_minute: int) -> tuple[int, int, int, int]:
    """Microseconds of one occurrence on an ordinary (24 h) day: open, evening, rest day, off."""
    minute = 60_000_000
    length = (end_minute - start_minute) * minute
    evening = max(0, end_minute - max(start_minute, EVENING_MINUTE)) * minute
    rest = length if weekday in REST_DAYS else 0
    return length, evening, rest, rest or evening


def open_parts(**kwargs) -> OpenParts:
    """`open_microseconds` as exact hours."""
    return OpenParts.from_microseconds(open_microseconds(**kwargs))


def open_microseconds(
    *,
    zone: ZoneInfo,
    windows: Sequence[WindowRow],
    closures: Iterable[Interval],
    created_at: datetime,
    archived_at: datetime | None,
    period: Period,
    closed_on_holidays: bool = False,
) -> list[int]:
    """The venue's windows valid on each date of the period, clipped to the period and the
    venue's life (created_at … archived_at), minus every closure: microseconds open, in the
    evening, on rest days, and in the evening or on rest days. With `closed_on_holidays`,
    holidays and make-up working days take their windows from `venues.holidays.windows_on`."""
    period_start, period_end = period.bounds(zone)
    life_start = max(period_start, created_at)
    life_end = period_end if archived_at is None else min(period_end, archived_at)
    if life_start >= life_end or not windows:
        return [0, 0, 0, 0]
    first_day = life_start.astimezone(zone).date()
    last_day = (life_end - ONE_MICROSECOND).astimezone(zone).date()
    cuts = merge(clip(closures, life_start, life_end))

    # Dates that are not whole ordinary days: expanded into instants below.
    special = set()
    if life_start != local_instant(first_day, 0, zone):
        special.add(first_day)
    if life_end != local_instant(last_day, 1440, zone):
        special.add(last_day)
    closed: list[tuple[date, date]] = []
    for cut_start, cut_end in cuts:
        cut_first = cut_start.astimezone(zone).date()
        cut_last = (cut_end - ONE_MICROSECOND).astimezone(zone).date()
        whole_from, whole_to = cut_first, cut_last
        if cut_start != local_instant(cut_first, 0, zone):
            special.add(cut_first)
            whole_from += timedelta(days=1)
        if cut_end != local_instant(cut_last, 1440, zone):
            special.add(cut_last)
            whole_to -= timedelta(days=1)
        if whole_from <= whole_to:
            closed.append((whole_from, whole_to))  # dates closed from midnight to midnight
    special.update(irregular_days(zone.key, first_day, last_day))
    if closed_on_holidays:  # these dates do not follow the weekly count: expanded one by one
        special.update(special_days(first_day, last_day))
    irregular = _merge_dates([*closed, *((d, d) for d in special)])

    total = [0, 0, 0, 0]
    counts: dict[tuple[int, date, date | None], int] = {}  # windows of one day share theirs
    for w in windows:
        validity = (w.weekday, w.valid_from, w.valid_until)
        count = counts.get(validity)
        if count is None:
            count = counts[validity] = _ordinary_dates(w, first_day, last_day, irregular)
        if count:
            for i, part in enumerate(_window_parts(w.weekday, w.start_minute, w.end_minute)):
                total[i] += count * part

    exact = [timedelta(), timedelta(), timedelta(), timedelta()]
    for day in special:
        _add_exact_day(exact, day, zone, windows, cuts, life_start, life_end,
                       closed_on_holidays)
    return [t + e // ONE_MICROSECOND for t, e in zip(total, exact, strict=True)]


def _ordinary_dates(w: WindowRow, first_day: date, last_day: date,
                    irregular: list[tuple[date, date]]) -> int:
    """How many ordinary dates (not expanded into instants) of the window's weekday it is
    valid on."""
    first = max(first_day, w.valid_from)
    last = last_day if w.valid_until is None else min(last_day, w.valid_until)
    if first > last:
        return 0
    count = weekday_count(first, last, w.weekday)
    for skip_first, skip_last in irregular:
        if skip_last >= first and skip_first <= last:
            count -= weekday_count(max(skip_first, first), min(skip_last, last), w.weekday)
    return count


def _add_exact_day(totals: list[timedelta], day: date, zone: ZoneInfo,
                   windows: Sequence[WindowRow], cuts: list[Interval], life_start: datetime,
                   life_end: datetime, closed_on_holidays: bool = False) -> None:
    """One date expanded into instants: its windows clipped to the venue's life, minus cuts."""
    weekday = day.weekday()
    evening_start = local_instant(day, EVENING_MINUTE, zone)
    for w in windows_on(windows, day, observes_holidays=closed_on_holidays):
        start = local_instant(day, w.start_minute, zone)
        end = local_instant(day, w.end_minute, zone)
        pieces = subtract(clip([(start, end)], life_start, life_end), cuts)
        total = sum((e - s for s, e in pieces), timedelta())
        evening = sum((e - max(s, evening_start) for s, e in pieces if e > evening_start),
                      timedelta())
        totals[0] += total
        totals[1] += evening
        if weekday in REST_DAYS:
            totals[2] += total
            totals[3] += total
        else:
            totals[3] += evening
