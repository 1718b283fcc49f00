"""My bookings (/me/bookings), one booking's page and its actions: cancel, check in, rate.

NOW is Tuesday 1 December 2026, 10:00 Shanghai. The resident has bookings of their own and one
of the choir (an organization they belong to, booked by another member); a stranger and a
second organization have bookings that the resident must never see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification, User
from gongjian.audit import AuditEvent
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import cancel_booking, complete_booking
from gongjian.extensions import db
from gongjian.venues.models import Venue

from ..conftest import NOW
from ..factories import local
from ..pages import csrf_token, login, text

EARLIER = NOW - timedelta(days=10)  # when the past bookings were made


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@dataclass
class Scene:
    venue: Venue
    approval_venue: Venue
    manager: User
    resident: User
    member: User
    stranger: User
    bookings: dict[str, Booking]


@pytest.fixture
def scene(app, make, clock) -> Scene:
    manager = make.user(name="联络员")
    unit = make.unit(managers=(manager,))
    venue = make.venue(unit=unit, name="多功能厅", max_active_per_user=10)
    approval_venue = make.venue(unit=unit, name="会议室", requires_approval=True)
    resident, member, stranger = make.user(), make.user(name="合唱团员"), make.user(name="路人")
    choir = make.organization(members=(member, resident))
    others = make.organization(members=(stranger,))
    b = {}

    def book(key, title, start, end, *, booker=resident, at=venue, made=NOW, **extra):
        b[key] = make.booking(venue=at, booker=booker, title=title, start=start, end=end,
                              now=made, **extra)
        return b[key]

    # Upcoming: soonest first (one already running).
    book("running", "正在进行", local(2026, 12, 1, 9), local(2026, 12, 1, 11), made=EARLIER)
    book("tomorrow", "晨练", local(2026, 12, 2, 9), local(2026, 12, 2, 10))
    book("choir", "合唱排练", local(2026, 12, 3, 19), local(2026, 12, 3, 21), booker=member,
         organization_id=choir.id)
    book("pending", "读书会", local(2026, 12, 5, 14), local(2026, 12, 5, 16), at=approval_venue)
    # Past and other: newest first.
    cancelled = book("cancelled", "取消的会", local(2026, 12, 4, 14), local(2026, 12, 4, 15))
    cancel_booking(booking=cancelled, actor=resident, now=NOW, reason="家里有事")
    book("ended", "昨晚活动", local(2026, 11, 30, 18), local(2026, 11, 30, 19), made=EARLIER)
    done = book("completed", "上周活动", local(2026, 11, 25, 14), local(2026, 11, 25, 16),
                made=EARLIER)
    complete_booking(booking=done, now=local(2026, 11, 25, 16))
    # Never shown to the resident.
    book("stranger", "别人的会", local(2026, 12, 2, 15), local(2026, 12, 2, 16), booker=stranger)
    book("others", "别的组织", local(2026, 12, 2, 17), local(2026, 12, 2, 18), booker=stranger,
         organization_id=others.id)
    make.commit()
    return Scene(venue, approval_venue, manager, resident, member, stranger, b)


def section_titles(response, section: str) -> list[str]:
    html = response.get_data(as_text=True)
    body = html.split(f'id="{section}"')[1].split("</section>")[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", title).split())
            for title in re.findall(r'<h3 class="h6 card-title[^"]*"[^>]*>(.*?)</h3>', body, re.S)]


def card(response, booking: Booking) -> str:
    html = response.get_data(as_text=True)
    return html.split(f'data-booking="{booking.id}"')[1].split("</article>")[0]


def row(booking_id: int) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def counts() -> tuple[int, int]:
    return (db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
            db.session.scalar(sa.select(sa.func.count(Notification.id))))


# The list ------------------------------------------------------------------------------------


def test_sections_list_upcoming_soonest_first_and_the_rest_newest_first(scene, client):
    login(client, scene.resident)
    response = client.get("/me/bookings")
    assert response.status_code == 200
    assert section_titles(response, "upcoming") == ["正在进行", "晨练", "合唱排练", "读书会"]
    assert section_titles(response, "past") == ["取消的会", "昨晚活动", "上周活动"]


def test_each_card_shows_venue_time_attendees_status_and_reason(scene, client):
    login(client, scene.resident)
    response = client.get("/me/bookings")
    html = card(response, scene.bookings["cancelled"])
    assert f'href="/venues/{scene.venue.id}"' in html
    plain = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert f"Venue 多功能厅 · {scene.venue.unit.name}" in plain
    assert "Time 2026-12-04 (Fri) 14:00–15:00" in plain
    assert "Attendees 10" in plain
    assert "Reason 家里有事" in plain
    assert ('<span class="badge status-badge status-cancelled" data-status="cancelled">'
            "Cancelled</span>") in html


def test_an_organization_booking_shows_for_members_marked_as_such(scene, client):
    login(client, scene.resident)
    html = card(client.get("/me/bookings"), scene.bookings["choir"])
    assert "Organization booking" in html
    assert "booked by another member" in html
    assert "合唱团员" not in html  # the other member's name is not shown


def test_organization_bookings_do_not_show_for_non_members(scene, client, make):
    outsider = make.user()
    make.booking(venue=scene.venue, booker=outsider, title="我的会",
                 start=local(2026, 12, 6, 9), end=local(2026, 12, 6, 10))
    make.commit()
    login(client, outsider)
    response = client.get("/me/bookings")
    assert section_titles(response, "upcoming") == ["我的会"]
    assert "合唱排练" not in text(response)


def test_another_residents_bookings_never_appear(scene, client):
    login(client, scene.resident)
    page = text(client.get("/me/bookings"))
    assert "别人的会" not in page
    assert "别的组织" not in page
    assert scene.stranger.name not in page


def test_every_card_offers_the_calendar_download_and_the_detail_page(scene, client):
    login(client, scene.resident)
    response = client.get("/me/bookings")
    for key in ("running", "tomorrow", "choir", "pending", "cancelled", "ended", "completed"):
        html = card(response, scene.bookings[key])
        booking_id = scene.bookings[key].id
        assert f'href="/bookings/{booking_id}.ics"' in html
        assert f'href="/me/bookings/{booking_id}"' in html


def test_the_page_links_to_the_calendar_feed_page(scene, client):
    login(client, scene.resident)
    assert 'href="/feeds"' in client.get("/me/bookings").get_data(as_text=True)


def test_cancel_is_offered_on_own_bookings_before_they_start_only(scene, client):
    login(client, scene.resident)
    response = client.get("/me/bookings")
    offered = {key for key in ("running", "tomorrow", "choir", "pending", "cancelled")
               if f'href="/me/bookings/{scene.bookings[key].id}/cancel"' in card(
                   response, scene.bookings[key])}
    assert offered == {"tomorrow", "pending"}


def test_a_user_without_bookings_is_pointed_to_finding_a_venue(app, make, client, clock):
    user = make.user()
    make.commit()
    login(client, user)
    response = client.get("/me/bookings")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    empty = html.split('id="no-bookings"')[1].split("</div>\n</div>")[0]
    assert "No bookings yet" in empty
    assert 'href="/"' in empty


def test_past_bookings_are_paginated_twenty_a_page(app, make, client, clock):
    user = make.user()
    venue = make.venue(max_active_per_user=30)
    for n in range(25):
        day = NOW + timedelta(days=1 + n // 10)
        start = local(day.year, day.month, day.day, 8 + n % 10)
        booking = make.booking(venue=venue, booker=user, title=f"会{n:02d}", start=start,
                               end=start + timedelta(hours=1))
        cancel_booking(booking=booking, actor=user, now=NOW)
    make.commit()
    login(client, user)
    first = section_titles(client.get("/me/bookings"), "past")
    second = section_titles(client.get("/me/bookings?page=2"), "past")
    assert first == [f"会{n:02d}" for n in range(24, 4, -1)]
    assert second == [f"会{n:02d}" for n in range(4, -1, -1)]
    assert client.get("/me/bookings?page=3").status_code == 404
    assert client.get("/me/bookings?page=x").status_code == 404
    assert client.get("/me/bookings?page=0").status_code == 404



def test_times_are_shown_in_each_venues_own_zone(scene, client, make):
    berlin = ZoneInfo("Europe/Berlin")
    venue = make.venue(unit=scene.venue.unit, name="柏林厅", timezone="Europe/Berlin")
    booking = make.booking(venue=venue, booker=scene.resident, title="柏林",
                           start=local(2026, 12, 3, 18, zone=berlin),
                           end=local(2026, 12, 3, 20, zone=berlin))
    make.commit()
    login(client, scene.resident)
    html = card(client.get("/me/bookings"), booking)
    assert "2026-12-03 (Thu) 18:00–20:00" in html
    assert 'datetime="2026-12-03T18:00:00+01:00"' in html

# The booking's page --------------------------------------------------------------------------


def test_a_stranger_gets_404_for_someone_elses_booking(scene, client):
    login(client, scene.stranger)
    assert client.get(f"/me/bookings/{scene.bookings['tomorrow'].id}").status_code == 404


def test_an_unknown_booking_is_404(scene, client):
    login(client, scene.resident)
    assert client.get("/me/bookings/99999").status_code == 404


@pytest.mark.parametrize("who", ["booker", "member", "manager", "admin"])
def test_the_booking_page_opens_for_booker_member_manager_and_admin(scene, client, make, who):
    reader = {"booker": scene.member, "member": scene.resident, "manager": scene.manager,
              "admin": make.admin}[who]
    make.commit()
    login(client, reader)
    response = client.get(f"/me/bookings/{scene.bookings['choir'].id}")
    assert response.status_code == 200
    assert "合唱排练" in text(response)


def test_the_booking_page_shows_the_details_in_the_venues_zone(scene, client):
    login(client, scene.resident)
    page = text(client.get(f"/me/bookings/{scene.bookings['cancelled'].id}"))
    assert "Time 2026-12-04 (Fri) 14:00–15:00 (Asia/Shanghai)" in page
    assert "Booked by You" in page
    assert "Cancelled 2026-12-01 (Tue) 10:00" in page
    assert "Reason 家里有事" in page


def test_a_member_does_not_see_who_of_the_organization_booked(scene, client):
    login(client, scene.resident)
    page = text(client.get(f"/me/bookings/{scene.bookings['choir'].id}"))
    assert "Booked by Another member of the organization" in page
    assert scene.member.name not in page
    assert scene.member.email not in page


def test_the_manager_sees_who_booked(scene, client):
    login(client, scene.manager)
    page = text(client.get(f"/me/bookings/{scene.bookings['choir'].id}"))
    assert f"Booked by {scene.member.name} · {scene.member.email}" in page


# Cancelling ----------------------------------------------------------------------------------

LATE = "Cancelling now counts as a late cancellation"


def test_the_confirmation_warns_of_a_late_cancellation_inside_the_deadline(scene, client, make):
    soon = make.booking(venue=scene.venue, booker=scene.resident, title="马上开始",
                        start=local(2026, 12, 1, 11, 30), end=local(2026, 12, 1, 12, 30),
                        now=EARLIER)
    make.commit()
    login(client, scene.resident)
    response = client.get(f"/me/bookings/{soon.id}/cancel")
    assert response.status_code == 200
    assert LATE in text(response)


def test_the_confirmation_has_no_warning_before_the_deadline(scene, client):
    login(client, scene.resident)
    response = client.get(f"/me/bookings/{scene.bookings['tomorrow'].id}/cancel")
    assert response.status_code == 200
    assert LATE not in text(response)
    assert "Reason (optional)" in text(response)


def test_the_confirmation_has_no_warning_at_exactly_the_deadline(scene, client, make):
    # 12:00 − 120 min = 10:00 = NOW: not later than the deadline.
    booking = make.booking(venue=scene.venue, booker=scene.resident, title="正点",
                           start=local(2026, 12, 1, 12), end=local(2026, 12, 1, 13), now=EARLIER)
    make.commit()
    login(client, scene.resident)
    assert LATE not in text(client.get(f"/me/bookings/{booking.id}/cancel"))


def test_a_pending_request_never_counts_as_late(scene, client, make):
    request = make.booking(venue=scene.approval_venue, booker=scene.resident, title="待审",
                           start=local(2026, 12, 1, 11, 30), end=local(2026, 12, 1, 12, 30),
                           now=EARLIER)
    make.commit()
    login(client, scene.resident)
    assert LATE not in text(client.get(f"/me/bookings/{request.id}/cancel"))


def test_cancelling_changes_the_booking_and_returns_to_the_list(scene, client):
    booking = scene.bookings["tomorrow"]
    login(client, scene.resident)
    url = f"/me/bookings/{booking.id}/cancel"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "revision": str(booking.revision), "reason": "下雨"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/bookings"
    changed = row(booking.id)
    assert (changed.status, changed.reason, changed.cancelled_at, changed.late_cancellation) == (
        BookingStatus.CANCELLED, "下雨", NOW, False)
    assert "The booking is cancelled." in text(client.get("/me/bookings"))


def test_a_late_cancellation_is_recorded_and_said(scene, client, make):
    soon = make.booking(venue=scene.venue, booker=scene.resident, title="马上开始",
                        start=local(2026, 12, 1, 11, 30), end=local(2026, 12, 1, 12, 30),
                        now=EARLIER)
    make.commit()
    login(client, scene.resident)
    url = f"/me/bookings/{soon.id}/cancel"
    client.post(url, data={"csrf_token": csrf_token(client, url), "revision": "0"})
    assert row(soon.id).late_cancellation is True
    assert "it counts as a late cancellation" in text(client.get("/me/bookings"))


def test_a_member_who_did_not_book_cannot_cancel_and_nothing_is_written(scene, client):
    booking = scene.bookings["choir"]
    before = counts()
    login(client, scene.resident)
    url = f"/me/bookings/{booking.id}/cancel"
    assert "Only the person who made this booking can cancel it." in text(client.get(url))
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "revision": str(booking.revision)})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/me/bookings/{booking.id}"
    assert "You are not allowed to do this." in text(client.get(response.headers["Location"]))
    unchanged = row(booking.id)
    assert (unchanged.status, unchanged.revision) == (BookingStatus.CONFIRMED, 0)
    assert counts() == before


def test_cancelling_a_changed_booking_is_refused_as_stale(scene, client):
    booking = scene.bookings["tomorrow"]
    before = counts()
    login(client, scene.resident)
    url = f"/me/bookings/{booking.id}/cancel"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "revision": "7"})
    assert response.status_code == 302
    assert "This booking was changed meanwhile; please reload it and try again." in text(
        client.get(response.headers["Location"]))
    assert row(booking.id).status == BookingStatus.CONFIRMED
    assert counts() == before


def test_cancelling_an_already_cancelled_booking_is_refused(scene, client):
    booking = scene.bookings["cancelled"]
    login(client, scene.resident)
    url = f"/me/bookings/{booking.id}/cancel"
    assert "This booking’s status is “Cancelled”: it can no longer be cancelled." in text(
        client.get(url))
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "revision": str(booking.revision)})
    assert response.status_code == 302
    assert row(booking.id).revision == booking.revision


def test_a_manager_must_give_a_reason(scene, client):
    booking = scene.bookings["tomorrow"]
    login(client, scene.manager)
    url = f"/me/bookings/{booking.id}/cancel"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "revision": str(booking.revision), "reason": "  "})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-describedby="reason-error"' in html
    assert '<div class="invalid-feedback" id="reason-error">Please give a reason.</div>' in html
    assert row(booking.id).status == BookingStatus.CONFIRMED


def test_a_reason_over_500_characters_is_refused_on_the_form(scene, client):
    booking = scene.bookings["tomorrow"]
    login(client, scene.resident)
    url = f"/me/bookings/{booking.id}/cancel"
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "revision": str(booking.revision), "reason": "长" * 501})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback" id="reason-error">'
            "The reason may have at most 500 characters.</div>") in html
    assert ">" + "长" * 501 + "</textarea>" in html
    assert row(booking.id).status == BookingStatus.CONFIRMED


def test_cancelling_without_the_csrf_token_is_refused(scene, client):
    booking = scene.bookings["tomorrow"]
    before = counts()
    login(client, scene.resident)
    response = client.post(f"/me/bookings/{booking.id}/cancel",
                           data={"revision": str(booking.revision)})
    assert response.status_code == 400
    assert row(booking.id).status == BookingStatus.CONFIRMED
    assert counts() == before


def test_a_stranger_cannot_even_see_the_cancel_page(scene, client):
    login(client, scene.stranger)
    assert client.get(f"/me/bookings/{scene.bookings['tomorrow'].id}/cancel").status_code == 404


# Checking in ---------------------------------------------------------------------------------


@pytest.fixture
def check_in_venue(scene, make):
    venue = make.venue(unit=scene.venue.unit, name="篮球场", requires_check_in=True)
    now_on = make.booking(venue=venue, booker=scene.resident, title="篮球",
                          start=local(2026, 12, 1, 10), end=local(2026, 12, 1, 11), now=EARLIER)
    later = make.booking(venue=venue, booker=scene.resident, title="明天篮球",
                         start=local(2026, 12, 2, 10), end=local(2026, 12, 2, 11))
    make.commit()
    return now_on, later


def test_check_in_is_offered_only_while_its_window_is_open(scene, client, check_in_venue):
    now_on, later = check_in_venue
    login(client, scene.resident)
    response = client.get("/me/bookings")
    assert f'action="/me/bookings/{now_on.id}/check-in"' in card(response, now_on)
    assert "/check-in" not in card(response, later)
    # The running booking's venue does not ask for check-in: no button.
    assert "/check-in" not in card(response, scene.bookings["running"])


def test_checking_in_records_the_time(scene, client, check_in_venue):
    now_on, _ = check_in_venue
    login(client, scene.resident)
    response = client.post(f"/me/bookings/{now_on.id}/check-in", data={
        "csrf_token": csrf_token(client, "/me/bookings"), "revision": "0",
        "next": "/me/bookings"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/bookings"
    assert row(now_on.id).checked_in_at == NOW
    page = client.get("/me/bookings")
    assert "You are checked in." in text(page)
    assert "/check-in" not in card(page, now_on)


def test_checking_in_outside_the_window_is_refused(scene, client, check_in_venue):
    _, later = check_in_venue
    login(client, scene.resident)
    response = client.post(f"/me/bookings/{later.id}/check-in", data={
        "csrf_token": csrf_token(client, "/me/bookings"), "revision": "0"})
    assert response.status_code == 302
    assert "Check-in opens 15 minutes before the start and closes at the end." in text(
        client.get(response.headers["Location"]))
    assert row(later.id).checked_in_at is None


def test_checking_in_without_the_csrf_token_is_refused(scene, client, check_in_venue):
    now_on, _ = check_in_venue
    login(client, scene.resident)
    response = client.post(f"/me/bookings/{now_on.id}/check-in", data={"revision": "0"})
    assert response.status_code == 400
    assert row(now_on.id).checked_in_at is None


def test_a_stranger_cannot_check_in(scene, client, check_in_venue):
    now_on, _ = check_in_venue
    login(client, scene.stranger)
    response = client.post(f"/me/bookings/{now_on.id}/check-in", data={
        "csrf_token": csrf_token(client, "/me/bookings"), "revision": "0"})
    assert response.status_code == 404
    assert row(now_on.id).checked_in_at is None


# Rating --------------------------------------------------------------------------------------

RATING_MESSAGE = "Choose a rating from 1 to 5 stars."


def rate(client, booking: Booking, **data):
    url = f"/me/bookings/{booking.id}/rate"
    return client.post(url, data={"csrf_token": csrf_token(client, url),
                                  "revision": str(booking.revision), **data})


def test_rate_is_offered_on_completed_unrated_bookings_only(scene, client):
    login(client, scene.resident)
    response = client.get("/me/bookings")
    offered = {key for key in ("tomorrow", "cancelled", "ended", "completed")
               if f'href="/me/bookings/{scene.bookings[key].id}/rate"' in card(
                   response, scene.bookings[key])}
    assert offered == {"completed"}


def test_the_rating_form_is_a_labelled_radio_group(scene, client):
    login(client, scene.resident)
    html = client.get(f"/me/bookings/{scene.bookings['completed'].id}/rate").get_data(
        as_text=True)
    assert "<legend" in html.split("<fieldset")[1]
    for n in range(1, 6):
        assert f'type="radio" name="rating" id="rating-{n}" value="{n}"' in html
        assert f'<label class="form-check-label" for="rating-{n}">' in html
    assert '<label class="form-label" for="comment">' in html


def test_rating_a_completed_booking_saves_it(scene, client):
    booking = scene.bookings["completed"]
    login(client, scene.resident)
    response = rate(client, booking, rating="4", comment="很干净")
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/bookings"
    saved = row(booking.id)
    assert (saved.rating, saved.rating_comment, saved.rated_at) == (4, "很干净", NOW)
    page = client.get("/me/bookings")
    assert "Thank you for rating this booking." in text(page)
    assert "Your rating 4 of 5 stars" in text(page)


@pytest.mark.parametrize("value", ["0", "6", "x", ""])
def test_a_rating_outside_one_to_five_is_refused(scene, client, value):
    booking = scene.bookings["completed"]
    before = counts()
    login(client, scene.resident)
    response = rate(client, booking, rating=value, comment="留着")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<div class="invalid-feedback d-block" id="rating-error">{RATING_MESSAGE}</div>' in html
    assert ">留着</textarea>" in html
    assert row(booking.id).rating is None
    assert counts() == before


def test_a_comment_over_1000_characters_is_refused_on_the_form(scene, client):
    booking = scene.bookings["completed"]
    login(client, scene.resident)
    response = rate(client, booking, rating="5", comment="好" * 1001)
    assert response.status_code == 200
    assert ('<div class="invalid-feedback" id="comment-error">'
            "The comment may have at most 1000 characters.</div>") in response.get_data(
                as_text=True)
    assert re.search(r'id="rating-5" value="5"\s+required checked>',
                     response.get_data(as_text=True))
    assert row(booking.id).rating is None


def test_only_a_completed_booking_can_be_rated(scene, client):
    booking = scene.bookings["ended"]
    login(client, scene.resident)
    assert "Only the person who made a booking can rate it, once it is completed." in text(
        client.get(f"/me/bookings/{booking.id}/rate"))
    response = rate(client, booking, rating="5")
    assert response.status_code == 302
    assert "This booking is “Confirmed” and cannot be changed that way now." in text(
        client.get(response.headers["Location"]))
    assert row(booking.id).rating is None


def test_rating_without_the_csrf_token_is_refused(scene, client):
    booking = scene.bookings["completed"]
    login(client, scene.resident)
    response = client.post(f"/me/bookings/{booking.id}/rate",
                           data={"rating": "5", "revision": str(booking.revision)})
    assert response.status_code == 400
    assert row(booking.id).rating is None


# Visitors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/me/bookings", "/me/bookings/{id}", "/me/bookings/{id}/cancel",
                                  "/me/bookings/{id}/rate"])
def test_a_visitor_is_sent_to_log_in(scene, client, path):
    response = client.get(path.format(id=scene.bookings["tomorrow"].id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/me/bookings/{id}/cancel", "/me/bookings/{id}/check-in",
                                  "/me/bookings/{id}/rate"])
def test_a_visitors_post_is_sent_to_log_in(scene, client, path):
    booking = scene.bookings["tomorrow"]
    token = csrf_token(client, "/login")
    response = client.post(path.format(id=booking.id),
                           data={"csrf_token": token, "revision": "0", "rating": "5"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert row(booking.id).status == BookingStatus.CONFIRMED

