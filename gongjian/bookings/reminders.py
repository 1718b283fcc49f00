"""Reminders before a booking starts, and the managers' daily digest of undecided requests.

Both are idempotent: a reminder is recorded in Booking.reminders_sent, a digest by the notice
itself (one per manager and local day), so running a job twice sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..accounts.models import Notification, Unit, unit_managers
from ..extensions import db
from ..venues.models import Venue
from .models import Booking, BookingStatus
from .notifications import DIGEST_KIND_NAME, add_notice, notify_booker

# (kind, lead): each confirmed booking is reminded once per kind, the nearer kind winning.
REMINDERS = (("2h", timedelta(hours=2)), ("24h", timedelta(hours=24)))
DIGEST_KIND = DIGEST_KIND_NAME
DIGEST_ITEMS = 20


def send_reminders(*, now: datetime) -> int:
    """Remind bookers 24 h and 2 h before a confirmed booking starts, each once.

    A booking made inside a reminder's lead time is not reminded of that kind (its booker just
    chose the time); one that is already within 2 h gets only the 2 h reminder.
    """
    longest = max(lead for _, lead in REMINDERS)
    due = db.session.scalars(
        sa.select(Booking).where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.start_at > now,
            Booking.start_at <= now + longest,
        ).order_by(Booking.start_at, Booking.id)
    )
    sent = 0
    for booking in due:
        done = list(booking.reminders_sent or [])
        new = []
        for kind, lead in REMINDERS:
            if booking.start_at - lead > now:
                continue  # not yet due
            if kind not in done and booking.created_at <= booking.start_at - lead:
                if not new:
                    notify_booker(booking, f"reminder_{kind}", now=now)
                    sent += 1
                new.append(kind)
            elif kind not in done:
                new.append(kind)  # skipped for good, so it is never sent late
        if new:
            # A core UPDATE: a reminder is no change of the booking (its revision, the ICS
            # SEQUENCE, stays).
            db.session.execute(
                sa.update(Booking.__table__).where(Booking.__table__.c.id == booking.id)
                .values(reminders_sent=done + new)
            )
    db.session.flush()
    db.session.expire_all()
    return sent


def _local_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def pending_requests(unit_id: int, now: datetime) -> list[dict]:
    """A unit's undecided requests that can still be decided; a series' occurrences as one."""
    rows = db.session.scalars(
        sa.select(Booking).join(Booking.venue).where(
            Venue.unit_id == unit_id,
            Booking.status == BookingStatus.PENDING,
            Booking.start_at > now,
        ).order_by(Booking.start_at, Booking.id)
    )
    items: list[dict] = []
    by_series: dict[int, dict] = {}
    for booking in rows:
        if booking.series_id is not None and booking.series_id in by_series:
            by_series[booking.series_id]["count"] += 1
            continue
        item = {"booking_id": booking.id, "series_id": booking.series_id,
                "title": booking.title, "venue": booking.venue.name,
                "booker": booking.booker.name, "start": booking.start_at.isoformat(),
                "timezone": booking.venue.timezone, "count": 1}
        if booking.series_id is not None:
            by_series[booking.series_id] = item
        items.append(item)
    return items


def send_digest(*, now: datetime, zone: str = "Asia/Shanghai") -> int:
    """Tell each manager, once a (local) day, about their units' requests still undecided."""
    day_start = _local_midnight(now, ZoneInfo(zone))
    already = set(db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == DIGEST_KIND,
                                               Notification.created_at >= day_start)
    ))
    pairs = db.session.execute(
        sa.select(unit_managers.c.user_id, Unit.id, Unit.name)
        .join(Unit, Unit.id == unit_managers.c.unit_id)
        .order_by(unit_managers.c.user_id, Unit.id)
    ).all()
    per_user: dict[int, list[dict]] = {}
    for user_id, unit_id, unit_name in pairs:
        if user_id in already:
            continue
        items = pending_requests(unit_id, now)
        if items:
            per_user.setdefault(user_id, []).append(
                {"unit_id": unit_id, "unit": unit_name, "count": len(items),
                 "items": items[:DIGEST_ITEMS]})
    for user_id, units in per_user.items():
        add_notice([user_id], DIGEST_KIND, booking_id=None,
                   data={"day": day_start.date().isoformat(), "units": units,
                         "count": sum(u["count"] for u in units)}, now=now)
    db.session.flush()
    return len(per_user)
