"""The scheduled jobs (product.md §6, §10), each run with an injected clock, and the lock that
lets only one scheduler run them.

The usual booking is Saturday 5 December 2026, 14:00–16:00 Shanghai, made at NOW (Tuesday
1 December, 10:00).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.series import create_series
from gongjian.extensions import db
from gongjian.jobs import (
    JOBS,
    SCHEDULE,
    STALE_AFTER,
    JobRunner,
    SchedulerLease,
    build_scheduler,
    last_heartbeat,
    run_job,
)
from gongjian.jobs_models import SchedulerLock

from .factories import local

START, END = local(2026, 12, 5, 14), local(2026, 12, 5, 16)
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def scene(make, **settings):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), **settings)
    booker = make.user()
    booking = make.booking(venue=venue, booker=booker, start=START, end=END)
    make.commit()
    return venue, manager, booker, booking


def status(booking: Booking) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking.id).status


def kinds(user_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == user_id).order_by(Notification.id)))


def test_expire_pending_runs_once(app, make):
    *_, booker, booking = scene(make, requires_approval=True)
    assert run_job("expire-pending", now=START - MINUTE) == 0
    assert run_job("expire-pending", now=START) == 1
    assert run_job("expire-pending", now=START + HOUR) == 0
    assert status(booking) == BookingStatus.EXPIRED
    assert kinds(booker.id) == ["booking_expired"]


def test_complete_past_runs_once(app, make):
    *_, booking = scene(make)
    assert run_job("complete-past", now=END - MINUTE) == 0
    assert run_job("complete-past", now=END) == 1
    assert run_job("complete-past", now=END + HOUR) == 0
    assert status(booking) == BookingStatus.COMPLETED


def test_mark_no_shows_releases_the_slot(app, make):
    venue, *_, booking = scene(make, requires_check_in=True, min_notice_minutes=0)
    assert run_job("complete-past", now=END) == 0  # needs a check-in to complete
    assert run_job("mark-no-shows", now=START + 14 * MINUTE) == 0
    assert run_job("mark-no-shows", now=START + 15 * MINUTE) == 1
    assert run_job("mark-no-shows", now=START + 16 * MINUTE) == 0
    assert status(booking) == BookingStatus.NO_SHOW
    # The rest of the slot is free again.
    later = make.booking(venue=venue, start=START + HOUR, end=END, now=START + 16 * MINUTE)
    assert later.status == BookingStatus.CONFIRMED


def test_the_no_show_rule_suspends_and_lifts(app, make, now):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_check_in=True)
    booker = make.user()
    for day in (2, 3, 4):
        make.booking(venue=venue, booker=booker, start=local(2026, 12, day, 9),
                     end=local(2026, 12, day, 10))
    make.commit()
    run_job("mark-no-shows", now=local(2026, 12, 4, 10))
    at = local(2026, 12, 4, 11)
    assert run_job("apply-no-show-rule", now=at) == 1
    assert run_job("apply-no-show-rule", now=at + HOUR) == 0
    db.session.expire_all()
    assert booker.suspended_until == at + 30 * DAY
    run_job("apply-no-show-rule", now=at + 30 * DAY)
    db.session.expire_all()
    assert booker.suspended_until is None


def test_reminders_go_out_24h_and_2h_before_each_once(app, make):
    *_, booker, booking = scene(make)
    for at in (START - 25 * HOUR, START - 24 * HOUR, START - 23 * HOUR, START - 2 * HOUR,
               START - 2 * HOUR, START - HOUR, START + MINUTE):
        run_job("send-reminders", now=at)
    assert kinds(booker.id) == ["reminder_24h", "reminder_2h"]
    db.session.expire_all()
    reread = db.session.get(Booking, booking.id)
    assert sorted(reread.reminders_sent) == ["24h", "2h"]
    assert reread.revision == 0  # a reminder is no change of the booking


def test_a_late_first_run_sends_only_the_nearer_reminder(app, make):
    *_, booker, _ = scene(make)
    run_job("send-reminders", now=START - HOUR)
    run_job("send-reminders", now=START - HOUR)
    assert kinds(booker.id) == ["reminder_2h"]


def test_no_reminder_for_cancelled_bookings_or_ones_made_inside_the_lead(app, make):
    venue, _, booker, booking = scene(make)
    from gongjian.bookings.services import cancel_booking

    cancel_booking(booking=booking, actor=booker, now=START - 30 * HOUR)
    late = make.booking(venue=venue, start=START + 3 * HOUR, end=START + 4 * HOUR,
                        now=START - 10 * HOUR)
    make.commit()
    run_job("send-reminders", now=START - 9 * HOUR)
    run_job("send-reminders", now=START + HOUR)
    assert kinds(booker.id) == []
    assert kinds(late.booker_id) == ["reminder_2h"]


def test_the_digest_lists_each_managers_undecided_requests_once_a_day(app, make, now):
    venue, manager, booker, booking = scene(make, requires_approval=True)
    create_series(venue_id=venue.id, booker=make.user(), title="老年合唱团排练", attendees=20,
                  count=3, start_date=START.date(), weekdays=[2], start_time="19:00",
                  end_time="21:00", now=now)
    other_unit_manager = make.user(name="别家联络员")
    make.venue(unit=make.unit(managers=(other_unit_manager,)))
    make.commit()
    assert run_job("send-digest", now=now) == 1
    assert run_job("send-digest", now=now + 12 * HOUR) == 0  # 22:00: still the same day
    digest = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "pending_digest")).one()
    assert digest.user_id == manager.id
    assert digest.data["count"] == 2
    [unit] = digest.data["units"]
    assert [(i["title"], i["count"], i["series_id"] is not None) for i in unit["items"]] == [
        ("党员学习会", 1, False), ("老年合唱团排练", 3, True)]
    assert run_job("send-digest", now=now + DAY) == 1  # the next day


def test_no_digest_without_undecided_requests(app, make, now):
    scene(make)
    assert run_job("send-digest", now=now) == 0


def test_every_job_has_a_schedule_and_a_cli_twin(app, make, now):
    from gongjian.cli import JOBS as CLI_JOBS

    assert set(SCHEDULE) == set(JOBS) == set(CLI_JOBS)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "send-reminders", "--now",
                                 "2026-12-01T10:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert result.output == "send-reminders: 0\n"


# The lock ------------------------------------------------------------------------------------


@pytest.fixture
def leases(app):
    db.session.commit()
    made: list[SchedulerLease] = []

    def lease(holder: str) -> SchedulerLease:
        made.append(SchedulerLease(db.engine, holder=holder))
        return made[-1]

    yield lease
    for one in made:
        one.release()


def test_a_second_scheduler_cannot_take_the_lock(app, leases, now):
    first, second = leases("first"), leases("second")
    assert first.acquire(now)
    assert not second.acquire(now)
    assert first.renew(now + MINUTE)
    assert not second.acquire(now + MINUTE)
    assert last_heartbeat() == now + MINUTE
    first.release()
    assert second.acquire(now + 2 * MINUTE)
    assert db.session.get(SchedulerLock, "scheduler").holder == "second"


def test_a_dead_schedulers_lock_row_goes_stale(sqlite_only_app, now):
    first, second = SchedulerLease(db.engine, holder="a"), SchedulerLease(db.engine, holder="b")
    assert first.acquire(now)
    assert not second.acquire(now + STALE_AFTER)
    assert second.acquire(now + STALE_AFTER + MINUTE)
    assert not first.renew(now + STALE_AFTER + 2 * MINUTE)  # it learns it lost the lock
    second.release()


def test_reminders_are_sent_once_when_two_schedulers_start(app, make, leases):
    *_, booker, _ = scene(make)
    at = START - 2 * HOUR
    app.config["CLOCK"] = lambda: at
    try:
        one = JobRunner(app, leases("one"))
        two = JobRunner(app, leases("two"))
        results = [one.run("send-reminders"), two.run("send-reminders"),
                   one.run("send-reminders"), two.run("send-reminders")]
    finally:
        app.config.pop("CLOCK")
    assert results == [1, None, 0, None]
    assert kinds(booker.id) == ["reminder_2h"]


def test_build_scheduler_schedules_every_job(app, leases):
    scheduler = build_scheduler(app, blocking=False, lease=leases("x"))
    assert {job.id for job in scheduler.get_jobs()} == {"heartbeat", *SCHEDULE}
