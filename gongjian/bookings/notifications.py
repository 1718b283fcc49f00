"""In-app notifications (通知) for booking transitions, reminders and digests.

Each notice is a Notification row (kind + data); its text is rendered in the reader's language
when shown or e-mailed (gongjian/mail.py sends them after the transaction commits).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import Domain

from ..accounts.models import Notification, unit_managers
from ..extensions import db
from .models import Booking, Series

# Series operations run the single-booking transitions occurrence by occurrence but tell
# people once about the whole series: while this is set, per-booking notices are dropped.
_suppressed: ContextVar[bool] = ContextVar("gongjian_notices_suppressed", default=False)


@contextmanager
def notices_suppressed() -> Iterator[None]:
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _data(booking: Booking) -> dict:
    return {
        "title": booking.title,
        "venue": booking.venue.name,
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "reason": booking.reason,
        "timezone": booking.venue.timezone,
    }


# The notices a unit's managers get about its bookings (the unit desk's panel).
UNIT_NOTICE_KINDS = ("booking_requested", "booking_created", "booking_cancelled",
                     "series_requested", "series_created", "series_cancelled", "pending_digest")


def add_notice(user_ids, kind: str, *, booking_id: int | None, data: dict,
               now: datetime) -> None:
    """Insert one notice per recipient (a plain insert: it sits on every booking's hot path)."""
    rows = [{"user_id": user_id, "kind": kind, "booking_id": booking_id, "data": data,
             "created_at": now} for user_id in dict.fromkeys(user_ids)]
    if rows:
        db.session.connection().execute(Notification.__table__.insert(), rows)


def mark_notifications_read(*, user, now: datetime,
                            notification_ids: Sequence[int] | None = None) -> int:
    """Mark the user's unread notices read (all, or only those among `notification_ids`);
    answers how many changed. Other users' notices are never touched."""
    query = sa.update(Notification).where(Notification.user_id == user.id,
                                          Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(list(notification_ids)))
    result = db.session.execute(query.values(read_at=now).execution_options(
        synchronize_session="fetch"))
    return result.rowcount or 0


def notify(user_ids, kind: str, booking: Booking, *, now: datetime) -> None:
    if _suppressed.get():
        return
    add_notice(user_ids, kind, booking_id=booking.id, data=_data(booking), now=now)


_MANAGERS_QUERY = sa.select(unit_managers.c.user_id).where(
    unit_managers.c.unit_id == sa.bindparam("unit_id"))


def manager_ids(unit_id: int) -> list[int]:
    return list(db.session.connection().scalars(_MANAGERS_QUERY, {"unit_id": unit_id}))


def notify_booker(booking: Booking, kind: str, *, now: datetime) -> None:
    notify([booking.booker_id], kind, booking, now=now)


@functools.cache
def _notify_managers_statement() -> sa.Insert:
    notices = Notification.__table__
    columns = ("kind", "booking_id", "data", "created_at")
    managers = sa.select(
        unit_managers.c.user_id,
        *(sa.bindparam(name, type_=notices.c[name].type) for name in columns),
    ).where(unit_managers.c.unit_id == sa.bindparam("unit_id"))
    return notices.insert().from_select(["user_id", *columns], managers)


def notify_managers(booking: Booking, kind: str, *, now: datetime) -> None:
    """One notice to each manager of the venue's unit, in one statement (every booking that is
    made or requested sends them)."""
    if _suppressed.get():
        return
    db.session.connection().execute(_notify_managers_statement(), {
        "unit_id": booking.venue.unit_id, "kind": kind, "booking_id": booking.id,
        "data": _data(booking), "created_at": now})


def _series_data(series: Series, bookings: Sequence[Booking]) -> dict:
    first = min(bookings, key=lambda b: b.start_at) if bookings else None
    last = max(bookings, key=lambda b: b.start_at) if bookings else None
    return {
        "series_id": series.id,
        "title": series.title,
        "venue": series.venue.name,
        "timezone": series.venue.timezone,
        "count": len(bookings),
        "start": first.start_at.isoformat() if first else None,
        "end": first.end_at.isoformat() if first else None,
        "last_start": last.start_at.isoformat() if last else None,
        "reason": first.reason if first else "",
    }


def _series_notice(user_ids, series: Series, bookings: Sequence[Booking], kind: str,
                   now: datetime) -> None:
    if not bookings:
        return
    first = min(bookings, key=lambda b: b.start_at)
    add_notice(user_ids, kind, booking_id=first.id, data=_series_data(series, bookings), now=now)


def notify_series_booker(series: Series, bookings: Sequence[Booking], kind: str, *,
                         now: datetime) -> None:
    """One notice to the series' booker about several of its occurrences."""
    _series_notice([series.booker_id], series, bookings, kind, now)


def notify_series_managers(series: Series, bookings: Sequence[Booking], kind: str, *,
                           now: datetime) -> None:
    """One notice to each manager of the venue's unit about several occurrences."""
    _series_notice(manager_ids(series.venue.unit_id), series, bookings, kind, now)


# Rendering, in the reader's language ------------------------------------------------------

HERE = Path(__file__).resolve().parent
# The notices carry their own catalog (like the feeds'), so their Chinese text does not wait on
# the application's main catalog.
NOTICES_DOMAIN = Domain(translation_directories=[str(HERE / "translations")], domain="notices")
_ = NOTICES_DOMAIN.gettext

SUBJECTS = {
    "booking_requested": "New booking request: {title}",
    "booking_created": "New booking: {title}",
    "booking_approved": "Your booking was approved: {title}",
    "booking_rejected": "Your booking was rejected: {title}",
    "booking_cancelled": "A booking was cancelled: {title}",
    "booking_cancelled_by_manager": "Your booking was cancelled by the venue: {title}",
    "booking_expired": "Your request expired undecided: {title}",
    "booking_completed": "Booking completed: {title}",
    "booking_no_show": "Recorded as a no-show: {title}",
    "reminder_24h": "Reminder: {title} starts in 24 hours",
    "reminder_2h": "Reminder: {title} starts in 2 hours",
    "series_requested": "New recurring booking request: {title} ({count} dates)",
    "series_created": "New recurring booking: {title} ({count} dates)",
    "series_approved": "Your recurring booking was approved: {title} ({count} dates)",
    "series_rejected": "Your recurring booking was rejected: {title} ({count} dates)",
    "series_cancelled": "A recurring booking was cancelled: {title} ({count} dates)",
    "series_cancelled_by_manager":
        "Your recurring booking was cancelled by the venue: {title} ({count} dates)",
    "pending_digest": "{count} booking requests await your decision",
}


def _when(data: dict, key: str = "start", end_key: str | None = "end") -> str:
    if not data.get(key):
        return ""
    zone = ZoneInfo(data.get("timezone") or "Asia/Shanghai")
    start = datetime.fromisoformat(data[key]).astimezone(zone)
    text = start.strftime("%Y-%m-%d %H:%M")
    if end_key and data.get(end_key):
        text += "–" + datetime.fromisoformat(data[end_key]).astimezone(zone).strftime("%H:%M")
    return text


def render_notice(kind: str, data: dict) -> tuple[str, list[str]]:
    """A notice's subject and body lines in the current locale (use flask_babel.force_locale)."""
    values = {"title": data.get("title", ""), "count": data.get("count", 0)}
    subject = _(SUBJECTS.get(kind, "Gongjian notice")).format(**values)
    lines: list[str] = []
    if kind == DIGEST_KIND_NAME:
        for unit in data.get("units", []):
            lines.append(_("{unit}: {count} requests").format(unit=unit["unit"],
                                                             count=unit["count"]))
            for item in unit.get("items", []):
                line = f"  {_when(item, end_key=None)} {item['venue']} — {item['title']}"
                line += f" ({item.get('booker', '')})"
                if item.get("series_id"):
                    line += " " + _("(recurring, {count} dates)").format(count=item["count"])
                lines.append(line)
        return subject, lines
    if data.get("venue"):
        lines.append(_("Venue: {venue}").format(venue=data["venue"]))
    if data.get("start"):
        lines.append(_("Time: {when}").format(when=_when(data)))
    if data.get("last_start") and data.get("count", 0) > 1:
        lines.append(_("Last date: {when}").format(when=_when(data, "last_start", None)))
    if data.get("reason"):
        lines.append(_("Reason: {reason}").format(reason=data["reason"]))
    return subject, lines


DIGEST_KIND_NAME = "pending_digest"
