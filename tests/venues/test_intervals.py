"""Half-open interval arithmetic and the local-time helpers behind opening hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from gongjian.venues.intervals import (
    clip,
    covers,
    format_hhmm,
    local_dates,
    local_instant,
    merge,
    minutes_since_local_midnight,
    parse_hhmm,
    subtract,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def t(hour: int, minute: int = 0, day: int = 3) -> datetime:
    """An instant on December `day` 2026, UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def iv(a: int, b: int) -> tuple[datetime, datetime]:
    """[a:00, b:00) on 3 December 2026, UTC."""
    return t(a), t(b)


# merge -----------------------------------------------------------------------------------


def test_merge_of_nothing_is_nothing():
    assert merge([]) == []


def test_merge_sorts_and_keeps_disjoint_intervals():
    assert merge([iv(14, 15), iv(8, 9), iv(10, 11)]) == [iv(8, 9), iv(10, 11), iv(14, 15)]


def test_merge_joins_overlapping_intervals():
    assert merge([iv(8, 12), iv(11, 18)]) == [iv(8, 18)]


def test_merge_joins_touching_intervals():
    assert merge([iv(12, 18), iv(8, 12)]) == [iv(8, 18)]


def test_merge_swallows_a_contained_interval():
    assert merge([iv(8, 18), iv(9, 10), iv(17, 18)]) == [iv(8, 18)]


def test_merge_chains_and_takes_a_generator():
    assert merge(x for x in [iv(8, 10), iv(9, 12), iv(12, 13), iv(15, 16)]) == [
        iv(8, 13), iv(15, 16)
    ]


def test_merge_compares_instants_not_offsets():
    shanghai_noon = datetime(2026, 12, 3, 20, tzinfo=SHANGHAI)  # 12:00 UTC
    assert merge([iv(8, 12), (shanghai_noon, t(14))]) == [(t(8), t(14))]


# subtract --------------------------------------------------------------------------------


def test_subtract_nothing_leaves_the_base():
    assert subtract([iv(8, 18)], []) == [iv(8, 18)]


def test_subtract_a_middle_cut_leaves_two_pieces():
    assert subtract([iv(8, 18)], [iv(12, 14)]) == [iv(8, 12), iv(14, 18)]


def test_subtract_cuts_over_either_end():
    assert subtract([iv(8, 18)], [iv(6, 9), iv(17, 20)]) == [iv(9, 17)]


def test_subtract_a_covering_cut_leaves_nothing():
    assert subtract([iv(8, 18)], [iv(8, 18)]) == []
    assert subtract([iv(8, 18)], [iv(0, 23)]) == []


def test_subtract_cuts_that_only_touch_change_nothing():
    assert subtract([iv(8, 18)], [iv(6, 8), iv(18, 20)]) == [iv(8, 18)]


def test_subtract_merges_unsorted_overlapping_cuts_over_several_bases():
    base = [iv(8, 12), iv(14, 22)]
    cuts = [iv(16, 17), iv(9, 10), iv(11, 15), iv(16, 18), iv(21, 23)]
    assert subtract(base, cuts) == [iv(8, 9), iv(10, 11), iv(15, 16), iv(18, 21)]


def test_subtract_a_cut_spanning_a_gap_trims_both_neighbours():
    assert subtract([iv(8, 12), iv(14, 18)], [iv(10, 16)]) == [iv(8, 10), iv(16, 18)]


# clip ------------------------------------------------------------------------------------


def test_clip_trims_to_the_range_and_drops_what_lies_outside():
    intervals = [iv(6, 9), iv(10, 11), iv(12, 20), iv(21, 22)]
    assert clip(intervals, t(8), t(13)) == [iv(8, 9), iv(10, 11), iv(12, 13)]


def test_clip_drops_intervals_that_only_touch_the_range():
    assert clip([iv(6, 8), iv(13, 15)], t(8), t(13)) == []


def test_clip_keeps_intervals_inside_unchanged():
    assert clip([iv(9, 10)], t(8), t(13)) == [iv(9, 10)]


# covers ----------------------------------------------------------------------------------


def test_covers_an_exact_fit_and_anything_inside():
    assert covers([iv(8, 18)], t(8), t(18))
    assert covers([iv(6, 7), iv(8, 18)], t(11), t(13))


def test_covers_refuses_partial_overlap_and_gaps():
    assert not covers([iv(8, 18)], t(7), t(9))
    assert not covers([iv(8, 18)], t(17), t(19))
    assert not covers([iv(8, 12), iv(13, 18)], t(11), t(14))
    assert not covers([], t(8), t(9))


def test_covers_needs_touching_intervals_merged_first():
    touching = [iv(8, 12), iv(12, 18)]
    assert not covers(touching, t(11), t(13))
    assert covers(merge(touching), t(11), t(13))


# local_instant ---------------------------------------------------------------------------


def test_local_instant_maps_local_minutes_to_utc():
    assert local_instant(date(2026, 12, 3), 8 * 60, SHANGHAI) == t(0)
    assert local_instant(date(2026, 12, 3), 0, SHANGHAI) == t(16, day=2)
    assert local_instant(date(2026, 12, 3), 22 * 60 + 30, SHANGHAI) == t(14, 30)


def test_local_instant_answers_utc():
    instant = local_instant(date(2026, 12, 3), 8 * 60, SHANGHAI)
    assert instant.tzinfo is UTC


def test_local_instant_1440_is_the_next_local_midnight():
    assert local_instant(date(2026, 12, 3), 1440, SHANGHAI) == local_instant(
        date(2026, 12, 4), 0, SHANGHAI
    ) == t(16)


def test_local_instant_follows_daylight_saving_time():
    # Berlin springs forward on Sunday 28 March 2027 and falls back on Sunday 31 October.
    assert local_instant(date(2027, 3, 27), 480, BERLIN) == datetime(2027, 3, 27, 7, tzinfo=UTC)
    assert local_instant(date(2027, 3, 28), 480, BERLIN) == datetime(2027, 3, 28, 6, tzinfo=UTC)
    assert local_instant(date(2027, 10, 30), 480, BERLIN) == datetime(2027, 10, 30, 6, tzinfo=UTC)
    assert local_instant(date(2027, 10, 31), 480, BERLIN) == datetime(2027, 10, 31, 7, tzinfo=UTC)
    spring = date(2027, 3, 28)
    autumn = date(2027, 10, 31)
    assert (local_instant(spring, 1440, BERLIN) - local_instant(spring, 0, BERLIN)).total_seconds(
    ) == 23 * 3600
    assert (local_instant(autumn, 1440, BERLIN) - local_instant(autumn, 0, BERLIN)).total_seconds(
    ) == 25 * 3600


# local_dates -----------------------------------------------------------------------------


def test_local_dates_of_one_local_day_is_that_day_only():
    start = datetime(2026, 12, 3, tzinfo=SHANGHAI)
    end = datetime(2026, 12, 4, tzinfo=SHANGHAI)
    assert local_dates(start, end, SHANGHAI) == [date(2026, 12, 3)]


def test_local_dates_counts_every_date_touched():
    start = datetime(2026, 12, 3, 23, tzinfo=SHANGHAI)
    end = datetime(2026, 12, 6, 0, 30, tzinfo=SHANGHAI)
    assert local_dates(start, end, SHANGHAI) == [
        date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)
    ]


def test_local_dates_depend_on_the_zone():
    # 16:00–17:00 UTC on 2 December is 00:00–01:00 on 3 December in Shanghai.
    start, end = t(16, day=2), t(17, day=2)
    assert local_dates(start, end, SHANGHAI) == [date(2026, 12, 3)]
    assert local_dates(start, end, ZoneInfo("UTC")) == [date(2026, 12, 2)]


# parse_hhmm ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "minutes"), [
    ("00:00", 0), ("07:00", 420), ("08:30", 510), ("12:05", 725), ("23:59", 1439),
])
def test_parse_hhmm_reads_minutes_after_midnight(text, minutes):
    assert parse_hhmm(text) == minutes
    assert parse_hhmm(text, allow_24=True) == minutes
    assert format_hhmm(minutes) == text


def test_parse_hhmm_accepts_24_00_only_as_an_end():
    with pytest.raises(ValueError):
        parse_hhmm("24:00")
    assert parse_hhmm("24:00", allow_24=True) == 1440
    assert format_hhmm(1440) == "24:00"


@pytest.mark.parametrize("text", [
    "7:00", "07:0", "0700", "07.00", "25:00", "12:60", "24:01", "24:30", "99:99", "", ":",
    "ab:cd", "-1:00", "+7:00", " 7:00", "07:00 ", "07:00:00", "１２:００",
])
def test_parse_hhmm_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_hhmm(text, allow_24=True)
    with pytest.raises(ValueError):
        parse_hhmm(text)


# minutes_since_local_midnight ------------------------------------------------------------


def test_minutes_since_local_midnight_counts_wall_clock_minutes():
    assert minutes_since_local_midnight(t(0, 30), SHANGHAI) == 8 * 60 + 30
    # 08:00 on the day Berlin springs forward is still minute 480 of the local day.
    assert minutes_since_local_midnight(datetime(2027, 3, 28, 6, tzinfo=UTC), BERLIN) == 480
