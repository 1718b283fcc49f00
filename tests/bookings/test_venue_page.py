"""The venue page (issue 4): details, rules in words, opening hours, booking notes, the
calendar's data, and who sees the booking form.

NOW is Tuesday 1 December 2026, 10:00 Shanghai. English pages.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html import unescape

import pytest

from gongjian.venues.services import Window, archive_venue, set_opening_hours

from ..conftest import NOW
from ..factories import hm, local
from ..pages import login, set_language, text


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@pytest.fixture
def venue(make, clock):
    venue = make.venue(name="多功能厅", address="和平路1号", floor="3F", capacity=40,
                       equipment=["投影仪", "音响"], step_free=True, sport="",
                       description="宽敞明亮\n可容纳40人")
    make.commit()
    return venue


@pytest.fixture
def resident(make):
    user = make.user(name="居民")
    make.commit()
    return user


def page_url(venue) -> str:
    return f"/venues/{venue.id}"


def rules(response) -> list[str]:
    html = response.get_data(as_text=True)
    block = html.split('id="venue-rules">')[1].split("</ul>")[0]
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def hours(response) -> list[tuple[str, str]]:
    html = response.get_data(as_text=True)
    table = html.split('id="opening-hours"')[1].split("</table>")[0]
    return [(" ".join(day.split()), " ".join(unescape(when).split()))
            for day, when in re.findall(r"<th[^>]*>(.*?)</th>\s*<td>(.*?)</td>", table, re.S)]


def calendar_data(response) -> dict:
    html = response.get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="venue-data">(.*?)</script>', html,
                      re.S)
    return json.loads(found.group(1))


# Who sees what -------------------------------------------------------------------------------


def test_a_visitor_sees_the_venue_with_a_login_link_and_no_form(client, venue):
    set_language(client, "en")
    response = client.get(page_url(venue))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="booking-form"' not in html
    assert f'href="/login?next=/venues/{venue.id}"' in html
    assert "Log in to book" in text(response)
    assert 'id="venue-calendar"' in html


def test_a_resident_sees_the_booking_form_with_its_hooks(client, venue, resident):
    login(client, resident)
    response = client.get(page_url(venue))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for hook in ('id="booking-form"', 'id="booking-title"', 'id="booking-attendees"',
                 'id="booking-date"', 'id="booking-start"', 'id="booking-end"',
                 'id="booking-organization"', 'id="booking-check"', 'id="venue-calendar"'):
        assert hook in html, hook
    assert f'action="/venues/{venue.id}/book"' in html
    assert 'aria-live="polite"' in html
    assert "Log in to book" not in text(response)


def test_the_page_carries_the_csrf_token_for_the_scripts(client, venue, resident):
    login(client, resident)
    html = client.get(page_url(venue)).get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    field = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert meta == field


def test_an_archived_venue_is_not_found(client, venue, make):
    archive_venue(venue=venue, actor=make.admin, now=NOW)
    make.commit()
    set_language(client, "en")
    response = client.get(page_url(venue))
    assert response.status_code == 404
    assert "多功能厅" not in text(response)


def test_an_unknown_venue_is_not_found(client, venue):
    set_language(client, "en")
    assert client.get(f"/venues/{venue.id + 1000}").status_code == 404


def test_the_series_page_is_linked_for_signed_in_users_only(client, venue, resident):
    series = f'href="/venues/{venue.id}/series"'
    set_language(client, "en")
    assert series not in client.get(page_url(venue)).get_data(as_text=True)
    login(client, resident)
    assert series in client.get(page_url(venue)).get_data(as_text=True)


def test_the_public_calendar_feed_is_linked(client, venue):
    set_language(client, "en")
    html = client.get(page_url(venue)).get_data(as_text=True)
    assert f'href="https://gongjian.test/feeds/venues/{venue.id}.ics"' in html
    assert f'href="webcal://gongjian.test/feeds/venues/{venue.id}.ics"' in html


# What the page says --------------------------------------------------------------------------


def test_details_of_the_venue(client, venue):
    set_language(client, "en")
    page = text(client.get(page_url(venue)))
    assert "Unit 区图书馆" in page
    assert "Community 东风社区" in page
    assert "Address 和平路1号 · Floor: 3F" in page
    assert "Kind Meeting room" in page
    assert "Capacity 40 people" in page
    assert "Equipment 投影仪 音响" in page
    assert "Accessibility Step-free access · No accessible toilet" in page
    assert "宽敞明亮 可容纳40人" in page


def test_the_rules_in_words_for_the_default_settings(client, venue):
    set_language(client, "en")
    assert rules(client.get(page_url(venue))) == [
        "Book at least 1 hour and at most 14 days ahead.",
        "Each booking lasts 30 minutes to 4 hours, in steps of 30 minutes.",
        "Confirmed at once.",
        "No check-in needed.",
        "Cancel at least 2 hours before the start; later cancellations are recorded as late.",
        "Open to: residents and organizations.",
        "Up to 3 active bookings per person and 10 per organization.",
    ]


def test_the_rules_in_words_for_custom_settings(client, make, clock):
    venue = make.venue(min_notice_minutes=90, max_advance_days=1, min_duration_minutes=60,
                       max_duration_minutes=150, slot_minutes=15, buffer_minutes=15,
                       requires_approval=True, requires_check_in=True,
                       cancel_deadline_minutes=1440, audience="residents",
                       max_active_per_user=1)
    make.commit()
    set_language(client, "en")
    assert rules(client.get(page_url(venue))) == [
        "Book at least 1 hour 30 minutes and at most 1 day ahead.",
        "Each booking lasts 1 hour to 2 hours 30 minutes, in steps of 15 minutes.",
        "Bookings keep 15 minutes free before and after each other.",
        "Needs the unit's approval.",
        "Check in on arrival, from 15 minutes before until 15 minutes after the start; "
        "without check-in the booking counts as a no-show.",
        "Cancel at least 24 hours before the start; later cancellations are recorded as late.",
        "Open to: residents.",
        "Up to 1 active booking per person.",
    ]


def test_the_rules_in_words_for_other_edge_settings(client, make, clock):
    venue = make.venue(min_notice_minutes=0, min_duration_minutes=120,
                       max_duration_minutes=120, cancel_deadline_minutes=0,
                       audience="organizations", max_active_per_org=1)
    make.commit()
    set_language(client, "en")
    assert rules(client.get(page_url(venue))) == [
        "Book at most 14 days ahead.",
        "Each booking lasts exactly 2 hours, in steps of 30 minutes.",
        "Confirmed at once.",
        "No check-in needed.",
        "Cancel any time before the start.",
        "Open to: organizations.",
        "Up to 3 active bookings per person and 1 per organization.",
    ]


def test_opening_hours_as_a_weekly_table(client, make, clock):
    venue = make.venue(hours=[])
    set_opening_hours(venue=venue, actor=make.admin, now=NOW, windows=[
        Window(0, hm("08:00"), hm("12:00"), date(2026, 1, 1)),
        Window(0, hm("14:00"), hm("18:00"), date(2026, 1, 1), date(2026, 12, 31)),
        Window(2, hm("19:00"), hm("21:00"), date(2027, 1, 4)),
        Window(5, hm("09:00"), hm("24:00"), date(2026, 1, 1)),
        Window(6, hm("09:00"), hm("12:00"), date(2025, 1, 1), date(2025, 12, 31)),
    ])
    make.commit()
    set_language(client, "en")
    assert hours(client.get(page_url(venue))) == [
        ("Monday", "08:00–12:00, 14:00–18:00 (until 2026-12-31)"),
        ("Tuesday", "Closed"),
        ("Wednesday", "19:00–21:00 (from 2027-01-04)"),
        ("Thursday", "Closed"),
        ("Friday", "Closed"),
        ("Saturday", "09:00–24:00"),
        ("Sunday", "Closed"),
    ]


def test_booking_notes_keep_their_lines_and_show_markup_as_text(client, make, clock):
    venue = make.venue(booking_notes="请提前10分钟到场\n<script>alert('x')</script>")
    make.commit()
    set_language(client, "en")
    response = client.get(page_url(venue))
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<p>请提前10分钟到场<br>\n&lt;script&gt;alert('x')&lt;/script&gt;</p>" in html
    assert "<script>alert('x')</script>" in text(response)


def test_the_calendar_gets_the_grid_and_the_bookable_range(client, make, clock, resident):
    venue = make.venue(slot_minutes=15, max_advance_days=10,
                       hours=[(0, "09:00", "12:00"), (5, "07:30", "21:00")])
    make.commit()
    login(client, resident)
    data = calendar_data(client.get(page_url(venue)))
    assert {key: data[key] for key in (
        "venueId", "timezone", "language", "locale", "availabilityUrl", "checkUrl",
        "slotMinutes", "slotMinTime", "slotMaxTime", "firstDay", "endDay", "selectable",
    )} == {
        "venueId": venue.id, "timezone": "Asia/Shanghai", "language": "en", "locale": "en",
        "availabilityUrl": f"/api/v1/venues/{venue.id}/availability",
        "checkUrl": "/api/v1/bookings/check", "slotMinutes": 15, "slotMinTime": "07:30:00",
        "slotMaxTime": "21:00:00", "firstDay": "2026-12-01", "endDay": "2026-12-12",
        "selectable": True,
    }
    assert data["labels"]["booked"] == "Booked"


def test_chinese_pages_load_the_chinese_calendar(client, venue):
    set_language(client, "zh")
    response = client.get(page_url(venue))
    data = calendar_data(response)
    assert (data["language"], data["locale"], data["selectable"]) == ("zh", "zh-cn", False)
    assert "vendor/fullcalendar/zh-cn.global.min.js" in response.get_data(as_text=True)


def test_english_pages_load_no_calendar_locale_file(client, venue):
    set_language(client, "en")
    html = client.get(page_url(venue)).get_data(as_text=True)
    assert "vendor/fullcalendar/index.global.min.js" in html
    assert "zh-cn.global.min.js" not in html
    assert "js/venue.js" in html


# Privacy -------------------------------------------------------------------------------------


def test_another_residents_booking_never_shows_its_title_or_name(client, make, venue, resident):
    other = make.user(name="张三")
    make.booking(venue=venue, booker=other, title="秘密家庭聚会",
                 start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 16))
    make.commit()
    login(client, resident)
    html = client.get(page_url(venue)).get_data(as_text=True)
    assert "秘密家庭聚会" not in html and other.name not in html
    api = client.get(f"/api/v1/venues/{venue.id}/availability?from=2026-12-05&to=2026-12-05")
    body = api.get_data(as_text=True)
    assert "秘密家庭聚会" not in body and other.name not in body
    assert api.get_json()["busy"] == [{"start": "2026-12-05T14:00:00+08:00",
                                       "end": "2026-12-05T16:00:00+08:00"}]


def test_the_bookable_range_starts_on_the_venues_today(client, make, app):
    """At 01:00 on 2 December in Shanghai it is still 1 December in UTC."""
    venue = make.venue()
    make.commit()
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW + timedelta(hours=15)
    try:
        set_language(client, "en")
        data = calendar_data(client.get(page_url(venue)))
    finally:
        app.config["CLOCK"] = previous
    assert (data["firstDay"], data["endDay"]) == ("2026-12-02", "2026-12-17")
