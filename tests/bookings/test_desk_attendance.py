"""Running bookings on the unit desk: a booking's page (check-in, no-show, cancel with a
reason), QR check-in, and today's list. The scene is described in test_desk_scene.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import segno
import sqlalchemy as sa
from flask import render_template_string

from gongjian.accounts.models import Notification
from gongjian.audit import AuditEvent
from gongjian.bookings.desk import check_in_qr_svg, check_in_token, check_in_url
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import check_in_booking
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import local
from ..pages import csrf_token, text
from . import test_desk_scene
from .test_desk_scene import set_clock, sign_in

clock, scene = test_desk_scene.clock, test_desk_scene.scene


def fresh(booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def act(client, booking, action, **data):
    url = f"/desk/bookings/{booking.id}"
    token = csrf_token(client, url)
    return client.post(f"{url}/{action}",
                       data={"csrf_token": token, "revision": str(booking.revision), **data})


def buttons(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'action="/desk/bookings/\d+/([a-z-]+)"', html)


# The booking's page --------------------------------------------------------------------------


def test_the_page_shows_every_detail_to_the_manager(client, scene):
    sign_in(client, scene.manager)
    response = client.get(f"/desk/bookings/{scene['fresh'].id}")
    page = text(response)
    assert ("Details Status Pending Unit " + scene.unit.name + " Venue 多功能厅 (Meeting room) "
            "Time 2026-12-03 (Thu) 19:00–21:00 (Asia/Shanghai) Title and purpose 合唱排练 "
            "Attendees 25 of 40 places Organization " + scene.choir.name + " "
            f"Booker {scene.singer.name} · 13700137000 · {scene.singer.email} "
            "Booker’s record 0 completed · 0 no-shows "
            "Requested 2026-12-01 (Tue) 09:00") in page
    assert buttons(response) == ["approve", "reject", "cancel"]


def test_a_running_booking_offers_check_in_no_show_and_cancel(client, scene):
    sign_in(client, scene.manager)
    assert buttons(client.get(f"/desk/bookings/{scene['running'].id}")) == [
        "check-in", "no-show", "cancel"]


def test_a_finished_booking_offers_nothing(client, scene):
    sign_in(client, scene.manager)
    act(client, scene["ended"], "no-show")
    response = client.get(f"/desk/bookings/{scene['ended'].id}")
    assert buttons(response) == []
    assert "Nothing can be changed on this booking now." in text(response)


# Check-in ------------------------------------------------------------------------------------


def test_the_manager_checks_a_booker_in(client, scene):
    sign_in(client, scene.manager)
    response = act(client, scene["running"], "check-in")
    assert response.status_code == 303
    booking = fresh(scene["running"])
    assert (booking.checked_in_at, booking.status) == (NOW, BookingStatus.CONFIRMED)
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(
        AuditEvent.action == "booking.check_in", AuditEvent.object_id == booking.id)) == (
        scene.manager.id)
    page = text(client.get(f"/desk/bookings/{booking.id}"))
    assert "Checked in." in page
    assert "Status Confirmed · Checked in at 2026-12-01 (Tue) 10:00" in page


def test_check_in_opens_15_minutes_before_the_start(app, client, scene):
    sign_in(client, scene.manager)
    confirmed = scene["confirmed"]  # Fri 4 Dec 09:00
    set_clock(app, local(2026, 12, 4, 8, 44))
    assert "check-in" not in buttons(client.get(f"/desk/bookings/{confirmed.id}"))
    response = act(client, confirmed, "check-in")
    assert response.status_code == 303
    assert fresh(confirmed).checked_in_at is None
    assert "Check-in opens 15 minutes before the start and closes at the end." in text(
        client.get(f"/desk/bookings/{confirmed.id}"))
    set_clock(app, local(2026, 12, 4, 8, 45))
    assert "check-in" in buttons(client.get(f"/desk/bookings/{confirmed.id}"))
    act(client, confirmed, "check-in")
    assert fresh(confirmed).checked_in_at == local(2026, 12, 4, 8, 45)


def test_check_in_closes_at_the_end(app, client, scene):
    sign_in(client, scene.manager)
    set_clock(app, local(2026, 12, 1, 11))
    act(client, scene["running"], "check-in")
    assert fresh(scene["running"]).checked_in_at is None


def test_check_in_without_the_csrf_token_is_refused(client, scene):
    sign_in(client, scene.manager)
    response = client.post(f"/desk/bookings/{scene['running'].id}/check-in",
                           data={"revision": "0"})
    assert response.status_code == 400
    assert fresh(scene["running"]).checked_in_at is None


# No-show -------------------------------------------------------------------------------------


def test_the_manager_marks_a_no_show_after_the_end(client, scene):
    sign_in(client, scene.manager)
    ended = scene["ended"]
    response = act(client, ended, "no-show")
    assert response.status_code == 303
    assert fresh(ended).status == BookingStatus.NO_SHOW
    assert db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == scene.resident.id, Notification.booking_id == ended.id)
    ).all() == ["booking_no_show"]


def test_a_no_show_cannot_be_marked_more_than_48_hours_after_the_end(app, client, scene):
    sign_in(client, scene.manager)
    ended = scene["ended"]  # ended Mon 30 Nov 16:00
    set_clock(app, local(2026, 12, 2, 16, 1))
    assert buttons(client.get(f"/desk/bookings/{ended.id}")) == []
    act(client, ended, "no-show")
    assert fresh(ended).status == BookingStatus.CONFIRMED
    set_clock(app, local(2026, 12, 2, 16))
    act(client, ended, "no-show")
    assert fresh(ended).status == BookingStatus.NO_SHOW


def test_a_checked_in_booking_cannot_be_a_no_show(client, scene):
    running = scene["running"]
    check_in_booking(booking=running, actor=scene.singer, now=NOW)
    db.session.commit()
    sign_in(client, scene.manager)
    assert "no-show" not in buttons(client.get(f"/desk/bookings/{running.id}"))
    act(client, fresh(running), "no-show")
    assert fresh(running).status == BookingStatus.CONFIRMED


def test_no_show_without_the_csrf_token_is_refused(client, scene):
    sign_in(client, scene.manager)
    response = client.post(f"/desk/bookings/{scene['ended'].id}/no-show",
                           data={"revision": "0"})
    assert response.status_code == 400
    assert fresh(scene["ended"]).status == BookingStatus.CONFIRMED


# Cancelling ----------------------------------------------------------------------------------


def test_the_manager_cancels_with_a_reason_and_the_booker_is_told(client, scene):
    sign_in(client, scene.manager)
    confirmed = scene["confirmed"]
    response = act(client, confirmed, "cancel", reason="  礼堂临时检修  ")
    assert response.status_code == 303
    booking = fresh(confirmed)
    assert (booking.status, booking.reason, booking.cancelled_by_id) == (
        BookingStatus.CANCELLED, "礼堂临时检修", scene.manager.id)
    assert db.session.scalars(sa.select(Notification.kind).where(
        Notification.user_id == scene.resident.id, Notification.booking_id == confirmed.id)
    ).all() == ["booking_approved", "booking_cancelled_by_manager"]


def test_a_manager_cannot_cancel_without_a_reason(client, scene):
    sign_in(client, scene.manager)
    response = act(client, scene["confirmed"], "cancel", reason=" ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<div class="invalid-feedback" id="cancel-reason-error">Please give a '
                     r"reason\.</div>", html)
    assert fresh(scene["confirmed"]).status == BookingStatus.CONFIRMED


def test_cancel_without_the_csrf_token_is_refused(client, scene):
    sign_in(client, scene.manager)
    response = client.post(f"/desk/bookings/{scene['confirmed'].id}/cancel",
                           data={"revision": "1", "reason": "检修"})
    assert response.status_code == 400
    assert fresh(scene["confirmed"]).status == BookingStatus.CONFIRMED


# QR check-in ---------------------------------------------------------------------------------


def test_the_check_in_link_carries_an_hmac_of_the_booking_id(app, scene):
    running = scene["running"]
    with app.test_request_context("/", base_url="https://gongjian.test"):
        url = check_in_url(running)
    token = check_in_token(running.id)
    assert url == f"https://gongjian.test/desk/scan/{running.id}/{token}"
    assert len(token) == 22 and token != check_in_token(scene["ended"].id)
    previous = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret"
    try:
        assert check_in_token(running.id) != token
    finally:
        app.config["SECRET_KEY"] = previous


def test_the_qr_code_encodes_the_check_in_link(app, scene):
    running = scene["running"]
    with app.test_request_context("/", base_url="https://gongjian.test"):
        svg = str(check_in_qr_svg(running))
        expected = segno.make(check_in_url(running), error="m")
    assert svg.startswith("<svg")
    drawn = re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)
    assert drawn == re.search(r'<path[^>]* d="([^"]+)"',
                              expected.svg_inline(scale=5, border=2)).group(1)


def test_there_is_no_qr_code_before_approval_after_check_in_or_after_the_end(app, scene):
    check_in_booking(booking=scene["running"], actor=scene.manager, now=NOW)
    db.session.commit()
    with app.test_request_context("/", base_url="https://gongjian.test"):
        for key in ("waiting", "running", "ended"):
            assert str(check_in_qr_svg(scene[key])) == ""
        assert str(check_in_qr_svg(scene["confirmed"])).startswith("<svg")


def test_the_partial_for_the_bookers_page_shows_the_code(app, scene):
    with app.test_request_context("/?lang=en", base_url="https://gongjian.test"):
        html = render_template_string('{% include "desk/_check_in_qr.html" %}',
                                      booking=scene["confirmed"])
        nothing = render_template_string('{% include "desk/_check_in_qr.html" %}',
                                         booking=scene["waiting"])
    assert '<h2 class="h5 card-title" id="check-in-code-heading">Check-in code</h2>' in html
    assert 'role="img" aria-label="QR code for checking in to 党员学习会"><svg' in html
    assert nothing.strip() == ""


def scan_url(booking) -> str:
    return f"/desk/scan/{booking.id}/{check_in_token(booking.id)}"


def test_scanning_shows_the_booking_and_a_big_check_in_button(client, scene):
    sign_in(client, scene.manager)
    response = client.get(scan_url(scene["running"]))
    assert response.status_code == 200
    page = text(response)
    assert (f"晨练 Confirmed Time 2026-12-01 (Tue) 09:30–11:00 Venue 篮球场 · {scene.unit.name} "
            f"Booker {scene.singer.name} · 13700137000 Attendees 10 Check in") in page
    assert 'id="scan-check-in"' in response.get_data(as_text=True)


def test_the_scan_button_checks_the_booker_in(client, scene):
    sign_in(client, scene.manager)
    url = scan_url(scene["running"])
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 303
    assert response.headers["Location"] == url
    assert fresh(scene["running"]).checked_in_at == NOW
    page = text(client.get(url))
    assert "Checked in. " in page
    assert "Checked in at 2026-12-01 (Tue) 10:00" in page


def test_scanning_too_early_says_when_check_in_opens(client, scene):
    sign_in(client, scene.manager)
    response = client.get(scan_url(scene["confirmed"]))
    assert "Check-in opens at 2026-12-04 (Fri) 08:45." in text(response)
    assert 'id="scan-check-in"' not in response.get_data(as_text=True)


def test_scanning_after_the_end_says_check_in_has_closed(app, client, scene):
    sign_in(client, scene.manager)
    assert "Check-in has closed for this booking." in text(client.get(scan_url(scene["ended"])))


def test_scanning_a_pending_request_says_it_cannot_be_checked_in(client, scene):
    sign_in(client, scene.manager)
    assert "This booking is “Pending”: it cannot be checked in." in text(
        client.get(scan_url(scene["waiting"])))


def test_a_visitor_scanning_is_asked_to_log_in_and_comes_back(client, scene):
    sign_in(client, None)
    url = scan_url(scene["running"])
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fdesk%2Fscan%2F")


def test_the_scan_post_without_the_csrf_token_is_refused(client, scene):
    sign_in(client, scene.manager)
    assert client.post(scan_url(scene["running"])).status_code == 400
    assert fresh(scene["running"]).checked_in_at is None


# Today ---------------------------------------------------------------------------------------


def ids_in(response, list_id) -> list[int]:
    html = response.get_data(as_text=True)
    start = html.find(f'id="{list_id}"')
    if start < 0:
        return []
    chunk = html[start:html.index("</ol>", start)]
    return [int(i) for i in re.findall(r'data-booking="(\d+)"', chunk)]


def test_today_lists_todays_bookings_and_the_recently_ended(client, scene):
    sign_in(client, scene.manager)
    response = client.get("/desk/today")
    assert response.status_code == 200
    assert ids_in(response, "today-list") == [scene["running"].id]
    assert ids_in(response, "ended-list") == [scene["ended"].id]
    page = text(response)
    assert "Tuesday, December 1, 2026" in page
    assert (f"晨练 Confirmed 2026-12-01 (Tue) 09:30–11:00 · 篮球场 · {scene.singer.name} · "
            "13700137000 · 10 attendees Check in : 晨练 Mark no-show : 晨练") in page
    assert "篮球赛 Confirmed 2026-11-30 (Mon) 14:00–16:00" in page


def test_today_buttons_act_and_come_back(client, scene):
    sign_in(client, scene.manager)
    token = csrf_token(client, "/desk/today")
    response = client.post(f"/desk/bookings/{scene['running'].id}/check-in", data={
        "csrf_token": token, "revision": "0", "next": "/desk/today"})
    assert response.headers["Location"] == "/desk/today"
    response = client.get("/desk/today")
    assert "晨练 Confirmed Checked in" in text(response)
    assert "Check in : 晨练" not in text(response)


def test_today_leaves_out_requests_and_cancelled_bookings(client, scene, make):
    make.booking(venue=scene.venue, title="下午的申请", start=local(2026, 12, 1, 15),
                 end=local(2026, 12, 1, 16), now=NOW - timedelta(days=1))
    make.commit()
    sign_in(client, scene.manager)
    assert "下午的申请" not in text(client.get("/desk/today"))


def test_today_is_the_local_date_of_each_venue(app, client, scene, make):
    late = make.booking(venue=scene.courts, title="夜场", start=local(2026, 12, 1, 21),
                        end=local(2026, 12, 1, 22), now=NOW - timedelta(days=1))
    make.commit()
    sign_in(client, scene.manager)
    # 23:30 in Shanghai is still 1 December there (15:30 UTC).
    set_clock(app, local(2026, 12, 1, 23, 30))
    assert late.id in ids_in(client.get("/desk/today"), "today-list")
    set_clock(app, local(2026, 12, 2, 0, 30))
    assert late.id not in ids_in(client.get("/desk/today"), "today-list")


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_today_of_one_unit(client, scene, role):
    sign_in(client, getattr(scene, role))
    response = client.get(f"/desk/today?unit_id={scene.unit.id}")
    assert ids_in(response, "today-list") == [scene["running"].id]
