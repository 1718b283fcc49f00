"""My bookings (§8): pending, confirmed, and cancelled ones for 30 days; organization bookings
in every member's feed; the window; revocation."""

from __future__ import annotations

from datetime import timedelta

from gongjian.bookings.services import (
    approve_booking,
    cancel_booking,
    complete_booking,
    reject_booking,
)
from gongjian.feeds.services import regenerate_user_feed_token

from ..factories import local
from .calendars import parse
from .conftest import get


def fetch(client, url):
    response = get(client, url)
    assert response.status_code == 200
    return parse(response.data)


def test_uids_are_stable_across_fetches_and_sequence_rises_after_a_change(
        client, district, clock):
    booking = district.booking()
    district.make.commit()
    first = fetch(client, district.personal_url)
    second = fetch(client, district.personal_url)
    assert first.uids == second.uids == [f"booking-{booking.id}@gongjian.test"]
    assert first.body == second.body
    assert first.event(booking.id)["SEQUENCE"] == 0

    cancel_booking(booking=booking, actor=district.resident, now=clock.now + timedelta(hours=1))
    district.make.commit()
    after = fetch(client, district.personal_url)
    assert after.uids == first.uids
    event = after.event(booking.id)
    assert event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"
    assert event["DTSTAMP"].dt == clock.now + timedelta(hours=1)


def test_pending_is_tentative_until_approved(client, district, make, clock):
    venue = make.venue(unit=district.unit, requires_approval=True)
    booking = district.booking(venue=venue)
    make.commit()
    assert fetch(client, district.personal_url).event(booking.id)["STATUS"] == "TENTATIVE"
    approve_booking(booking=booking, actor=district.manager, now=clock.now)
    make.commit()
    event = fetch(client, district.personal_url).event(booking.id)
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == 1


def test_cancelled_bookings_stay_30_days_after_their_cancellation(client, district, clock):
    booking = district.booking(day=20)
    cancel_booking(booking=booking, actor=district.resident, now=clock.now)
    district.make.commit()
    assert fetch(client, district.personal_url).event(booking.id)["STATUS"] == "CANCELLED"
    clock.now += timedelta(days=29, hours=23)
    assert fetch(client, district.personal_url).has(booking.id)
    clock.now += timedelta(hours=2)
    assert not fetch(client, district.personal_url).has(booking.id)


def test_rejected_requests_leave_and_completed_bookings_stay(client, district, make, clock):
    venue = make.venue(unit=district.unit, requires_approval=True)
    rejected = district.booking(venue=venue, day=5)
    reject_booking(booking=rejected, actor=district.manager, reason="场地维修", now=clock.now)
    done = district.booking(day=1, hour=14)
    complete_booking(booking=done, now=done.end_at)
    make.commit()
    parsed = fetch(client, district.personal_url)
    assert not parsed.has(rejected.id)
    assert parsed.event(done.id)["STATUS"] == "CONFIRMED"


def test_organization_bookings_appear_in_every_members_feed(client, district, make):
    outsider = make.user(name="王五")
    by_member = district.booking(booker=district.member, organization_id=district.organization.id,
                                 title="合唱排练")
    own = district.booking(booker=district.member, day=4, title="个人自习")
    make.commit()
    resident_view = fetch(client, district.personal_url)
    event = resident_view.event(by_member.id)
    assert event["SUMMARY"] == "合唱排练"
    assert f"组织：{district.organization.name}" in event["DESCRIPTION"]
    assert f"预约人：{district.member.name}" in event["DESCRIPTION"]
    assert not resident_view.has(own.id)
    assert fetch(client, district.personal_url_of(district.member)).uids == [
        f"booking-{by_member.id}@gongjian.test", f"booking-{own.id}@gongjian.test"]
    make.commit()
    assert fetch(client, district.personal_url_of(outsider)).uids == []


def test_window_runs_from_90_days_back_to_365_days_ahead(client, district, clock):
    # NOW is 2026-12-01 10:00: the window is [2026-09-02 10:00, 2027-12-01 10:00).
    ended_before = district.booking_at(local(2026, 9, 2, 9), hours=1)
    ends_inside = district.booking_at(local(2026, 9, 2, 10), hours=1)
    starts_inside = district.booking_at(local(2027, 12, 1, 9), hours=1)
    starts_after = district.booking_at(local(2027, 12, 1, 10), hours=1)
    district.make.commit()
    parsed = fetch(client, district.personal_url)
    assert [parsed.has(b.id) for b in (ended_before, ends_inside, starts_inside, starts_after)] == [
        False, True, True, False]
    # The window moves with the clock.
    clock.now += timedelta(days=1)
    parsed = fetch(client, district.personal_url)
    assert [parsed.has(b.id) for b in (ended_before, ends_inside, starts_inside, starts_after)] == [
        False, False, True, True]


def test_chinese_text_arrives_intact(client, district):
    booking = district.booking(title="“邻里守望”志愿者培训：急救与消防（第二期）")
    district.make.commit()
    response = get(client, district.personal_url)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    event = parse(response.data).event(booking.id)
    assert event["SUMMARY"] == "“邻里守望”志愿者培训：急救与消防（第二期）"
    assert "和平路1号 3楼" in event["LOCATION"]


def test_owner_language_and_lang_parameter(client, district):
    district.booking()
    district.make.commit()
    assert b"X-WR-CALNAME:\xe6\x88\x91\xe7\x9a\x84\xe9\xa2\x84\xe7\xba\xa6" in get(
        client, district.personal_url).data  # 我的预约
    english = get(client, district.personal_url + "?lang=en")
    assert b"X-WR-CALNAME:My bookings" in english.data
    assert english.headers["ETag"] != get(client, district.personal_url).headers["ETag"]
    district.resident.locale = "en"
    district.make.commit()
    assert b"Status: Confirmed" in get(client, district.personal_url).data


def test_a_regenerated_token_revokes_the_old_url(client, district, clock):
    old = district.personal_url
    district.make.commit()
    assert get(client, old).status_code == 200
    token = regenerate_user_feed_token(district.resident, now=clock.now)
    district.make.commit()
    new = district.personal_url
    assert new != old
    assert new.endswith(f"/feeds/me/{token}.ics")
    assert get(client, old).status_code == 404
    assert get(client, new).status_code == 200
