"""In-app notifications (通知) for booking transitions; e-mail comes with the scheduler's issue."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import Notification, unit_managers
from ..extensions import db
from .models import Booking


def _data(booking: Booking) -> dict:
    return {
        "title": booking.title,
        "venue": booking.venue.name,
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "reason": booking.reason,
    }


def notify(user_ids, kind: str, booking: Booking, *, now: datetime) -> None:
    data = _data(booking)
    for user_id in user_ids:
        db.session.add(Notification(user_id=user_id, kind=kind, booking_id=booking.id,
                                    data=data, created_at=now))


def notify_booker(booking: Booking, kind: str, *, now: datetime) -> None:
    notify([booking.booker_id], kind, booking, now=now)


def notify_managers(booking: Booking, kind: str, *, now: datetime) -> None:
    managers = db.session.scalars(
        sa.select(unit_managers.c.user_id).where(unit_managers.c.unit_id == booking.venue.unit_id)
    )
    notify(list(managers), kind, booking, now=now)
