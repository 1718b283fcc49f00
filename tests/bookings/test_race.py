"""Twenty people press "book" on one slot at once: exactly one gets it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from gongjian.accounts.models import User
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import create_booking, insert_booking
from gongjian.errors import DomainError
from gongjian.extensions import db

from ..factories import local

ATTEMPTS = 20


def test_twenty_concurrent_attempts_at_one_slot_give_one_booking(app, make, now):
    venue = make.venue()
    bookers = [make.user() for _ in range(ATTEMPTS)]
    make.commit()
    venue_id, booker_ids = venue.id, [u.id for u in bookers]
    start, end = local(2026, 12, 5, 14), local(2026, 12, 5, 16)
    barrier = threading.Barrier(ATTEMPTS, timeout=30)

    def attempt(booker_id: int) -> str:
        with app.app_context():
            booker = db.session.get(User, booker_id)
            barrier.wait()
            try:
                create_booking(venue_id=venue_id, booker=booker, start=start, end=end,
                               title="篮球友谊赛", attendees=10, now=now)
                db.session.commit()
                return "created"
            except DomainError as error:
                db.session.rollback()
                return error.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        outcomes = list(pool.map(attempt, booker_ids))

    assert sorted(outcomes) == ["conflict"] * (ATTEMPTS - 1) + ["created"]
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Booking).where(Booking.venue_id == venue_id)).all()
    assert [(b.status, b.start_at, b.end_at) for b in rows] == [
        (BookingStatus.CONFIRMED, start, end)
    ]


def test_overlapping_slots_racing_also_give_one_booking(app, make, now):
    """Different but overlapping requests (14–16, 15–17, …) race: one wins, none overlap."""
    venue = make.venue()
    bookers = [make.user() for _ in range(8)]
    make.commit()
    venue_id, booker_ids = venue.id, [u.id for u in bookers]
    barrier = threading.Barrier(len(bookers), timeout=30)

    def attempt(index: int) -> str:
        with app.app_context():
            booker = db.session.get(User, booker_ids[index])
            start = local(2026, 12, 5, 14) + timedelta(minutes=30 * (index % 4))
            barrier.wait()
            try:
                create_booking(venue_id=venue_id, booker=booker, start=start,
                               end=start + timedelta(hours=2), title="排练",
                               attendees=5, now=now)
                db.session.commit()
                return "created"
            except DomainError as error:
                db.session.rollback()
                return error.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(bookers)) as pool:
        outcomes = list(pool.map(attempt, range(len(bookers))))

    assert outcomes.count("created") == 1
    assert outcomes.count("conflict") == len(bookers) - 1


def test_database_backstop_refuses_an_overlap_the_service_did_not_see(app, make, now):
    venue = make.venue()
    booker = make.user()
    make.booking(venue=venue, booker=booker, start=local(2026, 12, 5, 14),
                 end=local(2026, 12, 5, 16))
    make.commit()
    sneaky = Booking(venue_id=venue.id, booker_id=booker.id, title="绕过检查", attendees=1,
                     start_at=local(2026, 12, 5, 15), end_at=local(2026, 12, 5, 17),
                     status=BookingStatus.PENDING, created_at=now, updated_at=now)
    with pytest.raises(DomainError) as raised:
        insert_booking(sneaky)
    assert raised.value.code == "conflict"
    db.session.rollback()


def test_backstop_allows_back_to_back_and_inactive_overlaps(app, make, now):
    venue = make.venue()
    booker = make.user()
    make.booking(venue=venue, booker=booker, start=local(2026, 12, 5, 14),
                 end=local(2026, 12, 5, 16))
    make.commit()
    rows = [
        (local(2026, 12, 5, 16), local(2026, 12, 5, 18), BookingStatus.CONFIRMED),
        (local(2026, 12, 5, 15), local(2026, 12, 5, 17), BookingStatus.CANCELLED),
        (local(2026, 12, 5, 12), local(2026, 12, 5, 14), BookingStatus.PENDING),
    ]
    for start, end, status in rows:
        db.session.add(Booking(venue_id=venue.id, booker_id=booker.id, title="背靠背",
                               attendees=1, start_at=start, end_at=end, status=status,
                               created_at=now, updated_at=now))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 4


def test_reactivating_an_overlapping_booking_is_refused_by_the_backstop(app, make, now):
    venue = make.venue()
    booker = make.user()
    make.booking(venue=venue, booker=booker, start=local(2026, 12, 5, 14),
                 end=local(2026, 12, 5, 16))
    old = Booking(venue_id=venue.id, booker_id=booker.id, title="旧", attendees=1,
                  start_at=local(2026, 12, 5, 15), end_at=local(2026, 12, 5, 17),
                  status=BookingStatus.CANCELLED, created_at=now, updated_at=now)
    db.session.add(old)
    make.commit()
    old.status = BookingStatus.CONFIRMED
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
