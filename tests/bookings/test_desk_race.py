"""Bulk approval racing the booker's cancellation of one of the requests ends consistent.

Two threads, each with its own app context (so its own session and connection), start together:
the manager approves five requests in turn (gongjian.bookings.desk.approve_in_turn, what the
"Approve selected" button runs), while the booker of one of them (the first, second or third:
the earlier, the likelier the approval wins) cancels it — and, told the booking "was changed
meanwhile", tries again as the page asks. Whatever the interleaving, the
contested booking ends cancelled, either never approved or approved and then cancelled, with a
revision and audit trail that say exactly that; the other four are approved.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification, User
from gongjian.audit import AuditEvent
from gongjian.bookings.desk import approve_in_turn
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import cancel_booking
from gongjian.errors import DomainError
from gongjian.extensions import db

from ..factories import local

ROUNDS = 6
CONTESTED = 2  # in the forced orders: the third of five requests


def trail(booking_id: int) -> list[tuple[str, str | None]]:
    rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.after).where(
        AuditEvent.object_type == "bookings", AuditEvent.object_id == booking_id,
    ).order_by(AuditEvent.id))
    return [(action, (after or {}).get("status")) for action, after in rows]


def notice_kinds(booking_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(
        Notification.booking_id == booking_id).order_by(Notification.id)))


def requests(make, venue, round_number: int) -> tuple[list[int], list[int]]:
    bookers = [make.user(name="申请人") for _ in range(5)]
    day = 3 + round_number
    bookings = [make.booking(venue=venue, booker=booker, title=f"活动{round_number}-{i}",
                             start=local(2026, 12, day, 8 + 2 * i),
                             end=local(2026, 12, day, 9 + 2 * i))
                for i, booker in enumerate(bookers)]
    make.commit()
    return [b.id for b in bookings], [u.id for u in bookers]


def race(app, now, manager_id, booking_ids, booker_id, contested):
    barrier = threading.Barrier(2, timeout=30)

    def approve_all():
        with app.app_context():
            try:
                manager = db.session.get(User, manager_id)
                barrier.wait()
                return approve_in_turn(booking_ids, actor=manager, moment=now)
            finally:
                db.session.remove()

    def cancel_mine():
        with app.app_context():
            try:
                barrier.wait()
                codes = []
                for _attempt in range(10):
                    booker = db.session.get(User, booker_id)
                    booking = db.session.get(Booking, contested)
                    try:
                        cancel_booking(booking=booking, actor=booker, now=now)
                        db.session.commit()
                        return [*codes, "cancelled"]
                    except DomainError as error:
                        db.session.rollback()
                        codes.append(error.code)
                        if error.code != "stale":
                            return codes
                return codes
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        approving = pool.submit(approve_all)
        cancelling = pool.submit(cancel_mine)
        return approving.result(timeout=60), cancelling.result(timeout=60)


def check_consistent(outcome, cancelling, booking_ids, manager_id, contested):
    others = [i for i in booking_ids if i != contested]
    assert cancelling[-1] == "cancelled"
    assert set(cancelling[:-1]) <= {"stale"}
    assert sorted(outcome.approved + outcome.not_pending) == sorted(booking_ids)
    assert outcome.refused == []
    assert set(others) <= set(outcome.approved)
    db.session.expire_all()
    for booking_id in others:
        booking = db.session.get(Booking, booking_id)
        assert (booking.status, booking.revision, booking.decided_by_id) == (
            BookingStatus.CONFIRMED, 1, manager_id)
        assert trail(booking_id) == [("booking.create", "pending"),
                                     ("booking.approve", "confirmed")]
    booking = db.session.get(Booking, contested)
    assert booking.status == BookingStatus.CANCELLED
    if contested in outcome.approved:  # approved, then cancelled by its booker
        assert booking.revision == 2
        assert booking.decided_by_id == manager_id and booking.decided_at is not None
        assert trail(contested) == [("booking.create", "pending"),
                                    ("booking.approve", "confirmed"),
                                    ("booking.cancel", "cancelled")]
        assert notice_kinds(contested).count("booking_approved") == 1
    else:  # cancelled while still a request: never approved
        assert booking.revision == 1
        assert booking.decided_by_id is None and booking.decided_at is None
        assert trail(contested) == [("booking.create", "pending"),
                                    ("booking.cancel", "cancelled")]
        assert "booking_approved" not in notice_kinds(contested)
    assert notice_kinds(contested).count("booking_cancelled") == 1
    return "approved first" if contested in outcome.approved else "cancelled first"


def test_bulk_approval_racing_a_cancellation_ends_consistent(app, make, now):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_approval=True)
    make.commit()
    manager_id = manager.id
    orders = []
    for round_number in range(ROUNDS):
        booking_ids, booker_ids = requests(make, venue, round_number)
        position = round_number % 3
        outcome, cancelling = race(app, now, manager_id, booking_ids, booker_ids[position],
                                   booking_ids[position])
        orders.append(check_consistent(outcome, cancelling, booking_ids, manager_id,
                                       booking_ids[position]))
    assert set(orders) <= {"approved first", "cancelled first"}


@pytest.mark.parametrize("first", ["approve", "cancel"])
def test_either_order_in_turn_ends_the_same_way_as_the_race(app, make, now, first):
    """The two interleavings the race may produce, forced one after the other."""
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_approval=True)
    booking_ids, booker_ids = requests(make, venue, 0)
    booker = db.session.get(User, booker_ids[CONTESTED])
    contested = db.session.get(Booking, booking_ids[CONTESTED])
    if first == "cancel":
        cancel_booking(booking=contested, actor=booker, now=now)
        db.session.commit()
    outcome = approve_in_turn(booking_ids, actor=manager, moment=now + timedelta(seconds=1))
    if first == "approve":
        cancel_booking(booking=db.session.get(Booking, contested.id), actor=booker,
                       now=now + timedelta(seconds=2))
        db.session.commit()
    order = check_consistent(outcome, ["cancelled"], booking_ids, manager.id, contested.id)
    assert order == ("approved first" if first == "approve" else "cancelled first")
    assert (len(outcome.approved), len(outcome.not_pending)) == (
        (5, 0) if first == "approve" else (4, 1))
