"""Policy baseline templates and the check of a weekly timetable against them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gongjian.stats import services as stats
from gongjian.venues.baselines import (
    BASELINES,
    DISTRICT_WEEKLY_HOURS,
    DISTRICT_WEEKLY_OFF_HOURS,
    check_baseline,
    format_hours,
)

from ..factories import hm


def week(*spans: tuple[int | tuple[int, ...], str, str]) -> list[tuple[int, int, int]]:
    """Windows as (weekday or weekdays, "HH:MM", "HH:MM")."""
    found = []
    for days, start, end in spans:
        for day in days if isinstance(days, tuple) else (days,):
            found.append((day, hm(start), hm(end)))
    return found


WORKDAYS, WEEKEND = (0, 1, 2, 3, 4), (5, 6)


@pytest.fixture
def english(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        yield


def verdicts(key, windows) -> list[bool]:
    return [line.ok for line in check_baseline(BASELINES[key], windows).lines]


@pytest.mark.parametrize("key", list(BASELINES))
def test_each_template_meets_its_own_baseline(key):
    baseline = BASELINES[key]
    assert check_baseline(baseline, baseline.template).ok


def test_the_district_baseline_is_the_one_the_figures_use():
    assert DISTRICT_WEEKLY_HOURS == stats.BASELINE_WEEKLY_HOURS
    assert DISTRICT_WEEKLY_OFF_HOURS == stats.BASELINE_WEEKLY_OFF_HOURS


def test_weekday_evenings_need_three_hours_with_two_after_six():
    windows = week((WORKDAYS, "17:30", "20:30"), (WEEKEND, "09:00", "15:00"))
    assert verdicts("weekday_evenings", windows) == [True, True, True]


def test_weekday_evenings_fail_on_a_day_with_too_little_evening():
    windows = week((WORKDAYS, "17:30", "20:30"), (WEEKEND, "09:00", "15:00"),
                   (2, "08:00", "11:00"))
    windows.remove((2, hm("17:30"), hm("20:30")))
    windows.append((2, hm("16:00"), hm("19:00")))  # Wednesday: 6 h, 1 h after 18:00
    result = check_baseline(BASELINES["weekday_evenings"], windows)
    assert [line.ok for line in result.lines] == [True, False, True]
    assert result.lines[1].short_days() == ["Wed"]
    assert [float(d.hours) for d in result.lines[1].days] == [2.5, 2.5, 1, 2.5, 2.5]


def test_rest_days_need_six_hours_each():
    windows = week((WORKDAYS, "18:00", "21:00"), (5, "09:00", "15:00"), (6, "09:00", "14:30"))
    result = check_baseline(BASELINES["weekday_evenings"], windows)
    assert [line.ok for line in result.lines] == [True, True, False]
    assert [float(d.hours) for d in result.lines[2].days] == [6, 5.5]


def test_several_windows_of_a_day_add_up():
    windows = week((WEEKEND, "09:00", "12:00"), (WEEKEND, "13:00", "18:00"))
    assert verdicts("weekends", windows) == [True]


def test_touching_or_overlapping_windows_count_once():
    windows = week((WEEKEND, "09:00", "14:00"), (WEEKEND, "12:00", "16:00"))
    result = check_baseline(BASELINES["weekends"], windows)
    assert [float(d.hours) for d in result.lines[0].days] == [7, 7]
    assert not result.ok


def test_every_evening_needs_the_whole_span_every_day():
    every = (0, 1, 2, 3, 4, 5, 6)
    windows = week((every, "18:00", "20:00"), (every, "20:00", "21:00"))
    assert verdicts("every_evening", windows) == [True]
    windows = week(((0, 1, 2, 3, 4, 5), "17:00", "22:00"), (6, "18:30", "21:00"))
    result = check_baseline(BASELINES["every_evening"], windows)
    assert result.lines[0].short_days() == ["Sun"]


def test_the_district_baseline_counts_evening_and_weekend_hours_once():
    windows = week((WORKDAYS, "08:00", "12:00"), (5, "17:00", "19:00"))
    result = check_baseline(BASELINES["district"], windows)
    assert [line.total for line in result.lines] == [Fraction(22), Fraction(2)]
    assert [line.ok for line in result.lines] == [True, False]


def test_the_numbers_are_worded(english):
    windows = week((WORKDAYS, "18:00", "20:30"), (5, "09:00", "12:00"))
    result = check_baseline(BASELINES["district"], windows)
    assert [(line.rule.text(), line.counted()) for line in result.lines] == [
        ("At least 21 h open a week", "15.5 h of 21 h"),
        ("At least 10 h a week in the evening (after 18:00) or at the weekend", "15.5 h of 10 h"),
    ]
    daily = check_baseline(BASELINES["weekends"], windows).lines[0]
    assert (daily.rule.text(), daily.counted()) == (
        "Saturday and Sunday: at least 8 h open each day", "Sat 3 h · Sun 0 h")


def test_hours_print_with_at_most_two_decimals():
    assert [format_hours(Fraction(n, 60)) for n in (0, 30, 180, 185, 200)] == [
        "0", "0.5", "3", "3.08", "3.33"]


def test_an_empty_timetable_meets_no_baseline():
    assert not any(check_baseline(baseline, []).ok for baseline in BASELINES.values())
