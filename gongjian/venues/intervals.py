"""Half-open interval arithmetic over aware instants, and weekly windows expanded to instants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join intervals that overlap or touch."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(base: Sequence[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """base minus cuts; base must be merged, the result is merged."""
    result: list[Interval] = []
    cut_list = merge(cuts)
    for start, end in base:
        cursor = start
        for cut_start, cut_end in cut_list:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def overlapping(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The intervals that overlap [start, end), whole."""
    return [(s, e) for s, e in intervals if s < end and e > start]


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in overlapping(intervals, start, end)]


def covers(intervals: Sequence[Interval], start: datetime, end: datetime) -> bool:
    """Whether one of the (merged) intervals contains [start, end) whole."""
    return any(s <= start and end <= e for s, e in intervals)


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `minute` minutes after local midnight of `day` (1440 = next midnight)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def local_dates(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    """Every local date that [start, end) touches in zone."""
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def minutes_since_local_midnight(instant: datetime, zone: ZoneInfo) -> float:
    local = instant.astimezone(zone)
    midnight = datetime.combine(local.date(), time()).replace(tzinfo=zone)
    return (local - midnight).total_seconds() / 60


def format_hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_hhmm(text: str, *, allow_24: bool = False) -> int:
    """'HH:MM' → minutes after midnight; '24:00' only where allowed (an end)."""
    hours, sep, minutes = text.partition(":")
    digits = hours + minutes
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (
        digits.isascii() and digits.isdigit()
    ):
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 1440 or (value == 1440 and not allow_24):
        raise ValueError(text)
    return value
