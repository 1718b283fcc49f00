"""The home page, finding a venue (issue 4): filters as GET arguments, cards with today's hours
and "free now", pagination, errors on the fields, and no personal data.

NOW is Tuesday 1 December 2026, 10:00 Shanghai (the page's clock).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from gongjian.extensions import db
from gongjian.venues.models import VenuePhoto
from gongjian.venues.services import add_closure

from ..conftest import NOW
from ..factories import local
from ..pages import login, set_language, text
from .test_search import ALL, build_world


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@pytest.fixture
def world(app, make, clock):
    return build_world(make)


@pytest.fixture
def en(client):
    set_language(client, "en")
    return client


def card_names(response) -> list[str]:
    """The venue names of the result cards, in page order."""
    html = response.get_data(as_text=True)
    return [unescape(name.strip()) for name in re.findall(
        r'<h3 class="h5 card-title[^"]*" id="venue-\d+-name">\s*<a [^>]*>([^<]*)</a>', html)]


def card_text(response, venue) -> str:
    """The visible text of one venue's card."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<article [^>]*data-venue-id="{venue.id}"[^>]*>(.*?)</article>', html,
                      re.S)
    assert found, f"no card for {venue.name}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def get(client, **args):
    response = client.get("/", query_string=args)
    assert response.status_code == 200
    return response


# Who sees it ---------------------------------------------------------------------------


def test_a_visitor_sees_every_findable_venue(world, en):
    response = get(en)
    assert card_names(response) == ALL
    assert "5 venues match" in text(response)


def test_a_resident_sees_the_same_page(world, make, client):
    login(client, make.user())
    response = get(client)
    assert card_names(response) == ALL
    assert "5 venues match" in text(response)


def test_one_match_is_counted_in_the_singular(world, en):
    assert "1 venue matches" in text(get(en, kind="training"))


def test_no_booking_title_or_booker_name_appears(world, make, en):
    resident = make.user(name="张秘密")
    make.booking(venue=world.hall, booker=resident, start=local(2026, 12, 1, 10),
                 end=local(2026, 12, 1, 11), title="机密董事会", now=local(2026, 12, 1, 8))
    make.commit()
    page = get(en).get_data(as_text=True)
    assert "机密董事会" not in page
    assert resident.name not in page
    assert resident.email not in page


# Each filter ---------------------------------------------------------------------------


def test_filter_by_kind(world, en):
    assert card_names(get(en, kind="sports")) == ["篮球馆", "羽毛球馆"]


def test_filter_by_sport(world, en):
    assert card_names(get(en, sport="羽毛球")) == ["羽毛球馆"]


def test_filter_by_street(world, en):
    assert card_names(get(en, street=world.south.id)) == ["培训教室"]


def test_filter_by_community(world, en):
    assert card_names(get(en, community=world.dongfeng.id)) == ["报告厅", "阅览活动室"]


def test_filter_by_minimum_capacity(world, en):
    assert card_names(get(en, min_capacity="50")) == ["报告厅", "培训教室"]


def test_filter_by_equipment_needs_every_tag(world, en):
    response = en.get("/?equipment=投影仪&equipment=电脑")
    assert card_names(response) == ["培训教室"]


def test_filter_step_free(world, en):
    assert card_names(get(en, step_free="1")) == ["报告厅", "篮球馆"]


def test_filter_accessible_toilet(world, en):
    assert card_names(get(en, accessible_toilet="1")) == ["报告厅", "培训教室"]


def test_text_search_covers_the_unit_name(world, en):
    assert card_names(get(en, q="和平中学")) == ["篮球馆", "羽毛球馆"]
    assert card_names(get(en, q="绘本")) == ["阅览活动室"]


def test_filters_combine(world, en):
    assert card_names(get(en, street=world.north.id, equipment="投影仪",
                          min_capacity="100")) == ["报告厅"]
    assert card_names(get(en, kind="sports", step_free="1", q="馆")) == ["篮球馆"]


def test_the_form_shows_the_filters_in_use(world, en):
    html = get(en, q="馆", kind="sports", street=world.north.id, min_capacity="20",
               step_free="1", equipment="更衣室").get_data(as_text=True)
    assert 'name="q"\n             value="馆"' in html
    assert '<option value="sports" selected>' in html
    assert f'<option value="{world.north.id}" selected>北街道</option>' in html
    assert 'name="min_capacity"\n             value="20"' in html
    assert 'name="step_free" value="1" checked' in html
    assert re.search(r'name="equipment"\s+value="更衣室" checked', html)


def test_the_choices_come_from_the_data(world, en):
    html = get(en).get_data(as_text=True)
    assert re.findall(r'<option value="([^"]+)"[^>]*>[^<]*</option>',
                      html.split('id="sport"')[1].split("</select>")[0]) == ["篮球", "羽毛球"]
    assert re.findall(r'name="equipment"\s+value="([^"]+)"', html) == [
        "投影仪", "更衣室", "夜间照明", "电脑", "音响"]
    communities = html.split('id="community"')[1].split("</select>")[0]
    assert re.findall(r'<optgroup label="([^"]+)"', communities) == ["北街道", "南街道"]


# Free between --------------------------------------------------------------------------


def test_free_between_keeps_only_venues_open_and_free_for_the_whole_range(world, make, en):
    # Wednesday 2 December 18:00–20:00: the basketball hall is booked 19:00–20:00, the
    # classroom closed until 18:30, a late venue opens only at 18:30.
    make.booking(venue=world.basketball, start=local(2026, 12, 2, 19), end=local(2026, 12, 2, 20))
    add_closure(venue=world.classroom, start=local(2026, 12, 2, 17),
                end=local(2026, 12, 2, 18, 30), reason="maintenance", actor=make.admin, now=NOW)
    make.venue(unit=world.power, name="晚场", hours=[(2, "18:30", "22:00")])
    make.commit()
    response = get(en, free_date="2026-12-02", free_start="18:00", free_end="20:00")
    assert card_names(response) == ["报告厅", "阅览活动室", "羽毛球馆"]


def test_free_between_combines_with_other_filters(world, make, en):
    make.booking(venue=world.basketball, start=local(2026, 12, 2, 19), end=local(2026, 12, 2, 20))
    make.commit()
    response = get(en, kind="sports", free_date="2026-12-02", free_start="19:30",
                   free_end="21:00")
    assert card_names(response) == ["羽毛球馆"]


def test_free_between_until_midnight(world, make, en):
    make.venue(unit=world.power, name="通宵馆", hours=[(2, "20:00", "24:00")])
    make.commit()
    response = get(en, free_date="2026-12-02", free_start="22:00", free_end="24:00")
    assert card_names(response) == ["通宵馆"]


# Bad input -----------------------------------------------------------------------------


def field_error(response, field: str) -> str:
    """The message shown under a field, which the field names in aria-describedby."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<div class="invalid-feedback d-block" id="{field}-error">([^<]*)</div>',
                      html)
    assert found, f"no error on {field}"
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"', html, re.S) or \
        re.search(rf'aria-describedby="[^"]*{field}-error"[^>]*>', html)
    return unescape(found.group(1))


LEFT_OUT = ("Some filters could not be read and were left out of this search; "
            "see the marked fields above.")


def test_a_capacity_that_is_not_a_number_is_marked_and_left_out(world, en):
    response = get(en, min_capacity="abc", kind="sports")
    assert field_error(response, "min_capacity") == "Enter a whole number from 1 to 100000."
    html = response.get_data(as_text=True)
    assert 'class="form-control is-invalid" type="text" inputmode="numeric"' in html
    assert LEFT_OUT in text(response)
    assert card_names(response) == ["篮球馆", "羽毛球馆"]


def test_a_capacity_out_of_range_is_marked(world, en):
    response = get(en, min_capacity="0")
    assert field_error(response, "min_capacity") == "Enter a whole number from 1 to 100000."
    assert card_names(response) == ALL


def test_an_unknown_kind_is_marked(world, en):
    response = get(en, kind="castle")
    assert field_error(response, "kind") == "Choose a kind from the list."
    assert card_names(response) == ALL


def test_an_impossible_date_is_marked_and_the_free_search_left_out(world, en):
    response = get(en, free_date="2026-13-45", free_start="18:00", free_end="20:00")
    assert field_error(response, "free_date") == (
        "Enter a date as YYYY-MM-DD, for example 2026-12-05.")
    assert card_names(response) == ALL


def test_an_end_before_the_start_is_marked(world, en):
    response = get(en, free_date="2026-12-02", free_start="20:00", free_end="18:00")
    assert field_error(response, "free_end") == "The end must be after the start."
    assert card_names(response) == ALL


def test_a_time_that_is_not_a_time_is_marked(world, en):
    response = get(en, free_date="2026-12-02", free_start="25:00", free_end="8pm")
    assert field_error(response, "free_start") == "Enter a time as HH:MM, for example 18:30."
    assert field_error(response, "free_end") == "Enter a time as HH:MM, for example 18:30."


def test_a_free_search_needs_all_three_parts(world, en):
    response = get(en, free_start="18:00")
    assert field_error(response, "free_date") == "Give the date you want the venue free on."
    assert field_error(response, "free_end") == (
        "Give the time until which you want the venue free.")
    assert card_names(response) == ALL


def test_an_unknown_street_or_community_is_marked(world, en):
    response = get(en, street="9999", community="x")
    assert field_error(response, "street") == "Choose a street from the list."
    assert field_error(response, "community") == "Choose a community from the list."


def test_a_community_outside_the_chosen_street_is_marked(world, en):
    response = get(en, street=world.south.id, community=world.dongfeng.id)
    assert field_error(response, "community") == "This community is not in the chosen street."
    assert card_names(response) == ["培训教室"]


def test_a_search_text_too_long_is_marked(world, en):
    response = get(en, q="馆" * 101)
    assert field_error(response, "q") == "Use at most 100 characters."
    assert card_names(response) == ALL


def test_too_many_equipment_tags_are_marked(world, en):
    response = en.get("/?" + "&".join(f"equipment=t{i}" for i in range(21)))
    assert response.status_code == 200
    assert field_error(response, "equipment") == "Choose at most 20 pieces of equipment."


def test_errors_are_localized(world, client):
    set_language(client, "zh")
    response = get(client, min_capacity="abc")
    assert response.status_code == 200
    assert 'id="min_capacity-error"' in response.get_data(as_text=True)


def test_a_page_of_valid_filters_shows_no_error(world, en):
    response = get(en, kind="sports", free_date="2026-12-02", free_start="18:00",
                   free_end="20:00")
    assert "invalid-feedback" not in response.get_data(as_text=True)
    assert LEFT_OUT not in text(response)


# Nothing found -------------------------------------------------------------------------


def test_an_empty_result_explains_itself_and_offers_to_clear_the_filters(world, en):
    response = get(en, kind="training", sport="篮球")
    assert card_names(response) == []
    page = text(response)
    assert "0 venues match" in page
    assert "No venue matches all of these filters." in page
    assert re.search(r'<a class="alert-link" href="/">Clear all filters</a>',
                     response.get_data(as_text=True))


def test_an_empty_district_says_no_venues_are_listed_yet(app, en, clock):
    page = text(get(en))
    assert "0 venues match" in page
    assert "No venues are listed yet." in page


# Pagination ----------------------------------------------------------------------------


@pytest.fixture
def many(app, make, clock):
    unit = make.unit()
    venues = [make.venue(unit=unit, name=f"活动室{n:02d}", kind="activity") for n in range(30)]
    make.venue(unit=unit, name="会议室", kind="meeting_room")
    make.commit()
    return venues


def test_the_first_page_holds_24_cards(many, en):
    response = get(en, kind="activity")
    assert card_names(response) == [f"活动室{n:02d}" for n in range(24)]
    assert "30 venues match" in text(response)
    assert "Page 1 of 2" in text(response)


def test_the_second_page_holds_the_rest(many, en):
    response = get(en, kind="activity", page="2")
    assert card_names(response) == [f"活动室{n:02d}" for n in range(24, 30)]


def test_page_links_keep_the_filters(many, en):
    html = get(en, kind="activity").get_data(as_text=True)
    nav = html.split('aria-label="Pages of results"')[1].split("</nav>")[0]
    assert re.findall(r'href="([^"]+)"', nav) == [
        "/?kind=activity", "/?kind=activity&amp;page=2", "/?kind=activity&amp;page=2"]
    assert 'aria-current="page"' in nav
    assert 'rel="next"' in nav


def test_a_page_beyond_the_last_shows_the_last(many, en):
    assert card_names(get(en, kind="activity", page="9")) == [
        f"活动室{n:02d}" for n in range(24, 30)]


def test_a_page_that_is_not_a_number_shows_the_first(many, en):
    assert card_names(get(en, kind="activity", page="abc"))[0] == "活动室00"


def test_one_page_shows_no_pagination(world, en):
    assert "Pages of results" not in get(en).get_data(as_text=True)


def test_a_page_costs_the_same_queries_however_many_cards(app, make, en, clock):
    unit = make.unit()
    few = [make.venue(unit=unit, name=f"A{n}", kind="activity") for n in range(2)]
    make.commit()
    counted: list[str] = []

    def count(conn, cursor, statement, *args):
        counted.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        get(en)
        with_few = len(counted)
        for n in range(20):
            venue = make.venue(unit=make.unit(), name=f"B{n}", kind="activity",
                               equipment=["投影仪"])
            db.session.add(VenuePhoto(venue=venue, filename=f"b{n}.jpg", width=800, height=450))
        add_closure(venue=few[0], start=local(2026, 12, 1, 12), end=local(2026, 12, 1, 13),
                    reason="event", actor=make.admin, now=NOW)
        make.commit()
        counted.clear()
        get(en)
        with_many = len(counted)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert with_many == with_few


# Cards ---------------------------------------------------------------------------------


def test_a_card_shows_unit_community_kind_sport_capacity_and_access(world, en):
    card = card_text(get(en), world.basketball)
    assert card == ("篮球馆 B 和平中学 西山社区 Sports venue · 篮球 Up to 40 people "
                    "Step-free access Today 08:00–22:00 Free now")


def test_a_card_links_to_the_venue_page(world, en):
    html = get(en).get_data(as_text=True)
    assert f'<a href="/venues/{world.hall.id}">报告厅</a>' in html


def test_accessibility_icons_carry_text_for_screen_readers(world, en):
    html = get(en).get_data(as_text=True)
    card = html.split(f'data-venue-id="{world.hall.id}"')[1].split("</article>")[0]
    assert ('<i class="bi bi-person-wheelchair" aria-hidden="true"></i>'
            '<span class="visually-hidden">Step-free access</span>') in card
    assert ('<i class="bi bi-badge-wc" aria-hidden="true"></i>'
            '<span class="visually-hidden">Accessible toilet</span>') in card


def test_todays_hours_in_the_venues_zone(app, make, en, clock):
    split = make.venue(name="分段", hours=[(1, "08:00", "12:00"), (1, "14:00", "21:30")])
    la = make.venue(name="洛杉矶", timezone="America/Los_Angeles", hours=[(0, "17:00", "24:00")])
    make.commit()
    response = get(en)
    assert "Today 08:00–12:00, 14:00–21:30" in card_text(response, split)
    # 10:00 Tuesday in Shanghai is 18:00 Monday in Los Angeles.
    assert "Today 17:00–24:00 Free now" in card_text(response, la)


def test_a_venue_closed_today_says_so(app, make, en, clock):
    monday = make.venue(name="周一开放", hours=[(0, "08:00", "22:00")])
    suspended = make.venue(name="暂停")
    add_closure(venue=suspended, start=local(2026, 11, 1), end=None, reason="suspension",
                actor=make.admin, now=NOW)
    make.commit()
    response = get(en)
    assert card_text(response, monday).endswith("Closed today Closed now")
    assert card_text(response, suspended).endswith("Closed today Closed now")


def test_a_venue_in_use_now(app, make, en, clock):
    venue = make.venue(name="使用中")
    make.booking(venue=venue, start=local(2026, 12, 1, 9, 30), end=local(2026, 12, 1, 11),
                 now=local(2026, 12, 1, 8))
    make.commit()
    assert card_text(get(en), venue).endswith("Today 08:00–22:00 In use")


def test_a_venue_not_yet_open_today_is_closed_now(app, make, en, clock):
    venue = make.venue(name="下午开", hours=[(1, "14:00", "18:00")])
    make.commit()
    assert card_text(get(en), venue).endswith("Today 14:00–18:00 Closed now")


def test_a_venue_closed_for_an_hour_now(app, make, en, clock):
    venue = make.venue(name="临时关闭")
    add_closure(venue=venue, start=local(2026, 12, 1, 9), end=local(2026, 12, 1, 11),
                reason="maintenance", actor=make.admin, now=NOW)
    make.commit()
    assert card_text(get(en), venue).endswith("Today 08:00–09:00, 11:00–22:00 Closed now")


def test_a_card_shows_the_first_photo(world, en):
    db.session.add_all([
        VenuePhoto(venue=world.hall, filename="hall-2.jpg", width=800, height=450, position=2),
        VenuePhoto(venue=world.hall, filename="hall-1.jpg", width=800, height=450, position=1),
    ])
    db.session.commit()
    html = get(en).get_data(as_text=True)
    card = html.split(f'data-venue-id="{world.hall.id}"')[1].split("</article>")[0]
    assert re.search(r'<img [^>]*src="/photos/hall-1.thumb.jpg"[^>]*alt="Photo of 报告厅">',
                     card, re.S)
    assert "hall-2.jpg" not in card


def test_a_card_without_photo_shows_the_kinds_icon(world, en):
    html = get(en).get_data(as_text=True)
    card = html.split(f'data-venue-id="{world.basketball.id}"')[1].split("</article>")[0]
    assert "<img" not in card
    assert '<i class="bi bi-dribbble"></i>' in card
