"""The venue console (issue 5): the units one manages, creating, editing and archiving venues,
and stored-XSS attempts in every free-text field, on the console and on the public pages.

NOW is Tuesday 1 December 2026, 10:00 Shanghai. English pages.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from gongjian.accounts import services as accounts
from gongjian.audit import AuditEvent
from gongjian.extensions import db
from gongjian.venues import photos as photo_services
from gongjian.venues.models import RULE_DEFAULTS, Venue

from ..conftest import NOW
from ..factories import local
from ..pages import submit, text
from . import manage_fixtures
from .manage_fixtures import image_bytes, sign_in, venue_form

clock, people, photo_dir = manage_fixtures.clock, manage_fixtures.people, manage_fixtures.photo_dir


def new_url(unit) -> str:
    return f"/manage/units/{unit.id}/venues/new"


def edit_url(venue) -> str:
    return f"/manage/venues/{venue.id}/edit"


def field_error(response, name: str) -> str:
    """The error text tied to a field, checking the input points at it."""
    html = response.get_data(as_text=True)
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bname="{name}"[^>]*>', html).group(0)
    assert f"{name}-error" in tag and 'aria-invalid="true"' in tag and "is-invalid" in tag
    found = re.search(rf'id="{name}-error">(.*?)</div>', html, re.S)
    return unescape(found.group(1)).strip()


def input_value(response, name: str) -> str:
    html = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return unescape(found.group(1)) if found else ""


def venue_row(venue_id: int) -> Venue:
    db.session.expire_all()
    return db.session.get(Venue, venue_id)


def venue_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Venue))


def audit_actions(venue_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.venue_id == venue_id).order_by(AuditEvent.id)))


# The console's home -----------------------------------------------------------------------------


def test_the_console_lists_the_managers_units_with_their_venues(client, people):
    sign_in(client, people.manager)
    response = client.get("/manage")
    assert response.status_code == 200
    page = text(response)
    assert f"{people.unit.name} Public institution · 东风社区" in page
    assert "多功能厅 Meeting room 40 Confirmed at once Published Edit Photos" in page
    html = response.get_data(as_text=True)
    assert f'href="/manage/units/{people.unit.id}/venues/new"' in html
    assert f'href="/manage/venues/{people.venue.id}/edit"' in html
    assert f'href="/manage/venues/{people.venue.id}/photos"' in html


def test_the_console_shows_approval_needed_and_archived_venues(client, people, make):
    make.venue(unit=people.unit, name="会议室", requires_approval=True)
    gone = make.venue(unit=people.unit, name="旧仓库")
    from gongjian.venues.services import archive_venue

    archive_venue(venue=gone, actor=people.admin, now=NOW)
    make.commit()
    sign_in(client, people.manager)
    page = text(client.get("/manage"))
    assert "会议室 Meeting room 40 Need approval Published" in page
    assert "旧仓库 Meeting room 40 Confirmed at once Archived 12/1/26" in page
    html = client.get("/manage").get_data(as_text=True)
    assert f'/manage/venues/{gone.id}/edit' not in html


def test_a_district_admin_sees_every_unit_and_filters_them_by_name(client, people, make):
    accounts_unit = accounts.create_unit(name="和平中学", type="school",
                                         community=people.unit.community)
    make.commit()
    sign_in(client, people.admin)
    page = text(client.get("/manage"))
    assert "3 unit(s)" in page
    assert people.unit.name in page and people.other_unit.name in page and "和平中学" in page
    response = client.get("/manage?q=中学")
    page = text(response)
    assert "1 unit(s) · names containing “中学”" in page
    assert "和平中学" in page and people.unit.name not in page
    assert 'id="q"' in response.get_data(as_text=True)
    assert accounts_unit.id


def test_the_unit_filter_takes_percent_signs_literally(client, people):
    sign_in(client, people.admin)
    assert "0 unit(s)" in text(client.get("/manage?q=%25"))


def test_a_district_admin_pages_through_many_units(client, people, make):
    community = people.unit.community
    for n in range(45):
        accounts.create_unit(name=f"单位{n:03d}", type="other", community=community)
    make.commit()
    sign_in(client, people.admin)
    first = client.get("/manage")
    assert "47 unit(s)" in text(first)
    assert len(re.findall(r'class="card mb-4 gj-unit"', first.get_data(as_text=True))) == 20
    third = client.get("/manage?page=3")
    assert len(re.findall(r'class="card mb-4 gj-unit"', third.get_data(as_text=True))) == 7
    assert 'href="/manage?page=2"' in third.get_data(as_text=True)
    assert client.get("/manage?page=abc").status_code == 200
    filtered = client.get("/manage?q=单位0&page=2")
    assert 'href="/manage?q=%E5%8D%95%E4%BD%8D0"' in filtered.get_data(as_text=True)


# Creating a venue ----------------------------------------------------------------------------


def test_the_new_venue_form_is_prefilled_with_the_defaults_and_says_them(client, people):
    sign_in(client, people.manager)
    response = client.get(new_url(people.unit))
    assert response.status_code == 200
    for name, value in RULE_DEFAULTS.items():
        if isinstance(value, int) and not isinstance(value, bool):
            assert input_value(response, name) == str(value), name
    html = response.get_data(as_text=True)
    assert 'id="slot_minutes-hint">Bookings start and end on this grid, counted from ' \
           'midnight. Default: 30</div>' in html
    assert 'id="max_advance_days-hint">Default: 14</div>' in html
    assert 'id="requires_approval-hint">Off: bookings are confirmed at once. Default: off' in html
    assert 'aria-describedby="max_advance_days-hint"' in html
    assert '<option selected value="Asia/Shanghai">' in html
    assert '<option selected value="both">Residents and organizations</option>' in html


def test_the_form_groups_its_fields_in_fieldsets_with_legends(client, people):
    sign_in(client, people.manager)
    html = client.get(new_url(people.unit)).get_data(as_text=True)
    legends = re.findall(r'<fieldset[^>]*>\s*<legend[^>]*>(.*?)</legend>', html)
    assert legends == ["About the venue", "Where it is", "What bookers read",
                       "Who may book and how", "Booking length", "How far ahead",
                       "Limits per booker"]
    for name in ("name", "kind", "sport", "capacity", "equipment", "address", "floor",
                 "step_free", "accessible_toilet", "description", "booking_notes", "timezone",
                 *RULE_DEFAULTS):
        assert '<label class="form-' in html and f'for="{name}"' in html, name
    assert "<script>" not in html.split("<main")[1].split("</main>")[0]


def test_creating_a_venue_stores_every_field(client, people):
    sign_in(client, people.manager)
    response = submit(client, new_url(people.unit), venue_form(
        kind="sports", sport="乒乓球", step_free="y", accessible_toilet="y",
        timezone="Asia/Urumqi", audience="organizations", requires_approval="y",
        requires_check_in="y", slot_minutes="15", min_duration_minutes="45",
        max_duration_minutes="180", buffer_minutes="10", min_notice_minutes="120",
        max_advance_days="30", cancel_deadline_minutes="60", max_series_days="90",
        max_active_per_user="2", max_active_per_org="5", equipment="球台，球拍、 音响,音响"))
    venue = db.session.scalars(sa.select(Venue).where(Venue.name == "舞蹈室")).one()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/manage/venues/{venue.id}/edit"
    assert (venue.unit_id, venue.kind, venue.sport, venue.capacity, venue.equipment) == (
        people.unit.id, "sports", "乒乓球", 25, ["球台", "球拍", "音响"])
    assert (venue.address, venue.floor, venue.step_free, venue.accessible_toilet) == (
        "和平路2号", "2F", True, True)
    assert (venue.description, venue.booking_notes, venue.timezone) == (
        "明亮", "请穿软底鞋", "Asia/Urumqi")
    assert (venue.audience, venue.requires_approval, venue.requires_check_in) == (
        "organizations", True, True)
    assert (venue.slot_minutes, venue.min_duration_minutes, venue.max_duration_minutes,
            venue.buffer_minutes, venue.min_notice_minutes, venue.max_advance_days,
            venue.cancel_deadline_minutes, venue.max_series_days, venue.max_active_per_user,
            venue.max_active_per_org) == (15, 45, 180, 10, 120, 30, 60, 90, 2, 5)
    assert venue.created_at == NOW and venue.archived_at is None
    assert audit_actions(venue.id) == ["venue.create"]


def test_creating_with_the_defaults_gives_the_contracts_rules(client, people):
    sign_in(client, people.manager)
    submit(client, new_url(people.unit), venue_form())
    venue = db.session.scalars(sa.select(Venue).where(Venue.name == "舞蹈室")).one()
    for name, value in RULE_DEFAULTS.items():
        assert getattr(venue, name) == value, name


def test_after_creating_the_edit_page_says_what_to_do_next(client, people):
    sign_in(client, people.manager)
    response = submit(client, new_url(people.unit), venue_form(), follow_redirects=True)
    assert "The venue “舞蹈室” is published. Set its opening hours so that it can be booked, " \
           "and add photos." in text(response)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("capacity", "0", "Enter a whole number from 1 to 100000."),
    ("capacity", "", "This field is required."),
    ("capacity", "many", "Enter a whole number, like 30."),
    ("slot_minutes", "2", "Enter a whole number from 5 to 1440."),
    ("max_duration_minutes", "2000", "Enter a whole number from 1 to 1440."),
    ("max_advance_days", "-1", "Enter a whole number from 0 to 730."),
    ("buffer_minutes", "1.5", "Enter a whole number, like 30."),
    ("name", "   ", "Give the venue a name."),
    ("name", "长" * 201, "Use at most 200 characters."),
    ("floor", "F" * 41, "Use at most 40 characters."),
    ("timezone", "Mars/Olympus", "Choose a time zone from the list."),
    ("kind", "castle", "Choose a kind from the list."),
    ("audience", "everyone", "Choose who may book from the list."),
    ("equipment", ", ".join(f"t{n}" for n in range(21)),
     "Give at most 20 tags of at most 60 characters each."),
])
def test_a_refused_field_gets_its_message_and_nothing_is_written(client, people, name, value,
                                                                 message):
    sign_in(client, people.manager)
    before = venue_count()
    response = submit(client, new_url(people.unit), venue_form(**{name: value}))
    assert response.status_code == 422
    assert field_error(response, name) == message
    assert venue_count() == before
    assert "Please correct 1 field(s):" in text(response)


def test_the_shortest_booking_cannot_exceed_the_longest(client, people):
    sign_in(client, people.manager)
    response = submit(client, new_url(people.unit), venue_form(
        min_duration_minutes="300", max_duration_minutes="120"))
    assert response.status_code == 422
    assert field_error(response, "min_duration_minutes") == (
        "The shortest booking cannot be longer than the longest booking.")
    assert venue_count() == 2


def test_a_refused_form_keeps_everything_typed(client, people):
    sign_in(client, people.manager)
    response = submit(client, new_url(people.unit), venue_form(
        capacity="0", name="我的场地", equipment="镜子, 音响", max_advance_days="21",
        description="第一行\n第二行"))
    assert input_value(response, "name") == "我的场地"
    assert input_value(response, "equipment") == "镜子, 音响"
    assert input_value(response, "max_advance_days") == "21"
    assert input_value(response, "capacity") == "0"
    assert "第一行\n第二行</textarea>" in response.get_data(as_text=True)


def test_creating_without_the_csrf_token_is_refused(client, people):
    sign_in(client, people.manager)
    response = client.post(new_url(people.unit), data=venue_form())
    assert response.status_code == 400
    assert venue_count() == 2


# Editing a venue ---------------------------------------------------------------------------


def test_the_edit_form_shows_the_venues_settings(client, people, make):
    venue = make.venue(unit=people.unit, name="报告厅", equipment=["音响", "投影仪"],
                       max_advance_days=30, requires_approval=True, timezone="Asia/Urumqi")
    make.commit()
    sign_in(client, people.manager)
    response = client.get(edit_url(venue))
    assert response.status_code == 200
    assert input_value(response, "name") == "报告厅"
    assert input_value(response, "equipment") == "投影仪, 音响"
    assert input_value(response, "max_advance_days") == "30"
    html = response.get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="requires_approval"', html)
    assert '<option selected value="Asia/Urumqi">' in html
    assert "<h1 class=\"h2 text-break\">Edit “报告厅”</h1>" in html


def test_editing_saves_the_changes_and_audits_them(client, people):
    sign_in(client, people.manager)
    response = submit(client, edit_url(people.venue), venue_form(
        name="新名字", capacity="60", max_advance_days="7", requires_approval="y"))
    assert response.status_code == 303
    assert response.headers["Location"] == edit_url(people.venue)
    venue = venue_row(people.venue.id)
    assert (venue.name, venue.capacity, venue.max_advance_days, venue.requires_approval) == (
        "新名字", 60, 7, True)
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "venue.update", AuditEvent.venue_id == venue.id)).one()
    assert (event.actor_id, event.before["name"], event.after["name"]) == (
        people.manager.id, "多功能厅", "新名字")
    assert event.before["capacity"] == 40 and event.after["capacity"] == 60


def test_unchecking_a_box_turns_the_setting_off(client, people, make):
    venue = make.venue(unit=people.unit, step_free=True, requires_approval=True)
    make.commit()
    sign_in(client, people.manager)
    submit(client, edit_url(venue), venue_form())
    venue = venue_row(venue.id)
    assert (venue.step_free, venue.requires_approval) == (False, False)


def test_a_refused_edit_changes_nothing_and_keeps_what_was_typed(client, people):
    sign_in(client, people.manager)
    response = submit(client, edit_url(people.venue), venue_form(
        name="新名字", min_duration_minutes="300", max_duration_minutes="60"))
    assert response.status_code == 422
    assert input_value(response, "name") == "新名字"
    assert "Edit “多功能厅”" in text(response)
    venue = venue_row(people.venue.id)
    assert (venue.name, venue.min_duration_minutes, venue.max_duration_minutes) == (
        "多功能厅", 30, 240)
    assert audit_actions(venue.id) == ["venue.create", "venue.opening_hours"]


def test_editing_without_the_csrf_token_is_refused(client, people):
    sign_in(client, people.manager)
    response = client.post(edit_url(people.venue), data=venue_form(name="新名字"))
    assert response.status_code == 400
    assert venue_row(people.venue.id).name == "多功能厅"


# Archiving -------------------------------------------------------------------------------------


def test_archiving_asks_for_confirmation_first(client, people):
    sign_in(client, people.manager)
    response = client.get(f"/manage/venues/{people.venue.id}/archive")
    assert response.status_code == 200
    assert "Archive “多功能厅”?" in text(response)
    assert "Archive this venue" in text(response)
    assert venue_row(people.venue.id).archived_at is None


def test_the_confirmation_warns_of_upcoming_bookings(client, people, make):
    make.booking(venue=people.venue, start=local(2026, 12, 2, 10), end=local(2026, 12, 2, 11))
    make.commit()
    sign_in(client, people.manager)
    page = text(client.get(f"/manage/venues/{people.venue.id}/archive"))
    assert "This venue has 1 upcoming booking(s) (pending or confirmed). Archiving does not " \
           "cancel them" in page


def test_archiving_hides_the_venue_and_audits_it(client, people):
    sign_in(client, people.manager)
    url = f"/manage/venues/{people.venue.id}/archive"
    response = submit(client, url, {})
    assert response.status_code == 303
    assert response.headers["Location"] == "/manage"
    assert "“多功能厅” is archived" in text(client.get("/manage"))
    venue = venue_row(people.venue.id)
    assert venue.archived_at == NOW
    assert audit_actions(venue.id)[-1] == "venue.archive"
    assert client.get(f"/venues/{venue.id}").status_code == 404


def test_archiving_without_the_csrf_token_is_refused(client, people):
    sign_in(client, people.manager)
    response = client.post(f"/manage/venues/{people.venue.id}/archive")
    assert response.status_code == 400
    assert venue_row(people.venue.id).archived_at is None


# Stored XSS -------------------------------------------------------------------------------------

PAYLOADS = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
            '"><svg onload=alert(1)>']
LINK_PAYLOAD = "[x](javascript:alert(1))"
# The payloads as markup (escaped as text they are harmless, and shown).
JS_ATTRIBUTE = re.compile(r"<\w+[^<>]*\b(?:href|src)\s*=\s*[\"']?\s*javascript:", re.I)
RAW = ("<script>alert(1)", "<img src=x", "<svg onload", "javascript:alert")


def assert_no_raw_payload(response) -> None:
    html = response.get_data(as_text=True)
    for raw in RAW:
        # javascript: may appear as text, never as an attribute of a real tag
        if raw == "javascript:alert":
            assert not JS_ATTRIBUTE.search(html)
            continue
        assert raw not in html, raw


@pytest.fixture
def hostile_venue(make, people, photo_dir):
    """A venue whose every free-text field carries a script."""
    script, img, svg = PAYLOADS
    venue = make.venue(
        unit=people.unit, name=f"厅{script}", sport=f"球{img}", equipment=[f"{svg}", "音响"],
        address=f"路{img}", floor=f"{script}", description=f"{script}\n{img}\n{LINK_PAYLOAD}",
        booking_notes=f"{svg} {LINK_PAYLOAD} <a href=\"javascript:alert(1)\">x</a>")
    photo_services.add_photo(venue=venue, data=image_bytes(), folder=photo_dir,
                             actor=people.admin, now=NOW, caption=f"{img}{script}")
    make.commit()
    return venue


@pytest.mark.parametrize("page", ["console", "edit", "photos", "archive", "public", "home"])
def test_stored_scripts_come_out_escaped_everywhere(client, people, hostile_venue, page):
    sign_in(client, people.manager)
    url = {"console": "/manage", "edit": edit_url(hostile_venue),
           "photos": f"/manage/venues/{hostile_venue.id}/photos",
           "archive": f"/manage/venues/{hostile_venue.id}/archive",
           "public": f"/venues/{hostile_venue.id}", "home": "/"}[page]
    response = client.get(url)
    assert response.status_code == 200
    assert_no_raw_payload(response)
    assert "厅<script>alert(1)</script>" in text(response)  # shown as text, escaped


def test_the_venue_name_is_escaped_in_the_html(client, people, hostile_venue):
    sign_in(client, people.manager)
    html = client.get("/manage").get_data(as_text=True)
    assert "厅&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_stored_scripts_on_the_public_pages_for_a_visitor(client, people, hostile_venue):
    sign_in(client, None)
    for url in (f"/venues/{hostile_venue.id}", "/"):
        response = client.get(url)
        assert response.status_code == 200
        assert_no_raw_payload(response)


def test_typing_scripts_into_the_form_stores_them_as_text_and_shows_them_escaped(client, people):
    sign_in(client, people.manager)
    script = PAYLOADS[0]
    submit(client, edit_url(people.venue), venue_form(
        name=script, sport=script, address=script, floor=script, equipment=script,
        description=script, booking_notes=LINK_PAYLOAD))
    venue = venue_row(people.venue.id)
    assert (venue.name, venue.description, venue.equipment) == (script, script, [script])
    for url in ("/manage", edit_url(venue), f"/venues/{venue.id}", "/"):
        assert_no_raw_payload(client.get(url))



def test_the_edit_page_previews_the_markdown_as_bookers_read_it(client, people, make):
    venue = make.venue(unit=people.unit, description="# 场地介绍\n**明亮**的房间",
                       booking_notes="见 [规定](https://example.cn/rules) 与 "
                                     "[x](javascript:alert(1))")
    make.commit()
    sign_in(client, people.manager)
    html = client.get(edit_url(venue)).get_data(as_text=True)
    preview = html.split('id="markdown-preview"')[1]
    assert "<h3>场地介绍</h3>\n<p><strong>明亮</strong>的房间</p>" in preview
    assert '<a href="https://example.cn/rules" rel="nofollow noopener">规定</a>' in preview
    assert "[x](javascript:alert(1))" in preview
    assert not JS_ATTRIBUTE.search(html)


def test_every_refused_setting_is_named_at_once(client, people):
    sign_in(client, people.manager)
    response = submit(client, new_url(people.unit), venue_form(
        name="", capacity="0", slot_minutes="1", timezone="Nowhere/Land"))
    assert response.status_code == 422
    assert field_error(response, "name") == "Give the venue a name."
    assert field_error(response, "capacity") == "Enter a whole number from 1 to 100000."
    assert field_error(response, "slot_minutes") == "Enter a whole number from 5 to 1440."
    assert field_error(response, "timezone") == "Choose a time zone from the list."
    assert "Please correct 4 field(s):" in text(response)
