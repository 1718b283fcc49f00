"""Periods: presets from the injectable clock, parsing errors naming the field, months."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gongjian.errors import InvalidInput
from gongjian.stats import periods
from gongjian.stats.periods import Period, parse_period, preset


@pytest.mark.parametrize("name, first, last", [
    ("this_month", date(2026, 2, 1), date(2026, 2, 28)),
    ("last_month", date(2026, 1, 1), date(2026, 1, 31)),
    ("quarter", date(2026, 1, 1), date(2026, 3, 31)),
    ("h1", date(2026, 1, 1), date(2026, 6, 30)),
    ("h2", date(2026, 7, 1), date(2026, 12, 31)),
    ("year", date(2026, 1, 1), date(2026, 12, 31)),
    ("year_to_date", date(2026, 1, 1), date(2026, 2, 14)),
])
def test_presets(name, first, last):
    assert preset(name, date(2026, 2, 14)) == Period(first, last)


def test_last_month_in_january_is_last_december_and_quarters_end_right():
    assert preset("last_full_month", date(2026, 1, 5)) == Period(date(2025, 12, 1),
                                                                 date(2025, 12, 31))
    assert preset("quarter", date(2026, 11, 30)) == Period(date(2026, 10, 1),
                                                           date(2026, 12, 31))


def test_today_follows_the_clock_in_the_district_zone(app, clock):
    clock(datetime(2026, 6, 30, 16, 30, tzinfo=UTC))  # already 1 July in Shanghai
    assert periods.today() == date(2026, 7, 1)
    assert preset("h1", periods.today()) == Period(date(2026, 1, 1), date(2026, 6, 30))


@pytest.mark.parametrize("first, last, errors", [
    ("2026-02-30", "2026-03-01", {"from": "invalid_date"}),
    ("2026-01-01", "", {"to": "required"}),
    ("2026-03-01", "2026-02-01", {"to": "before_from"}),
    ("2020-01-01", "2026-01-01", {"to": "range_too_long"}),
])
def test_bad_periods_name_the_field(first, last, errors):
    with pytest.raises(InvalidInput) as caught:
        parse_period(first, last)
    assert caught.value.details["fields"] == errors


def test_months_are_clipped_to_the_period():
    months = list(Period(date(2026, 1, 15), date(2026, 3, 3)).months())
    assert months == [Period(date(2026, 1, 15), date(2026, 1, 31)),
                      Period(date(2026, 2, 1), date(2026, 2, 28)),
                      Period(date(2026, 3, 1), date(2026, 3, 3))]
    assert Period(date(2026, 11, 16), date(2026, 11, 30)).overlap_days(
        date(2026, 11, 1), None) == 15
