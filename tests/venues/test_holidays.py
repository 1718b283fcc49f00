"""Statutory holidays and make-up working days (调休) of a real year, wherever opening hours are
expanded: the booking rules, availability, the public calendar's source, the openness figures.

2025: Spring Festival 28 January – 4 February (make-up working days Sunday 26 January and
Saturday 8 February); National Day with Mid-Autumn 1 – 8 October (make-up Sunday 28 September
and Saturday 11 October).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from gongjian.bookings.availability import venue_availability
from gongjian.bookings.services import check_booking
from gongjian.stats.hours import WindowRow, open_parts
from gongjian.stats.periods import Period
from gongjian.venues import holidays
from gongjian.venues.services import Window, opening_windows, set_closed_on_holidays

from ..factories import SHANGHAI, hm, local

JAN_2025 = datetime(2025, 1, 10, 2, tzinfo=UTC)  # the clock for booking in early 2025
SEP_2025 = datetime(2025, 9, 20, 2, tzinfo=UTC)

# Weekday evenings 18:00–21:00, weekends 09:00–17:00.
HOURS = [(d, "18:00", "21:00") for d in range(5)] + [(5, "09:00", "17:00"),
                                                     (6, "09:00", "17:00")]


@pytest.fixture
def venue(make):
    found = make.venue(hours=HOURS, valid_from=date(2024, 1, 1), max_advance_days=60)
    set_closed_on_holidays(venue=found, closed=True, actor=make.admin, now=make.now)
    make.commit()
    return found


def violations(make, venue, start, end, now=JAN_2025) -> list[str]:
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=start, end=end,
                            attendees=5, now=now)
    return [v.code for v in verdict.violations]


# The calendar itself ---------------------------------------------------------------------


def test_the_calendar_knows_2025s_spring_festival_and_its_make_up_days():
    assert holidays.day_kind(date(2025, 1, 26)) == holidays.DayKind.MAKEUP
    assert [holidays.day_kind(date(2025, 1, d)) for d in range(27, 32)] == [
        None, "holiday", "holiday", "holiday", "holiday"]
    assert [holidays.day_kind(date(2025, 2, d)) for d in range(1, 10)] == [
        "holiday", "holiday", "holiday", "holiday", None, None, None, "makeup", None]


def test_special_days_of_a_range():
    assert holidays.special_days(date(2025, 9, 27), date(2025, 10, 12)) == {
        date(2025, 9, 28): "makeup",
        **{date(2025, 10, d): "holiday" for d in range(1, 9)},
        date(2025, 10, 11): "makeup",
    }


def test_a_year_without_data_is_ordinary():
    assert not holidays.is_known(date(2027, 1, 1))
    assert holidays.day_kind(date(2027, 1, 1)) is None
    assert holidays.special_days(date(2027, 1, 1), date(2027, 12, 31)) == {}


def test_a_make_up_day_takes_mondays_windows():
    windows = [Window(0, hm("18:00"), hm("21:00"), date(2025, 1, 1)),
               Window(6, hm("09:00"), hm("17:00"), date(2025, 1, 1))]
    assert holidays.windows_on(windows, date(2025, 1, 26), observes_holidays=True) == [
        windows[0]]
    assert holidays.windows_on(windows, date(2025, 1, 26), observes_holidays=False) == [
        windows[1]]


def test_without_monday_windows_a_make_up_day_takes_the_first_working_weekdays():
    windows = [Window(2, hm("19:00"), hm("21:00"), date(2025, 1, 1)),
               Window(1, hm("08:00"), hm("09:00"), date(2025, 1, 1))]
    assert holidays.windows_on(windows, date(2025, 2, 8), observes_holidays=True) == [
        windows[1]]
    assert holidays.makeup_weekday(windows, date(2025, 2, 8)) == 1


def test_a_make_up_day_of_a_venue_open_on_no_weekday_stays_closed():
    windows = [Window(5, hm("09:00"), hm("17:00"), date(2025, 1, 1))]
    assert holidays.windows_on(windows, date(2025, 2, 8), observes_holidays=True) == []


def test_a_make_up_day_uses_the_windows_valid_on_that_date():
    windows = [Window(0, hm("18:00"), hm("21:00"), date(2025, 1, 1), date(2025, 1, 31)),
               Window(0, hm("19:00"), hm("20:00"), date(2025, 2, 1))]
    assert holidays.windows_on(windows, date(2025, 2, 8), observes_holidays=True) == [
        windows[1]]


# Booking rules -----------------------------------------------------------------------------


def test_a_statutory_holiday_is_outside_the_opening_hours(app, make, venue):
    assert "outside_opening_hours" in violations(make, venue, local(2025, 1, 29, 19),
                                                  local(2025, 1, 29, 20))


def test_a_weekend_inside_the_holiday_block_is_closed(app, make, venue):
    assert "outside_opening_hours" in violations(make, venue, local(2025, 2, 1, 10),
                                                  local(2025, 2, 1, 11))


def test_without_the_switch_a_holiday_follows_the_weekly_timetable(app, make, venue):
    set_closed_on_holidays(venue=venue, closed=False, actor=make.admin, now=make.now)
    assert violations(make, venue, local(2025, 1, 29, 19), local(2025, 1, 29, 20)) == []


@pytest.mark.parametrize("day", [date(2025, 1, 26), date(2025, 2, 8)])
def test_a_make_up_working_day_opens_with_working_day_hours(app, make, venue, day):
    evening = (local(day.year, day.month, day.day, 19), local(day.year, day.month, day.day, 20))
    morning = (local(day.year, day.month, day.day, 10), local(day.year, day.month, day.day, 11))
    assert violations(make, venue, *evening) == []
    assert violations(make, venue, *morning) == ["outside_opening_hours"]


def test_the_day_after_the_holidays_is_ordinary(app, make, venue):
    assert violations(make, venue, local(2025, 2, 5, 19), local(2025, 2, 5, 20)) == []
    assert violations(make, venue, local(2025, 2, 9, 10), local(2025, 2, 9, 11)) == []


@pytest.mark.parametrize("day", range(1, 9))
def test_national_day_2025_is_closed(app, make, venue, day):
    assert "outside_opening_hours" in violations(
        make, venue, local(2025, 10, day, 19), local(2025, 10, day, 20), now=SEP_2025)


@pytest.mark.parametrize("day", [date(2025, 9, 28), date(2025, 10, 11)])
def test_national_days_make_up_days_open_in_the_evening(app, make, venue, day):
    assert violations(make, venue, local(day.year, day.month, day.day, 19),
                      local(day.year, day.month, day.day, 20), now=SEP_2025) == []


# Availability and the calendar's open intervals --------------------------------------------


def test_availability_over_the_spring_festival(app, make, venue):
    found = venue_availability(venue=venue, start=local(2025, 1, 25), end=local(2025, 2, 10))
    assert [(s.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
             e.astimezone(SHANGHAI).strftime("%H:%M")) for s, e in found.open] == [
        ("01-25 09:00", "17:00"),  # Saturday: weekend hours
        ("01-26 18:00", "21:00"),  # Sunday, a make-up working day: Monday's hours
        ("01-27 18:00", "21:00"),  # Monday
        # 28 January – 4 February: closed
        ("02-05 18:00", "21:00"),
        ("02-06 18:00", "21:00"),
        ("02-07 18:00", "21:00"),
        ("02-08 18:00", "21:00"),  # Saturday, a make-up working day
        ("02-09 09:00", "17:00"),  # Sunday: weekend hours again
    ]


def test_opening_windows_of_a_venue_in_another_zone_use_its_local_dates(app, make):
    venue = make.venue(hours=[(2, "00:00", "24:00")], valid_from=date(2024, 1, 1),
                       timezone="Europe/Berlin")
    set_closed_on_holidays(venue=venue, closed=True, actor=make.admin, now=make.now)
    berlin_day = (datetime(2025, 1, 28, 23, tzinfo=UTC), datetime(2025, 1, 29, 23, tzinfo=UTC))
    assert opening_windows(venue, *berlin_day) == []


# The openness figures ---------------------------------------------------------------------


def parts(*, closed_on_holidays: bool):
    windows = [WindowRow(d, hm(s), hm(e), date(2024, 1, 1), None) for d, s, e in HOURS]
    return open_parts(zone=SHANGHAI, windows=windows, closures=(),
                      created_at=datetime(2024, 1, 1, tzinfo=UTC), archived_at=None,
                      period=Period(date(2025, 1, 20), date(2025, 2, 9)),
                      closed_on_holidays=closed_on_holidays)


def test_the_openness_figures_follow_the_weekly_timetable_without_the_switch():
    found = parts(closed_on_holidays=False)
    # 15 weekdays × 3 h + 6 weekend days × 8 h
    assert (found.open_hours, found.evening_hours, found.rest_day_hours) == (93, 45, 48)


def test_the_openness_figures_leave_out_holidays_and_count_make_up_days():
    found = parts(closed_on_holidays=True)
    # Open: 9 ordinary weekdays × 3 h, 2 ordinary weekend days × 8 h, 2 make-up days × 3 h.
    assert found.open_hours == Fraction(27 + 16 + 6)
    assert found.evening_hours == Fraction(27 + 6)
    # Rest days are Saturdays and Sundays (§7), make-up ones included.
    assert found.rest_day_hours == Fraction(16 + 6)
    assert found.off_hours == Fraction(27 + 16 + 6)


def test_a_venues_openness_figures_leave_out_its_holidays(app, make):
    from gongjian.stats.periods import Period
    from gongjian.stats.services import venue_figures

    venue = make.venue(hours=[(d, "18:00", "21:00") for d in range(7)],
                       valid_from=date(2024, 1, 1))
    national_day = Period(date(2026, 10, 1), date(2026, 10, 7))  # the venue opened in 2025
    assert venue_figures(venue, national_day).open_hours == 21
    set_closed_on_holidays(venue=venue, closed=True, actor=make.admin, now=make.now)
    assert venue_figures(venue, national_day).open_hours == 0
