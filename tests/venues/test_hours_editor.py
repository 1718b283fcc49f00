"""The weekly opening-hours editor: timetables by validity, saving through set_opening_hours,
errors on the rows they concern, the baseline check, filling from a template, copying to
other venues and the holiday switch."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from gongjian.extensions import db
from gongjian.venues.models import Venue
from gongjian.venues.services import Window, set_closed_on_holidays, set_opening_hours

from ..factories import hm, local
from ..pages import text
from . import hours_fixtures
from .hours_fixtures import audit_actions, post, sign_in, windows_of

clock, world = hours_fixtures.clock, hours_fixtures.world

JAN1 = date(2026, 1, 1)


def url(venue, suffix: str = "") -> str:
    return f"/manage/venues/{venue.id}/hours{suffix}"


def grid(*windows, timetable: int = 0, valid_from: str = "2026-12-01",
         valid_until: str = "", **extra) -> dict[str, str]:
    """A posted grid of one timetable: windows as (weekday, row, start, end)."""
    data = {f"t{timetable}-from": valid_from, f"t{timetable}-until": valid_until}
    for weekday, row, start, end in windows:
        data[f"t{timetable}-d{weekday}-{row}-start"] = start
        data[f"t{timetable}-d{weekday}-{row}-end"] = end
    return {**data, **extra}


@pytest.fixture
def signed_in(client, world):
    sign_in(client, world.manager)
    return client


# Showing ---------------------------------------------------------------------------------


def test_the_editor_groups_the_windows_into_timetables_by_validity(signed_in, world, make):
    set_opening_hours(venue=world.venue, actor=world.admin, now=make.now, windows=[
        Window(0, hm("18:00"), hm("21:00"), date(2026, 10, 1), date(2027, 4, 30)),
        Window(5, hm("09:00"), hm("17:00"), date(2026, 10, 1), date(2027, 4, 30)),
        Window(0, hm("18:00"), hm("22:00"), date(2027, 5, 1), date(2027, 9, 30)),
    ])
    make.commit()
    page = text(signed_in.get(url(world.venue)))
    assert "Timetable 1: 2026-10-01 to 2027-04-30 In force" in page
    assert "Timetable 2: 2027-05-01 to 2027-09-30 Upcoming" in page
    assert page.index("Timetable 1") < page.index("Timetable 2") < page.index("New timetable")


def test_each_day_shows_its_windows_then_blank_rows(signed_in, world):
    html = signed_in.get(url(world.second_venue)).get_data(as_text=True)
    assert 'name="t0-d0-0-start" value="09:00"' in html
    assert 'name="t0-d0-1-start" value=""' in html  # a blank row after the filled one
    assert 'name="t0-d1-1-end" value=""' in html  # two blank rows on an empty day
    assert re.search(r'name="t1-from"\s+value=""', html)  # the blank seasonal timetable


def test_every_time_input_has_a_label(signed_in, world):
    html = signed_in.get(url(world.second_venue)).get_data(as_text=True)
    assert ('<label class="visually-hidden" for="t0-d0-0-start">Monday, window 1: opens'
            '</label>') in html
    assert ('<label class="visually-hidden" for="t0-d6-1-end">Sunday, window 2: closes'
            '</label>') in html


# Saving ----------------------------------------------------------------------------------


def test_saving_replaces_the_whole_timetable(signed_in, world):
    response = post(signed_in, url(world.venue), grid(
        (0, 0, "09:00", "12:00"), (0, 1, "18:00", "21:00"), (5, 0, "08:00", "24:00")))
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/manage/venues/{world.venue.id}/hours?baseline=district")
    assert windows_of(world.venue) == [
        (0, "09:00", "12:00", date(2026, 12, 1), None),
        (0, "18:00", "21:00", date(2026, 12, 1), None),
        (5, "08:00", "24:00", date(2026, 12, 1), None),
    ]
    assert audit_actions(venue_id=world.venue.id)[-1] == "venue.opening_hours"


def test_rows_added_by_the_script_with_gaps_in_their_numbers_are_saved(signed_in, world):
    response = post(signed_in, url(world.venue), grid((2, 0, "08:00", "09:00"),
                                                      (2, 7, "10:00", "11:00")))
    assert response.status_code == 303
    assert [w[:3] for w in windows_of(world.venue)] == [(2, "08:00", "09:00"),
                                                       (2, "10:00", "11:00")]


def test_times_typed_loosely_are_read(signed_in, world):
    post(signed_in, url(world.venue), grid((1, 0, "9:30", "1200"), (1, 1, "18：00", "21.00")))
    assert [w[:3] for w in windows_of(world.venue)] == [(1, "09:30", "12:00"),
                                                       (1, "18:00", "21:00")]


def test_seasonal_timetables_are_saved_with_their_validity(signed_in, world):
    data = {**grid((0, 0, "18:00", "21:00"), valid_from="2026-10-01", valid_until="2027-04-30"),
            **grid((0, 0, "18:00", "22:00"), timetable=1, valid_from="2027-05-01",
                   valid_until="2027-09-30")}
    assert post(signed_in, url(world.venue), data).status_code == 303
    assert windows_of(world.venue) == [
        (0, "18:00", "21:00", date(2026, 10, 1), date(2027, 4, 30)),
        (0, "18:00", "22:00", date(2027, 5, 1), date(2027, 9, 30)),
    ]


def test_a_blank_timetable_and_blank_rows_are_ignored(signed_in, world):
    data = {**grid((3, 0, "10:00", "11:00"), (3, 1, "", "")), "t1-from": "", "t1-until": "",
            "t1-d0-0-start": "", "t1-d0-0-end": ""}
    assert post(signed_in, url(world.venue), data).status_code == 303
    assert [w[:3] for w in windows_of(world.venue)] == [(3, "10:00", "11:00")]


def test_saving_without_the_csrf_token_is_refused(signed_in, world):
    before = windows_of(world.venue)
    response = signed_in.post(url(world.venue), data=grid((0, 0, "09:00", "10:00")))
    assert response.status_code == 400
    assert windows_of(world.venue) == before


def test_saving_warns_about_upcoming_bookings_now_outside_the_hours(signed_in, world, make):
    make.booking(venue=world.venue, start=local(2026, 12, 3, 9), end=local(2026, 12, 3, 10))
    make.commit()
    response = post(signed_in, url(world.venue), grid((3, 0, "18:00", "21:00")),
                    follow_redirects=True)
    assert ("1 upcoming booking now lies outside the opening hours. It is kept: cancel it from "
            "the approval queue or close the venue for that time if it cannot take place."
            ) in text(response)


# Errors on the right rows ----------------------------------------------------------------


def row_error(html: str, base: str) -> str:
    start = html.index(f'id="{base}-error"')
    return html[html.index(">", start) + 1:html.index("</div>", start)]


def test_overlapping_windows_are_marked_on_both_rows(signed_in, world):
    before = windows_of(world.venue)
    response = post(signed_in, url(world.venue), grid(
        (0, 0, "09:00", "12:00"), (0, 1, "11:00", "13:00"), (1, 0, "09:00", "12:00")))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert row_error(html, "t0-d0-0") == (
        "This window overlaps 11:00–13:00 on Monday; windows of one day may touch but not "
        "overlap.")
    assert row_error(html, "t0-d0-1") == (
        "This window overlaps 09:00–12:00 on Monday; windows of one day may touch but not "
        "overlap.")
    assert 'id="t0-d1-0-error"' not in html
    assert windows_of(world.venue) == before


def test_a_window_across_midnight_is_explained_as_two_windows(signed_in, world):
    response = post(signed_in, url(world.venue), grid((4, 0, "22:00", "02:00")))
    assert response.status_code == 200
    assert row_error(response.get_data(as_text=True), "t0-d4-0") == (
        "A window cannot cross midnight: split it as 22:00–24:00 and 00:00–02:00 on the next "
        "day.")


def test_a_window_ending_when_it_starts_is_refused(signed_in, world):
    response = post(signed_in, url(world.venue), grid((4, 0, "10:00", "10:00")))
    assert row_error(response.get_data(as_text=True), "t0-d4-0") == (
        "The closing time must be after the opening time.")


def test_a_window_cannot_open_at_midnight_of_the_days_end(signed_in, world):
    response = post(signed_in, url(world.venue), grid((4, 0, "24:00", "24:00")))
    assert row_error(response.get_data(as_text=True), "t0-d4-0") == (
        "A window cannot open at 24:00; the day’s last window closes at 24:00.")


def test_an_unreadable_time_is_marked_and_kept_as_typed(signed_in, world):
    before = windows_of(world.venue)
    response = post(signed_in, url(world.venue), grid((2, 0, "25:00", "26:00"),
                                                      (3, 0, "10:00", "11:00")))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert row_error(html, "t0-d2-0") == (
        "Write a time from 00:00 to 24:00 as HH:MM. Write a time from 00:00 to 24:00 as HH:MM.")
    assert 'name="t0-d2-0-start" value="25:00"' in html
    assert 'name="t0-d3-0-start" value="10:00"' in html
    assert "Nothing is saved yet. Please correct 2 problem(s):" in text(response)
    assert windows_of(world.venue) == before


def test_a_window_with_one_time_only_asks_for_both(signed_in, world):
    response = post(signed_in, url(world.venue), grid((2, 0, "10:00", "")))
    assert row_error(response.get_data(as_text=True), "t0-d2-0") == (
        "Give both the opening and the closing time.")


def test_a_last_day_before_the_first_is_marked_on_the_timetable(signed_in, world):
    response = post(signed_in, url(world.venue), grid((2, 0, "10:00", "11:00"),
                                                      valid_from="2027-05-01",
                                                      valid_until="2027-04-01"))
    html = response.get_data(as_text=True)
    assert row_error(html, "t0-until") == "The last date cannot be before the first date."


def test_a_timetable_without_a_first_day_is_refused(signed_in, world):
    response = post(signed_in, url(world.venue), grid((2, 0, "10:00", "11:00"), valid_from=""))
    assert row_error(response.get_data(as_text=True), "t0-from") == (
        "Give the first date this timetable applies.")


def test_overlapping_seasons_are_marked(signed_in, world):
    data = {**grid((0, 0, "18:00", "21:00"), valid_from="2026-10-01", valid_until="2027-05-31"),
            **grid((0, 0, "20:00", "22:00"), timetable=1, valid_from="2027-05-01")}
    html = post(signed_in, url(world.venue), data).get_data(as_text=True)
    assert row_error(html, "t0-d0-0").startswith("This window overlaps 20:00–22:00 on Monday")
    assert row_error(html, "t1-d0-0").startswith("This window overlaps 18:00–21:00 on Monday")


# The baseline check ------------------------------------------------------------------------


def test_check_shows_the_verdict_with_the_numbers_and_saves_nothing(signed_in, world):
    before = windows_of(world.venue)
    data = grid(*[(d, 0, "18:00", "21:00") for d in range(5)], action="check",
                baseline="weekday_evenings")
    response = post(signed_in, url(world.venue), data)
    assert response.status_code == 200
    page = text(response)
    assert ("Monday to Friday: at least 3 h open each day — Mon 3 h · Tue 3 h · Wed 3 h · "
            "Thu 3 h · Fri 3 h") in page
    assert "Not met: Saturday and Sunday: at least 6 h open each day — Sat 0 h · Sun 0 h" in page
    assert "Does not meet the baseline" in page
    assert windows_of(world.venue) == before


def test_the_saved_timetable_is_checked_against_the_district_baseline(signed_in, world):
    page = text(signed_in.get(url(world.venue)))  # 08:00–22:00 every day: 98 h a week
    assert "Met: At least 21 h open a week — 98 h of 21 h" in page
    assert ("Met: At least 10 h a week in the evening (after 18:00) or at the weekend — "
            "48 h of 10 h") in page


def test_the_live_check_answers_json(signed_in, world):
    data = grid((5, 0, "09:00", "12:00"), (5, 1, "13:00", "18:00"), (6, 0, "09:00", "16:30"),
                baseline="weekends")
    response = post(signed_in, url(world.venue, "/check"), data)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["baseline"] == {"key": "weekends",
                                  "title": "Weekends only: 8 h on Saturday and on Sunday"}
    [timetable] = answer["timetables"]
    assert timetable["ok"] is False
    [line] = timetable["lines"]
    assert line["counted"] == "Sat 8 h · Sun 7.5 h"
    assert line["short_days"] == ["Sun"]
    assert answer["problems"] == []
    assert windows_of(world.venue)[0][:3] == (0, "08:00", "22:00")


def test_the_live_check_names_overlapping_windows(signed_in, world):
    data = grid((0, 0, "09:00", "12:00"), (0, 1, "11:00", "13:00"))
    answer = post(signed_in, url(world.venue, "/check"), data).get_json()
    assert [p["message"] for p in answer["problems"]] == [
        "Monday: This window overlaps 11:00–13:00 on Monday; windows of one day may touch "
        "but not overlap.",
        "Monday: This window overlaps 09:00–12:00 on Monday; windows of one day may touch "
        "but not overlap.",
    ]


def test_the_live_check_explains_a_window_across_midnight(signed_in, world):
    answer = post(signed_in, url(world.venue, "/check"),
                  grid((2, 0, "22:00", "02:00"))).get_json()
    assert [p["message"] for p in answer["problems"]] == [
        "Wednesday: A window cannot cross midnight: split it as 22:00–24:00 and 00:00–02:00 "
        "on the next day."]


def test_the_live_check_without_the_csrf_token_is_refused(signed_in, world):
    response = signed_in.post(url(world.venue, "/check"), data=grid((0, 0, "09:00", "12:00")))
    assert response.status_code == 400


def test_fill_puts_the_template_into_the_timetable_without_saving(signed_in, world):
    before = windows_of(world.venue)
    data = grid((0, 0, "07:00", "08:00"), action="fill-0", baseline="every_evening")
    response = post(signed_in, url(world.venue), data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for weekday in range(7):
        assert f'name="t0-d{weekday}-0-start" value="18:00"' in html
        assert f'name="t0-d{weekday}-0-end" value="21:00"' in html
    assert 'value="07:00"' not in html
    assert ("The timetable is filled in from “Every day 18:00–21:00”. Check the hours, then "
            "save.") in text(response)
    assert windows_of(world.venue) == before


def test_fill_into_the_new_timetable_starts_it_today(signed_in, world):
    data = {**grid((0, 0, "08:00", "22:00"), valid_from="2026-01-01"), "action": "fill-1",
            "baseline": "weekends"}
    html = post(signed_in, url(world.venue), data).get_data(as_text=True)
    assert re.search(r'name="t1-from"\s+value="2026-12-01"', html)
    assert 'name="t1-d5-1-start" value="13:00"' in html


# Copying ---------------------------------------------------------------------------------


def test_copy_gives_the_saved_timetable_to_the_chosen_venues(signed_in, world, make):
    third = make.venue(unit=world.unit, name="舞蹈室", hours=[(6, "10:00", "11:00")])
    make.commit()
    response = post(signed_in, url(world.second_venue, "/copy"),
                    {"copy-targets": [str(world.venue.id), str(third.id)]})
    assert response.status_code == 303
    expected = windows_of(world.second_venue)
    assert windows_of(world.venue) == expected
    assert windows_of(third) == expected
    assert audit_actions(venue_id=world.venue.id)[-1] == "venue.opening_hours"
    assert audit_actions(venue_id=third.id)[-1] == "venue.opening_hours"


def test_copy_offers_only_the_users_other_venues(signed_in, world):
    html = signed_in.get(url(world.venue)).get_data(as_text=True)
    assert f'<option value="{world.second_venue.id}">' in html
    assert f'<option value="{world.venue.id}">' not in html
    assert "篮球场" not in html


def test_copy_to_another_units_venue_copies_nothing(signed_in, world):
    before = (windows_of(world.venue), windows_of(world.other_venue))
    response = post(signed_in, url(world.second_venue, "/copy"),
                    {"copy-targets": [str(world.venue.id), str(world.other_venue.id)]})
    assert response.status_code == 200
    assert ("Choose venues from the list: only the venues you manage can be given this "
            "timetable.") in text(response)
    assert (windows_of(world.venue), windows_of(world.other_venue)) == before


def test_copy_without_a_choice_asks_for_one(signed_in, world):
    response = post(signed_in, url(world.second_venue, "/copy"), {})
    assert response.status_code == 200
    assert "Choose at least one venue." in text(response)


def test_copy_of_an_empty_timetable_is_refused(signed_in, world, make):
    empty = make.venue(unit=world.unit, name="空场地", hours=[])
    make.commit()
    before = windows_of(world.venue)
    response = post(signed_in, url(empty, "/copy"), {"copy-targets": [str(world.venue.id)]})
    assert response.status_code == 200
    assert ("Nothing was copied: this venue has no opening hours yet; save them first."
            in text(response))
    assert windows_of(world.venue) == before


def test_copy_without_the_csrf_token_is_refused(signed_in, world):
    before = windows_of(world.venue)
    response = signed_in.post(url(world.second_venue, "/copy"),
                              data={"copy-targets": [str(world.venue.id)]})
    assert response.status_code == 400
    assert windows_of(world.venue) == before


# The holiday switch ----------------------------------------------------------------------


def test_the_holiday_switch_turns_on_and_off(signed_in, world):
    response = post(signed_in, url(world.venue, "/holidays"), {"hol-closed_on_holidays": "y"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/manage/venues/{world.venue.id}/hours#holidays"
    assert db.session.get(Venue, world.venue.id).closed_on_holidays is True
    post(signed_in, url(world.venue, "/holidays"), {})
    db.session.expire_all()
    assert db.session.get(Venue, world.venue.id).closed_on_holidays is False
    assert audit_actions(venue_id=world.venue.id)[-2:] == ["venue.update", "venue.update"]


def test_the_holiday_switch_without_the_csrf_token_is_refused(signed_in, world):
    response = signed_in.post(url(world.venue, "/holidays"), data={"hol-closed_on_holidays": "y"})
    assert response.status_code == 400
    assert db.session.get(Venue, world.venue.id).closed_on_holidays is False


def test_the_editor_lists_the_coming_years_holidays(app, signed_in, world, make):
    app.config["CLOCK"] = lambda: datetime(2025, 9, 1, 2, tzinfo=UTC)
    set_opening_hours(venue=world.venue, actor=world.admin, now=make.now, windows=[
        Window(0, hm("18:00"), hm("21:00"), date(2025, 1, 1)),
        Window(6, hm("09:00"), hm("17:00"), date(2025, 1, 1))])
    set_closed_on_holidays(venue=world.venue, closed=True, actor=world.admin, now=make.now)
    make.commit()
    page = text(signed_in.get(url(world.venue)))
    assert ("2025-09-28 (Sun) make-up working day (National Day) — opens as on Monday: "
            "18:00–21:00") in page
    assert ("National Day, Mid-Autumn Festival : 2025-10-01 (Wed) – 2025-10-08 (Wed) — closed"
            in page)
    assert "Spring Festival : 2026-02-15 (Sun) – 2026-02-23 (Mon) — closed" in page
    assert "(if switched on)" not in page


def test_the_editor_says_which_years_the_holiday_calendar_knows(signed_in, world):
    page = text(signed_in.get(url(world.venue)))
    assert ("The holiday calendar (the chinesecalendar package) knows the years 2004–2026. "
            "Dates from 2027 on count as ordinary days") in page


def test_the_page_has_no_inline_script(signed_in, world):
    html = signed_in.get(url(world.venue)).get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html
    assert '<script src="/static/js/hours-editor.js" defer></script>' in html
