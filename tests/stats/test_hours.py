"""Open hours (§7): windows per date, clipped to the period and the venue's life, minus
closures; evening and rest-day parts. Exact numbers from hand-built timetables."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from gongjian.extensions import db
from gongjian.stats.periods import Period
from gongjian.stats.services import venue_figures
from gongjian.venues import services as venues
from gongjian.venues.services import Window, archive_venue, open_intervals

from ..factories import hm, local
from .conftest import NOVEMBER

BERLIN = ZoneInfo("Europe/Berlin")


def _hours_of(intervals) -> Fraction:
    return sum((Fraction(int((e - s).total_seconds()), 3600) for s, e in intervals),
               Fraction(0))


def _interval_hours(venue, period: Period) -> Fraction:
    """The booking rules' view of the same open time (windows joined, closures cut)."""
    start, end = period.bounds(venue.zone)
    return _hours_of(open_intervals(venue, start, end))


def test_weekly_windows_count_once_per_matching_date(app, make):
    # November 2026: five Mondays (2, 9, 16, 23, 30), four Saturdays (7, 14, 21, 28).
    venue = make.venue(hours=[(0, "18:00", "21:00"), (5, "08:00", "12:00"),
                              (2, "16:00", "20:00")])
    figures = venue_figures(venue, NOVEMBER)
    # Wednesdays 4, 11, 18, 25: 4 × 4 h, of which 2 h after 18:00.
    assert figures.open_hours == 5 * 3 + 4 * 4 + 4 * 4
    assert figures.evening_hours == 5 * 3 + 4 * 2
    assert figures.rest_day_hours == 4 * 4
    assert figures.open_hours == _interval_hours(venue, NOVEMBER)


def test_touching_windows_add_up_without_double_counting(app, make):
    # Saturday 14:00–18:00 and 18:00–24:00 touch, and so does Sunday 00:00–02:00 after them.
    venue = make.venue(hours=[(5, "14:00", "18:00"), (5, "18:00", "24:00"),
                              (6, "00:00", "02:00")])
    figures = venue_figures(venue, NOVEMBER)
    # Four Saturdays of 10 h; five Sundays (1, 8, 15, 22, 29) of 2 h.
    assert figures.open_hours == 4 * 10 + 5 * 2 == 50
    assert figures.evening_hours == 4 * 6  # 00:00–02:00 is night, not "after 18:00"
    assert figures.rest_day_hours == 50
    assert _interval_hours(venue, NOVEMBER) == 50


def test_a_closure_cutting_a_window_in_half_and_one_spanning_days(app, make):
    venue = make.venue()  # 08:00–22:00 every day: 14 h × 30 days = 420 h in November
    venues.add_closure(venue=venue, start=local(2026, 11, 11, 15), end=local(2026, 11, 11, 23),
                       reason="maintenance", actor=make.admin, now=make.now)
    venues.add_closure(venue=venue, start=local(2026, 11, 20, 12), end=local(2026, 11, 23, 10),
                       reason="event", actor=make.admin, now=make.now)
    figures = venue_figures(venue, NOVEMBER)
    # 11th: 15:00–22:00 gone (7 h). 20th: 12:00–22:00 (10 h), 21st and 22nd whole (28 h),
    # 23rd: 08:00–10:00 (2 h).
    assert figures.open_hours == 420 - 7 - 10 - 28 - 2 == 373
    assert figures.evening_hours == 30 * 4 - 4 - 4 - 8 == 104
    # Rest days: Saturdays 7, 14, 21, 28 and Sundays 1, 8, 15, 22, 29; the 21st and 22nd closed.
    assert figures.rest_day_hours == 9 * 14 - 28 == 98
    assert figures.open_hours == _interval_hours(venue, NOVEMBER)


def test_a_suspension_from_local_midnight_closes_the_rest_of_the_period(app, make):
    venue = make.venue()
    venues.add_closure(venue=venue, start=local(2026, 11, 28), end=None,
                       reason="suspension", actor=make.admin, now=make.now)
    figures = venue_figures(venue, NOVEMBER)
    assert figures.open_hours == 27 * 14 == 378
    assert figures.open_hours == _interval_hours(venue, NOVEMBER)


def test_a_timetable_whose_validity_changes_mid_period(app, make):
    venue = make.venue(hours=[])
    venues.set_opening_hours(venue=venue, actor=make.admin, now=make.now, windows=[
        Window(0, hm("18:00"), hm("21:00"), date(2026, 1, 1), date(2026, 11, 15)),
        Window(0, hm("14:00"), hm("22:00"), date(2026, 11, 16)),
    ])
    figures = venue_figures(venue, NOVEMBER)
    # Mondays 2 and 9 on the old hours (3 h), 16, 23 and 30 on the new ones (8 h, 4 h evening).
    assert figures.open_hours == 2 * 3 + 3 * 8 == 30
    assert figures.evening_hours == 2 * 3 + 3 * 4 == 18
    assert figures.rest_day_hours == 0


def test_a_venue_created_and_archived_mid_period(app, make):
    venue = make.venue()
    venue.created_at = local(2026, 11, 10, 12, 30)
    db.session.flush()
    archive_venue(venue=venue, actor=make.admin, now=local(2026, 11, 20, 10))
    figures = venue_figures(venue, NOVEMBER)
    # 10th from 12:30 (9.5 h), 11th–19th whole (9 × 14 h), 20th until 10:00 (2 h).
    assert figures.open_hours == Fraction(19, 2) + 9 * 14 + 2 == Fraction(275, 2)
    assert figures.to_dict()["open_hours"] == 137.5
    assert figures.evening_hours == 10 * 4
    # Saturday 14 and Sunday 15 are the only rest days alive.
    assert figures.rest_day_hours == 28


def test_a_venue_archived_before_the_period_has_no_hours_and_null_ratios(app, make):
    venue = make.venue()
    archive_venue(venue=venue, actor=make.admin, now=local(2026, 10, 31, 12))
    data = venue_figures(venue, NOVEMBER).to_dict()
    assert data["open_hours"] == 0
    assert data["utilization"] is None
    assert data["committed_hours"] is None and data["commitment_rate"] is None


def test_periods_run_from_local_midnight_not_utc_midnight(app, make):
    # Tuesday 1 December 00:00–02:00 in Shanghai is 30 November 16:00–18:00 UTC: December's.
    venue = make.venue(hours=[(1, "00:00", "02:00")])
    assert venue_figures(venue, NOVEMBER).open_hours == 4 * 2  # Tuesdays 3, 10, 17, 24
    december = venue_figures(venue, Period(date(2026, 12, 1), date(2026, 12, 1)))
    assert december.open_hours == 2


def test_a_daylight_saving_change_gives_a_25_hour_day(app, make):
    # Europe/Berlin leaves summer time on Sunday 25 October 2026 at 03:00 (back to 02:00).
    venue = make.venue(hours=[(6, "00:00", "06:00")], timezone="Europe/Berlin")
    october = Period(date(2026, 10, 1), date(2026, 10, 31))
    figures = venue_figures(venue, october)
    assert figures.open_hours == 6 + 6 + 6 + 7  # Sundays 4, 11, 18 and 25
    assert figures.open_hours == _interval_hours(venue, october)
    start, end = october.bounds(BERLIN)
    assert end - start == timedelta(days=31, hours=1)
