"""The pure builder: bookings → RFC 5545 bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gongjian.bookings.services import cancel_booking
from gongjian.feeds.ics import PRODID, CalendarInfo, Links, View, build_calendar
from gongjian.feeds.services import WINDOW_AFTER

from ..factories import local
from .calendars import lint, parse

LINKS = Links("https://gongjian.test")


def info(view: View = View.PERSONAL, *, name: str = "我的预约 · 共建",
         timezone: str = "Asia/Shanghai", locale: str = "zh") -> CalendarInfo:
    return CalendarInfo(name=name, timezone=timezone, view=view, links=LINKS, locale=locale)


def lines(body: bytes) -> list[str]:
    return body.decode("utf-8").split("\r\n")


def test_calendar_carries_every_property_of_the_contract(district):
    body = build_calendar([district.booking()], info())
    head = lines(body)[: lines(body).index("BEGIN:VTIMEZONE")]
    assert head[0] == "BEGIN:VCALENDAR"
    for expected in (f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
                     "X-WR-CALNAME:我的预约 · 共建", "X-WR-TIMEZONE:Asia/Shanghai",
                     "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"):
        assert expected in head


def test_event_carries_every_property_of_the_contract(district):
    booking = district.booking(day=3, hour=14, hours=2)
    event = parse(build_calendar([booking], info())).event(booking.id)
    raw = event.to_ical().decode()
    assert event["UID"] == f"booking-{booking.id}@gongjian.test"
    assert event["DTSTAMP"].dt == booking.updated_at
    assert "DTSTART;TZID=Asia/Shanghai:20261203T140000" in raw
    assert "DTEND;TZID=Asia/Shanghai:20261203T160000" in raw
    assert event["DTSTART"].dt == local(2026, 12, 3, 14)
    assert event["SUMMARY"] == "党员学习会"
    assert event["LOCATION"] == f"{district.unit.name}, {district.venue.name}, 和平路1号 3楼"
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == booking.revision == 0
    assert event["LAST-MODIFIED"].dt == booking.updated_at
    assert event["URL"] == f"https://gongjian.test/bookings/{booking.id}"
    assert "状态：已通过" in event["DESCRIPTION"]
    assert "人数：10" in event["DESCRIPTION"]
    assert f"详情：https://gongjian.test/bookings/{booking.id}" in event["DESCRIPTION"]


def test_dtstamp_is_the_last_change_so_the_same_bookings_give_the_same_bytes(district, now):
    booking = district.booking()
    first = build_calendar([booking], info())
    assert build_calendar([booking], info()) == first
    cancel_booking(booking=booking, actor=district.resident, now=now + timedelta(hours=1))
    changed = parse(build_calendar([booking], info())).event(booking.id)
    assert changed["DTSTAMP"].dt == now + timedelta(hours=1)
    assert changed["SEQUENCE"] == 1
    assert changed["STATUS"] == "CANCELLED"
    assert changed["SUMMARY"] == "【已取消】党员学习会"


def test_each_zone_used_gets_a_vtimezone_generated_from_zoneinfo(district, make):
    berlin = make.venue(unit=district.unit, timezone="Europe/Berlin", max_advance_days=400)
    here = district.booking()
    there = district.booking_at(datetime(2027, 3, 28, 10, tzinfo=ZoneInfo("Europe/Berlin")),
                                venue=berlin)
    parsed = parse(build_calendar([here, there], info()))
    zones = {str(tz["TZID"]): tz for tz in parsed.calendar.walk("VTIMEZONE")}
    assert set(zones) == {"Asia/Shanghai", "Europe/Berlin"}
    # Berlin's daylight saving rules come along; its summer time started that very night.
    assert zones["Europe/Berlin"].walk("DAYLIGHT")
    assert parsed.event(there.id)["DTSTART"].dt == there.start_at
    assert parsed.event(there.id)["DTSTART"].dt.utcoffset() == timedelta(hours=2)


def test_a_utc_venue_needs_no_vtimezone(district, make):
    venue = make.venue(unit=district.unit, timezone="UTC")
    booking = district.booking_at(datetime(2026, 12, 3, 9, tzinfo=UTC), venue=venue)
    body = build_calendar([booking], info(timezone="UTC"))
    assert "DTSTART:20261203T090000Z" in lines(body)
    assert b"VTIMEZONE" not in body
    parse(body)


def test_long_chinese_text_is_folded_at_75_octets_without_splitting_a_character(district):
    title = "社区老年人智能手机使用培训班🎓第一期" * 5
    booking = district.booking(title=title[:200])
    body = build_calendar([booking], info())
    assert lint(body) == []
    assert max(len(line) for line in body.split(b"\r\n")) <= 75
    assert any(line.startswith(b" ") for line in body.split(b"\r\n"))
    assert parse(body).event(booking.id)["SUMMARY"] == title[:200]


def test_public_view_tells_nothing_but_busy(district):
    booking = district.booking(title="张三的生日会", organization_id=district.organization.id)
    body = build_calendar([booking], info(View.PUBLIC))
    event = parse(body).event(booking.id)
    assert event["SUMMARY"] == "已预约"
    assert event["URL"] == f"https://gongjian.test/venues/{district.venue.id}"
    for secret in ("张三", "生日会", district.organization.name, district.resident.email,
                   "/bookings/", "人数"):
        assert secret not in body.decode()


def test_texts_follow_the_locale(district):
    booking = district.booking(organization_id=district.organization.id)
    event = parse(build_calendar([booking], info(locale="en"))).event(booking.id)
    assert "Status: Confirmed" in event["DESCRIPTION"]
    assert f"Organization: {district.organization.name}" in event["DESCRIPTION"]
    assert f"Booked by: {district.resident.name}" in event["DESCRIPTION"]


def test_vtimezone_covers_the_whole_window(district):
    far = district.booking_at(local(2027, 11, 30, 9))
    parsed = parse(build_calendar([district.booking(), far], info()))
    (zone,) = parsed.calendar.walk("VTIMEZONE")
    assert "2026-01-01 to 2028-01-01" in str(zone["COMMENT"])
    assert far.start_at < datetime(2026, 12, 1, tzinfo=UTC) + WINDOW_AFTER
