"""The district table: ranking, shortfalls against agreements and the policy baseline, the
unit dashboard's extras (heat map, people by community), venues in several time zones."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from gongjian.bookings import services as bookings
from gongjian.extensions import db
from gongjian.stats.models import Agreement
from gongjian.stats.services import (
    Level,
    Scope,
    baseline_hours,
    booking_heatmap,
    compute_figures,
    district_table,
    people_by_community,
    shortfalls,
)

from ..factories import local
from .conftest import NOVEMBER

BERLIN = ZoneInfo("Europe/Berlin")


def test_ranking_and_shortfalls(app, make):
    open_unit = make.unit()
    make.venue(unit=open_unit)  # 420 h in November; 84 evening + 126 weekend hours
    weekend_unit = make.unit()
    make.venue(unit=weekend_unit, hours=[(5, "09:00", "12:00")])  # 12 h
    promised = make.unit()
    make.venue(unit=promised, hours=[(d, "18:00", "21:00") for d in range(7)])  # 90 h
    db.session.add(Agreement(unit=promised, community=promised.community,
                             signed_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
                             valid_until=None, committed_hours_per_week=Decimal("28")))
    db.session.flush()
    scope = Scope(unit_ids=[open_unit.id, weekend_unit.id, promised.id])
    rows = district_table(NOVEMBER, scope)
    assert [r.unit.id for r in rows] == [open_unit.id, promised.id, weekend_unit.id]
    assert baseline_hours(NOVEMBER) == (90, Fraction(300, 7))
    gaps = {r.unit.id: r.baseline_gap for r in rows}
    assert gaps[open_unit.id] == 0
    assert gaps[weekend_unit.id] == 90 - 12
    assert gaps[promised.id] == 0  # exactly 90 h, all of them evening
    behind, below = shortfalls(rows)
    # 28 h a week over 30 days is 120 h; 90 opened.
    assert [(r.unit.id, r.agreement_gap) for r in behind] == [(promised.id, 30)]
    assert [r.unit.id for r in below] == [weekend_unit.id]
    by_name = district_table(NOVEMBER, scope, sort="utilization", descending=False)
    assert {r.unit.id for r in by_name} == {open_unit.id, weekend_unit.id, promised.id}


def test_filters_by_community_street_and_type(app, make):
    first = make.unit()
    second = make.unit()
    make.venue(unit=first)
    make.venue(unit=second)
    rows = district_table(NOVEMBER, Scope(community_id=first.community_id))
    assert [r.unit.id for r in rows] == [first.id]
    rows = district_table(NOVEMBER, Scope(street_id=second.community.street_id))
    assert [r.unit.id for r in rows] == [second.id]
    assert district_table(NOVEMBER, Scope(unit_type="school")) == []


def test_venues_in_two_time_zones_of_one_unit(app, make):
    unit = make.unit()
    shanghai = make.venue(unit=unit, hours=[(d, "00:00", "24:00") for d in range(7)])
    berlin = make.venue(unit=unit, timezone="Europe/Berlin",
                        hours=[(d, "00:00", "24:00") for d in range(7)])
    booker = make.user()
    # 30 Nov 23:00 – 1 Dec 01:00 in Berlin: one hour in Berlin's November.
    start = datetime(2026, 11, 30, 23, tzinfo=BERLIN)
    make.booking(venue=berlin, booker=booker, start=start, end=start + timedelta(hours=2),
                 now=start - timedelta(days=1))
    start = local(2026, 11, 30, 23)
    make.booking(venue=shanghai, booker=booker, start=start, end=start + timedelta(hours=2),
                 now=start - timedelta(days=1))
    figures = compute_figures(NOVEMBER, level=Level.UNIT, scope=Scope(unit_ids=[unit.id]))[
        unit.id]
    assert figures.booked_hours == 2
    assert figures.bookings_total == 2 and figures.distinct_bookers == 1
    # Each venue's November, in its own zone (no clock change in November).
    assert figures.open_hours == 2 * 30 * 24
    by_venue = compute_figures(NOVEMBER, level="venue", scope=Scope(unit_ids=[unit.id]))
    assert by_venue[berlin.id].booked_hours == 1 and by_venue[shanghai.id].booked_hours == 1


def test_heatmap_counts_starts_by_local_weekday_and_hour(app, make):
    unit = make.unit()
    venue = make.venue(unit=unit)
    berlin = make.venue(unit=unit, timezone="Europe/Berlin")
    manager = make.admin
    # Monday 2 November 09:00 and 11:00 (Shanghai): weekday 0, hours 9 and 11.
    for hour in (9, 11):
        start = local(2026, 11, 2, hour)
        make.booking(venue=venue, start=start, end=start + timedelta(hours=1),
                     now=start - timedelta(days=1))
    # Saturday 7 November 20:00 in Berlin is Sunday 03:00 in Shanghai: counted as Saturday 20.
    start = datetime(2026, 11, 7, 20, tzinfo=BERLIN)
    booking = make.booking(venue=berlin, start=start, end=start + timedelta(hours=1),
                           now=start - timedelta(days=1))
    bookings.mark_no_show(booking=booking, actor=manager, now=start + timedelta(minutes=30))
    cancelled = make.booking(venue=venue, start=local(2026, 11, 4, 15),
                             end=local(2026, 11, 4, 16), now=local(2026, 11, 3, 15))
    bookings.cancel_booking(booking=cancelled, actor=cancelled.booker,
                            now=local(2026, 11, 3, 16))
    grid = booking_heatmap(unit, NOVEMBER)
    assert grid[0][9] == 1 and grid[0][11] == 1
    assert grid[5][20] == 1
    assert grid[2][15] == 0  # cancelled bookings do not count
    assert sum(map(sum, grid)) == 3


def test_people_served_by_community(app, make):
    unit = make.unit()
    venue = make.venue(unit=unit)
    home = make.community()
    resident = make.user(community=home)
    member = make.user()
    org = make.organization(members=(member,))
    stranger = make.user()
    for day, booker, attendees, org_id in ((2, resident, 8, None), (3, member, 30, org.id),
                                           (4, stranger, 5, None)):
        start = local(2026, 11, day, 10)
        booking = make.booking(venue=venue, booker=booker, start=start,
                               end=start + timedelta(hours=1), attendees=attendees,
                               organization_id=org_id, now=start - timedelta(days=1))
        bookings.complete_booking(booking=booking, now=start + timedelta(hours=1))
    rows = people_by_community(unit, NOVEMBER)
    # Two communities of the same name in different streets stay apart.
    assert rows == [(org.community.name, 30), (home.name, 8), (None, 5)]
