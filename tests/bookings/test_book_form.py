"""Booking from the venue page (issue 4): POST /venues/<id>/book.

NOW is Tuesday 1 December 2026, 10:00 Shanghai; the venue is open 08:00–22:00 every day.
Saturday is 5 December. English pages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from gongjian.bookings.models import Booking, BookingStatus
from gongjian.extensions import db
from gongjian.venues.services import add_closure

from ..conftest import NOW
from ..factories import local
from ..pages import login, set_language, submit, text

FORM = {"title": "羽毛球练习", "attendees": "8", "organization": "", "date": "2026-12-05",
        "start": "14:00", "end": "16:00"}


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@pytest.fixture
def venue(make, clock):
    venue = make.venue(capacity=40)
    make.commit()
    return venue


@pytest.fixture
def resident(make, client):
    user = make.user(name="居民")
    make.commit()
    login(client, user)
    return user


def book(client, venue, **changes):
    url = f"/venues/{venue.id}"
    data = {key: value for key, value in {**FORM, **changes}.items() if value is not None}
    return submit(client, f"{url}/book", data, page=url)


def bookings() -> list[Booking]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Booking).order_by(Booking.id)))


def problems(response) -> list[str]:
    """The messages listed in the booking form's check region."""
    html = response.get_data(as_text=True)
    region = html.split('id="booking-check"')[1].split('<div class="col-12">')[0]
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", region, re.S)]


def field_value(response, field_id: str) -> str:
    html = response.get_data(as_text=True)
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
    return unescape(re.search(r'value="([^"]*)"', tag).group(1))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# Booking --------------------------------------------------------------------------------------


def test_a_booking_is_confirmed_at_once_and_the_user_sent_to_their_bookings(client, venue,
                                                                            resident):
    response = book(client, venue)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/bookings"
    [booking] = bookings()
    assert (booking.venue_id, booking.booker_id, booking.organization_id, booking.title,
            booking.attendees, booking.status) == (
        venue.id, resident.id, None, "羽毛球练习", 8, BookingStatus.CONFIRMED)
    assert (utc(booking.start_at), utc(booking.end_at)) == (
        utc(local(2026, 12, 5, 14)), utc(local(2026, 12, 5, 16)))
    assert "Booked: confirmed" in text(client.get("/me/bookings"))


def test_a_booking_needing_approval_is_pending(client, make, clock, resident):
    venue = make.venue(requires_approval=True)
    make.commit()
    response = book(client, venue)
    assert response.status_code == 302
    [booking] = bookings()
    assert booking.status == BookingStatus.PENDING
    assert "Booked: pending approval" in text(client.get("/me/bookings"))


def test_a_member_books_for_their_organization(client, make, venue, resident):
    organization = make.organization(members=(resident,))
    make.commit()
    assert f'<option value="{organization.id}">' in client.get(
        f"/venues/{venue.id}").get_data(as_text=True)
    response = book(client, venue, organization=str(organization.id))
    assert response.status_code == 302
    [booking] = bookings()
    assert (booking.booker_id, booking.organization_id) == (resident.id, organization.id)


def test_the_organization_choice_offers_only_approved_organizations_of_the_user(
        client, make, venue, resident):
    approved = make.organization(members=(resident,))
    make.organization(members=(resident,), approved=False)
    foreign = make.organization()
    make.commit()
    html = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    select = html.split('id="booking-organization"')[1].split("</select>")[0]
    assert re.findall(r'<option[^>]*value="([^"]*)"', select) == ["", str(approved.id)]
    assert ">Myself</option>" in select
    response = book(client, venue, organization=str(foreign.id))
    assert response.status_code == 200
    assert bookings() == []


def test_an_end_of_midnight_ends_the_date(client, make, clock, resident):
    venue = make.venue(hours=[(5, "18:00", "24:00")])
    make.commit()
    response = book(client, venue, start="22:00", end="00:00")
    assert response.status_code == 302
    [booking] = bookings()
    assert (utc(booking.start_at), utc(booking.end_at)) == (
        utc(local(2026, 12, 5, 22)), utc(local(2026, 12, 6, 0)))


def test_a_venue_in_another_zone_takes_its_own_local_times(client, make, clock, resident):
    venue = make.venue(timezone="Asia/Urumqi")
    make.commit()
    assert book(client, venue).status_code == 302
    [booking] = bookings()
    assert utc(booking.start_at) == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)  # 14:00 at +06:00


# Refusals -------------------------------------------------------------------------------------

RULE_CASES = {
    "misaligned": ({"start": "14:15"}, {}, 422,
                   "Start and end must fall on the venue's 30-minute grid."),
    "too_short": ({"end": "15:00"}, {"min_duration_minutes": 90}, 422,
                  "A booking here lasts at least 90 minutes."),
    "too_long": ({"start": "09:00", "end": "14:00"}, {}, 422,
                 "A booking here lasts at most 240 minutes."),
    "too_soon": ({"date": "2026-12-01", "start": "10:30", "end": "11:30"}, {}, 422,
                 "Bookings must start at least 60 minutes from now, never in the past."),
    "too_far_ahead": ({"date": "2026-12-20"}, {}, 422,
                      "This venue takes bookings at most 14 days ahead."),
    "over_capacity": ({"attendees": "41"}, {}, 422,
                      "Attendees must be between 1 and the venue's capacity of 40."),
    "outside_opening_hours": ({"start": "21:00", "end": "23:00"}, {}, 422,
                              "The whole booking must lie within the venue's opening hours."),
    "audience_not_allowed": ({}, {"audience": "organizations"}, 403,
                             "This venue does not take this kind of booking (organizations)."),
}


@pytest.mark.parametrize("code", list(RULE_CASES))
def test_each_rule_refusal_shows_its_message_keeps_the_form_and_writes_nothing(
        client, make, clock, resident, code):
    changes, settings, status, message = RULE_CASES[code]
    venue = make.venue(capacity=40, **settings)
    make.commit()
    response = book(client, venue, **changes)
    assert response.status_code == 200  # the page again, with the refusal
    assert problems(response) == [message]
    assert field_value(response, "booking-title") == "羽毛球练习"
    assert field_value(response, "booking-date") == changes.get("date", "2026-12-05")
    assert bookings() == []


def test_every_failed_rule_is_listed_and_its_fields_marked(client, venue, resident):
    response = book(client, venue, start="21:15", end="23:15", attendees="50")
    assert response.status_code == 200
    assert problems(response) == [
        "Start and end must fall on the venue's 30-minute grid.",
        "Attendees must be between 1 and the venue's capacity of 40.",
        "The whole booking must lie within the venue's opening hours.",
    ]
    html = response.get_data(as_text=True)
    for field_id in ("booking-start", "booking-end", "booking-attendees"):
        tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
        assert "is-invalid" in tag and "booking-check" in tag, field_id
    title = re.search(r'<input[^>]*id="booking-title"[^>]*>', html).group(0)
    assert "is-invalid" not in title


def test_a_closed_time_is_refused(client, make, venue, resident):
    add_closure(venue=venue, start=local(2026, 12, 5, 0), end=local(2026, 12, 6, 0),
                reason="maintenance", actor=make.admin, now=NOW)
    make.commit()
    response = book(client, venue)
    assert response.status_code == 200
    assert problems(response) == ["The venue is closed during this time."]
    assert bookings() == []


def test_the_quota_is_refused(client, make, clock, resident):
    venue = make.venue(max_active_per_user=1)
    make.booking(venue=venue, booker=resident, start=local(2026, 12, 3, 9),
                 end=local(2026, 12, 3, 10))
    make.commit()
    response = book(client, venue)
    assert response.status_code == 200
    assert problems(response) == [
        "You already hold the most active bookings allowed at this venue (1)."]
    assert len(bookings()) == 1


def test_a_suspended_booker_is_refused(client, make, venue, resident):
    resident.suspended_until = NOW + timedelta(days=3)
    make.commit()
    response = book(client, venue)
    assert response.status_code == 200
    assert problems(response) == ["Your booking rights are suspended."]
    assert bookings() == []


def test_a_clash_offers_free_slots_and_one_click_books_one(client, make, venue, resident):
    other = make.booking(venue=venue, start=local(2026, 12, 5, 13), end=local(2026, 12, 5, 15),
                         title="别人的活动")
    make.commit()
    response = book(client, venue)
    assert response.status_code == 200
    assert problems(response) == ["This time clashes with another booking."]
    html = response.get_data(as_text=True)
    assert "别人的活动" not in html and other.booker.name not in html
    buttons = [" ".join(b.split()) for b in re.findall(
        r'<button type="submit" class="[^"]*\bsuggestion\b[^"]*">(.*?)</button>', html, re.S)]
    assert buttons == ["Book 15:00–17:00 instead", "Book 15:30–17:30 instead",
                       "Book 16:00–18:00 instead"]
    first = html.split('id="booking-suggestions"')[1].split("</form>")[0]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', first))
    assert {k: unescape(v) for k, v in hidden.items() if k != "csrf_token"} == {
        "title": "羽毛球练习", "attendees": "8", "organization": "", "date": "2026-12-05",
        "start": "15:00", "end": "17:00"}
    assert len(bookings()) == 1
    booked = client.post(f"/venues/{venue.id}/book", data=hidden)
    assert booked.status_code == 302
    mine = [b for b in bookings() if b.booker_id == resident.id]
    assert [(utc(b.start_at), utc(b.end_at), b.title, b.attendees) for b in mine] == [
        (utc(local(2026, 12, 5, 15)), utc(local(2026, 12, 5, 17)), "羽毛球练习", 8)]


def test_a_suggestion_on_another_day_names_its_date(client, make, clock, resident):
    venue = make.venue(hours=[(5, "14:00", "16:00"), (6, "14:00", "16:00")])
    make.booking(venue=venue, start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 16))
    make.commit()
    response = book(client, venue)
    assert response.status_code == 200
    buttons = [" ".join(b.split()) for b in re.findall(
        r'class="[^"]*\bsuggestion\b[^"]*">(.*?)</button>', response.get_data(as_text=True),
        re.S)]
    assert buttons == ["Book 2026-12-06 (Sun) 14:00–16:00 instead",
                       "Book 2026-12-12 (Sat) 14:00–16:00 instead"]


def test_a_time_the_clocks_skip_is_refused(client, make, clock, resident):
    # Berlin moves its clocks from 02:00 to 03:00 on Sunday 28 March 2027.
    venue = make.venue(timezone="Europe/Berlin", hours=[(6, "00:00", "24:00")])
    make.commit()
    response = book(client, venue, date="2027-03-28", start="02:30", end="04:00")
    assert response.status_code == 200
    assert ("02:30 does not exist on 2027-03-28 at this venue: the clocks skip it "
            "(daylight saving time).") in text(response)
    assert bookings() == []


def test_an_end_before_the_start_is_refused(client, venue, resident):
    response = book(client, venue, start="16:00", end="14:00")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="booking-end-error">'
            "The end must be after the start.</div>") in html
    assert bookings() == []


@pytest.mark.parametrize("changes, field_id", [
    ({"title": "  "}, "booking-title"),
    ({"attendees": "many"}, "booking-attendees"),
    ({"date": "2026-13-40"}, "booking-date"),
    ({"start": "2pm"}, "booking-start"),
    ({"end": None}, "booking-end"),
])
def test_a_malformed_field_is_shown_on_it_and_nothing_is_written(client, venue, resident,
                                                                 changes, field_id):
    response = book(client, venue, **changes)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in html
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
    assert "is-invalid" in tag and f"{field_id}-error" in tag
    assert bookings() == []


def test_a_post_without_the_csrf_token_is_refused(client, venue, resident):
    response = client.post(f"/venues/{venue.id}/book", data=FORM)
    assert response.status_code == 400
    assert bookings() == []


def test_a_visitor_posting_is_sent_to_log_in_and_back_to_the_venue(client, venue):
    set_language(client, "en")
    html = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    response = client.post(f"/venues/{venue.id}/book", data={**FORM, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/venues/{venue.id}"
    assert bookings() == []


def test_booking_an_unknown_venue_is_not_found(client, venue, resident):
    response = submit(client, f"/venues/{venue.id + 1000}/book", FORM,
                      page=f"/venues/{venue.id}")
    assert response.status_code == 404
    assert bookings() == []
