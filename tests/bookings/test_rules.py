"""Every booking rule of product.md §5: its code, its boundaries, and the order of the codes.

NOW is Tuesday 1 December 2026, 10:00 in Shanghai; Saturday 5 December is the usual test day.
Unless a test says otherwise a venue is open 08:00–22:00 every day with the default rules.
Most tests run each request twice, through `create_booking` and through its dry run
`check_booking`, which must give the same answer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification
from gongjian.audit import AuditEvent
from gongjian.bookings.models import BookingStatus
from gongjian.bookings.services import (
    cancel_booking,
    check_booking,
    create_booking,
    expire_pending,
    parse_instant,
    reject_booking,
)
from gongjian.errors import DomainError
from gongjian.extensions import db
from gongjian.venues.models import Venue
from gongjian.venues.services import Window, add_closure, archive_venue, set_opening_hours

from ..factories import local

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
SAT = (2026, 12, 5)  # a Saturday, four days after NOW


def sat(hour: int, minute: int = 0) -> datetime:
    return local(*SAT, hour, minute)


def codes(error: DomainError) -> list[str]:
    return [v.code for v in error.violations]


def row_counts() -> dict[str, int]:
    """Rows in every table, as this session sees them (flushed but uncommitted rows count)."""
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


@pytest.fixture(params=["create", "check"])
def attempt(request, make, now):
    """Send one request through create_booking or check_booking; answer every failed rule's
    code in order ([] when the request passes). Refusals are not rolled back: set-up that was
    not committed stays usable."""
    mode = request.param

    def send(*, venue, start: datetime, end: datetime, booker=None, attendees=10,
             organization_id=None, title: str = "读书会", at: datetime | None = None) -> list[str]:
        request_ = {
            "venue_id": getattr(venue, "id", venue),
            "booker": booker or make.user(),
            "start": start, "end": end, "title": title, "attendees": attendees,
            "organization_id": organization_id, "now": at or now,
        }
        try:
            if mode == "create":
                create_booking(**request_)
                return []
            verdict = check_booking(**request_)
        except DomainError as error:
            assert error.code == error.violations[0].code
            return codes(error)
        return [v.code for v in verdict.violations]

    return send


# invalid_time ------------------------------------------------------------------------------


@pytest.mark.parametrize("naive", ["start", "end", "both"])
def test_naive_times_are_invalid_time(app, make, attempt, naive):
    venue = make.venue()
    start, end = sat(14), sat(15)
    if naive in ("start", "both"):
        start = start.replace(tzinfo=None)
    if naive in ("end", "both"):
        end = end.replace(tzinfo=None)
    assert attempt(venue=venue, start=start, end=end) == ["invalid_time"]


@pytest.mark.parametrize("end", [sat(14), sat(13, 30)], ids=["end_equals_start", "end_before"])
def test_end_not_after_start_is_invalid_time(app, make, attempt, end):
    venue = make.venue()
    assert attempt(venue=venue, start=sat(14), end=end) == ["invalid_time"]


@pytest.mark.parametrize("start", ["2026-12-05T14:00:00+08:00", None, sat(14).date()],
                         ids=["text", "none", "date"])
def test_a_start_that_is_not_a_datetime_is_invalid_time(app, make, attempt, start):
    venue = make.venue()
    assert attempt(venue=venue, start=start, end=sat(15)) == ["invalid_time"]


def test_invalid_time_comes_before_venue_not_found(app, make, attempt):
    assert attempt(venue=999_999, start=sat(15), end=sat(14)) == ["invalid_time"]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-05T14:00:00+08:00", datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
    ("2026-12-05T14:00+08:00", datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
    ("2026-12-05T06:00:00Z", datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
    ("2026-12-05t06:00:00z", datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
    ("2026-12-05T00:30:00-05:00", datetime(2026, 12, 5, 5, 30, tzinfo=UTC)),
    ("2026-12-05T14:00:00.250+08:00", datetime(2026, 12, 5, 6, 0, 0, 250_000, tzinfo=UTC)),
])
def test_parse_instant_reads_rfc3339_with_an_offset(text, expected):
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize("text", [
    "2026-12-05T14:00:00",  # no offset
    "2026-12-05T14:00",  # no offset
    "2026-12-05",  # a date only
    "14:00:00+08:00",  # a time only
    "2026-12-05 14:00:00",  # no offset, space
    "2026-12-05T25:00:00+08:00",  # no such hour
    "2026-02-30T14:00:00+08:00",  # no such day
    "2026-12-05T14:00:00+08",  # offset without minutes
    "2026-12-05T14:00:00+08:00:30",  # offset with seconds
    "2026-12-05T14+08:00",  # hour only
    "20261205T140000+0800",  # ISO 8601 basic format, not RFC 3339
    "2026-W49-6T14:00:00+08:00",  # ISO week date, not RFC 3339
    "２０２６-１２-０５T14:00:00+08:00",  # full-width digits
    "2026-12-05T14:00:00+08:00 trailing",
    "tomorrow at two",
    "",
    None,
    1796450400,
])
def test_parse_instant_refuses_anything_else_as_invalid_time(text):
    with pytest.raises(DomainError) as raised:
        parse_instant(text)
    assert raised.value.code == "invalid_time"
    assert raised.value.status == 422


# venue_not_found ---------------------------------------------------------------------------


def test_unknown_venue_is_venue_not_found(app, make, attempt):
    assert attempt(venue=999_999, start=sat(14), end=sat(15)) == ["venue_not_found"]


def test_archived_venue_is_venue_not_found(app, make, attempt, now):
    venue = make.venue()
    archive_venue(venue=venue, actor=make.admin, now=now)
    assert attempt(venue=venue, start=sat(14), end=sat(15)) == ["venue_not_found"]


@pytest.mark.parametrize("venue_id", [True, "1", 1.0, None])
def test_a_venue_id_that_is_not_an_integer_is_venue_not_found(app, make, attempt, venue_id):
    make.venue()  # id 1 exists: a bool or string must not reach it
    assert attempt(venue=venue_id, start=sat(14), end=sat(15)) == ["venue_not_found"]


def test_venue_not_found_comes_before_the_rules(app, make, attempt):
    suspended = make.user(suspended=True)
    assert attempt(venue=999_999, booker=suspended, start=sat(14, 15), end=sat(15),
                   attendees=0) == ["venue_not_found"]


# booker_suspended --------------------------------------------------------------------------


def test_a_booker_suspended_by_an_admin_is_refused(app, make, attempt):
    venue = make.venue()
    booker = make.user(suspended=True, suspension_reason="多次违规")
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == [
        "booker_suspended"]


def test_a_booker_suspended_until_later_is_refused(app, make, attempt, now):
    venue = make.venue()
    booker = make.user(suspended_until=now + timedelta(minutes=1))
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == [
        "booker_suspended"]


@pytest.mark.parametrize("ended", [timedelta(0), timedelta(days=1)], ids=["just_now", "yesterday"])
def test_a_suspension_that_has_run_out_no_longer_refuses(app, make, attempt, now, ended):
    venue = make.venue()
    booker = make.user(suspended_until=now - ended)
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == []


def test_booker_suspended_answers_403(app, make, now):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        create_booking(venue_id=venue.id, booker=make.user(suspended=True), start=sat(14),
                       end=sat(15), title="读书会", attendees=5, now=now)
    assert (raised.value.code, raised.value.status) == ("booker_suspended", 403)


# audience_not_allowed and not_org_member -----------------------------------------------------


def test_residents_only_venue_refuses_an_organization_booking(app, make, attempt):
    venue = make.venue(audience="residents")
    member = make.user()
    org = make.organization(members=(member,))
    assert attempt(venue=venue, booker=member, organization_id=org.id, start=sat(14),
                   end=sat(15)) == ["audience_not_allowed"]


def test_organizations_only_venue_refuses_a_personal_booking(app, make, attempt):
    venue = make.venue(audience="organizations")
    assert attempt(venue=venue, start=sat(14), end=sat(15)) == ["audience_not_allowed"]


@pytest.mark.parametrize(("audience", "as_org"), [
    ("residents", False), ("organizations", True), ("both", False), ("both", True),
])
def test_audience_admits_its_own_kind_of_booking(app, make, attempt, audience, as_org):
    venue = make.venue(audience=audience)
    member = make.user()
    org = make.organization(members=(member,))
    assert attempt(venue=venue, booker=member, organization_id=org.id if as_org else None,
                   start=sat(14), end=sat(15)) == []


def test_audience_not_allowed_names_the_audience_and_answers_403(app, make, now):
    venue = make.venue(audience="organizations")
    with pytest.raises(DomainError) as raised:
        create_booking(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(15),
                       title="读书会", attendees=5, now=now)
    assert raised.value.violations[0].params == {"audience": "organizations"}
    assert raised.value.status == 403


def test_an_organization_not_yet_approved_cannot_be_booked_for(app, make, attempt):
    venue = make.venue()
    founder = make.user()
    org = make.organization(members=(founder,), approved=False)
    assert attempt(venue=venue, booker=founder, organization_id=org.id, start=sat(14),
                   end=sat(15)) == ["not_org_member"]


def test_only_members_can_book_for_an_organization(app, make, attempt):
    venue = make.venue()
    org = make.organization()
    outsider = make.user()
    assert attempt(venue=venue, booker=outsider, organization_id=org.id, start=sat(14),
                   end=sat(15)) == ["not_org_member"]


def test_an_unknown_organization_is_not_org_member(app, make, attempt):
    venue = make.venue()
    assert attempt(venue=venue, organization_id=999_999, start=sat(14), end=sat(15)) == [
        "not_org_member"]


@pytest.mark.parametrize("organization_id", [True, "1"])
def test_an_organization_id_that_is_not_an_integer_is_not_org_member(app, make, attempt,
                                                                    organization_id):
    founder = make.user()
    make.organization(members=(founder,))  # id 1, and the booker belongs to it
    assert attempt(venue=make.venue(), booker=founder, organization_id=organization_id,
                   start=sat(14), end=sat(15)) == ["not_org_member"]


def test_not_org_member_answers_403(app, make, now):
    venue = make.venue()
    with pytest.raises(DomainError) as raised:
        create_booking(venue_id=venue.id, booker=make.user(), organization_id=999_999,
                       start=sat(14), end=sat(15), title="读书会", attendees=5, now=now)
    assert (raised.value.code, raised.value.status) == ("not_org_member", 403)


def test_a_member_books_for_an_approved_organization(app, make, now):
    venue = make.venue()
    founder, member = make.user(), make.user()
    org = make.organization(members=(founder, member))
    booking = make.booking(venue=venue, booker=member, organization_id=org.id, start=sat(14),
                           end=sat(15))
    assert (booking.organization_id, booking.booker_id) == (org.id, member.id)


# misaligned --------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [
    (sat(14, 15), sat(15, 15)),
    (sat(14), sat(15, 10)),
    (sat(14) + timedelta(seconds=30), sat(15) + timedelta(seconds=30)),
    (sat(14), sat(15) + timedelta(microseconds=1)),
], ids=["start_off", "end_off", "seconds", "microsecond"])
def test_times_off_the_30_minute_grid_are_misaligned(app, make, attempt, start, end):
    venue = make.venue()
    assert attempt(venue=venue, start=start, end=end) == ["misaligned"]


def test_misaligned_names_the_slot_length(app, make, now):
    venue = make.venue(slot_minutes=60)
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=sat(14, 30),
                            end=sat(15, 30), attendees=5, now=now)
    assert [(v.code, v.params) for v in verdict.violations] == [
        ("misaligned", {"slot_minutes": 60})]


@pytest.mark.parametrize(("start", "end", "expected"), [
    (sat(14), sat(15), []),
    (sat(14), sat(16), []),
    (sat(14, 30), sat(15, 30), ["misaligned"]),
    (sat(14), sat(15, 30), ["misaligned"]),
])
def test_an_hourly_grid(app, make, attempt, start, end, expected):
    venue = make.venue(slot_minutes=60)
    assert attempt(venue=venue, start=start, end=end) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    # 14:00 in Kolkata is 08:30 UTC: on the local hour grid, off a UTC one.
    (local(*SAT, 14, zone=KOLKATA), local(*SAT, 15, zone=KOLKATA), []),
    (local(*SAT, 14, 30, zone=KOLKATA), local(*SAT, 15, 30, zone=KOLKATA), ["misaligned"]),
])
def test_the_grid_counts_from_local_midnight_in_a_half_hour_zone(app, make, attempt, start,
                                                                 end, expected):
    venue = make.venue(timezone="Asia/Kolkata", slot_minutes=60)
    assert attempt(venue=venue, start=start, end=end) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    # 14:00 in Kathmandu is 08:15 UTC.
    (local(*SAT, 14, zone=KATHMANDU), local(*SAT, 15, zone=KATHMANDU), []),
    (local(*SAT, 14, 15, zone=KATHMANDU), local(*SAT, 15, 15, zone=KATHMANDU), ["misaligned"]),
])
def test_the_grid_counts_from_local_midnight_in_a_quarter_hour_zone(app, make, attempt, start,
                                                                    end, expected):
    venue = make.venue(timezone="Asia/Kathmandu")
    assert attempt(venue=venue, start=start, end=end) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    # 09:45 is 13 × 45 min after local midnight (01:45 UTC is not on a 45-minute UTC grid).
    (sat(9, 45), sat(10, 30), []),
    (sat(9, 45), sat(11, 15), []),
    (sat(10), sat(10, 45), ["misaligned"]),
    (sat(9, 45), sat(10, 45), ["misaligned"]),
])
def test_a_45_minute_grid_counts_from_local_midnight(app, make, attempt, start, end, expected):
    venue = make.venue(slot_minutes=45)
    assert attempt(venue=venue, start=start, end=end) == expected


# too_short / too_long ----------------------------------------------------------------------


@pytest.mark.parametrize(("end", "expected"), [
    (sat(14, 30), ["too_short"]),
    (sat(15), []),
], ids=["30_of_60", "exactly_60"])
def test_too_short(app, make, attempt, end, expected):
    venue = make.venue(min_duration_minutes=60)
    assert attempt(venue=venue, start=sat(14), end=end) == expected


@pytest.mark.parametrize(("end", "expected"), [
    (sat(18), []),
    (sat(18, 30), ["too_long"]),
], ids=["exactly_240", "270"])
def test_too_long(app, make, attempt, end, expected):
    venue = make.venue()
    assert attempt(venue=venue, start=sat(14), end=end) == expected


def test_duration_violations_name_the_limit(app, make, now):
    venue = make.venue(min_duration_minutes=60, max_duration_minutes=120)
    booker = make.user()
    short = check_booking(venue_id=venue.id, booker=booker, start=sat(14), end=sat(14, 30),
                          attendees=5, now=now)
    long = check_booking(venue_id=venue.id, booker=booker, start=sat(14), end=sat(16, 30),
                         attendees=5, now=now)
    assert [(v.code, v.params) for v in short.violations] == [("too_short", {"minutes": 60})]
    assert [(v.code, v.params) for v in long.violations] == [("too_long", {"minutes": 120})]


# too_soon / too_far_ahead ------------------------------------------------------------------


@pytest.mark.parametrize(("start", "expected"), [
    (local(2026, 12, 1, 10, 30), ["too_soon"]),  # 30 min ahead, notice is 60
    (local(2026, 12, 1, 11), []),  # exactly 60 min ahead
    (local(2026, 12, 1, 9, 30), ["too_soon"]),  # already begun
    (local(2026, 11, 30, 14), ["too_soon"]),  # yesterday
])
def test_too_soon_inside_the_minimum_notice_or_in_the_past(app, make, attempt, start, expected):
    venue = make.venue()
    assert attempt(venue=venue, start=start, end=start + timedelta(hours=1)) == expected


@pytest.mark.parametrize(("start", "expected"), [
    (local(2026, 12, 1, 9, 30), ["too_soon"]),
    (local(2026, 12, 1, 10), []),
])
def test_without_notice_the_past_is_still_too_soon(app, make, attempt, start, expected):
    venue = make.venue(min_notice_minutes=0)
    assert attempt(venue=venue, start=start, end=start + timedelta(hours=1)) == expected


@pytest.mark.parametrize(("start", "expected"), [
    (local(2026, 12, 15, 10), []),  # exactly 14 days ahead
    (local(2026, 12, 15, 10, 30), ["too_far_ahead"]),
    (local(2026, 12, 20, 10), ["too_far_ahead"]),
])
def test_too_far_ahead(app, make, attempt, start, expected):
    venue = make.venue()
    assert attempt(venue=venue, start=start, end=start + timedelta(hours=1)) == expected


def test_timing_violations_name_the_setting(app, make, now):
    venue = make.venue(min_notice_minutes=120, max_advance_days=3)
    booker = make.user()
    soon = check_booking(venue_id=venue.id, booker=booker, start=local(2026, 12, 1, 11),
                         end=local(2026, 12, 1, 12), attendees=5, now=now)
    far = check_booking(venue_id=venue.id, booker=booker, start=sat(14), end=sat(15),
                        attendees=5, now=now)
    assert [(v.code, v.params) for v in soon.violations] == [("too_soon", {"minutes": 120})]
    assert [(v.code, v.params) for v in far.violations] == [("too_far_ahead", {"days": 3})]


# over_capacity -----------------------------------------------------------------------------


@pytest.mark.parametrize(("attendees", "expected"), [
    (0, ["over_capacity"]),
    (-3, ["over_capacity"]),
    (41, ["over_capacity"]),
    (40, []),
    (1, []),
])
def test_attendees_between_one_and_the_capacity(app, make, attempt, attendees, expected):
    venue = make.venue(capacity=40)
    assert attempt(venue=venue, start=sat(14), end=sat(15), attendees=attendees) == expected


def test_a_booking_is_judged_by_the_venue_as_its_lock_finds_it(app, make, now):
    """A venue this session read earlier may have changed since: the booking is checked
    against the row read under the lock, not the stale object."""
    venue = make.venue(capacity=40)
    booker = make.user()
    make.commit()
    assert venue.capacity == 40  # held by the session, read before the change
    with db.engine.begin() as other:
        other.execute(sa.update(Venue.__table__).where(Venue.id == venue.id)
                      .values(capacity=5))
    with pytest.raises(DomainError) as refused:
        create_booking(venue_id=venue.id, booker=booker, start=sat(14), end=sat(15),
                       title="读书会", attendees=10, now=now)
    assert (codes(refused.value), venue.capacity) == (["over_capacity"], 5)


def test_over_capacity_names_the_capacity(app, make, now):
    venue = make.venue(capacity=12)
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(15),
                            attendees=13, now=now)
    assert [(v.code, v.params) for v in verdict.violations] == [
        ("over_capacity", {"capacity": 12})]


# outside_opening_hours ---------------------------------------------------------------------

# Friday closed; Saturday 08–12 and 12–18 (touching: one window); Sunday 08–12 and 13–18.
SPLIT_HOURS = [(5, "08:00", "12:00"), (5, "12:00", "18:00"), (6, "08:00", "12:00"),
               (6, "13:00", "18:00")]


@pytest.mark.parametrize(("start", "end", "expected"), [
    (sat(8), sat(10), []),
    (sat(11), sat(13), []),  # across two windows that touch
    (sat(16), sat(18), []),
    (sat(7, 30), sat(8, 30), ["outside_opening_hours"]),  # starts before opening
    (sat(17), sat(18, 30), ["outside_opening_hours"]),  # ends after closing
    (local(2026, 12, 6, 11, 30), local(2026, 12, 6, 13, 30), ["outside_opening_hours"]),  # gap
    (local(2026, 12, 6, 12), local(2026, 12, 6, 13), ["outside_opening_hours"]),  # in the gap
    (local(2026, 12, 4, 10), local(2026, 12, 4, 11), ["outside_opening_hours"]),  # closed day
], ids=["inside", "touching", "to_closing", "before_open", "after_close", "across_gap",
        "in_gap", "closed_day"])
def test_the_whole_interval_lies_in_opening_hours(app, make, attempt, start, end, expected):
    venue = make.venue(hours=SPLIT_HOURS)
    assert attempt(venue=venue, start=start, end=end) == expected


def test_windows_touching_at_midnight_join(app, make, attempt):
    venue = make.venue(hours=[(4, "20:00", "24:00"), (5, "00:00", "02:00")])
    assert attempt(venue=venue, start=local(2026, 12, 4, 23), end=sat(0, 30)) == []


def test_opening_hours_are_read_in_the_venue_zone(app, make, attempt):
    venue = make.venue(timezone="Asia/Kolkata", hours=[(5, "09:00", "12:00")])
    inside = attempt(venue=venue, start=local(*SAT, 9, zone=KOLKATA),
                     end=local(*SAT, 10, zone=KOLKATA))
    # 09:00 in Shanghai is 06:30 in Kolkata: before opening.
    outside = attempt(venue=venue, start=sat(9), end=sat(10))
    assert (inside, outside) == ([], ["outside_opening_hours"])


def test_a_new_timetable_holds_from_the_next_request_on(app, make, attempt, now):
    """Booking checks keep a venue's timetable by its version, read with the venue: a new
    timetable is a new version, so no request after it is judged by the old one."""
    venue = make.venue(hours=[(5, "08:00", "12:00")])
    make.commit()
    db.session.expire_all()  # the venue as a request reads it, without its windows loaded
    assert attempt(venue=venue, start=sat(9), end=sat(10)) == []
    set_opening_hours(venue=venue, windows=[Window(5, 14 * 60, 18 * 60, date(2026, 1, 1))],
                      actor=make.admin, now=now)
    make.commit()
    db.session.expire_all()
    assert attempt(venue=venue, start=sat(10), end=sat(11)) == ["outside_opening_hours"]
    assert attempt(venue=venue, start=sat(14), end=sat(15)) == []


# closed ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "expected"), [
    (sat(14), sat(16), ["closed"]),  # overlaps the closure's start
    (sat(16), sat(18), ["closed"]),  # inside it
    (sat(13), sat(15), []),  # ends as the closure begins
    (sat(18), sat(19), []),  # starts as it ends
])
def test_closed_when_overlapping_a_closure(app, make, attempt, now, start, end, expected):
    venue = make.venue()
    add_closure(venue=venue, start=sat(15), end=sat(18), reason="maintenance",
                actor=make.admin, now=now)
    assert attempt(venue=venue, start=start, end=end) == expected


@pytest.mark.parametrize(("start", "expected"), [
    (local(2026, 12, 2, 14), []),
    (local(2026, 12, 3, 9), ["closed"]),
    (local(2026, 12, 14, 14), ["closed"]),
])
def test_an_open_ended_suspension_closes_everything_after_it(app, make, attempt, now, start,
                                                             expected):
    venue = make.venue()
    add_closure(venue=venue, start=local(2026, 12, 3), end=None, reason="suspension",
                actor=make.admin, now=now)
    assert attempt(venue=venue, start=start, end=start + timedelta(hours=1)) == expected


def test_a_closure_of_another_venue_does_not_close_this_one(app, make, attempt, now):
    venue, other = make.venue(), make.venue()
    add_closure(venue=other, start=sat(0), end=sat(23), reason="event", actor=make.admin,
                now=now)
    assert attempt(venue=venue, start=sat(14), end=sat(15)) == []


# quota_exceeded ----------------------------------------------------------------------------


def _three_slots() -> list[tuple[datetime, datetime]]:
    return [(local(2026, 12, d, 9), local(2026, 12, d, 10)) for d in (2, 3, 4)]


def test_a_fourth_active_booking_at_one_venue_is_refused(app, make, attempt):
    venue = make.venue()
    booker = make.user()
    for start, end in _three_slots():
        make.booking(venue=venue, booker=booker, start=start, end=end)
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == [
        "quota_exceeded"]


def test_pending_requests_count_towards_the_quota(app, make, attempt):
    venue = make.venue(requires_approval=True)
    booker = make.user()
    for start, end in _three_slots():
        assert make.booking(venue=venue, booker=booker, start=start,
                            end=end).status == BookingStatus.PENDING
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == [
        "quota_exceeded"]


def test_a_booking_under_way_still_counts(app, make, attempt, now):
    venue = make.venue()
    booker = make.user()
    for start, end in _three_slots()[:2]:
        make.booking(venue=venue, booker=booker, start=start, end=end)
    make.booking(venue=venue, booker=booker, start=local(2026, 12, 1, 9),
                 end=local(2026, 12, 1, 11), now=now - timedelta(days=1))
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == [
        "quota_exceeded"]


@pytest.mark.parametrize("end_hour", [10, 9], ids=["ended_just_now", "ended_earlier"])
def test_ended_bookings_do_not_count(app, make, attempt, now, end_hour):
    venue = make.venue()
    booker = make.user()
    for start, end in _three_slots()[:2]:
        make.booking(venue=venue, booker=booker, start=start, end=end)
    # Still `confirmed` (nothing completed it yet) but over by NOW.
    ended = make.booking(venue=venue, booker=booker, start=local(2026, 12, 1, 8),
                         end=local(2026, 12, 1, end_hour), now=now - timedelta(days=1))
    assert ended.status == BookingStatus.CONFIRMED
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == []


def test_cancelled_rejected_and_expired_bookings_do_not_count(app, make, attempt, now):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_approval=True)
    booker = make.user()
    (first, second, third), fourth = _three_slots(), (local(2026, 12, 1, 11),
                                                      local(2026, 12, 1, 12))
    # Never more than three held at once while setting up.
    expiring = make.booking(venue=venue, booker=booker, start=fourth[0], end=fourth[1])
    cancelled = make.booking(venue=venue, booker=booker, start=first[0], end=first[1])
    cancel_booking(booking=cancelled, actor=booker, now=now)
    rejected = make.booking(venue=venue, booker=booker, start=second[0], end=second[1])
    reject_booking(booking=rejected, actor=manager, reason="场地检修", now=now)
    kept = make.booking(venue=venue, booker=booker, start=third[0], end=third[1])
    at = local(2026, 12, 1, 11)
    assert expire_pending(now=at) == 1
    assert [b.status for b in (expiring, cancelled, rejected, kept)] == [
        BookingStatus.EXPIRED, BookingStatus.CANCELLED, BookingStatus.REJECTED,
        BookingStatus.PENDING]
    make.booking(venue=venue, booker=booker, start=sat(9), end=sat(10), now=at)
    # Two slot-holding bookings, so a third fits.
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15), at=at) == []


def test_bookings_at_other_venues_do_not_count(app, make, attempt):
    venue, other = make.venue(), make.venue()
    booker = make.user()
    for start, end in _three_slots():
        make.booking(venue=other, booker=booker, start=start, end=end)
    assert attempt(venue=venue, booker=booker, start=sat(14), end=sat(15)) == []


def test_the_quota_follows_the_venue_setting_and_names_it(app, make, now):
    venue = make.venue(max_active_per_user=1)
    booker = make.user()
    make.booking(venue=venue, booker=booker, start=sat(9), end=sat(10))
    verdict = check_booking(venue_id=venue.id, booker=booker, start=sat(14), end=sat(15),
                            attendees=5, now=now)
    assert [(v.code, v.params) for v in verdict.violations] == [
        ("quota_exceeded", {"limit": 1})]


def test_an_organization_holds_at_most_max_active_per_org(app, make, attempt, now):
    venue = make.venue(max_active_per_org=2)
    first, second, third = make.user(), make.user(), make.user()
    org = make.organization(members=(first, second, third))
    make.booking(venue=venue, booker=first, organization_id=org.id, start=sat(9), end=sat(10))
    make.booking(venue=venue, booker=second, organization_id=org.id, start=sat(10),
                 end=sat(11))
    # The third member holds nothing personally, but the organization is full.
    assert attempt(venue=venue, booker=third, organization_id=org.id, start=sat(14),
                   end=sat(15)) == ["quota_exceeded"]
    verdict = check_booking(venue_id=venue.id, booker=third, organization_id=org.id,
                            start=sat(16), end=sat(17), attendees=5, now=now)
    assert [(v.code, v.params) for v in verdict.violations] == [
        ("quota_exceeded", {"limit": 2})]


def test_personal_bookings_are_not_held_against_the_organization(app, make, attempt):
    venue = make.venue(max_active_per_org=2)
    first, second = make.user(), make.user()
    org = make.organization(members=(first, second))
    make.booking(venue=venue, booker=first, start=sat(9), end=sat(10))
    make.booking(venue=venue, booker=second, start=sat(10), end=sat(11))
    make.booking(venue=venue, booker=first, organization_id=org.id, start=sat(11),
                 end=sat(12))
    assert attempt(venue=venue, booker=second, organization_id=org.id, start=sat(14),
                   end=sat(15)) == []


def test_a_member_may_still_book_personally_when_the_organization_is_full(app, make, attempt):
    venue = make.venue(max_active_per_org=1)
    member = make.user()
    org = make.organization(members=(member,))
    make.booking(venue=venue, booker=member, organization_id=org.id, start=sat(9), end=sat(10))
    assert attempt(venue=venue, booker=member, start=sat(14), end=sat(15)) == []


# conflict ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [
    (sat(15), sat(17)),  # overlaps the end
    (sat(13), sat(14, 30)),  # overlaps the start
    (sat(14, 30), sat(15, 30)),  # inside
    (sat(13), sat(17)),  # around
    (sat(14), sat(16)),  # the same slot
])
@pytest.mark.parametrize("approval", [False, True], ids=["confirmed", "pending"])
def test_overlapping_a_slot_holding_booking_is_a_conflict(app, make, attempt, start, end,
                                                          approval):
    venue = make.venue(requires_approval=approval)
    held = make.booking(venue=venue, start=sat(14), end=sat(16))
    assert held.status == (BookingStatus.PENDING if approval else BookingStatus.CONFIRMED)
    assert attempt(venue=venue, start=start, end=end) == ["conflict"]


@pytest.mark.parametrize(("start", "end"), [(sat(16), sat(18)), (sat(12), sat(14))],
                         ids=["after", "before"])
def test_back_to_back_bookings_do_not_conflict(app, make, attempt, start, end):
    venue = make.venue()
    make.booking(venue=venue, start=sat(14), end=sat(16))
    assert attempt(venue=venue, start=start, end=end) == []


@pytest.mark.parametrize("outcome", ["cancel", "reject"])
def test_cancelled_and_rejected_bookings_do_not_block(app, make, attempt, now, outcome):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_approval=True)
    booker = make.user()
    held = make.booking(venue=venue, booker=booker, start=sat(14), end=sat(16))
    if outcome == "cancel":
        cancel_booking(booking=held, actor=booker, now=now)
    else:
        reject_booking(booking=held, actor=manager, reason="已有安排", now=now)
    assert attempt(venue=venue, start=sat(14), end=sat(16)) == []


def test_an_expired_request_does_not_block_the_rest_of_its_slot(app, make, attempt, now):
    venue = make.venue(requires_approval=True, min_notice_minutes=0)
    make.booking(venue=venue, start=local(2026, 12, 1, 11), end=local(2026, 12, 1, 14))
    at = local(2026, 12, 1, 11)
    assert attempt(venue=venue, start=local(2026, 12, 1, 11, 30), end=local(2026, 12, 1, 13),
                   at=at) == ["conflict"]
    assert expire_pending(now=at) == 1
    assert attempt(venue=venue, start=local(2026, 12, 1, 11, 30), end=local(2026, 12, 1, 13),
                   at=at) == []


def test_bookings_at_another_venue_do_not_conflict(app, make, attempt):
    venue, other = make.venue(), make.venue()
    make.booking(venue=other, start=sat(14), end=sat(16))
    assert attempt(venue=venue, start=sat(14), end=sat(16)) == []


@pytest.mark.parametrize(("start", "end", "expected"), [
    (sat(16), sat(17), ["conflict"]),  # back to back: inside the 30-minute buffer
    (sat(16, 30), sat(17, 30), []),  # exactly the buffer apart
    (sat(13), sat(14), ["conflict"]),
    (sat(12, 30), sat(13, 30), []),
])
def test_the_buffer_widens_every_booking_on_both_sides(app, make, attempt, start, end,
                                                       expected):
    venue = make.venue(buffer_minutes=30)
    make.booking(venue=venue, start=sat(14), end=sat(16))
    assert attempt(venue=venue, start=start, end=end) == expected


def _refusal(**request) -> DomainError:
    with pytest.raises(DomainError) as raised:
        create_booking(title="读书会", attendees=5, **request)
    return raised.value


def _json(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def test_conflict_details_give_the_clashing_intervals_and_the_three_nearest_free_slots(
        app, make, now):
    venue = make.venue()
    make.booking(venue=venue, start=sat(14), end=sat(16), title="张三的生日会")
    error = _refusal(venue_id=venue.id, booker=make.user(), start=sat(14, 30), end=sat(15, 30),
                     now=now)
    assert (error.code, error.status) == ("conflict", 409)
    assert error.details == {
        # Times in the venue's offset; nothing about who booked or why.
        "conflicts": [{"start": "2026-12-05T14:00:00+08:00", "end": "2026-12-05T16:00:00+08:00"}],
        # An hour is free until 14:00 and from 16:00. 13:00 and 16:00 are both 1.5 h from
        # 14:30, 12:30 and 16:30 both 2 h: at equal distance the earlier comes first.
        "suggestions": [
            {"start": "2026-12-05T13:00:00+08:00", "end": "2026-12-05T14:00:00+08:00"},
            {"start": "2026-12-05T16:00:00+08:00", "end": "2026-12-05T17:00:00+08:00"},
            {"start": "2026-12-05T12:30:00+08:00", "end": "2026-12-05T13:30:00+08:00"},
        ],
    }
    assert error.to_dict()["details"]["violations"] == ["conflict"]


def test_conflicts_list_every_clashing_booking_in_order(app, make, now):
    venue = make.venue()
    make.booking(venue=venue, start=sat(16), end=sat(18))
    make.booking(venue=venue, start=sat(12), end=sat(14))
    make.booking(venue=venue, start=sat(19), end=sat(20))  # does not clash
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=sat(13), end=sat(17),
                            attendees=5, now=now)
    assert verdict.error().details["conflicts"] == [_json(sat(12), sat(14)),
                                                    _json(sat(16), sat(18))]


def test_suggestions_keep_the_buffer(app, make, now):
    venue = make.venue(buffer_minutes=30)
    make.booking(venue=venue, start=sat(14), end=sat(16))
    error = _refusal(venue_id=venue.id, booker=make.user(), start=sat(15), end=sat(16),
                     now=now)
    # Free for an hour: up to 12:30 and from 16:30. 16:30 is 1.5 h away, 17:00 2 h,
    # 12:30 and 17:30 both 2.5 h: the earlier first.
    assert error.details["suggestions"] == [
        _json(sat(16, 30), sat(17, 30)), _json(sat(17), sat(18)), _json(sat(12, 30), sat(13, 30)),
    ]


def test_suggestions_skip_closed_nights_and_closures(app, make, now):
    venue = make.venue(hours=[(d, "08:00", "12:00") for d in range(7)])
    make.booking(venue=venue, start=sat(8), end=sat(12))
    booker = make.user()
    verdict = check_booking(venue_id=venue.id, booker=booker, start=sat(10), end=sat(12),
                            attendees=5, now=now)
    # Sunday 08:00 is 22 h after Saturday 10:00; Friday 10:00 is 24 h before it.
    assert verdict.error().details["suggestions"] == [
        _json(local(2026, 12, 6, 8), local(2026, 12, 6, 10)),
        _json(local(2026, 12, 6, 8, 30), local(2026, 12, 6, 10, 30)),
        _json(local(2026, 12, 6, 9), local(2026, 12, 6, 11)),
    ]
    add_closure(venue=venue, start=local(2026, 12, 6), end=local(2026, 12, 7),
                reason="holiday", actor=make.admin, now=now)
    verdict = check_booking(venue_id=venue.id, booker=booker, start=sat(10), end=sat(12),
                            attendees=5, now=now)
    assert verdict.error().details["suggestions"] == [
        _json(local(2026, 12, 4, 10), local(2026, 12, 4, 12)),
        _json(local(2026, 12, 4, 9, 30), local(2026, 12, 4, 11, 30)),
        _json(local(2026, 12, 4, 9), local(2026, 12, 4, 11)),
    ]


def test_suggestions_start_no_sooner_than_the_notice_allows(app, make, now):
    venue = make.venue()
    make.booking(venue=venue, start=local(2026, 12, 1, 13), end=local(2026, 12, 1, 17))
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=local(2026, 12, 1, 13),
                            end=local(2026, 12, 1, 15), attendees=5, now=now)
    # 10:30 and 10:00 would be nearer than 17:00, but start within the hour's notice.
    assert verdict.error().details["suggestions"] == [
        _json(local(2026, 12, 1, 11), local(2026, 12, 1, 13)),
        _json(local(2026, 12, 1, 17), local(2026, 12, 1, 19)),
        _json(local(2026, 12, 1, 17, 30), local(2026, 12, 1, 19, 30)),
    ]


def test_suggestions_start_no_later_than_the_advance_allows(app, make, now):
    venue = make.venue(max_advance_days=1)
    make.booking(venue=venue, start=local(2026, 12, 2, 8), end=local(2026, 12, 2, 12))
    verdict = check_booking(venue_id=venue.id, booker=make.user(), start=local(2026, 12, 2, 9),
                            end=local(2026, 12, 2, 11), attendees=5, now=now)
    # 12:00 tomorrow would be nearest, but bookings may start at most a day ahead (10:00).
    assert verdict.error().details["suggestions"] == [
        _json(local(2026, 12, 1, 20), local(2026, 12, 1, 22)),
        _json(local(2026, 12, 1, 19, 30), local(2026, 12, 1, 21, 30)),
        _json(local(2026, 12, 1, 19), local(2026, 12, 1, 21)),
    ]


@pytest.mark.parametrize("seconds", [0.0, 1.5, 17.123456, 59.999999, 3 * 60 + 17.123456,
                                     29 * 60 + 59.999999])
def test_suggestions_lie_on_the_grid_and_pass_every_rule_whatever_the_clock(app, make, now,
                                                                            seconds):
    venue = make.venue()
    make.booking(venue=venue, start=local(2026, 12, 1, 12), end=local(2026, 12, 1, 16))
    booker = make.user()
    # The free time before the booking starts at now + notice: 11:00 plus the seconds.
    clock = now + timedelta(seconds=seconds)
    verdict = check_booking(venue_id=venue.id, booker=booker, start=local(2026, 12, 1, 12),
                            end=local(2026, 12, 1, 12, 30), attendees=5, now=clock)
    assert len(verdict.suggestions) == 3
    for start, end in verdict.suggestions:
        assert (start.second, start.microsecond, start.minute % 30) == (0, 0, 0)
        assert check_booking(venue_id=venue.id, booker=booker, start=start, end=end,
                             attendees=5, now=clock).ok


def test_fewer_suggestions_when_fewer_slots_are_free(app, make, now):
    venue = make.venue(hours=[(5, "14:00", "16:00")])  # Saturdays 14–16 only
    make.booking(venue=venue, start=sat(14), end=sat(16))
    error = _refusal(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(16),
                     now=now)
    # Within a week either side only next Saturday is free (last Saturday has passed).
    assert error.details == {"conflicts": [_json(sat(14), sat(16))],
                             "suggestions": [_json(local(2026, 12, 12, 14),
                                                   local(2026, 12, 12, 16))]}


def test_no_suggestions_when_nothing_of_that_length_is_free(app, make, now):
    venue = make.venue(hours=[(5, "14:00", "16:00")])
    make.booking(venue=venue, start=sat(14), end=sat(16))
    make.booking(venue=venue, start=local(2026, 12, 12, 14), end=local(2026, 12, 12, 15))
    error = _refusal(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(16),
                     now=now)
    assert error.details == {"conflicts": [_json(sat(14), sat(16))], "suggestions": []}


def test_only_a_conflict_carries_conflict_details(app, make, now):
    venue = make.venue()
    error = _refusal(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(15, 15),
                     now=now)
    assert error.code == "misaligned"
    assert error.details == {}
    assert error.to_dict()["details"] == {"violations": ["misaligned"]}


# The order of the codes ----------------------------------------------------------------------


def test_a_request_failing_every_rule_names_the_first_and_lists_all_in_order(
        app, make, attempt, now):
    venue = make.venue(audience="residents", max_active_per_user=1,
                       hours=[(d, "12:00", "22:00") for d in range(7)])
    booker = make.user()
    make.booking(venue=venue, booker=booker, start=local(2026, 12, 1, 13),
                 end=local(2026, 12, 1, 14))
    add_closure(venue=venue, start=local(2026, 12, 1, 14), end=local(2026, 12, 1, 15),
                reason="maintenance", actor=make.admin, now=now)
    booker.suspended = True
    stranger_org = make.organization()
    assert attempt(
        venue=venue, booker=booker, organization_id=stranger_org.id,
        start=local(2026, 12, 1, 10, 15), end=local(2026, 12, 1, 15, 15), attendees=0,
    ) == [
        "booker_suspended",  # suspended by an admin
        "audience_not_allowed",  # residents only, booked for an organization
        "not_org_member",  # not a member of it
        "misaligned",  # 10:15
        "too_long",  # 5 hours
        "too_soon",  # 15 minutes from now
        "over_capacity",  # nobody attends
        "outside_opening_hours",  # opens at 12:00
        "closed",  # maintenance 14–15
        "quota_exceeded",  # already holds one, the limit
        "conflict",  # with that one, 13–14
    ]


def test_the_other_timing_codes_keep_their_place(app, make, attempt):
    venue = make.venue(min_duration_minutes=60, capacity=10,
                       hours=[(d, "08:00", "12:00") for d in range(7)])
    assert attempt(venue=venue, start=local(2026, 12, 20, 11, 40),
                   end=local(2026, 12, 20, 12, 10), attendees=11) == [
        "misaligned", "too_short", "too_far_ahead", "over_capacity", "outside_opening_hours"]


def test_the_error_envelope_names_the_first_failure_and_lists_all(app, make, now):
    venue = make.venue(audience="organizations", capacity=10)
    with pytest.raises(DomainError) as raised:
        create_booking(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(15),
                       title="读书会", attendees=11, now=now)
    error = raised.value
    assert (error.code, error.status) == ("audience_not_allowed", 403)
    envelope = error.to_dict()
    assert envelope["code"] == "audience_not_allowed"
    assert envelope["details"] == {"violations": ["audience_not_allowed", "over_capacity"]}


# Dry runs write nothing; refusals leave nothing --------------------------------------------


@pytest.mark.parametrize(("start", "end", "ok"), [(sat(16), sat(17), True),
                                                  (sat(14), sat(15), False)])
def test_check_booking_writes_nothing(app, make, now, start, end, ok):
    manager = make.user(name="联络员")
    venue = make.venue(unit=make.unit(managers=(manager,)), requires_approval=True)
    make.booking(venue=venue, start=sat(14), end=sat(15))
    booker = make.user()
    make.commit()
    before = row_counts()
    verdict = check_booking(venue_id=venue.id, booker=booker, start=start, end=end,
                            attendees=5, title="读书会", now=now)
    assert verdict.ok is ok
    assert not db.session.new and not db.session.dirty and not db.session.deleted
    assert row_counts() == before
    db.session.commit()
    assert row_counts() == before


@pytest.mark.parametrize(("start", "end", "attendees", "code"), [
    (sat(14, 30), sat(15, 30), 5, "conflict"),
    (sat(16), sat(17), 0, "over_capacity"),
    (sat(16), sat(17), "5", "invalid_input"),
])
def test_a_refused_booking_leaves_no_booking_audit_event_or_notification(
        app, make, now, start, end, attendees, code):
    venue = make.venue(unit=make.unit(managers=(make.user(name="联络员"),)))
    make.booking(venue=venue, start=sat(14), end=sat(16))
    booker = make.user()
    make.commit()
    before = row_counts()
    assert before["bookings"] == 1
    with pytest.raises(DomainError) as raised:
        create_booking(venue_id=venue.id, booker=booker, start=start, end=end, title="读书会",
                       attendees=attendees, now=now)
    assert raised.value.code == code
    assert row_counts() == before  # refused before anything was flushed
    db.session.rollback()
    assert row_counts() == before


# The outcome of an accepted request ----------------------------------------------------------


def _audit_trail(booking) -> list[tuple]:
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "bookings",
                                    AuditEvent.object_id == booking.id).order_by(AuditEvent.id))
    return [(e.action, e.actor_id, e.before, e.after["status"] if e.after else None)
            for e in events]


def _notices(booking) -> list[tuple[str, int]]:
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.booking_id == booking.id)
        .order_by(Notification.id))
    return [(n.kind, n.user_id) for n in rows]


@pytest.mark.parametrize(("approval", "status", "kind"), [
    (False, BookingStatus.CONFIRMED, "booking_created"),
    (True, BookingStatus.PENDING, "booking_requested"),
])
def test_an_accepted_request_is_confirmed_or_pending_by_the_venue_setting(
        app, make, now, approval, status, kind):
    managers = (make.user(name="联络员"), make.user(name="联络员"))
    venue = make.venue(unit=make.unit(managers=managers), requires_approval=approval)
    booker = make.user()
    booking = create_booking(venue_id=venue.id, booker=booker, start=sat(14), end=sat(15),
                             title="  亲子阅读  ", attendees=12, now=now)
    make.commit()
    db.session.expire_all()
    assert (booking.status, booking.title, booking.attendees, booking.revision) == (
        status, "亲子阅读", 12, 0)
    assert (booking.start_at, booking.end_at) == (sat(14), sat(15))
    assert (booking.created_at, booking.updated_at, booking.decided_at,
            booking.cancelled_at) == (now, now, None, None)
    assert _audit_trail(booking) == [("booking.create", booker.id, None, status.value)]
    assert sorted(_notices(booking)) == [(kind, managers[0].id), (kind, managers[1].id)]


# invalid_input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "error"), [
    ("", "required"), ("   ", "required"), (None, "required"), (42, "required"),
    ("读" * 201, "too_long"),
])
def test_a_bad_title_is_invalid_input_naming_the_field(app, make, attempt, title, error):
    venue = make.venue()
    assert attempt(venue=venue, start=sat(14), end=sat(15), title=title) == ["invalid_input"]
    with pytest.raises(DomainError) as raised:
        create_booking(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(15),
                       title=title, attendees=5, now=local(2026, 12, 1, 10))
    assert raised.value.details == {"fields": {"title": error}}
    assert raised.value.status == 422


def test_a_title_of_200_characters_is_fine(app, make, attempt):
    venue = make.venue()
    assert attempt(venue=venue, start=sat(14), end=sat(15), title="读" * 200) == []


@pytest.mark.parametrize("attendees", ["10", 2.5, 10.0, None, True, [10]])
def test_attendees_of_the_wrong_type_are_invalid_input(app, make, attempt, now, attendees):
    venue = make.venue()
    assert attempt(venue=venue, start=sat(14), end=sat(15), attendees=attendees) == [
        "invalid_input"]
    with pytest.raises(DomainError) as raised:
        check_booking(venue_id=venue.id, booker=make.user(), start=sat(14), end=sat(15),
                      attendees=attendees, now=now)
    assert raised.value.details == {"fields": {"attendees": "not_an_integer"}}


def test_the_dry_run_refuses_in_the_same_order_as_the_real_thing(app, make, attempt):
    # Shape errors come first on both paths, even for a venue that does not exist.
    assert attempt(venue=999_999, start=sat(14), end=sat(15), title=" ") == ["invalid_input"]
