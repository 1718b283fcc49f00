"""Availability: exact open, busy and free intervals of a venue, and which venues are free."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from gongjian.bookings.availability import free_venue_ids, venue_availability
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import cancel_booking, reject_booking
from gongjian.extensions import db
from gongjian.venues.models import Venue
from gongjian.venues.services import add_closure, archive_venue

from ..factories import local

BERLIN = ZoneInfo("Europe/Berlin")


def at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    """A wall-clock time in Shanghai in December 2026 (the 3rd, a Thursday, by default)."""
    return local(2026, 12, day, hour, minute)


def whole_day(day: int = 3) -> tuple[datetime, datetime]:
    return local(2026, 12, day), local(2026, 12, day + 1)


def iso(intervals) -> list[tuple[str, str]]:
    """Intervals as written: equal lists mean equal instants *and* UTC offsets."""
    return [(s.isoformat(), e.isoformat()) for s, e in intervals]


def in_utc(intervals) -> list[tuple[str, str]]:
    return [(s.astimezone(UTC).isoformat(), e.astimezone(UTC).isoformat()) for s, e in intervals]


def assert_availability(availability, *, open, busy, free) -> None:
    assert iso(availability.open) == in_utc(open)
    assert iso(availability.busy) == in_utc(busy)
    assert iso(availability.free) == in_utc(free)


def put(make, venue, start: datetime, end: datetime, status: BookingStatus) -> Booking:
    """A booking row in any status, written directly (the database backstops still apply)."""
    booking = Booking(venue_id=venue.id, booker_id=make.user().id, title="历史预约", attendees=1,
                      start_at=start, end_at=end, status=status, created_at=make.now,
                      updated_at=make.now)
    db.session.add(booking)
    db.session.flush()
    return booking


# One day ---------------------------------------------------------------------------------


def test_an_empty_day_is_open_and_free_for_its_whole_window(app, make):
    venue = make.venue()
    availability = venue_availability(venue=venue, start=whole_day()[0], end=whole_day()[1])
    assert availability.venue is venue
    assert_availability(availability, open=[(at(8), at(22))], busy=[], free=[(at(8), at(22))])


def test_bookings_at_the_start_and_end_of_the_window(app, make):
    venue = make.venue()
    make.booking(venue=venue, start=at(8), end=at(9))
    make.booking(venue=venue, start=at(21), end=at(22))
    availability = venue_availability(venue=venue, start=whole_day()[0], end=whole_day()[1])
    assert_availability(availability,
                        open=[(at(8), at(22))],
                        busy=[(at(8), at(9)), (at(21), at(22))],
                        free=[(at(9), at(21))])


def test_back_to_back_bookings_are_one_busy_block(app, make):
    venue = make.venue()
    make.booking(venue=venue, start=at(10), end=at(11))
    make.booking(venue=venue, start=at(11), end=at(12))
    make.booking(venue=venue, start=at(12, 30), end=at(13))
    availability = venue_availability(venue=venue, start=whole_day()[0], end=whole_day()[1])
    assert_availability(availability,
                        open=[(at(8), at(22))],
                        busy=[(at(10), at(12)), (at(12, 30), at(13))],
                        free=[(at(8), at(10)), (at(12), at(12, 30)), (at(13), at(22))])


def test_only_pending_and_confirmed_bookings_are_busy(app, make, now):
    venue = make.venue(requires_approval=True)
    booker = make.user()
    pending = make.booking(venue=venue, booker=booker, start=at(9), end=at(10))
    rejected = make.booking(venue=venue, start=at(10), end=at(11))
    cancelled = make.booking(venue=venue, start=at(11), end=at(12))
    reject_booking(booking=rejected, actor=make.admin, reason="场地另有安排", now=now)
    cancel_booking(booking=cancelled, actor=cancelled.booker, now=now)
    put(make, venue, at(13), at(14), BookingStatus.EXPIRED)
    put(make, venue, at(14), at(15), BookingStatus.NO_SHOW)
    put(make, venue, at(16), at(17), BookingStatus.CONFIRMED)
    assert [b.status for b in (pending, rejected, cancelled)] == [
        BookingStatus.PENDING, BookingStatus.REJECTED, BookingStatus.CANCELLED]

    availability = venue_availability(venue=venue, start=whole_day()[0], end=whole_day()[1])
    assert_availability(availability,
                        open=[(at(8), at(22))],
                        busy=[(at(9), at(10)), (at(16), at(17))],
                        free=[(at(8), at(9)), (at(10), at(16)), (at(17), at(22))])


def test_the_buffer_shrinks_free_time_but_not_busy_time(app, make):
    venue = make.venue(buffer_minutes=30)
    make.booking(venue=venue, start=at(8), end=at(9))
    make.booking(venue=venue, start=at(12), end=at(13))
    availability = venue_availability(venue=venue, start=whole_day()[0], end=whole_day()[1])
    assert_availability(availability,
                        open=[(at(8), at(22))],
                        busy=[(at(8), at(9)), (at(12), at(13))],
                        free=[(at(9, 30), at(11, 30)), (at(13, 30), at(22))])


def test_the_buffer_of_bookings_just_outside_the_range_reaches_into_it(app, make):
    venue = make.venue(buffer_minutes=30)
    make.booking(venue=venue, start=at(12), end=at(13))
    make.booking(venue=venue, start=at(18), end=at(19))
    availability = venue_availability(venue=venue, start=at(13), end=at(18))
    assert_availability(availability,
                        open=[(at(13), at(18))],
                        busy=[],
                        free=[(at(13, 30), at(17, 30))])


def test_without_a_buffer_free_time_runs_right_up_to_a_booking(app, make):
    venue = make.venue()
    make.booking(venue=venue, start=at(12), end=at(13))
    make.booking(venue=venue, start=at(18), end=at(19))
    availability = venue_availability(venue=venue, start=at(13), end=at(18))
    assert_availability(availability, open=[(at(13), at(18))], busy=[],
                        free=[(at(13), at(18))])


def test_a_closure_is_neither_open_nor_free(app, make, now):
    venue = make.venue()
    make.booking(venue=venue, start=at(10), end=at(11))
    add_closure(venue=venue, start=at(14), end=at(16), reason="maintenance", actor=make.admin,
                now=now)
    availability = venue_availability(venue=venue, start=whole_day()[0], end=whole_day()[1])
    assert_availability(availability,
                        open=[(at(8), at(14)), (at(16), at(22))],
                        busy=[(at(10), at(11))],
                        free=[(at(8), at(10)), (at(11), at(14)), (at(16), at(22))])


def test_a_suspension_leaves_nothing_open(app, make, now):
    venue = make.venue()
    add_closure(venue=venue, start=at(0, day=2), end=None, reason="suspension",
                actor=make.admin, now=now)
    availability = venue_availability(venue=venue, start=whole_day()[0], end=whole_day()[1])
    assert_availability(availability, open=[], busy=[], free=[])


def test_a_range_starting_and_ending_mid_window_is_clipped(app, make):
    venue = make.venue()
    make.booking(venue=venue, start=at(10), end=at(11))
    make.booking(venue=venue, start=at(14, 30), end=at(15, 30))
    availability = venue_availability(venue=venue, start=at(10, 30), end=at(15))
    assert_availability(availability,
                        open=[(at(10, 30), at(15))],
                        busy=[(at(10, 30), at(11)), (at(14, 30), at(15))],
                        free=[(at(11), at(14, 30))])


def test_a_range_across_midnight_sees_the_joined_windows(app, make):
    venue = make.venue(hours=[(3, "18:00", "24:00"), (4, "00:00", "02:00")])
    make.booking(venue=venue, start=at(23), end=at(1, day=4))
    availability = venue_availability(venue=venue, start=at(20), end=at(8, day=4))
    assert_availability(availability,
                        open=[(at(20), at(2, day=4))],
                        busy=[(at(23), at(1, day=4))],
                        free=[(at(20), at(23)), (at(1, day=4), at(2, day=4))])


def test_results_are_in_utc_whatever_the_zone_of_the_range(app, make):
    venue = make.venue()
    make.booking(venue=venue, start=at(10), end=at(11))
    availability = venue_availability(venue=venue, start=at(10, 30), end=at(12))
    instants = [i for part in (availability.open, availability.busy, availability.free)
                for interval in part for i in interval]
    assert instants
    assert {i.utcoffset().total_seconds() for i in instants} == {0}


# A month ---------------------------------------------------------------------------------


def test_a_month_of_weekday_hours_with_a_holiday_and_bookings(app, make, now):
    venue = make.venue(hours=[(d, "09:00", "17:00") for d in range(5)])
    make.booking(venue=venue, start=at(10), end=at(12))
    make.booking(venue=venue, start=at(9, day=10), end=at(10, day=10))
    put(make, venue, at(16, day=28), at(17, day=28), BookingStatus.CONFIRMED)
    put(make, venue, at(10, day=29), at(11, day=29), BookingStatus.CANCELLED)
    add_closure(venue=venue, start=at(0, day=25), end=at(0, day=26), reason="holiday",
                actor=make.admin, now=now)

    availability = venue_availability(venue=venue, start=local(2026, 12, 1),
                                      end=local(2027, 1, 1))

    weekdays = [d for d in range(1, 32) if date(2026, 12, d).weekday() < 5 and d != 25]
    assert len(weekdays) == 22
    free_by_day = {
        3: [(at(9, day=3), at(10, day=3)), (at(12, day=3), at(17, day=3))],
        10: [(at(10, day=10), at(17, day=10))],
        28: [(at(9, day=28), at(16, day=28))],
    }
    assert_availability(
        availability,
        open=[(at(9, day=d), at(17, day=d)) for d in weekdays],
        busy=[(at(10), at(12)), (at(9, day=10), at(10, day=10)),
              (at(16, day=28), at(17, day=28))],
        free=[iv for d in weekdays
              for iv in free_by_day.get(d, [(at(9, day=d), at(17, day=d))])],
    )


def test_a_month_across_the_spring_switch_in_berlin(app, make):
    venue = make.venue(hours=[(d, "08:00", "10:00") for d in range(7)],
                       timezone="Europe/Berlin")
    availability = venue_availability(venue=venue, start=datetime(2027, 3, 1, tzinfo=BERLIN),
                                      end=datetime(2027, 4, 1, tzinfo=BERLIN))
    # 08:00–10:00 is 07:00–09:00 UTC in winter time and 06:00–08:00 UTC from 28 March.
    expected = [
        (datetime(2027, 3, d, 7 if d < 28 else 6, tzinfo=UTC),
         datetime(2027, 3, d, 9 if d < 28 else 8, tzinfo=UTC))
        for d in range(1, 32)
    ]
    assert_availability(availability, open=expected, busy=[], free=expected)


# Which venues are free -------------------------------------------------------------------


def free_ids(start: datetime, end: datetime, candidates: sa.Select | None = None) -> list[int]:
    return sorted(free_venue_ids(sa.select(Venue) if candidates is None else candidates,
                                 start, end))


def test_free_venue_ids_answers_exactly_the_venues_open_and_free_throughout(app, make, now):
    start, end = at(11), at(13)  # Thursday 3 December
    free = [
        make.venue(name="空闲"),
        make.venue(name="相接时段", hours=[(3, "08:00", "12:00"), (3, "12:00", "18:00")]),
        make.venue(name="恰好整段", hours=[(3, "11:00", "13:00")]),
    ]
    back_to_back = make.venue(name="前后相接")
    make.booking(venue=back_to_back, start=at(10), end=at(11))
    make.booking(venue=back_to_back, start=at(13), end=at(14))
    with_cancelled = make.venue(name="已取消")
    put(make, with_cancelled, at(11), at(13), BookingStatus.CANCELLED)
    put(make, with_cancelled, at(12), at(13), BookingStatus.REJECTED)
    buffered_far = make.venue(name="缓冲够", buffer_minutes=30)
    make.booking(venue=buffered_far, start=at(10), end=at(10, 30))
    make.booking(venue=buffered_far, start=at(13, 30), end=at(14))
    closure_beside = make.venue(name="相邻暂停")
    add_closure(venue=closure_beside, start=at(13), end=at(15), reason="event",
                actor=make.admin, now=now)
    free += [back_to_back, with_cancelled, buffered_far, closure_beside]

    archived = make.venue(name="已归档")
    archive_venue(venue=archived, actor=make.admin, now=now)
    monday_only = make.venue(name="仅周一", hours=[(0, "08:00", "22:00")])
    morning_only = make.venue(name="仅上午", hours=[(3, "08:00", "12:00")])
    with_gap = make.venue(name="午休", hours=[(3, "08:00", "11:30"), (3, "12:00", "18:00")])
    confirmed = make.venue(name="已预约")
    make.booking(venue=confirmed, start=at(12), end=at(12, 30))
    pending = make.venue(name="待审核")
    put(make, pending, at(12, 30), at(13, 30), BookingStatus.PENDING)
    buffered_near = make.venue(name="缓冲不够", buffer_minutes=30)
    make.booking(venue=buffered_near, start=at(13), end=at(13, 30))
    closed = make.venue(name="临时关闭")
    add_closure(venue=closed, start=at(12, 30), end=at(14), reason="maintenance",
                actor=make.admin, now=now)
    suspended = make.venue(name="暂停开放")
    add_closure(venue=suspended, start=at(0, day=2), end=None, reason="suspension",
                actor=make.admin, now=now)
    not_yet_valid = make.venue(name="尚未生效", valid_from=date(2026, 12, 4))
    busy = [archived, monday_only, morning_only, with_gap, confirmed, pending, buffered_near,
            closed, suspended, not_yet_valid]

    assert len({v.id for v in free + busy}) == 17
    assert free_ids(start, end) == sorted(v.id for v in free)


def test_free_venue_ids_keeps_to_the_candidates(app, make):
    unit = make.unit()
    mine = make.venue(unit=unit)
    booked_mine = make.venue(unit=unit)
    make.booking(venue=booked_mine, start=at(11), end=at(12))
    make.venue()  # free, but of another unit
    candidates = sa.select(Venue).where(Venue.unit_id == unit.id)
    assert free_ids(at(11), at(13), candidates) == [mine.id]


def test_free_venue_ids_across_midnight_needs_the_joined_windows(app, make):
    joined = make.venue(hours=[(3, "20:00", "24:00"), (4, "00:00", "02:00")])
    make.venue(hours=[(3, "20:00", "24:00")])
    assert free_ids(at(23), at(1, day=4)) == [joined.id]


def test_free_venue_ids_of_an_empty_candidate_list_is_empty(app, make):
    venue = make.venue()
    assert free_ids(at(11), at(13), sa.select(Venue).where(Venue.id == venue.id + 1000)) == []
