"""Template helpers shared by every page: local times in a venue's zone, language links."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import request, url_for
from flask_babel import get_locale

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


def _zone(zone: ZoneInfo | str | None) -> ZoneInfo:
    if zone is None:
        return DEFAULT_ZONE
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def local_datetime(instant: datetime | None, zone: ZoneInfo | str | None = None) -> str:
    """`2026-12-05 (Sat) 14:00` on the wall clock of `zone`, the weekday in the reader's
    language (numeric dates read the same in Chinese and English)."""
    if instant is None:
        return ""
    moment = instant.astimezone(_zone(zone))
    weekday = babel_dates.format_date(moment.date(), "EEE", locale=get_locale())
    return f"{moment:%Y-%m-%d} ({weekday}) {moment:%H:%M}"


def local_date(value: date | datetime | None, zone: ZoneInfo | str | None = None,
               format: str = "full") -> str:
    """A date (or the local date of an instant) with its weekday, in the reader's language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_zone(zone)).date()
    return babel_dates.format_date(value, format=format, locale=get_locale())


def local_range(start: datetime, end: datetime, zone: ZoneInfo | str | None = None) -> str:
    """`2026-12-05 (Sat) 14:00–16:00`, or both full instants when the range spans days."""
    zone = _zone(zone)
    first, last = start.astimezone(zone), end.astimezone(zone)
    if first.date() == last.date():
        return f"{local_datetime(first, zone)}–{last:%H:%M}"
    if last.time() == datetime.min.time() and (last - first).days < 1:
        return f"{local_datetime(first, zone)}–24:00"
    return f"{local_datetime(first, zone)} – {local_datetime(last, zone)}"


def url_with(**changes: Any) -> str:
    """The current page's URL with some query arguments changed (the language switch)."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        args[name] = [value]
    return url_for(request.endpoint or "venues.index", **(request.view_args or {}), **args)


def init_app(app) -> None:
    app.jinja_env.filters.update(local_datetime=local_datetime, local_date=local_date)
    app.jinja_env.globals.update(local_range=local_range, url_with=url_with)
