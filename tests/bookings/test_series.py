"""Recurring series (product.md §5, §9): preview, booking, cancelling and deciding them.

NOW is Tuesday 1 December 2026, 10:00 Shanghai; the usual series meets on Wednesdays
19:00–21:00 from 2 December.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification
from gongjian.bookings.models import Booking, BookingStatus, Series
from gongjian.bookings.series import (
    approve_series,
    cancel_series,
    create_series,
    preview_series,
    reject_series,
)
from gongjian.errors import DomainError, InvalidInput
from gongjian.extensions import db

from ..factories import local

PENDING, CONFIRMED = BookingStatus.PENDING, BookingStatus.CONFIRMED
CANCELLED, REJECTED = BookingStatus.CANCELLED, BookingStatus.REJECTED
WEDNESDAYS = {"start_date": date(2026, 12, 2), "weekdays": [2], "start_time": "19:00",
              "end_time": "21:00"}


def setting(make, **venue_settings):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), **venue_settings)
    return venue, manager, make.user()


def book(venue, booker, now, **recurrence):
    arguments = {**WEDNESDAYS, "count": 4, **recurrence}
    return create_series(venue_id=venue.id, booker=booker, title="老年合唱团排练",
                         attendees=20, now=now, **arguments)


def notices(user_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == user_id).order_by(Notification.id)))


def test_preview_lists_each_occurrence_with_its_verdict(app, make, now):
    venue, _, booker = setting(make)
    make.booking(venue=venue, start=local(2026, 12, 9, 19), end=local(2026, 12, 9, 20))
    occurrences = preview_series(venue_id=venue.id, booker=booker, attendees=20, now=now,
                                 count=4, **WEDNESDAYS)
    assert [(o.start, o.end) for o in occurrences] == [
        (local(2026, 12, d, 19), local(2026, 12, d, 21)) for d in (2, 9, 16, 23)]
    assert [o.codes for o in occurrences] == [[], ["conflict"], [], []]
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0


def test_too_far_ahead_applies_to_the_first_occurrence_only(app, make, now):
    venue, _, booker = setting(make)
    later = preview_series(venue_id=venue.id, booker=booker, attendees=20, now=now,
                           **{**WEDNESDAYS, "start_date": date(2026, 12, 23), "count": 3})
    assert [o.codes for o in later] == [["too_far_ahead"], [], []]


def test_a_series_must_end_within_max_series_days(app, make, now):
    venue, _, booker = setting(make, max_series_days=20)
    occurrences = preview_series(venue_id=venue.id, booker=booker, attendees=20, now=now,
                                 count=5, **WEDNESDAYS)
    assert [o.codes for o in occurrences] == [[], [], [], ["series_too_long"],
                                              ["series_too_long"]]


def test_every_other_week_on_two_weekdays_until_a_date(app, make, now):
    venue, _, booker = setting(make)
    occurrences = preview_series(
        venue_id=venue.id, booker=booker, attendees=20, now=now, start_date=date(2026, 12, 3),
        until=date(2026, 12, 20), weekdays=[5, 3], interval_weeks=2, start_time="09:00",
        end_time="11:00")
    assert [o.start.date() for o in occurrences] == [date(2026, 12, 3), date(2026, 12, 5),
                                                     date(2026, 12, 17), date(2026, 12, 19)]


@pytest.mark.parametrize("recurrence", [
    {"count": 53}, {"count": 0}, {"weekdays": [7]}, {"weekdays": []},
    {"start_time": "7pm"}, {"interval_weeks": 0},
])
def test_a_malformed_recurrence_is_refused(app, make, now, recurrence):
    venue, _, booker = setting(make)
    with pytest.raises(InvalidInput):
        preview_series(venue_id=venue.id, booker=booker, attendees=20, now=now,
                       **{**WEDNESDAYS, "count": 4, **recurrence})


def test_booking_takes_every_free_occurrence_and_lists_the_skipped(app, make, now):
    venue, manager, booker = setting(make)
    make.booking(venue=venue, start=local(2026, 12, 9, 20), end=local(2026, 12, 9, 22))
    result = book(venue, booker, now)
    db.session.commit()
    assert [b.start_at for b in result.bookings] == [
        local(2026, 12, d, 19) for d in (2, 16, 23)]
    assert {b.status for b in result.bookings} == {CONFIRMED}
    assert {b.series_id for b in result.bookings} == {result.series.id}
    assert [(o.start, o.codes) for o in result.skipped] == [(local(2026, 12, 9, 19),
                                                             ["conflict"])]
    # One notice for the series, not one per occurrence.
    assert notices(manager.id) == ["booking_created", "series_created"]


def test_the_series_counts_once_against_the_quota(app, make, now):
    venue, _, booker = setting(make, max_active_per_user=2)
    make.booking(venue=venue, booker=booker, start=local(2026, 12, 5, 9),
                 end=local(2026, 12, 5, 10))
    result = book(venue, booker, now, count=6)
    assert len(result.bookings) == 6
    # With the series the booker now holds two: a second series is over the quota.
    again = preview_series(venue_id=venue.id, booker=booker, attendees=20, now=now, count=1,
                           **{**WEDNESDAYS, "weekdays": [4]})
    assert again[0].codes == ["quota_exceeded"]


def test_all_or_nothing_writes_nothing_when_one_occurrence_fails(app, make, now):
    venue, _, booker = setting(make)
    make.booking(venue=venue, start=local(2026, 12, 9, 19), end=local(2026, 12, 9, 20))
    make.commit()
    with pytest.raises(DomainError) as raised:
        book(venue, booker, now, all_or_nothing=True)
    assert (raised.value.code, raised.value.status) == ("conflict", 409)
    assert raised.value.details["occurrence"]["start"] == local(2026, 12, 9, 19).isoformat()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 1


def test_all_or_nothing_reports_a_rule_failure_as_422(app, make, now):
    venue, _, booker = setting(make, max_series_days=10)
    with pytest.raises(DomainError) as raised:
        book(venue, booker, now, all_or_nothing=True)
    assert (raised.value.code, raised.value.status) == ("series_too_long", 422)


def test_a_conflict_appearing_between_preview_and_booking_is_skipped(app, make, now):
    venue, _, booker = setting(make)
    preview = preview_series(venue_id=venue.id, booker=booker, attendees=20, now=now, count=4,
                             **WEDNESDAYS)
    assert all(o.ok for o in preview)
    make.booking(venue=venue, start=local(2026, 12, 9, 18), end=local(2026, 12, 9, 20))
    db.session.commit()
    result = book(venue, booker, now)
    assert [o.codes for o in result.skipped] == [["conflict"]]
    assert len(result.bookings) == 3
    with pytest.raises(DomainError, match="conflict"):
        book(venue, make.user(), now, all_or_nothing=True)


def test_a_series_nothing_of_which_is_free_is_refused(app, make, now):
    venue, _, booker = setting(make)
    with pytest.raises(DomainError) as raised:
        book(venue, booker, now, start_time="23:00", end_time="24:00")
    assert raised.value.code == "outside_opening_hours"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0


def test_a_series_across_the_year_boundary(app, make, now):
    venue, _, booker = setting(make)
    result = book(venue, booker, local(2026, 12, 25, 9), start_date=date(2026, 12, 28),
                  weekdays=[0, 4], count=4)
    db.session.commit()
    db.session.expire_all()
    assert [b.start_at for b in result.bookings] == [
        local(2026, 12, 28, 19), local(2027, 1, 1, 19), local(2027, 1, 4, 19),
        local(2027, 1, 8, 19)]


def test_local_time_holds_across_a_daylight_saving_change(app, make, now):
    berlin = ZoneInfo("Europe/Berlin")
    venue, _, booker = setting(make, timezone="Europe/Berlin")
    result = book(venue, booker, local(2027, 3, 18, 9), start_date=date(2027, 3, 20), count=3,
                  weekdays=[5], start_time="10:00", end_time="12:00")
    assert [b.start_at.astimezone(berlin).hour for b in result.bookings] == [10, 10, 10]
    assert [b.start_at.astimezone(UTC).hour for b in result.bookings] == [9, 9, 8]


def test_cancel_one_occurrence(app, make, now):
    venue, manager, booker = setting(make)
    result = book(venue, booker, now)
    second = result.bookings[1]
    cancelled = cancel_series(series=result.series, scope="one", booking_id=second.id,
                              actor=booker, now=now)
    assert cancelled == [second]
    assert [b.status for b in result.series.bookings] == [CONFIRMED, CANCELLED, CONFIRMED,
                                                           CONFIRMED]
    assert notices(manager.id) == ["series_created", "series_cancelled"]


def test_cancel_this_and_the_following_occurrences(app, make, now):
    venue, _, booker = setting(make)
    result = book(venue, booker, now)
    cancel_series(series=result.series, scope="one", booking_id=result.bookings[3].id,
                  actor=booker, now=now)
    cancelled = cancel_series(series=result.series, scope="following",
                              booking_id=result.bookings[1].id, actor=booker, now=now)
    assert cancelled == result.bookings[1:3]
    assert [b.status for b in result.series.bookings] == [CONFIRMED, CANCELLED, CANCELLED,
                                                           CANCELLED]


def test_cancel_the_whole_series_skips_what_is_no_longer_active(app, make, now):
    venue, manager, booker = setting(make)
    result = book(venue, booker, now)
    cancel_series(series=result.series, scope="one", booking_id=result.bookings[0].id,
                  actor=booker, now=now)
    cancelled = cancel_series(series=result.series, scope="all", actor=manager,
                              reason="场地维修", now=now + timedelta(days=1))
    assert cancelled == result.bookings[1:]
    assert {b.reason for b in cancelled} == {"场地维修"}
    assert notices(booker.id) == ["series_cancelled_by_manager"]


def test_cancelling_needs_the_booker_or_a_manager(app, make, now):
    venue, _, booker = setting(make)
    result = book(venue, booker, now)
    with pytest.raises(DomainError) as raised:
        cancel_series(series=result.series, scope="all", actor=make.user(), now=now)
    assert raised.value.code == "forbidden"
    with pytest.raises(InvalidInput):
        cancel_series(series=result.series, scope="one", booking_id=None, actor=booker, now=now)


def test_a_manager_approves_a_pending_series_at_once(app, make, now):
    venue, manager, booker = setting(make, requires_approval=True)
    result = book(venue, booker, now)
    assert {b.status for b in result.bookings} == {PENDING}
    assert notices(manager.id) == ["series_requested"]
    approved = approve_series(series=result.series, actor=manager, now=now + timedelta(hours=1))
    assert approved == result.bookings
    assert {b.status for b in result.bookings} == {CONFIRMED}
    assert notices(booker.id) == ["series_approved"]
    with pytest.raises(DomainError, match="invalid_transition"):
        approve_series(series=result.series, actor=manager, now=now)


def test_a_manager_rejects_what_is_still_pending(app, make, now):
    venue, manager, booker = setting(make, requires_approval=True)
    result = book(venue, booker, now)
    from gongjian.bookings.services import approve_booking

    approve_booking(booking=result.bookings[0], actor=manager, now=now)
    rejected = reject_series(series=result.series, actor=manager, reason="时段另有安排", now=now)
    assert rejected == result.bookings[1:]
    assert [b.status for b in result.bookings] == [CONFIRMED, REJECTED, REJECTED, REJECTED]
    assert notices(booker.id) == ["booking_approved", "series_rejected"]
    with pytest.raises(DomainError, match="forbidden"):
        approve_series(series=book(venue, make.user(), now, weekdays=[3]).series,
                       actor=booker, now=now)
