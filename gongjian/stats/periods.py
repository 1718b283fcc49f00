"""Periods of the openness figures (product.md §7): local dates, both inclusive.

A period is a pair of calendar dates; each venue turns it into instants in its own time zone
(local midnight of the first date to local midnight after the last). Presets are computed from
today's date in the district's default zone, read from an injectable clock.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from ..db import utcnow
from ..errors import InvalidInput

PRESETS = ("this_month", "last_month", "quarter", "h1", "h2", "year", "last_full_month",
           "year_to_date")
LONGEST_PERIOD_DAYS = 3 * 366 + 1  # a bound on what one request may ask for


@dataclass(frozen=True, order=True)
class Period:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period ends on or after its first date")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[local midnight of the first date, local midnight after the last date) in UTC."""
        start = datetime.combine(self.first, time()).replace(tzinfo=zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time()).replace(
            tzinfo=zone).astimezone(UTC)
        return start, end

    def months(self) -> Iterator[Period]:
        """The calendar months the period touches, each clipped to the period."""
        cursor = self.first.replace(day=1)
        while cursor <= self.last:
            following = _next_month(cursor)
            yield Period(max(cursor, self.first), min(following - timedelta(days=1), self.last))
            cursor = following

    def overlap_days(self, first: date, last: date | None) -> int:
        """How many dates of [first, last] (last None: open-ended) lie in the period."""
        start = max(first, self.first)
        end = self.last if last is None else min(last, self.last)
        return max(0, (end - start).days + 1)

    def __str__(self) -> str:
        return f"{self.first.isoformat()}/{self.last.isoformat()}"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    return Period(first, _next_month(first) - timedelta(days=1))


def now() -> datetime:
    """The current instant: the app's CLOCK (a callable) if set, else gongjian.clock, else UTC."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if callable(clock):
            return clock()
    if importlib.util.find_spec("gongjian.clock") is not None:
        from .. import clock

        return clock.now()
    return utcnow()


def today(zone: ZoneInfo | None = None) -> date:
    if zone is None:
        name = current_app.config.get("DEFAULT_TIMEZONE", "Asia/Shanghai") if (
            has_app_context()) else "Asia/Shanghai"
        zone = ZoneInfo(name)
    return now().astimezone(zone).date()


def preset(name: str, on: date) -> Period:
    """A named period relative to the date `on`."""
    year = on.year
    if name == "this_month":
        return month_of(on)
    if name in ("last_month", "last_full_month"):
        return month_of(on.replace(day=1) - timedelta(days=1))
    if name == "quarter":
        first_month = (on.month - 1) // 3 * 3 + 1
        first = date(year, first_month, 1)
        return Period(first, _next_month(_next_month(_next_month(first))) - timedelta(days=1))
    if name == "h1":
        return Period(date(year, 1, 1), date(year, 6, 30))
    if name == "h2":
        return Period(date(year, 7, 1), date(year, 12, 31))
    if name == "year":
        return Period(date(year, 1, 1), date(year, 12, 31))
    if name == "year_to_date":
        return Period(date(year, 1, 1), on)
    raise ValueError(name)


def parse_date(text: str | None, field: str) -> date:
    if not text:
        raise InvalidInput({field: "required"})
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput({field: "invalid_date"}) from None


def parse_period(first: str | None, last: str | None, *, from_field: str = "from",
                 to_field: str = "to") -> Period:
    """`from` and `to` as YYYY-MM-DD, both inclusive; errors name the field (422)."""
    errors: dict[str, str] = {}
    dates: dict[str, date] = {}
    for field, text in ((from_field, first), (to_field, last)):
        try:
            dates[field] = parse_date(text, field)
        except InvalidInput as exc:
            errors.update(exc.details["fields"])
    if not errors and dates[to_field] < dates[from_field]:
        errors[to_field] = "before_from"
    elif not errors and (dates[to_field] - dates[from_field]).days >= LONGEST_PERIOD_DAYS:
        errors[to_field] = "range_too_long"
    if errors:
        raise InvalidInput(errors)
    return Period(dates[from_field], dates[to_field])


def resolve(args, *, default: str = "year", on: date | None = None) -> tuple[Period, str]:
    """The period a page asks for: ?from=&to= (both dates), else ?period=<preset>.

    Answers the period and the preset name ("custom" for explicit dates).
    """
    if args.get("from") or args.get("to"):
        return parse_period(args.get("from"), args.get("to")), "custom"
    name = args.get("period") or default
    if name not in PRESETS:
        raise InvalidInput({"period": "invalid"})
    return preset(name, on or today()), name
