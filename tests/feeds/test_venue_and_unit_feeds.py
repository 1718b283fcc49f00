"""The public venue feed (busy blocks, no personal data) and the unit feed (its managers only)."""

from __future__ import annotations

from datetime import timedelta

from gongjian.bookings.services import cancel_booking, reject_booking
from gongjian.feeds.services import regenerate_unit_feed_token, unit_feed_url
from gongjian.venues.services import archive_venue

from ..factories import local
from .calendars import parse
from .conftest import get


def test_venue_feed_shows_busy_blocks_without_personal_data(client, district, make, clock):
    venue_with_approval = district.venue
    mine = district.booking(title="张三家庭聚会", attendees=12)
    ours = district.booking(day=4, booker=district.member, title="合唱团内部排练",
                            organization_id=district.organization.id)
    cancelled = district.booking(day=5)
    cancel_booking(booking=cancelled, actor=district.resident, now=clock.now)
    make.commit()
    response = get(client, district.venue_url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("public")
    parsed = parse(response.data)
    assert parsed.uids == [f"booking-{mine.id}@gongjian.test", f"booking-{ours.id}@gongjian.test"]
    venue_page = f"https://gongjian.test/venues/{venue_with_approval.id}"
    for event in parsed.events:
        assert sorted(event) == ["CREATED", "DESCRIPTION", "DTEND", "DTSTAMP", "DTSTART",
                                 "LAST-MODIFIED", "LOCATION", "SEQUENCE", "STATUS", "SUMMARY",
                                 "UID", "URL"]
        assert event["SUMMARY"] == "已预约"
        assert event["DESCRIPTION"] == f"该时段已被预约。\n查看空闲时段：{venue_page}"
        assert event["URL"] == venue_page
        assert event["LOCATION"] == (
            f"{district.unit.name}, {district.venue.name}, 和平路1号 3楼")
    text = response.data.decode()
    for personal in (district.resident.name, district.resident.email, district.member.name,
                     district.member.email, "张三家庭聚会", "合唱团内部排练",
                     district.organization.name, "/bookings/"):
        assert personal not in text


def test_venue_feed_lists_pending_and_confirmed_only(client, district, make, clock):
    venue = make.venue(unit=district.unit, requires_approval=True)
    pending = district.booking(venue=venue)
    rejected = district.booking(venue=venue, day=4)
    reject_booking(booking=rejected, actor=district.manager, reason="已满", now=clock.now)
    make.commit()
    parsed = parse(get(client, f"/feeds/venues/{venue.id}.ics").data)
    assert parsed.uids == [f"booking-{pending.id}@gongjian.test"]
    assert parsed.event(pending.id)["STATUS"] == "TENTATIVE"


def test_venue_feed_window(client, district):
    before = district.booking_at(local(2026, 9, 2, 9), hours=1)
    inside = district.booking_at(local(2026, 12, 2, 9), hours=1)
    after = district.booking_at(local(2027, 12, 1, 10), hours=1)
    district.make.commit()
    parsed = parse(get(client, district.venue_url).data)
    assert [parsed.has(b.id) for b in (before, inside, after)] == [False, True, False]


def test_archived_and_unknown_venues_answer_404(client, district, make, now):
    assert get(client, "/feeds/venues/999999.ics").status_code == 404
    archive_venue(venue=district.venue, actor=make.admin, now=now)
    make.commit()
    assert get(client, district.venue_url).status_code == 404


def test_unit_feed_shows_every_booking_with_its_details(client, district, make, clock):
    other_venue = make.venue(unit=district.unit, name="篮球场", kind="sports",
                             requires_approval=True)
    confirmed = district.booking(organization_id=district.organization.id, attendees=25,
                                 title="社区合唱团排练")
    pending = district.booking(venue=other_venue, booker=district.member, title="三人篮球赛")
    cancelled = district.booking(day=6)
    cancel_booking(booking=cancelled, actor=district.manager, reason="临时检修", now=clock.now)
    elsewhere = district.booking(venue=make.venue(), title="别家单位的预约")
    make.commit()
    response = get(client, district.unit_url)
    assert response.headers["Cache-Control"].startswith("private")
    parsed = parse(response.data)
    assert not parsed.has(elsewhere.id)
    event = parsed.event(confirmed.id)
    assert event["SUMMARY"] == "社区合唱团排练"
    for detail in (f"预约人：{district.resident.name}", f"组织：{district.organization.name}",
                   "人数：25", "状态：已通过"):
        assert detail in event["DESCRIPTION"]
    assert parsed.event(pending.id)["STATUS"] == "TENTATIVE"
    assert parsed.event(pending.id)["SUMMARY"] == "【待审核】三人篮球赛"
    assert parsed.event(cancelled.id)["STATUS"] == "CANCELLED"
    assert "原因：临时检修" in parsed.event(cancelled.id)["DESCRIPTION"]
    assert "X-WR-CALNAME:" + f"{district.unit.name} · 全部预约" in response.data.decode()


def test_a_manager_of_another_unit_cannot_read_a_unit_feed(client, district, make):
    other_manager = make.user(name="别的联络员")
    other_unit = make.unit(managers=(other_manager,))
    make.commit()
    own_url = unit_feed_url(other_unit)
    make.commit()
    assert get(client, own_url).status_code == 200
    # Their own token's MAC does not open another unit, nor does a guessed one.
    own_token = own_url.rsplit("/", 1)[1].removesuffix(".ics")
    forged = own_token.replace(f"{other_unit.id}-", f"{district.unit.id}-", 1)
    assert get(client, f"/feeds/units/{forged}").status_code == 404
    assert get(client, f"/feeds/units/{district.unit.id}-{'A' * 32}.ics").status_code == 404
    # A personal token is not a unit token either.
    personal = district.personal_url.rsplit("/", 1)[1]
    make.commit()
    assert get(client, f"/feeds/units/{personal}").status_code == 404


def test_a_regenerated_unit_token_revokes_the_old_url(client, district, clock):
    old = district.unit_url
    district.make.commit()
    assert get(client, old).status_code == 200
    regenerate_unit_feed_token(district.unit, now=clock.now + timedelta(minutes=1))
    district.make.commit()
    assert get(client, old).status_code == 404
    assert get(client, district.unit_url).status_code == 200
