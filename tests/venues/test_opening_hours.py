"""Weekly opening hours: the shape of a timetable, how windows join, validity, zones, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gongjian.audit import AuditEvent
from gongjian.bookings.services import check_booking
from gongjian.errors import DomainError
from gongjian.extensions import db
from gongjian.venues.models import OpeningHours
from gongjian.venues.services import Window, opening_windows, set_opening_hours, validate_windows

from ..factories import hm, local

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SINCE = date(2026, 1, 1)


def window(weekday: int, start: str, end: str, valid_from: date = SINCE,
           valid_until: date | None = None) -> Window:
    return Window(weekday, hm(start), hm(end), valid_from, valid_until)


def stored_windows(venue) -> list[tuple]:
    """The venue's timetable as the database holds it."""
    rows = db.session.scalars(
        sa.select(OpeningHours).where(OpeningHours.venue_id == venue.id).order_by(
            OpeningHours.weekday, OpeningHours.start_minute, OpeningHours.valid_from)
    )
    return [(w.weekday, w.start_minute, w.end_minute, w.valid_from, w.valid_until) for w in rows]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def violations(verdict) -> list[str]:
    return [v.code for v in verdict.violations]


# Windows across midnight -----------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [("22:00", "02:00"), ("08:00", "08:00")])
def test_a_window_ending_at_or_before_its_start_is_refused_naming_its_end(app, make, now,
                                                                         start, end):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        set_opening_hours(venue=venue, actor=make.admin, now=now,
                          windows=[window(1, "08:00", "12:00"), window(2, start, end)])
    assert raised.value.code == "invalid_input"
    assert raised.value.details == {"fields": {"1.end": "not_after_start"}}


def test_the_end_of_day_is_written_24_00_and_joins_the_next_morning(app, make, now):
    # Wednesday 22:00–24:00 and Thursday 00:00–02:00: one evening that runs past midnight.
    venue = make.venue(hours=[(2, "22:00", "24:00"), (3, "00:00", "02:00")])
    assert opening_windows(venue, local(2026, 12, 1), local(2026, 12, 8)) == [
        (local(2026, 12, 2, 22), local(2026, 12, 3, 2))
    ]


def test_a_range_after_midnight_still_sees_the_whole_joined_evening(app, make, now):
    venue = make.venue(hours=[(2, "22:00", "24:00"), (3, "00:00", "02:00")])
    assert opening_windows(venue, local(2026, 12, 3, 0, 30), local(2026, 12, 3, 1)) == [
        (local(2026, 12, 2, 22), local(2026, 12, 3, 2))
    ]


def test_a_booking_across_midnight_fits_the_joined_windows(app, make, now):
    venue = make.venue(hours=[(2, "22:00", "24:00"), (3, "00:00", "02:00")])
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=local(2026, 12, 2, 23),
                            end=local(2026, 12, 3, 1), attendees=5, now=now)
    assert violations(verdict) == []


def test_without_the_next_morning_a_booking_past_midnight_is_outside_opening_hours(app, make,
                                                                                   now):
    venue = make.venue(hours=[(2, "22:00", "24:00")])
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=local(2026, 12, 2, 23),
                            end=local(2026, 12, 3, 1), attendees=5, now=now)
    assert violations(verdict) == ["outside_opening_hours"]


def test_sunday_night_joins_monday_morning_across_the_week(app, make, now):
    venue = make.venue(hours=[(6, "20:00", "24:00"), (0, "00:00", "01:00")])
    assert opening_windows(venue, local(2026, 12, 6), local(2026, 12, 8)) == [
        (local(2026, 12, 6, 20), local(2026, 12, 7, 1))
    ]


# Windows of one day ----------------------------------------------------------------------


def test_touching_windows_on_one_day_join(app, make, now):
    venue = make.venue(hours=[(2, "08:00", "12:00"), (2, "12:00", "18:00")])
    assert opening_windows(venue, local(2026, 12, 2), local(2026, 12, 3)) == [
        (local(2026, 12, 2, 8), local(2026, 12, 2, 18))
    ]


def test_a_booking_across_the_join_passes_the_rules(app, make, now):
    venue = make.venue(hours=[(2, "08:00", "12:00"), (2, "12:00", "18:00")])
    booker = make.user()
    across = check_booking(venue_id=venue.id, booker=booker, start=local(2026, 12, 2, 11),
                           end=local(2026, 12, 2, 13), attendees=5, now=now)
    past_closing = check_booking(venue_id=venue.id, booker=booker, start=local(2026, 12, 2, 17),
                                 end=local(2026, 12, 2, 19), attendees=5, now=now)
    assert violations(across) == []
    assert violations(past_closing) == ["outside_opening_hours"]


def test_windows_with_a_gap_stay_apart(app, make, now):
    venue = make.venue(hours=[(2, "08:00", "12:00"), (2, "14:00", "18:00")])
    assert opening_windows(venue, local(2026, 12, 2), local(2026, 12, 3)) == [
        (local(2026, 12, 2, 8), local(2026, 12, 2, 12)),
        (local(2026, 12, 2, 14), local(2026, 12, 2, 18)),
    ]
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=local(2026, 12, 2, 11),
                            end=local(2026, 12, 2, 13), attendees=5, now=now)
    assert violations(verdict) == ["outside_opening_hours"]


@pytest.mark.parametrize("second", [
    ("11:00", "18:00"),  # overlaps the end
    ("09:00", "10:00"),  # inside
    ("08:00", "12:00"),  # the same window twice
    ("07:00", "08:30"),  # overlaps the start
    ("06:00", "20:00"),  # contains it
])
def test_overlapping_windows_are_refused(second):
    with pytest.raises(DomainError) as raised:
        validate_windows([window(4, "08:00", "12:00"), window(4, *second)])
    assert raised.value.code == "hours_overlap"
    assert raised.value.violations[0].params == {"weekday": 4}


def test_the_same_hours_on_different_weekdays_do_not_overlap():
    validate_windows([window(d, "08:00", "22:00") for d in range(7)])


# Validity --------------------------------------------------------------------------------


def test_seasonal_timetables_may_overlap_in_time_but_not_in_validity(app, make, now):
    venue = make.venue()
    winter = window(0, "09:00", "17:00", date(2026, 1, 1), date(2027, 3, 31))
    summer = window(0, "08:00", "21:00", date(2027, 4, 1), date(2027, 9, 30))
    next_winter = window(0, "09:00", "17:00", date(2027, 10, 1))
    set_opening_hours(venue=venue, actor=make.admin, now=now,
                      windows=[summer, next_winter, winter])

    def monday(day: date) -> list:
        start = local(day.year, day.month, day.day)
        return opening_windows(venue, start, start + timedelta(days=1))

    assert monday(date(2027, 3, 29)) == [(local(2027, 3, 29, 9), local(2027, 3, 29, 17))]
    assert monday(date(2027, 4, 5)) == [(local(2027, 4, 5, 8), local(2027, 4, 5, 21))]
    assert monday(date(2027, 9, 27)) == [(local(2027, 9, 27, 8), local(2027, 9, 27, 21))]
    assert monday(date(2027, 10, 4)) == [(local(2027, 10, 4, 9), local(2027, 10, 4, 17))]


def test_validity_periods_sharing_one_day_do_overlap():
    # valid_until is inclusive: both windows would open on 1 April 2027.
    with pytest.raises(DomainError) as raised:
        validate_windows([
            window(3, "09:00", "17:00", date(2026, 1, 1), date(2027, 4, 1)),
            window(3, "08:00", "21:00", date(2027, 4, 1)),
        ])
    assert raised.value.code == "hours_overlap"


def test_windows_open_only_within_their_validity_dates(app, make, now):
    venue = make.venue(hours=[])
    set_opening_hours(venue=venue, actor=make.admin, now=now, windows=[
        window(d, "08:00", "22:00", date(2026, 12, 3), date(2026, 12, 5)) for d in range(7)
    ])
    assert opening_windows(venue, local(2026, 12, 1), local(2026, 12, 8)) == [
        (local(2026, 12, 3, 8), local(2026, 12, 3, 22)),
        (local(2026, 12, 4, 8), local(2026, 12, 4, 22)),
        (local(2026, 12, 5, 8), local(2026, 12, 5, 22)),
    ]
    too_early = check_booking(venue_id=venue.id, booker=make.user(), start=local(2026, 12, 2, 9),
                              end=local(2026, 12, 2, 10), attendees=5, now=now)
    assert violations(too_early) == ["outside_opening_hours"]


def test_valid_until_before_valid_from_is_refused():
    with pytest.raises(DomainError) as raised:
        validate_windows([window(0, "08:00", "12:00", date(2027, 1, 2), date(2027, 1, 1))])
    assert raised.value.code == "invalid_input"
    assert raised.value.details == {"fields": {"0.valid_until": "before_valid_from"}}


@pytest.mark.parametrize(("bad", "field"), [
    (Window(7, 480, 720, SINCE), {"0.weekday": "out_of_range"}),
    (Window(-1, 480, 720, SINCE), {"0.weekday": "out_of_range"}),
    (Window(0, 1440, 1440, SINCE), {"0.start": "out_of_range"}),
    (Window(0, -30, 720, SINCE), {"0.start": "out_of_range"}),
    (Window(0, 480, 1500, SINCE), {"0.end": "out_of_range"}),
    (Window(0, 0, 0, SINCE), {"0.end": "out_of_range"}),
])
def test_out_of_range_fields_are_named(bad, field):
    with pytest.raises(DomainError) as raised:
        validate_windows([bad])
    assert raised.value.code == "invalid_input"
    assert raised.value.details == {"fields": field}


# Zones -----------------------------------------------------------------------------------


def test_weekday_0_is_monday_in_shanghai(app, make, now):
    # Monday 7 December 00:00–02:00 in Shanghai is still Sunday in UTC.
    venue = make.venue(hours=[(0, "00:00", "02:00")])
    assert opening_windows(venue, local(2026, 12, 1), local(2026, 12, 15)) == [
        (utc(2026, 12, 6, 16), utc(2026, 12, 6, 18)),
        (utc(2026, 12, 13, 16), utc(2026, 12, 13, 18)),
    ]


def test_weekday_0_is_monday_in_the_venues_own_zone(app, make, now):
    # Monday 20:00–22:00 in Los Angeles is Tuesday 04:00–06:00 UTC.
    venue = make.venue(hours=[(0, "20:00", "22:00")], timezone="America/Los_Angeles")
    assert opening_windows(venue, utc(2026, 12, 6), utc(2026, 12, 10)) == [
        (utc(2026, 12, 8, 4), utc(2026, 12, 8, 6))
    ]


def test_a_berlin_window_keeps_its_wall_clock_time_across_the_spring_switch(app, make, now):
    venue = make.venue(hours=[(d, "08:00", "10:00") for d in range(7)],
                       timezone="Europe/Berlin")
    start = datetime(2027, 3, 27, tzinfo=BERLIN)
    end = datetime(2027, 3, 29, tzinfo=BERLIN)
    assert opening_windows(venue, start, end) == [
        (utc(2027, 3, 27, 7), utc(2027, 3, 27, 9)),  # Saturday, CET (UTC+1)
        (utc(2027, 3, 28, 6), utc(2027, 3, 28, 8)),  # Sunday, CEST (UTC+2)
    ]


def test_a_berlin_window_keeps_its_wall_clock_time_across_the_autumn_switch(app, make, now):
    venue = make.venue(hours=[(d, "08:00", "10:00") for d in range(7)],
                       timezone="Europe/Berlin")
    start = datetime(2027, 10, 30, tzinfo=BERLIN)
    end = datetime(2027, 11, 1, tzinfo=BERLIN)
    assert opening_windows(venue, start, end) == [
        (utc(2027, 10, 30, 6), utc(2027, 10, 30, 8)),  # Saturday, CEST
        (utc(2027, 10, 31, 7), utc(2027, 10, 31, 9)),  # Sunday, CET
    ]


def test_a_whole_day_window_lasts_23_hours_when_the_clocks_spring_forward(app, make, now):
    venue = make.venue(hours=[(6, "00:00", "24:00")], timezone="Europe/Berlin")
    assert opening_windows(venue, utc(2027, 3, 27), utc(2027, 3, 30)) == [
        (utc(2027, 3, 27, 23), utc(2027, 3, 28, 22))
    ]


def test_a_window_inside_the_skipped_hour_never_opens(app, make, now):
    # 02:00–03:00 does not exist on 28 March 2027 in Berlin; the rest of the night does.
    venue = make.venue(hours=[(6, "01:00", "01:30"), (6, "02:30", "03:00")],
                       timezone="Europe/Berlin")
    windows = opening_windows(venue, utc(2027, 3, 27), utc(2027, 3, 29))
    assert windows == [(utc(2027, 3, 28, 0), utc(2027, 3, 28, 0, 30))]
    assert all(start < end for start, end in windows)


# Replacing the timetable -----------------------------------------------------------------


def test_the_whole_timetable_is_replaced_and_audited(app, make, now):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)),
                       hours=[(0, "08:00", "12:00"), (1, "08:00", "12:00")])
    set_opening_hours(venue=venue, actor=manager, now=now, windows=[
        window(5, "09:00", "12:00"),
        window(5, "14:00", "20:00", date(2026, 12, 1), date(2027, 2, 28)),
    ])
    make.commit()
    db.session.expire_all()

    assert stored_windows(venue) == [
        (5, 540, 720, SINCE, None),
        (5, 840, 1200, date(2026, 12, 1), date(2027, 2, 28)),
    ]
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "venue.opening_hours",
                                    AuditEvent.object_id == venue.id).order_by(AuditEvent.id)
    ).all()
    assert len(events) == 2  # the factory's timetable, then this one
    event = events[-1]
    assert (event.actor_id, event.at, event.object_type, event.unit_id, event.venue_id) == (
        manager.id, now, "venues", venue.unit_id, venue.id)
    assert event.before == {"windows": [
        {"weekday": 0, "start_minute": 480, "end_minute": 720, "valid_from": "2026-01-01",
         "valid_until": None},
        {"weekday": 1, "start_minute": 480, "end_minute": 720, "valid_from": "2026-01-01",
         "valid_until": None},
    ]}
    assert event.after == {"windows": [
        {"weekday": 5, "start_minute": 540, "end_minute": 720, "valid_from": "2026-01-01",
         "valid_until": None},
        {"weekday": 5, "start_minute": 840, "end_minute": 1200, "valid_from": "2026-12-01",
         "valid_until": "2027-02-28"},
    ]}


def test_an_empty_timetable_closes_the_venue(app, make, now):
    venue = make.venue()
    set_opening_hours(venue=venue, actor=make.admin, now=now, windows=[])
    assert stored_windows(venue) == []
    assert opening_windows(venue, local(2026, 12, 1), local(2026, 12, 8)) == []


@pytest.mark.parametrize("refused", [
    [window(0, "09:00", "12:00"), window(0, "11:00", "13:00")],  # hours_overlap
    [window(0, "09:00", "12:00"), window(1, "22:00", "02:00")],  # invalid_input
])
def test_a_refused_timetable_leaves_the_old_one_untouched(app, make, now, refused):
    venue = make.venue(hours=[(2, "08:00", "22:00")])
    make.commit()
    old = stored_windows(venue)
    events_before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))

    with pytest.raises(DomainError):
        set_opening_hours(venue=venue, actor=make.admin, now=now, windows=refused)
    # Nothing was changed before the refusal, not even in the session …
    assert [(w.weekday, w.start_minute, w.end_minute) for w in venue.opening_hours] == [
        (2, 480, 1320)]
    db.session.rollback()

    # … and after the boundary rolls back the database holds the old timetable.
    assert stored_windows(venue) == old == [(2, 480, 1320, SINCE, None)]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events_before
    assert opening_windows(venue, local(2026, 12, 2), local(2026, 12, 3)) == [
        (local(2026, 12, 2, 8), local(2026, 12, 2, 22))
    ]


# Who may set hours -----------------------------------------------------------------------


def test_a_resident_may_not_set_opening_hours(app, make, now):
    venue = make.venue(hours=[(2, "08:00", "22:00")])
    with pytest.raises(DomainError) as raised:
        set_opening_hours(venue=venue, actor=make.user(), now=now,
                          windows=[window(3, "08:00", "22:00")])
    assert raised.value.code == "forbidden"
    assert stored_windows(venue) == [(2, 480, 1320, SINCE, None)]


def test_a_manager_of_another_unit_may_not_set_opening_hours(app, make, now):
    other_manager = make.user(name="别家联络员")
    make.unit(managers=(other_manager,))
    venue = make.venue(hours=[(2, "08:00", "22:00")])
    with pytest.raises(DomainError) as raised:
        set_opening_hours(venue=venue, actor=other_manager, now=now,
                          windows=[window(3, "08:00", "22:00")])
    assert raised.value.code == "forbidden"
    assert stored_windows(venue) == [(2, 480, 1320, SINCE, None)]


def test_nobody_signed_in_may_not_set_opening_hours(app, make, now):
    venue = make.venue(hours=[(2, "08:00", "22:00")])
    with pytest.raises(DomainError) as raised:
        set_opening_hours(venue=venue, actor=None, now=now, windows=[])
    assert raised.value.code == "forbidden"


def test_the_units_manager_and_a_district_admin_may_set_opening_hours(app, make, now):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), hours=[(2, "08:00", "22:00")])
    set_opening_hours(venue=venue, actor=manager, now=now,
                      windows=[window(3, "09:00", "21:00")])
    assert stored_windows(venue) == [(3, 540, 1260, SINCE, None)]
    admin = make.user(name="街道管理员", is_admin=True)
    set_opening_hours(venue=venue, actor=admin, now=now, windows=[window(4, "10:00", "20:00")])
    assert stored_windows(venue) == [(4, 600, 1200, SINCE, None)]
