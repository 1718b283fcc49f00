"""Helpers of the openness tests: periods, direct booking rows for past states, logins."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

import gongjian.api.openness  # noqa: F401  (declares its routes before any app is built)
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.extensions import db
from gongjian.stats.periods import Period

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def insert_booking(*, venue, booker, start: datetime, end: datetime, status: str,
                   attendees: int = 5, created_at: datetime | None = None,
                   decided_at: datetime | None = None, rating: int | None = None,
                   organization_id: int | None = None) -> Booking:
    """A booking row in a past state, written directly (the lifecycle has already happened)."""
    created = created_at or start - timedelta(days=2)
    booking = Booking(
        venue=venue, booker=booker, organization_id=organization_id, title="活动",
        attendees=attendees, start_at=start, end_at=end, status=BookingStatus(status),
        created_at=created, updated_at=decided_at or created, decided_at=decided_at,
        decided_by_id=None, rating=rating,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def clock(app, monkeypatch):
    """Fix the app's clock (the presets read it) at the given instant."""
    def set_clock(instant: datetime) -> None:
        monkeypatch.setitem(app.config, "CLOCK", lambda: instant)
    return set_clock
