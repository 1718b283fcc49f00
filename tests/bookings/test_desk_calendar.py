"""The unit calendar (/desk/units/<id>/calendar) and the JSON it reads
(/desk/units/<id>/events.json). The scene is described in test_desk_scene.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from ..conftest import NOW
from ..factories import local
from ..pages import login, text
from . import test_desk_scene
from .test_desk_scene import sign_in

clock, scene = test_desk_scene.clock, test_desk_scene.scene


def calendar_data(response) -> dict:
    html = response.get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="calendar-data">(.*?)</script>', html,
                      re.S)
    return json.loads(found.group(1))


def events(client, unit, query="start=2026-11-30&end=2026-12-07"):
    return client.get(f"/desk/units/{unit.id}/events.json?{query}")


def test_the_page_offers_the_units_venues_and_a_legend(client, scene):
    sign_in(client, scene.manager)
    response = client.get(f"/desk/units/{scene.unit.id}/calendar")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.findall(r'<label class="form-check-label text-break" for="venue-(\d+)">([^<]+)',
                      html) == [(str(scene.venue.id), "多功能厅"), (str(scene.courts.id), "篮球场")]
    legend = html[html.index('class="list-unstyled small gj-status-legend"'):]
    assert re.findall(r'aria-hidden="true"></span>([^<]+)</li>', legend) == [
        "Pending", "Confirmed", "Rejected", "Cancelled", "Expired", "Completed", "No-show"]


def test_the_page_hands_the_script_its_data_and_runs_no_inline_code(client, scene):
    sign_in(client, scene.manager)
    response = client.get(f"/desk/units/{scene.unit.id}/calendar")
    data = calendar_data(response)
    assert (data["eventsUrl"], data["timezone"], data["locale"], data["slotMinTime"],
            data["slotMaxTime"]) == (f"/desk/units/{scene.unit.id}/events.json",
                                     "Asia/Shanghai", "en", "08:00:00", "22:00:00")
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all('type="application/json"' in attrs or ("src=" in attrs and not body.strip())
               for attrs, body in scripts)
    assert "/static/js/unit-calendar.js" in html
    assert "zh-cn.global.min.js" not in html
    assert not re.search(r"<[a-z]+\s[^>]*\son[a-z]+=", html)  # no inline event handlers


def test_the_chinese_page_loads_the_chinese_calendar(client, scene):
    login(client, scene.manager, lang="zh")
    response = client.get(f"/desk/units/{scene.unit.id}/calendar")
    assert calendar_data(response)["locale"] == "zh-cn"
    assert "/static/vendor/fullcalendar/zh-cn.global.min.js" in response.get_data(as_text=True)


def test_the_json_gives_every_booking_with_its_booker_in_the_venues_offset(client, scene):
    sign_in(client, scene.manager)
    response = events(client, scene.unit)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    items = response.get_json()["items"]
    assert [(i["title"], i["start"], i["end"], i["status"], i["booker"], i["organization"],
             i["attendees"], i["venue"]) for i in items] == [
        ("篮球赛", "2026-11-30T14:00:00+08:00", "2026-11-30T16:00:00+08:00", "confirmed",
         scene.resident.name, None, 10, "篮球场"),
        ("晨练", "2026-12-01T09:30:00+08:00", "2026-12-01T11:00:00+08:00", "confirmed",
         scene.singer.name, None, 10, "篮球场"),
        ("合唱排练", "2026-12-03T19:00:00+08:00", "2026-12-03T21:00:00+08:00", "pending",
         scene.singer.name, scene.choir.name, 25, "多功能厅"),
        ("党员学习会", "2026-12-04T09:00:00+08:00", "2026-12-04T11:00:00+08:00", "confirmed",
         scene.resident.name, None, 10, "多功能厅"),
        ("读书会", "2026-12-05T14:00:00+08:00", "2026-12-05T16:00:00+08:00", "pending",
         scene.booker.name, None, 12, "多功能厅"),
    ]
    first = items[0]
    assert (first["statusLabel"], first["url"], first["checkedIn"], first["venueId"]) == (
        "Confirmed", f"/desk/bookings/{first['id']}", False, scene.courts.id)


def test_the_json_includes_bookings_in_every_status(client, scene):
    sign_in(client, scene.manager)
    items = events(client, scene.unit, "start=2026-11-16&end=2026-11-23").get_json()["items"]
    assert [(i["title"], i["status"]) for i in items] == [("羽毛球", "completed"),
                                                         ("乒乓球", "no_show")]


def test_the_json_filters_by_venue(client, scene):
    sign_in(client, scene.manager)
    items = events(client, scene.unit,
                   f"start=2026-11-30&end=2026-12-07&venue={scene.courts.id}").get_json()["items"]
    assert [i["title"] for i in items] == ["篮球赛", "晨练"]
    both = f"start=2026-11-30&end=2026-12-07&venue={scene.courts.id}&venue={scene.venue.id}"
    assert len(events(client, scene.unit, both).get_json()["items"]) == 5


def test_the_json_refuses_a_venue_of_another_unit(client, scene):
    sign_in(client, scene.manager)
    response = events(client, scene.unit,
                      f"start=2026-11-30&end=2026-12-07&venue={scene.other_venue.id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_end_date_is_exclusive(client, scene):
    sign_in(client, scene.manager)
    items = events(client, scene.unit, "start=2026-11-30&end=2026-12-01").get_json()["items"]
    assert [i["title"] for i in items] == ["篮球赛"]


def test_the_json_takes_the_date_of_calendar_instants(client, scene):
    sign_in(client, scene.manager)
    query = "start=2026-12-01T00:00:00Z&end=2026-12-02T00:00:00Z"
    assert [i["title"] for i in events(client, scene.unit, query).get_json()["items"]] == ["晨练"]


@pytest.mark.parametrize("query", [
    "", "start=2026-12-01", "start=yesterday&end=2026-12-02", "start=2026-12-02&end=2026-12-01",
    "start=2026-12-01&end=2026-12-01", "start=2026-01-01&end=2026-12-31",
    "start=2026-02-30&end=2026-03-02", "start=2026-12-01&end=2026-12-02&venue=x",
])
def test_bad_ranges_are_a_400_in_the_api_envelope(client, scene, query):
    sign_in(client, scene.manager)
    response = events(client, scene.unit, query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed"


def test_a_venue_in_another_zone_answers_in_its_own_offset(client, scene, make):
    tokyo = make.venue(unit=scene.unit, name="东京厅", timezone="Asia/Tokyo")
    make.booking(venue=tokyo, title="交流会", start=local(2026, 12, 2, 9, zone=tokyo.zone),
                 end=local(2026, 12, 2, 10, zone=tokyo.zone), now=NOW - timedelta(hours=1))
    make.commit()
    sign_in(client, scene.manager)
    items = events(client, scene.unit,
                   f"start=2026-12-02&end=2026-12-03&venue={tokyo.id}").get_json()["items"]
    assert [(i["title"], i["start"]) for i in items] == [("交流会", "2026-12-02T09:00:00+09:00")]


def test_a_district_admin_reads_any_units_calendar(client, scene):
    sign_in(client, scene.admin)
    items = events(client, scene.other_unit).get_json()["items"]
    assert [i["title"] for i in items] == ["别人的会"]
    assert "别人的会" not in text(client.get(f"/desk/units/{scene.unit.id}/calendar"))
