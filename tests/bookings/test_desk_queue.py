"""The approval queue (/desk): what it lists, approving, rejecting with a reason, bulk approval
and the unit notices. The scene is described in test_desk_scene.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from gongjian.accounts.models import Notification
from gongjian.audit import AuditEvent
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import cancel_booking
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import local
from ..pages import csrf_token, text
from . import test_desk_scene
from .test_desk_scene import sign_in

clock, scene = test_desk_scene.clock, test_desk_scene.scene


def queue_titles(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'id="request-\d+-title"><a [^>]*>([^<]+)</a>', html)


def card(response, booking) -> str:
    """The visible text of one request's card."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<li class="card[^"]*" data-booking="{booking.id}">(.*?)</li>', html,
                      re.S)
    assert found, f"no card for booking {booking.id}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def fresh(booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def notices(user, kind) -> list[int]:
    return list(db.session.scalars(sa.select(Notification.booking_id).where(
        Notification.user_id == user.id, Notification.kind == kind).order_by(Notification.id)))


# What the queue lists --------------------------------------------------------------------------


def test_the_queue_lists_pending_requests_soonest_first(client, scene):
    sign_in(client, scene.manager)
    response = client.get("/desk")
    assert response.status_code == 200
    assert queue_titles(response) == ["合唱排练", "读书会"]
    assert re.search(r'id="queue-count">\s*2<', response.get_data(as_text=True))


def test_each_request_shows_venue_time_booker_organization_and_attendees(client, scene):
    sign_in(client, scene.manager)
    shown = card(client.get("/desk"), scene["fresh"])
    assert shown.startswith("Select 合唱排练 合唱排练 Venue 多功能厅 "
                            "Time 2026-12-03 (Thu) 19:00–21:00 "
                            f"Booker {scene.singer.name} · 13700137000 "
                            f"Organization {scene.choir.name} Attendees 25 of 40 places "
                            "Record 0 completed · 0 no-shows "
                            "Requested 2026-12-01 (Tue) 09:00")


def test_the_bookers_record_counts_completed_and_no_show_bookings(client, scene):
    sign_in(client, scene.manager)
    assert "Record 1 completed · 1 no-show Requested" in card(client.get("/desk"),
                                                              scene["waiting"])


def test_the_records_of_a_whole_page_take_one_grouped_query(app, client, scene, make):
    for day in range(7, 11):  # four more bookers with requests
        make.booking(venue=scene.venue, start=local(2026, 12, day, 14),
                     end=local(2026, 12, day, 15))
    make.commit()
    sign_in(client, scene.manager)
    grouped: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        if "GROUP BY" in statement and "booker_id" in statement:
            grouped.append(statement)

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        response = client.get("/desk")
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert len(queue_titles(response)) == 6
    assert len(grouped) == 1


def test_a_request_waiting_over_24_hours_says_so(client, scene):
    sign_in(client, scene.manager)
    response = client.get("/desk")
    assert "Waiting over 24 h" in card(response, scene["waiting"])
    assert "Waiting over 24 h" not in card(response, scene["fresh"])
    assert re.search(rf'class="card mb-3 gj-request gj-waiting" data-booking="'
                     rf'{scene["waiting"].id}"', response.get_data(as_text=True))


def test_a_request_made_exactly_24_hours_ago_is_not_yet_highlighted(app, client, scene):
    app.config["CLOCK"] = lambda: scene["fresh"].created_at + timedelta(hours=24)
    sign_in(client, scene.manager)
    assert "Waiting over 24 h" not in card(client.get("/desk"), scene["fresh"])


def test_requests_that_have_started_are_not_in_the_queue(app, client, scene):
    app.config["CLOCK"] = lambda: local(2026, 12, 3, 19)
    sign_in(client, scene.manager)
    assert queue_titles(client.get("/desk")) == ["读书会"]


def test_the_queue_filters_by_venue(client, scene):
    sign_in(client, scene.manager)
    assert queue_titles(client.get(f"/desk?venue_id={scene.venue.id}")) == ["合唱排练", "读书会"]
    response = client.get(f"/desk?venue_id={scene.courts.id}")
    assert queue_titles(response) == []
    assert "No request is waiting for a decision." in text(response)


def test_a_venue_filter_naming_another_units_venue_is_404(client, scene):
    sign_in(client, scene.manager)
    assert client.get(f"/desk?venue_id={scene.other_venue.id}").status_code == 404
    assert client.get("/desk?venue_id=abc").status_code == 404


def test_a_district_admin_sees_every_unit_and_filters_by_unit(client, scene):
    sign_in(client, scene.admin)
    assert queue_titles(client.get("/desk")) == ["合唱排练", "读书会", "别人的会"]
    assert queue_titles(client.get(f"/desk?unit_id={scene.other_unit.id}")) == ["别人的会"]
    page = client.get(f"/desk?unit_id={scene.unit.id}").get_data(as_text=True)
    assert re.search(r'<label class="form-label" for="filter-unit">Unit</label>', page)
    assert re.search(r'<label class="form-label" for="filter-venue">Venue</label>', page)


def test_a_manager_of_one_unit_gets_no_unit_filter(client, scene):
    sign_in(client, scene.manager)
    assert 'id="filter-unit"' not in client.get("/desk").get_data(as_text=True)


# Approving one -------------------------------------------------------------------------------


def post(client, url, data, page="/desk", **kwargs):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data}, **kwargs)


def test_approving_a_request_confirms_it_and_tells_the_booker(client, scene):
    sign_in(client, scene.manager)
    waiting = scene["waiting"]
    response = post(client, f"/desk/bookings/{waiting.id}/approve",
                    {"revision": "0", "next": "/desk"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/desk"
    booking = fresh(waiting)
    assert (booking.status, booking.decided_at, booking.decided_by_id, booking.revision) == (
        BookingStatus.CONFIRMED, NOW, scene.manager.id, 1)
    assert notices(scene.booker, "booking_approved") == [waiting.id]
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(
        AuditEvent.action == "booking.approve", AuditEvent.object_id == waiting.id)) == (
        scene.manager.id)
    assert "The request is approved." in text(client.get("/desk"))


def test_approving_with_an_old_revision_changes_nothing(client, scene):
    sign_in(client, scene.manager)
    waiting = scene["waiting"]
    response = post(client, f"/desk/bookings/{waiting.id}/approve",
                    {"revision": "7", "next": "/desk"}, follow_redirects=True)
    assert "This booking was changed meanwhile; please reload it and try again." in text(
        response)
    assert fresh(waiting).status == BookingStatus.PENDING


def test_approving_a_cancelled_request_is_refused_with_the_services_message(client, scene):
    waiting = scene["waiting"]
    cancel_booking(booking=waiting, actor=scene.booker, now=NOW)
    db.session.commit()
    sign_in(client, scene.manager)
    response = post(client, f"/desk/bookings/{waiting.id}/approve",
                    {"revision": str(fresh(waiting).revision)}, follow_redirects=True)
    assert "This booking is “Cancelled” and cannot be changed that way now." in text(response)
    assert fresh(waiting).status == BookingStatus.CANCELLED


def test_approving_without_the_csrf_token_is_refused(client, scene):
    sign_in(client, scene.manager)
    waiting = scene["waiting"]
    response = client.post(f"/desk/bookings/{waiting.id}/approve", data={"revision": "0"})
    assert response.status_code == 400
    assert fresh(waiting).status == BookingStatus.PENDING


def test_a_next_url_off_the_site_is_not_followed(client, scene):
    sign_in(client, scene.manager)
    response = post(client, f"/desk/bookings/{scene['waiting'].id}/approve",
                    {"revision": "0", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_the_queues_buttons_come_back_to_the_same_filtered_page(client, scene):
    sign_in(client, scene.manager)
    url = f"/desk?venue_id={scene.venue.id}"
    html = client.get(url).get_data(as_text=True)
    assert set(re.findall(r'name="next" value="([^"]*)"', html)) == {url}
    today = client.get("/desk/today").get_data(as_text=True)
    assert set(re.findall(r'name="next" value="([^"]*)"', today)) == {"/desk/today"}


# Bulk approval -------------------------------------------------------------------------------


def test_bulk_approval_approves_each_and_counts_those_no_longer_pending(client, scene, make):
    more = [make.booking(venue=scene.venue, title=f"活动{day}", start=local(2026, 12, day, 9),
                         end=local(2026, 12, day, 10)) for day in (7, 8, 9)]
    make.commit()
    waiting, choir = scene["waiting"], scene["fresh"]
    sign_in(client, scene.manager)
    token = csrf_token(client, "/desk")
    cancel_booking(booking=fresh(choir), actor=scene.singer, now=NOW)  # meanwhile
    db.session.commit()
    ids = [waiting.id, choir.id, *(b.id for b in more)]
    response = client.post("/desk/approve", data={"csrf_token": token, "next": "/desk",
                                                  "booking_ids": [str(i) for i in ids]})
    assert response.status_code == 303
    assert "Approved 4; 1 was no longer pending." in text(client.get("/desk"))
    db.session.expire_all()
    statuses = {i: db.session.get(Booking, i).status for i in ids}
    assert statuses == {waiting.id: BookingStatus.CONFIRMED, choir.id: BookingStatus.CANCELLED,
                        **{b.id: BookingStatus.CONFIRMED for b in more}}
    assert sorted(notices(scene.booker, "booking_approved")) == [waiting.id]


def test_bulk_approval_of_everything_pending_says_approved(client, scene):
    sign_in(client, scene.manager)
    token = csrf_token(client, "/desk")
    response = client.post("/desk/approve", data={
        "csrf_token": token, "booking_ids": [str(scene["waiting"].id), str(scene["fresh"].id)]},
        follow_redirects=True)
    assert "Approved 2." in text(response)
    assert queue_titles(response) == []


def test_bulk_approval_without_a_choice_asks_for_one(client, scene):
    sign_in(client, scene.manager)
    response = post(client, "/desk/approve", {}, follow_redirects=True)
    assert "Choose at least one request to approve." in text(response)
    assert queue_titles(response) == ["合唱排练", "读书会"]


def test_bulk_approval_with_ids_that_are_not_numbers_approves_nothing(client, scene):
    sign_in(client, scene.manager)
    response = post(client, "/desk/approve", {"booking_ids": ["1; DROP", "x"]},
                    follow_redirects=True)
    assert "Choose at least one request to approve." in text(response)
    assert fresh(scene["waiting"]).status == BookingStatus.PENDING


def test_bulk_approval_takes_at_most_100_requests_at_once(client, scene):
    sign_in(client, scene.manager)
    ids = [str(scene["waiting"].id)] + [str(100000 + i) for i in range(100)]
    response = post(client, "/desk/approve", {"booking_ids": ids}, follow_redirects=True)
    assert "Choose at most 100 requests at once." in text(response)
    assert fresh(scene["waiting"]).status == BookingStatus.PENDING


def test_bulk_approval_without_the_csrf_token_is_refused(client, scene):
    sign_in(client, scene.manager)
    response = client.post("/desk/approve", data={"booking_ids": [str(scene["waiting"].id)]})
    assert response.status_code == 400
    assert fresh(scene["waiting"]).status == BookingStatus.PENDING


# Rejecting -----------------------------------------------------------------------------------


def reject(client, booking, **data):
    url = f"/desk/bookings/{booking.id}"
    return post(client, f"{url}/reject", {"revision": str(booking.revision), **data}, page=url)


def test_rejecting_with_a_reason_from_the_list(client, scene):
    sign_in(client, scene.manager)
    waiting = scene["waiting"]
    response = reject(client, waiting, reason_choice="needed_by_unit", reason_text="")
    assert response.status_code == 303
    booking = fresh(waiting)
    assert (booking.status, booking.reason) == (BookingStatus.REJECTED,
                                                "The venue is needed by the unit")
    assert notices(scene.booker, "booking_rejected") == [waiting.id]


def test_rejecting_with_a_listed_reason_and_details(client, scene):
    sign_in(client, scene.manager)
    reject(client, scene["fresh"], reason_choice="attendees", reason_text="  最多20人  ")
    assert fresh(scene["fresh"]).reason == "Too many attendees — 最多20人"


def test_rejecting_with_other_and_own_words(client, scene):
    sign_in(client, scene.manager)
    reject(client, scene["fresh"], reason_choice="other", reason_text="当天单位有检查")
    assert fresh(scene["fresh"]).reason == "当天单位有检查"


@pytest.mark.parametrize("choice", ["", "other"])
def test_rejecting_without_a_reason_is_refused_on_the_form(client, scene, choice):
    sign_in(client, scene.manager)
    response = reject(client, scene["waiting"], reason_choice=choice, reason_text="  ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<div class="invalid-feedback" id="reject-text-error">Please give a '
                     r"reason\.</div>", html)
    assert 'aria-describedby="reject-text-hint reject-text-error"' in html
    if choice:
        assert '<option value="other" selected>' in html
    booking = fresh(scene["waiting"])
    assert (booking.status, booking.reason) == (BookingStatus.PENDING, "")


def test_a_reason_too_long_keeps_what_was_typed(client, scene):
    sign_in(client, scene.manager)
    typed = "字" * 501
    response = reject(client, scene["waiting"], reason_choice="other", reason_text=typed)
    assert response.status_code == 422
    assert typed in response.get_data(as_text=True)
    assert 'class="form-control is-invalid" id="reject-text"' in response.get_data(as_text=True)
    assert fresh(scene["waiting"]).status == BookingStatus.PENDING


def test_a_listed_reason_with_details_over_500_characters_is_refused(client, scene):
    sign_in(client, scene.manager)
    response = reject(client, scene["waiting"], reason_choice="purpose",
                      reason_text="字" * 490)
    assert response.status_code == 422
    assert "The reason may have at most 500 characters." in text(response)
    assert fresh(scene["waiting"]).status == BookingStatus.PENDING


def test_a_reason_not_on_the_list_is_refused(client, scene):
    sign_in(client, scene.manager)
    response = reject(client, scene["waiting"], reason_choice="made_up", reason_text="")
    assert response.status_code == 422
    assert fresh(scene["waiting"]).status == BookingStatus.PENDING


def test_a_reason_with_markup_is_shown_escaped(client, scene):
    sign_in(client, scene.manager)
    reject(client, scene["waiting"], reason_choice="other",
           reason_text='<script>alert(1)</script><img src=x onerror=alert(2)>')
    html = client.get(f"/desk/bookings/{scene['waiting'].id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_rejecting_without_the_csrf_token_is_refused(client, scene):
    sign_in(client, scene.manager)
    response = client.post(f"/desk/bookings/{scene['waiting'].id}/reject",
                           data={"revision": "0", "reason_choice": "purpose"})
    assert response.status_code == 400
    assert fresh(scene["waiting"]).status == BookingStatus.PENDING


# Unit notices --------------------------------------------------------------------------------


def test_the_panel_lists_the_managers_unit_notices_newest_first(client, scene):
    sign_in(client, scene.manager)
    cancel_booking(booking=scene["confirmed"], actor=scene.resident, now=NOW)
    db.session.commit()
    html = client.get("/desk").get_data(as_text=True)
    panel = html[html.index('id="unit-notices"'):]
    subjects = re.findall(r'class="mb-1 gj-notice-subject">(.*?)</p>', panel, re.S)
    subjects = [" ".join(re.sub(r"<[^>]+>", " ", s).split()) for s in subjects]
    assert subjects[:2] == ["Unread A booking was cancelled: 党员学习会",
                            "Unread New booking request: 合唱排练"]
    assert "8 unread notices about your units." in text(client.get("/desk"))


def test_opening_a_notice_marks_it_read_and_opens_the_booking(client, scene):
    sign_in(client, scene.manager)
    notice = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == scene.manager.id,
        Notification.booking_id == scene["waiting"].id))
    response = post(client, f"/desk/notices/{notice.id}/read", {"next": "/desk"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/desk/bookings/{scene['waiting'].id}"
    db.session.expire_all()
    assert db.session.get(Notification, notice.id).read_at == NOW


def test_someone_elses_notice_is_404(client, scene):
    sign_in(client, scene.other_manager)
    notice = db.session.scalar(sa.select(Notification.id).where(
        Notification.user_id == scene.manager.id))
    assert post(client, f"/desk/notices/{notice}/read", {}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, notice).read_at is None
