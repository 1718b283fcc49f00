"""Every transition of product.md §6: who may make it, when, and what it leaves behind.

Each transition is checked for the status it gives, its timestamps, the revision (0 at
creation, +1 on every change), its audit event and the notices it sends. The usual booking
is Saturday 5 December 2026, 14:00–16:00 Shanghai, made at NOW (Tuesday 1 December, 10:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification, User
from gongjian.audit import AuditEvent
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import (
    apply_no_show_rule,
    approve_booking,
    cancel_booking,
    check_in_booking,
    close_venue,
    complete_booking,
    complete_past,
    create_booking,
    expire_booking,
    expire_pending,
    mark_no_show,
    mark_no_shows,
    rate_booking,
    reject_booking,
    release_no_show,
)
from gongjian.errors import DomainError
from gongjian.extensions import db
from gongjian.venues.models import Closure, Venue

from ..factories import local

START, END = local(2026, 12, 5, 14), local(2026, 12, 5, 16)
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

PENDING, CONFIRMED = BookingStatus.PENDING, BookingStatus.CONFIRMED
REJECTED, CANCELLED = BookingStatus.REJECTED, BookingStatus.CANCELLED
EXPIRED, COMPLETED, NO_SHOW = BookingStatus.EXPIRED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW


@dataclass
class Scene:
    venue: Venue
    manager: User
    booker: User
    booking: Booking


def scene(make, *, approval: bool = False, start: datetime = START, end: datetime = END,
          **settings) -> Scene:
    """A venue with one manager, and one booking on it by a resident."""
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_approval=approval,
                       **settings)
    booker = make.user()
    booking = make.booking(venue=venue, booker=booker, start=start, end=end)
    assert booking.status == (PENDING if approval else CONFIRMED)
    assert booking.revision == 0
    return Scene(venue, manager, booker, booking)


def refusal(action, **arguments) -> DomainError:
    with pytest.raises(DomainError) as raised:
        action(**arguments)
    return raised.value


def reread(booking: Booking) -> Booking:
    """The booking as the database holds it."""
    db.session.flush()
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def trail(booking: Booking) -> list[tuple]:
    """(action, actor id, status before, status after) of each audit event of the booking."""
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "bookings",
                                    AuditEvent.object_id == booking.id)
        .order_by(AuditEvent.id))
    return [(e.action, e.actor_id, (e.before or {}).get("status"), (e.after or {}).get("status"))
            for e in events]


def notices(booking: Booking) -> list[tuple[str, int]]:
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.booking_id == booking.id)
        .order_by(Notification.id))
    return [(n.kind, n.user_id) for n in rows]


def unchanged(booking: Booking, status: BookingStatus, revision: int = 0) -> None:
    booking = reread(booking)
    assert (booking.status, booking.revision) == (status, revision)


def test_a_new_booking_comes_back_whole_and_as_the_database_holds_it(app, make, now):
    """create_booking hands back every column of the new row without reading it again, with
    the values the database stored (defaults included)."""
    venue, booker = make.venue(), make.user()
    make.commit()
    booking = create_booking(venue_id=venue.id, booker=booker, start=START, end=END,
                             title="周末羽毛球", attendees=4, now=now)
    columns = [attribute.key for attribute in sa.inspect(Booking).column_attrs]
    assert set(columns) <= set(sa.inspect(booking).dict)
    handed_back = {name: getattr(booking, name) for name in columns}
    stored = reread(booking)
    assert {name: getattr(stored, name) for name in columns} == handed_back
    assert handed_back["status"] == CONFIRMED and handed_back["reminders_sent"] == []
    assert booking.venue is stored.venue


# pending → confirmed -------------------------------------------------------------------------


def test_a_manager_approves_a_pending_request(app, make, now):
    s = scene(make, approval=True)
    at = now + HOUR
    approve_booking(booking=s.booking, actor=s.manager, now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision) == (CONFIRMED, 1)
    assert (booking.decided_at, booking.decided_by_id, booking.updated_at) == (at, s.manager.id,
                                                                               at)
    assert (booking.created_at, booking.cancelled_at, booking.reason) == (now, None, "")
    assert trail(booking) == [("booking.create", s.booker.id, None, "pending"),
                              ("booking.approve", s.manager.id, "pending", "confirmed")]
    assert notices(booking) == [("booking_requested", s.manager.id),
                                ("booking_approved", s.booker.id)]


def test_a_district_admin_approves_for_any_unit(app, make, now):
    s = scene(make, approval=True)
    admin = make.user(is_admin=True)
    approve_booking(booking=s.booking, actor=admin, now=now)
    booking = reread(s.booking)
    assert (booking.status, booking.decided_by_id) == (CONFIRMED, admin.id)


@pytest.mark.parametrize("who", ["other_unit_manager", "booker", "resident", "nobody"])
def test_nobody_else_may_approve(app, make, now, who):
    s = scene(make, approval=True)
    actor = {
        "other_unit_manager": lambda: make.unit(managers=(make.user(),)).managers[0],
        "booker": lambda: s.booker,
        "resident": make.user,
        "nobody": lambda: None,
    }[who]()
    error = refusal(approve_booking, booking=s.booking, actor=actor, now=now)
    assert (error.code, error.status) == ("forbidden", 403)
    unchanged(s.booking, PENDING)
    assert [a for a, *_ in trail(s.booking)] == ["booking.create"]


@pytest.mark.parametrize(("at", "ok"), [(START - MINUTE, True), (START, False),
                                        (START + HOUR, False)])
def test_approval_only_before_the_start(app, make, at, ok):
    s = scene(make, approval=True)
    if ok:
        approve_booking(booking=s.booking, actor=s.manager, now=at)
        unchanged(s.booking, CONFIRMED, 1)
    else:
        error = refusal(approve_booking, booking=s.booking, actor=s.manager, now=at)
        assert (error.code, error.status) == ("invalid_transition", 409)
        unchanged(s.booking, PENDING)


@pytest.mark.parametrize("approval", [False, True], ids=["confirmed", "rejected"])
def test_only_a_pending_request_can_be_approved(app, make, now, approval):
    s = scene(make, approval=approval)
    if approval:
        reject_booking(booking=s.booking, actor=s.manager, reason="已满", now=now)
    error = refusal(approve_booking, booking=s.booking, actor=s.manager, now=now)
    status = "rejected" if approval else "confirmed"
    assert (error.code, error.violations[0].params) == ("invalid_transition", {"status": status})


# pending → rejected --------------------------------------------------------------------------


def test_a_manager_rejects_with_a_reason(app, make, now):
    s = scene(make, approval=True)
    at = now + HOUR
    reject_booking(booking=s.booking, actor=s.manager, reason="  当天有区级会议  ", now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.reason) == (REJECTED, 1, "当天有区级会议")
    assert (booking.decided_at, booking.decided_by_id, booking.updated_at) == (at, s.manager.id,
                                                                               at)
    assert trail(booking)[1:] == [("booking.reject", s.manager.id, "pending", "rejected")]
    assert notices(booking)[1:] == [("booking_rejected", s.booker.id)]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_rejecting_needs_a_reason(app, make, now, reason):
    s = scene(make, approval=True)
    error = refusal(reject_booking, booking=s.booking, actor=s.manager, reason=reason, now=now)
    assert (error.code, error.status) == ("reason_required", 422)
    unchanged(s.booking, PENDING)


def test_a_reason_longer_than_500_characters_is_invalid_input(app, make, now):
    s = scene(make, approval=True)
    error = refusal(reject_booking, booking=s.booking, actor=s.manager, reason="因" * 501,
                    now=now)
    assert (error.code, error.details) == ("invalid_input", {"fields": {"reason": "too_long"}})
    unchanged(s.booking, PENDING)


def test_a_manager_of_another_unit_cannot_reject(app, make, now):
    s = scene(make, approval=True)
    stranger = make.user()
    make.unit(managers=(stranger,))
    error = refusal(reject_booking, booking=s.booking, actor=stranger, reason="不行", now=now)
    assert error.code == "forbidden"
    unchanged(s.booking, PENDING)


# pending → cancelled -------------------------------------------------------------------------


def test_the_booker_withdraws_a_pending_request_without_a_reason(app, make, now):
    s = scene(make, approval=True)
    at = now + HOUR
    cancel_booking(booking=s.booking, actor=s.booker, now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.reason) == (CANCELLED, 1, "")
    assert (booking.cancelled_at, booking.cancelled_by_id, booking.updated_at) == (
        at, s.booker.id, at)
    assert (booking.decided_at, booking.late_cancellation) == (None, False)
    assert trail(booking)[1:] == [("booking.cancel", s.booker.id, "pending", "cancelled")]
    # The managers who would have decided are told.
    assert notices(booking) == [("booking_requested", s.manager.id),
                                ("booking_cancelled", s.manager.id)]


def test_a_manager_cancels_a_pending_request_with_a_reason(app, make, now):
    s = scene(make, approval=True)
    cancel_booking(booking=s.booking, actor=s.manager, reason="场地改作投票站", now=now)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.reason) == (CANCELLED, 1, "场地改作投票站")
    assert (booking.cancelled_at, booking.cancelled_by_id) == (now, s.manager.id)
    assert trail(booking)[1:] == [("booking.cancel", s.manager.id, "pending", "cancelled")]
    assert notices(booking)[1:] == [("booking_cancelled_by_manager", s.booker.id)]


@pytest.mark.parametrize("approval", [True, False], ids=["pending", "confirmed"])
def test_a_manager_cancels_only_with_a_reason(app, make, now, approval):
    s = scene(make, approval=approval)
    error = refusal(cancel_booking, booking=s.booking, actor=s.manager, reason=" ", now=now)
    assert (error.code, error.status) == ("reason_required", 422)
    unchanged(s.booking, PENDING if approval else CONFIRMED)


@pytest.mark.parametrize("approval", [True, False], ids=["pending", "confirmed"])
def test_strangers_cannot_cancel(app, make, now, approval):
    s = scene(make, approval=approval)
    outsider = make.user()
    make.unit(managers=(outsider,))
    error = refusal(cancel_booking, booking=s.booking, actor=outsider, reason="我说的", now=now)
    assert error.code == "forbidden"
    unchanged(s.booking, PENDING if approval else CONFIRMED)


# pending → expired ---------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "ok"), [(START - MINUTE, False), (START, True),
                                        (START + HOUR, True)])
def test_an_undecided_request_expires_at_its_start(app, make, at, ok):
    s = scene(make, approval=True)
    if not ok:
        assert refusal(expire_booking, booking=s.booking, now=at).code == "invalid_transition"
        unchanged(s.booking, PENDING)
        return
    expire_booking(booking=s.booking, now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.updated_at) == (EXPIRED, 1, at)
    assert (booking.decided_at, booking.cancelled_at) == (None, None)
    assert trail(booking)[1:] == [("booking.expire", None, "pending", "expired")]
    assert notices(booking)[1:] == [("booking_expired", s.booker.id)]


def test_expire_pending_expires_exactly_the_undecided_requests_that_have_started(app, make,
                                                                                 now):
    s = scene(make, approval=True)
    later = make.booking(venue=s.venue, start=START + 3 * HOUR, end=START + 4 * HOUR)
    approved = make.booking(venue=s.venue, start=START - 3 * HOUR, end=START - 2 * HOUR)
    approve_booking(booking=approved, actor=s.manager, now=now)
    elsewhere = make.booking(venue=make.venue(), start=START - HOUR, end=START)  # confirmed
    assert expire_pending(now=START) == 1
    assert [reread(b).status for b in (s.booking, later, approved, elsewhere)] == [
        EXPIRED, PENDING, CONFIRMED, CONFIRMED]
    # Run again: nothing more to do, nothing written twice.
    assert expire_pending(now=START) == 0
    assert expire_pending(now=START + MINUTE) == 0
    assert reread(s.booking).revision == 1
    assert [a for a, *_ in trail(s.booking)] == ["booking.create", "booking.expire"]
    assert [k for k, _ in notices(s.booking)] == ["booking_requested", "booking_expired"]


# confirmed → cancelled -----------------------------------------------------------------------


@pytest.mark.parametrize(("before_start", "late"), [
    (3 * DAY, False),
    (121 * MINUTE, False),
    (120 * MINUTE, False),  # exactly at the deadline: still in time
    (119 * MINUTE, True),
    (MINUTE, True),
])
def test_the_booker_cancels_before_the_start_late_inside_the_deadline(app, make, before_start,
                                                                      late):
    s = scene(make)
    at = START - before_start
    cancel_booking(booking=s.booking, actor=s.booker, now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.late_cancellation) == (CANCELLED, 1, late)
    assert (booking.cancelled_at, booking.cancelled_by_id, booking.updated_at) == (
        at, s.booker.id, at)
    assert trail(booking)[1:] == [("booking.cancel", s.booker.id, "confirmed", "cancelled")]
    assert notices(booking) == [("booking_created", s.manager.id),
                                ("booking_cancelled", s.manager.id)]


def test_the_cancel_deadline_follows_the_venue_setting(app, make):
    s = scene(make, cancel_deadline_minutes=24 * 60)
    cancel_booking(booking=s.booking, actor=s.booker, now=START - 23 * HOUR)
    assert reread(s.booking).late_cancellation is True


@pytest.mark.parametrize("at", [START, START + HOUR, END + HOUR])
def test_the_booker_cannot_cancel_a_confirmed_booking_once_it_has_started(app, make, at):
    s = scene(make)
    error = refusal(cancel_booking, booking=s.booking, actor=s.booker, now=at)
    assert (error.code, error.violations[0].params) == ("invalid_transition",
                                                        {"status": "confirmed"})
    unchanged(s.booking, CONFIRMED)


@pytest.mark.parametrize("at", [START - DAY, START, END - MINUTE])
def test_a_manager_cancels_a_confirmed_booking_before_its_end(app, make, at):
    s = scene(make)
    cancel_booking(booking=s.booking, actor=s.manager, reason="突发停电", now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.reason) == (CANCELLED, 1, "突发停电")
    assert (booking.cancelled_at, booking.cancelled_by_id) == (at, s.manager.id)
    assert booking.late_cancellation is False  # lateness is the booker's
    assert trail(booking)[1:] == [("booking.cancel", s.manager.id, "confirmed", "cancelled")]
    assert notices(booking)[1:] == [("booking_cancelled_by_manager", s.booker.id)]


@pytest.mark.parametrize("at", [END, END + DAY])
def test_nobody_cancels_a_booking_that_has_ended(app, make, at):
    s = scene(make)
    error = refusal(cancel_booking, booking=s.booking, actor=s.manager, reason="补录", now=at)
    assert error.code == "invalid_transition"
    unchanged(s.booking, CONFIRMED)


def test_a_cancelled_booking_cannot_be_cancelled_again(app, make, now):
    s = scene(make)
    cancel_booking(booking=s.booking, actor=s.booker, now=now)
    error = refusal(cancel_booking, booking=s.booking, actor=s.booker, now=now)
    assert (error.code, error.violations[0].params) == ("invalid_transition",
                                                        {"status": "cancelled"})
    unchanged(s.booking, CANCELLED, 1)


# confirmed → completed -----------------------------------------------------------------------


def test_a_booking_completes_at_its_end_when_check_in_is_not_required(app, make):
    s = scene(make)
    assert refusal(complete_booking, booking=s.booking, now=END - MINUTE).code == (
        "invalid_transition")
    complete_booking(booking=s.booking, now=END)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.updated_at) == (COMPLETED, 1, END)
    assert trail(booking)[1:] == [("booking.complete", None, "confirmed", "completed")]
    assert notices(booking)[1:] == [("booking_completed", s.booker.id)]


def test_where_check_in_is_required_only_a_checked_in_booking_completes(app, make):
    s = scene(make, requires_check_in=True)
    other = make.booking(venue=s.venue, start=END, end=END + HOUR)
    check_in_booking(booking=s.booking, actor=s.booker, now=START)
    complete_booking(booking=s.booking, now=END)
    assert refusal(complete_booking, booking=other, now=END + HOUR).code == "invalid_transition"
    unchanged(s.booking, COMPLETED, 2)  # check-in, then completion
    unchanged(other, CONFIRMED)


def test_complete_past_completes_exactly_the_bookings_due(app, make, now):
    s = scene(make)
    running = make.booking(venue=s.venue, start=END, end=END + HOUR)
    pending = make.booking(venue=make.venue(requires_approval=True), start=START, end=END)
    checking = make.venue(requires_check_in=True)
    arrived = make.booking(venue=checking, start=START, end=END)
    absent = make.booking(venue=checking, start=END, end=END + HOUR)
    check_in_booking(booking=arrived, actor=arrived.booker, now=START)
    assert complete_past(now=END) == 2
    assert [reread(b).status for b in (s.booking, running, pending, arrived, absent)] == [
        COMPLETED, CONFIRMED, PENDING, COMPLETED, CONFIRMED]
    assert complete_past(now=END) == 0  # idempotent
    assert complete_past(now=END + HOUR) == 1  # `running` has ended; `absent` never arrived
    assert [reread(b).status for b in (running, absent)] == [COMPLETED, CONFIRMED]
    assert [a for a, *_ in trail(s.booking)] == ["booking.create", "booking.complete"]


# confirmed → no_show -------------------------------------------------------------------------


def test_mark_no_shows_releases_bookings_nobody_checked_in_to_by_start_plus_15(app, make):
    s = scene(make, requires_check_in=True)
    arrived = make.booking(venue=s.venue, start=END, end=END + HOUR)
    relaxed = make.booking(venue=make.venue(), start=START, end=END)
    check_in_booking(booking=arrived, actor=arrived.booker, now=END)
    assert mark_no_shows(now=START + 14 * MINUTE) == 0
    assert mark_no_shows(now=START + 15 * MINUTE) == 1
    booking = reread(s.booking)
    assert (booking.status, booking.revision) == (NO_SHOW, 1)
    assert booking.updated_at == START + 15 * MINUTE
    assert trail(booking)[1:] == [("booking.no_show", None, "confirmed", "no_show")]
    assert notices(booking)[1:] == [("booking_no_show", s.booker.id)]
    assert mark_no_shows(now=END + HOUR) == 0  # idempotent; the arrival and the relaxed venue
    assert [reread(b).status for b in (arrived, relaxed)] == [CONFIRMED, CONFIRMED]


def test_a_released_no_show_frees_the_rest_of_its_slot(app, make):
    s = scene(make, requires_check_in=True, min_notice_minutes=0)
    at = START + 15 * MINUTE
    rest = {"venue_id": s.venue.id, "booker": make.user(), "start": START + 30 * MINUTE,
            "end": END, "title": "临时篮球赛", "attendees": 8, "now": at}
    assert refusal(create_booking, **rest).code == "conflict"
    assert mark_no_shows(now=at) == 1
    taken = create_booking(**rest)
    assert (taken.status, taken.start_at, taken.end_at) == (CONFIRMED, START + 30 * MINUTE,
                                                            END)


@pytest.mark.parametrize(("at", "ok"), [
    (START + 14 * MINUTE, False),
    (START + 15 * MINUTE, True),
    (END + HOUR, True),
    (END + 48 * HOUR, True),
    (END + 48 * HOUR + MINUTE, False),
])
def test_a_manager_marks_a_no_show_up_to_48_hours_after_the_end(app, make, at, ok):
    s = scene(make)
    if not ok:
        error = refusal(mark_no_show, booking=s.booking, actor=s.manager, now=at)
        assert error.code == "invalid_transition"
        unchanged(s.booking, CONFIRMED)
        return
    mark_no_show(booking=s.booking, actor=s.manager, now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.updated_at) == (NO_SHOW, 1, at)
    assert trail(booking)[1:] == [("booking.no_show", s.manager.id, "confirmed", "no_show")]
    assert notices(booking)[1:] == [("booking_no_show", s.booker.id)]


def test_a_manager_marks_a_no_show_after_the_booking_completed_automatically(app, make):
    s = scene(make)
    assert complete_past(now=END) == 1
    mark_no_show(booking=s.booking, actor=s.manager, now=END + DAY)
    booking = reread(s.booking)
    assert (booking.status, booking.revision) == (NO_SHOW, 2)
    assert trail(booking)[2:] == [("booking.no_show", s.manager.id, "completed", "no_show")]


def test_a_checked_in_booking_is_never_a_no_show(app, make):
    s = scene(make)
    check_in_booking(booking=s.booking, actor=s.booker, now=START)
    error = refusal(mark_no_show, booking=s.booking, actor=s.manager, now=END)
    assert error.code == "invalid_transition"
    complete_booking(booking=s.booking, now=END)
    error = refusal(mark_no_show, booking=s.booking, actor=s.manager, now=END + HOUR)
    assert error.code == "invalid_transition"
    unchanged(s.booking, COMPLETED, 2)


@pytest.mark.parametrize("who", ["other_unit_manager", "booker"])
def test_only_a_manager_of_the_unit_marks_a_no_show(app, make, who):
    s = scene(make)
    actor = s.booker if who == "booker" else make.unit(managers=(make.user(),)).managers[0]
    assert refusal(mark_no_show, booking=s.booking, actor=actor, now=END).code == "forbidden"
    unchanged(s.booking, CONFIRMED)


def test_release_no_show_refuses_where_check_in_is_not_required(app, make):
    s = scene(make)
    error = refusal(release_no_show, booking=s.booking, now=START + HOUR)
    assert error.code == "invalid_transition"
    unchanged(s.booking, CONFIRMED)


# Check-in ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("check_in", "at", "ok"), [
    (False, START - 16 * MINUTE, False),
    (False, START - 15 * MINUTE, True),
    (False, END - MINUTE, True),
    (False, END, False),
    (True, START - 15 * MINUTE, True),
    (True, START + 14 * MINUTE, True),
    (True, START + 15 * MINUTE, False),
])
def test_check_in_opens_15_minutes_before_the_start(app, make, check_in, at, ok):
    s = scene(make, requires_check_in=check_in)
    if not ok:
        error = refusal(check_in_booking, booking=s.booking, actor=s.booker, now=at)
        assert (error.code, error.status) == ("check_in_not_open", 422)
        unchanged(s.booking, CONFIRMED)
        return
    check_in_booking(booking=s.booking, actor=s.booker, now=at)
    booking = reread(s.booking)
    assert (booking.status, booking.revision, booking.checked_in_at) == (CONFIRMED, 1, at)
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "booking.check_in")).all()
    assert [(e.object_id, e.actor_id, e.before, e.after) for e in events] == [
        (booking.id, s.booker.id, {"checked_in_at": None},
         {"checked_in_at": at.astimezone(UTC).isoformat()})]


@pytest.mark.parametrize("who", ["booker", "manager", "member"])
def test_the_booker_a_manager_or_a_member_of_the_organization_checks_in(app, make, who):
    manager, booker, member = make.user(), make.user(), make.user()
    org = make.organization(members=(booker, member))
    venue = make.venue(unit=make.unit(managers=(manager,)))
    booking = make.booking(venue=venue, booker=booker, organization_id=org.id, start=START,
                           end=END)
    actor = {"booker": booker, "manager": manager, "member": member}[who]
    check_in_booking(booking=booking, actor=actor, now=START)
    assert reread(booking).checked_in_at == START


def test_a_stranger_cannot_check_in(app, make):
    s = scene(make)
    error = refusal(check_in_booking, booking=s.booking, actor=make.user(), now=START)
    assert error.code == "forbidden"
    unchanged(s.booking, CONFIRMED)


def test_a_pending_request_cannot_be_checked_in(app, make):
    s = scene(make, approval=True)
    error = refusal(check_in_booking, booking=s.booking, actor=s.booker, now=START - MINUTE)
    assert error.code == "invalid_transition"


# Rating --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 5])
def test_the_booker_rates_a_completed_booking(app, make, rating):
    s = scene(make)
    complete_booking(booking=s.booking, now=END)
    at = END + DAY
    rate_booking(booking=s.booking, actor=s.booker, rating=rating, comment=" 场地干净 ", now=at)
    booking = reread(s.booking)
    assert (booking.rating, booking.rating_comment, booking.rated_at) == (rating, "场地干净", at)
    assert (booking.status, booking.revision) == (COMPLETED, 2)
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "booking.rate")).one()
    assert (event.object_id, event.actor_id, event.after) == (
        booking.id, s.booker.id, {"rating": rating, "rating_comment": "场地干净"})


@pytest.mark.parametrize("rating", [0, 6, -1, "5", 4.5, True, None])
def test_a_rating_outside_1_to_5_is_invalid_input(app, make, rating):
    s = scene(make)
    complete_booking(booking=s.booking, now=END)
    error = refusal(rate_booking, booking=s.booking, actor=s.booker, rating=rating, now=END)
    assert (error.code, error.details) == ("invalid_input", {"fields": {"rating": "out_of_range"}})
    booking = reread(s.booking)
    assert (booking.rating, booking.revision) == (None, 1)


def test_only_the_booker_rates(app, make):
    s = scene(make)
    complete_booking(booking=s.booking, now=END)
    error = refusal(rate_booking, booking=s.booking, actor=s.manager, rating=5, now=END)
    assert error.code == "forbidden"
    assert reread(s.booking).rating is None


@pytest.mark.parametrize("outcome", ["confirmed", "cancelled", "no_show"])
def test_only_a_completed_booking_is_rated(app, make, now, outcome):
    s = scene(make)
    if outcome == "cancelled":
        cancel_booking(booking=s.booking, actor=s.booker, now=now)
    elif outcome == "no_show":
        mark_no_show(booking=s.booking, actor=s.manager, now=END)
    error = refusal(rate_booking, booking=s.booking, actor=s.booker, rating=4, now=END + HOUR)
    assert (error.code, error.violations[0].params) == ("invalid_transition",
                                                        {"status": outcome})


# Two decisions racing on one booking -----------------------------------------------------------

DECISIONS = {
    "approve": lambda booking, users, at: approve_booking(booking=booking, actor=users["manager"],
                                                          now=at),
    "reject": lambda booking, users, at: reject_booking(booking=booking, actor=users["manager"],
                                                        reason="名额已满", now=at),
    "cancel": lambda booking, users, at: cancel_booking(booking=booking, actor=users["booker"],
                                                        now=at),
}
OUTCOME = {"approve": ("booking.approve", CONFIRMED), "reject": ("booking.reject", REJECTED),
           "cancel": ("booking.cancel", CANCELLED)}


@pytest.mark.parametrize(("first", "second"), [("approve", "cancel"), ("cancel", "approve"),
                                               ("reject", "cancel"), ("approve", "reject")])
def test_a_decision_on_a_booking_changed_meanwhile_is_stale(app, make, now, first, second):
    s = scene(make, approval=True)
    second_manager = make.user(name="联络员")
    s.venue.unit.managers.append(second_manager)
    make.commit()
    booking_id = s.booking.id
    ids = {"manager": s.manager.id, "booker": s.booker.id, "second_manager": second_manager.id}

    def users() -> dict[str, User]:
        return {name: db.session.get(User, user_id) for name, user_id in ids.items()}

    with app.app_context():  # the slow request: reads the booking first
        slow = db.session.get(Booking, booking_id)
        assert (slow.status, slow.revision) == (PENDING, 0)
        with app.app_context():  # the fast request: reads, decides and commits meanwhile
            fast = db.session.get(Booking, booking_id)
            DECISIONS[first](fast, users(), now)
            db.session.commit()
        slow_users = users()
        slow_users["manager"] = slow_users["second_manager"]
        with pytest.raises(DomainError) as raised:
            DECISIONS[second](slow, slow_users, now + MINUTE)
        assert (raised.value.code, raised.value.status) == ("stale", 409)
        db.session.rollback()

    action, status = OUTCOME[first]
    booking = reread(s.booking)
    assert (booking.status, booking.revision) == (status, 1)
    assert [a for a, *_ in trail(booking)] == ["booking.create", action]
    # The winner's notices only.
    told = {"approve": [("booking_approved", s.booker.id)],
            "reject": [("booking_rejected", s.booker.id)],
            "cancel": [("booking_cancelled", s.manager.id),
                       ("booking_cancelled", second_manager.id)]}[first]
    assert sorted(notices(booking)) == sorted([("booking_requested", s.manager.id), *told])


# Closures cancel what they hit -----------------------------------------------------------------


def test_closing_a_venue_cancels_exactly_the_bookings_it_hits(app, make, now):
    s = scene(make, approval=True, start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 16))
    venue, manager = s.venue, s.manager
    hit_confirmed = s.booking
    approve_booking(booking=hit_confirmed, actor=manager, now=now)

    def book(hour: int, until: int) -> Booking:
        return make.booking(venue=venue, start=local(2026, 12, 5, hour),
                            end=local(2026, 12, 5, until))

    hit_pending = book(17, 19)
    before = book(13, 14)  # ends as the closure starts
    after = book(19, 21)  # starts as the closure ends
    gone = book(16, 17)
    cancel_booking(booking=gone, actor=gone.booker, now=now)
    other_venue = make.booking(venue=make.venue(), start=local(2026, 12, 5, 15),
                               end=local(2026, 12, 5, 18))
    ended = make.booking(venue=venue, start=local(2026, 11, 30, 15), end=local(2026, 11, 30, 16),
                         now=now - 2 * DAY)
    approve_booking(booking=ended, actor=manager, now=now - 2 * DAY)
    closure, cancelled = close_venue(
        venue=venue, start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 19),
        reason="maintenance", note="消防检查", actor=manager, now=now)
    assert [b.id for b in cancelled] == [hit_confirmed.id, hit_pending.id]
    for booking, was, revision in ((hit_confirmed, "confirmed", 2), (hit_pending, "pending", 1)):
        booking = reread(booking)
        assert (booking.status, booking.revision, booking.reason) == (CANCELLED, revision,
                                                                      "消防检查")
        assert (booking.cancelled_at, booking.cancelled_by_id) == (now, manager.id)
        assert booking.late_cancellation is False
        assert trail(booking)[-1] == ("booking.cancel", manager.id, was, "cancelled")
        assert notices(booking)[-1] == ("booking_cancelled_by_manager", booking.booker_id)
    assert [reread(b).status for b in (before, after, gone, other_venue, ended)] == [
        PENDING, PENDING, CANCELLED, CONFIRMED, CONFIRMED]
    assert [reread(b).revision for b in (before, after, gone, other_venue, ended)] == [
        0, 0, 1, 0, 1]
    stored = db.session.get(Closure, closure.id)
    assert (stored.venue_id, stored.start_at, stored.end_at, stored.reason.value) == (
        venue.id, local(2026, 12, 5, 14), local(2026, 12, 5, 19), "maintenance")


def test_closing_back_to_back_leaves_the_neighbours_alone(app, make, now):
    s = scene(make)
    later = make.booking(venue=s.venue, start=END + HOUR, end=END + 2 * HOUR)
    closure, cancelled = close_venue(venue=s.venue, start=END, end=END + HOUR, reason="event",
                                     actor=s.manager, now=now)
    assert cancelled == []
    assert [reread(b).status for b in (s.booking, later)] == [CONFIRMED, CONFIRMED]
    assert notices(s.booking) == [("booking_created", s.manager.id)]


def test_suspending_a_venue_cancels_every_later_booking_with_the_reason(app, make, now):
    s = scene(make)
    later = make.booking(venue=s.venue, start=local(2026, 12, 12, 9),
                         end=local(2026, 12, 12, 10))
    earlier = make.booking(venue=s.venue, start=local(2026, 12, 2, 9),
                           end=local(2026, 12, 2, 10))
    _, cancelled = close_venue(venue=s.venue, start=local(2026, 12, 3), end=None,
                               reason="suspension", actor=s.manager, now=now)
    assert sorted(b.id for b in cancelled) == sorted([s.booking.id, later.id])
    assert [(reread(b).status, reread(b).reason) for b in (s.booking, later)] == [
        (CANCELLED, "suspension"), (CANCELLED, "suspension")]
    assert reread(earlier).status == CONFIRMED
    assert sorted(notices(later)) == sorted([("booking_created", s.manager.id),
                                             ("booking_cancelled_by_manager", later.booker_id)])


# The no-show rule ------------------------------------------------------------------------------


def no_show(make, venue, booker, start: datetime) -> Booking:
    """A booking made the day before that nobody came to."""
    booking = make.booking(venue=venue, booker=booker, start=start, end=start + HOUR,
                           now=start - DAY)
    release_no_show(booking=booking, now=start + 15 * MINUTE)
    assert booking.status == NO_SHOW
    return booking


def no_show_scene(make, now, *days_ago: int) -> tuple[Venue, User]:
    venue = make.venue(requires_check_in=True)
    booker = make.user()
    for days in days_ago:
        no_show(make, venue, booker, local(2026, 12, 1, 14) - timedelta(days=days))
    return venue, booker


def suspension_trail(user: User) -> list[tuple[str, object]]:
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == "users", AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id))
    return [(e.action, e.after["suspended_until"]) for e in events]


def test_three_no_shows_within_90_days_suspend_for_30_days(app, make, now):
    venue, booker = no_show_scene(make, now, 1, 30, 88)
    assert apply_no_show_rule(now=now) == [booker]
    user = db.session.get(User, booker.id)
    db.session.refresh(user)
    assert (user.suspended_until, user.no_show_suspended_at, user.suspended) == (
        now + 30 * DAY, now, False)
    assert suspension_trail(user) == [("user.suspend_no_shows", (now + 30 * DAY).isoformat())]
    error = refusal(create_booking, venue_id=venue.id, booker=user, start=START, end=END,
                    title="再试一次", attendees=3, now=now)
    assert error.code == "booker_suspended"


@pytest.mark.parametrize("days_ago", [(1, 30), (1, 30, 91), (100, 120, 150)],
                         ids=["two", "one_too_old", "all_too_old"])
def test_fewer_than_three_no_shows_within_90_days_do_not_suspend(app, make, now, days_ago):
    venue, booker = no_show_scene(make, now, *days_ago)
    assert apply_no_show_rule(now=now) == []
    db.session.expire_all()
    user = db.session.get(User, booker.id)
    assert (user.suspended_until, user.no_show_suspended_at) == (None, None)
    assert suspension_trail(user) == []
    make.booking(venue=venue, booker=user, start=START, end=END)


def test_no_shows_of_other_people_do_not_add_up(app, make, now):
    venue = make.venue(requires_check_in=True)
    first, second = make.user(), make.user()
    for days, booker in ((2, first), (3, first), (4, second)):
        no_show(make, venue, booker, local(2026, 11, 30, 14) - timedelta(days=days))
    assert apply_no_show_rule(now=now) == []


def test_a_suspension_is_lifted_when_it_ends_and_old_no_shows_do_not_count_again(app, make,
                                                                                 now):
    venue, booker = no_show_scene(make, now, 1, 5, 10)
    assert apply_no_show_rule(now=now) == [booker]
    # Running again while suspended changes nothing.
    assert apply_no_show_rule(now=now + DAY) == []
    assert apply_no_show_rule(now=now + 29 * DAY) == []
    user = db.session.get(User, booker.id)
    db.session.refresh(user)
    assert user.suspended_until == now + 30 * DAY
    # The suspension runs out: lifted, and the same three no-shows (all still within 90 days)
    # do not suspend again.
    assert apply_no_show_rule(now=now + 30 * DAY) == []
    db.session.refresh(user)
    assert (user.suspended_until, user.no_show_suspended_at) == (None, now)
    assert suspension_trail(user) == [
        ("user.suspend_no_shows", (now + 30 * DAY).isoformat()),
        ("user.lift_no_show_suspension", None),
    ]
    assert apply_no_show_rule(now=now + 31 * DAY) == []
    db.session.refresh(user)
    assert user.suspended_until is None
    later = now + 31 * DAY
    booking = make.booking(venue=venue, booker=user, start=later + DAY, end=later + DAY + HOUR,
                           now=later)
    assert booking.status == CONFIRMED


def test_three_new_no_shows_after_a_suspension_suspend_again(app, make, now):
    venue, booker = no_show_scene(make, now, 1, 5, 10)
    apply_no_show_rule(now=now)
    back = now + 30 * DAY
    assert apply_no_show_rule(now=back) == []
    for days in (1, 2, 3):
        no_show(make, venue, booker, back + timedelta(days=days, hours=4))
    again = back + 5 * DAY
    assert apply_no_show_rule(now=again) == [booker]
    user = db.session.get(User, booker.id)
    db.session.refresh(user)
    assert (user.suspended_until, user.no_show_suspended_at) == (again + 30 * DAY, again)
