"""Booking figures (§7): SQL aggregates per venue and pooled per unit, with exact numbers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from gongjian.bookings import services as bookings
from gongjian.stats.models import Agreement
from gongjian.stats.periods import Period
from gongjian.stats.services import (
    Level,
    Scope,
    compute_figures,
    district_figures,
    monthly_series,
    unit_openness,
    venue_figures,
)

from ..factories import local
from .conftest import NOVEMBER, insert_booking

ALL_DAY = [(d, "00:00", "24:00") for d in range(7)]


def _book(make, venue, start, end, *, booker=None, attendees=10, organization_id=None):
    """A booking made a day ahead through the real rules."""
    return make.booking(venue=venue, booker=booker, start=start, end=end, attendees=attendees,
                        organization_id=organization_id, now=start - timedelta(days=1))


def test_a_booking_crossing_the_period_edge_counts_only_inside(app, make):
    venue = make.venue(hours=ALL_DAY)
    booking = _book(make, venue, local(2026, 10, 31, 23), local(2026, 11, 1, 1))
    bookings.complete_booking(booking=booking, now=local(2026, 11, 1, 1))
    november = venue_figures(venue, NOVEMBER)
    assert november.booked_hours == 1 and november.used_hours == 1
    assert november.bookings_total == 0  # it starts in October
    assert november.people_served == 0
    october = venue_figures(venue, Period(date(2026, 10, 1), date(2026, 10, 31)))
    assert october.booked_hours == 1 and october.bookings_total == 1
    assert october.people_served == 10
    # The monthly series splits it the same way.
    months, series = monthly_series(Period(date(2026, 10, 1), date(2026, 11, 30)),
                                    level=Level.VENUE, scope=Scope(venue_ids=[venue.id]))
    assert [m.first for m in months] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert [f.booked_hours for f in series[venue.id]] == [1, 1]
    assert [f.bookings_total for f in series[venue.id]] == [1, 0]


def test_bookings_around_local_midnight_of_the_last_day(app, make):
    venue = make.venue(hours=ALL_DAY)
    # 30 Nov 23:00 – 1 Dec 01:00 local: one hour in November (UTC 15:00–17:00 on the 30th).
    _book(make, venue, local(2026, 11, 30, 23), local(2026, 12, 1, 1))
    # 1 Dec 07:00–08:00 local is still 30 November in UTC: not November's.
    _book(make, venue, local(2026, 12, 1, 7), local(2026, 12, 1, 8))
    figures = venue_figures(venue, NOVEMBER)
    assert figures.booked_hours == 1
    assert figures.bookings["confirmed"] == 1 and figures.bookings_total == 1
    assert figures.open_hours == 30 * 24
    assert figures.to_dict()["utilization"] == float(round(Decimal(1) / 720, 4))


def test_statuses_that_must_not_count_as_booked_or_used(app, make):
    venue = make.venue()
    manager = make.admin
    booker = make.user()
    day = [local(2026, 11, d, 10) for d in range(2, 9)]

    def slot(i, hours=2):
        return day[i], day[i] + timedelta(hours=hours)

    completed = _book(make, venue, *slot(0), booker=booker, attendees=7)
    bookings.complete_booking(booking=completed, now=slot(0)[1])
    no_show = _book(make, venue, *slot(1), attendees=9)
    bookings.mark_no_show(booking=no_show, actor=manager, now=slot(1)[0] + timedelta(hours=1))
    _book(make, venue, *slot(2, 3))  # stays confirmed
    cancelled = _book(make, venue, *slot(3))
    bookings.cancel_booking(booking=cancelled, actor=cancelled.booker,
                            now=slot(3)[0] - timedelta(hours=5))
    insert_booking(venue=venue, booker=make.user(), start=slot(4)[0], end=slot(4)[1],
                   status="rejected", decided_at=slot(4)[0] - timedelta(days=1))
    insert_booking(venue=venue, booker=make.user(), start=slot(5)[0], end=slot(5)[1],
                   status="expired")
    insert_booking(venue=venue, booker=make.user(), start=slot(6)[0], end=slot(6)[1],
                   status="pending")
    figures = venue_figures(venue, NOVEMBER)
    assert figures.booked_hours == 2 + 2 + 3  # completed, no-show, confirmed
    assert figures.used_hours == 2  # completed only
    assert figures.bookings == {"pending": 1, "confirmed": 1, "rejected": 1, "cancelled": 1,
                                "expired": 1, "completed": 1, "no_show": 1}
    assert figures.people_served == 7
    assert figures.distinct_bookers == 2  # confirmed and completed bookers
    data = figures.to_dict()
    assert data["bookings"]["total"] == 7
    assert data["cancellation_rate"] == round(1 / 7, 4)
    assert data["no_show_rate"] == 0.5
    assert data["approval_rate"] == 0.0  # one decided: rejected
    assert data["utilization"] == round(7 / 420, 4)


def test_approval_rate_and_median_decision_hours(app, make):
    venue = make.venue(requires_approval=True)
    manager = make.admin

    def request(day):
        start = local(2026, 11, day, 10)
        return _book(make, venue, start, start + timedelta(hours=1)), start - timedelta(days=1)

    approved, made = request(2)
    bookings.approve_booking(booking=approved, actor=manager, now=made + timedelta(hours=2))
    approved_then_cancelled, made = request(3)
    bookings.approve_booking(booking=approved_then_cancelled, actor=manager,
                             now=made + timedelta(hours=4))
    bookings.cancel_booking(booking=approved_then_cancelled,
                            actor=approved_then_cancelled.booker, now=made + timedelta(hours=5))
    rejected, made = request(4)
    bookings.reject_booking(booking=rejected, actor=manager, reason="内部会议",
                            now=made + timedelta(hours=6, minutes=30))
    undecided, made = request(5)
    bookings.expire_booking(booking=undecided, now=local(2026, 11, 5, 10))
    request(6)  # still pending
    figures = venue_figures(venue, NOVEMBER)
    assert (figures.approved, figures.rejected) == (2, 1)
    assert figures.to_dict()["approval_rate"] == 0.6667
    assert figures.median_decision_hours == 4  # of 2, 4 and 6.5 hours
    # An even count takes the mean of the middle two.
    request(7)[0]
    late, made = request(9)
    bookings.approve_booking(booking=late, actor=manager, now=made + timedelta(hours=9))
    assert venue_figures(venue, NOVEMBER).median_decision_hours == Fraction(4 + 6.5) / 2


def test_ratings_give_satisfaction_for_bookings_starting_in_the_period(app, make):
    venue = make.venue()
    booker = make.user()
    for day, rating in ((3, 5), (4, 4), (5, 4)):
        start = local(2026, 11, day, 9)
        booking = _book(make, venue, start, start + timedelta(hours=1), booker=booker)
        bookings.complete_booking(booking=booking, now=start + timedelta(hours=1))
        bookings.rate_booking(booking=booking, actor=booker, rating=rating,
                              now=start + timedelta(hours=2))
    # Rated, but it started in October.
    insert_booking(venue=venue, booker=booker, start=local(2026, 10, 30, 9),
                   end=local(2026, 10, 30, 10), status="completed", rating=1)
    figures = venue_figures(venue, NOVEMBER)
    assert figures.ratings == 3
    assert figures.satisfaction == Fraction(13, 3)
    assert figures.to_dict()["satisfaction"] == 4.33


def test_a_unit_sums_its_venues_and_counts_distinct_people_across_them(app, make):
    manager = make.user(name="管理员")
    unit = make.unit(managers=(manager,))
    first = make.venue(unit=unit, hours=[(0, "18:00", "21:00")])
    second = make.venue(unit=unit, hours=[(5, "08:00", "12:00")])
    regular = make.user()
    member = make.user()
    org = make.organization(members=(member,))
    for venue, start in ((first, local(2026, 11, 2, 18)), (second, local(2026, 11, 7, 8))):
        booking = _book(make, venue, start, start + timedelta(hours=2), booker=regular,
                        attendees=12)
        bookings.complete_booking(booking=booking, now=start + timedelta(hours=2))
        _book(make, venue, start + timedelta(hours=2), start + timedelta(hours=3),
              booker=member, organization_id=org.id, attendees=20)
    unit_figures, by_venue = unit_openness(unit, NOVEMBER)
    venue_data = [f for _v, f in by_venue]
    assert [f.distinct_bookers for f in venue_data] == [2, 2]
    assert unit_figures.distinct_bookers == 2  # not 4: the same two people
    assert unit_figures.organizations_served == 1
    assert unit_figures.open_hours == 5 * 3 + 4 * 4 == 31
    assert unit_figures.booked_hours == 2 * 3 == sum(f.booked_hours for f in venue_data)
    assert unit_figures.people_served == 24  # completed only
    assert unit_figures.bookings_total == 4
    assert unit_figures.to_dict()["utilization"] == round(6 / 31, 4)
    # The same unit seen from its community, its street and the district.
    community = compute_figures(NOVEMBER, level=Level.COMMUNITY,
                                scope=Scope(unit_ids=[unit.id]))[unit.community_id]
    assert community.open_hours == 31 and community.distinct_bookers == 2
    street = compute_figures(NOVEMBER, level="street", scope=Scope(unit_ids=[unit.id]))
    assert street[unit.community.street_id].booked_hours == 6
    assert district_figures(NOVEMBER).people_served == 24


def test_agreements_cover_part_of_the_period(app, make):
    unit = make.unit()
    make.venue(unit=unit)  # 420 h in November
    community = unit.community
    from gongjian.extensions import db

    db.session.add_all([
        Agreement(unit=unit, community=community, signed_on=date(2026, 11, 1),
                  valid_from=date(2026, 11, 16), valid_until=date(2027, 12, 31),
                  committed_hours_per_week=Decimal("14")),
        Agreement(unit=unit, street=community.street, signed_on=date(2025, 12, 1),
                  valid_from=date(2026, 1, 1), valid_until=date(2026, 11, 30),
                  committed_hours_per_week=Decimal("7.5")),
        # Ends the day before the period: no days inside.
        Agreement(unit=unit, community=community, signed_on=date(2025, 1, 1),
                  valid_from=date(2025, 1, 1), valid_until=date(2026, 10, 31),
                  committed_hours_per_week=Decimal("99")),
    ])
    db.session.flush()
    figures = compute_figures(NOVEMBER, level=Level.UNIT, scope=Scope(unit_ids=[unit.id]))[
        unit.id]
    # 16–30 November is 15 days (both ends count): 14 × 15/7 = 30; 7.5 × 30/7 = 225/7.
    assert figures.committed_hours == 30 + Fraction(225, 7)
    assert figures.to_dict()["committed_hours"] == 62.14
    assert figures.commitment_rate == Fraction(420) / (30 + Fraction(225, 7))
    assert figures.to_dict()["commitment_rate"] == 6.7586


def test_no_open_hours_and_no_bookings_give_null_ratios(app, make):
    unit = make.unit()
    make.venue(unit=unit, hours=[])
    data = compute_figures(NOVEMBER, level="unit", scope=Scope(unit_ids=[unit.id]))[
        unit.id].to_dict()
    assert data["open_hours"] == 0 and data["booked_hours"] == 0
    for ratio in ("utilization", "approval_rate", "cancellation_rate", "no_show_rate",
                  "satisfaction", "median_decision_hours", "commitment_rate"):
        assert data[ratio] is None, ratio
    assert data["committed_hours"] == 0  # a unit without agreements promised nothing
    assert data["bookings"] == {"total": 0, "pending": 0, "confirmed": 0, "rejected": 0,
                                "cancelled": 0, "expired": 0, "completed": 0, "no_show": 0}


def test_a_unit_without_venues_still_has_a_row(app, make):
    unit = make.unit()
    figures = compute_figures(NOVEMBER, level="unit", scope=Scope(unit_ids=[unit.id]))
    assert figures[unit.id].open_hours == 0


def test_monthly_series_add_up_to_the_whole_period(app, make):
    venue = make.venue(hours=ALL_DAY)
    booker = make.user()
    for start in (local(2026, 9, 30, 23), local(2026, 10, 15, 9), local(2026, 10, 31, 23),
                  local(2026, 11, 29, 9)):
        booking = _book(make, venue, start, start + timedelta(hours=2), booker=booker)
        bookings.complete_booking(booking=booking, now=start + timedelta(hours=2))
    period = Period(date(2026, 10, 1), date(2026, 11, 30))
    whole = venue_figures(venue, period)
    months, series = monthly_series(period, level="venue", scope=Scope(venue_ids=[venue.id]))
    parts = series[venue.id]
    assert [f.booked_hours for f in parts] == [1 + 2 + 1, 1 + 2]
    assert sum(f.booked_hours for f in parts) == whole.booked_hours == 7
    assert sum(f.open_hours for f in parts) == whole.open_hours == 61 * 24
    assert [f.bookings_total for f in parts] == [2, 1]
