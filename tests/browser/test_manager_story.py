"""The unit manager's story in a real browser (issue 5), on a desktop and on a 375×812 phone.

A unit's manager signs in, creates a venue whose bookings need approval, gives it weekly
opening hours with the editor, approves a resident's request from the desk, then closes the
venue over that booking: the preview lists it, saving cancels it and tells the resident, who
finds the notice among their notifications. Every step is screenshotted and checked with
axe-core, for console errors and for sideways scrolling (tests/browser/conftest.py).

The server's clock and the browser's read Tuesday 1 December 2026, 10:00 in Shanghai; the
coming Saturday is 5 December.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from gongjian.accounts.models import Notification, User
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.bookings.services import create_booking
from gongjian.extensions import db
from gongjian.venues.models import OpeningHours, Venue

from ..conftest import NOW, _empty_tables
from ..factories import DEFAULT_PASSWORD, Factory, local

VENUE_NAME = "社区活动室"
NOTE = "地面翻新，暂停使用。"


@pytest.fixture
def district(live_app):
    """A unit with its manager, and a resident who will book."""
    _empty_tables(live_app)
    with live_app.app_context():
        make = Factory(now=NOW)
        manager = make.user(name="周经理", email="zhou@example.cn")
        resident = make.user(name="王居民", email="wang@example.cn")
        unit = make.unit(managers=(manager,))
        make.commit()
        ids = {"unit": unit.id, "manager": manager.id, "resident": resident.id}
    yield ids
    _empty_tables(live_app)


def sign_in(visit, email: str) -> None:
    page = visit.page
    visit.goto("/login")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_manager_opens_a_venue_approves_and_closes(visit_factory, live_app, district,
                                                     viewport):
    manager = visit_factory(viewport, "manager")
    page = manager.page
    unit_id = district["unit"]

    # 1. The manager signs in, opens the console and creates a venue needing approval.
    sign_in(manager, "zhou@example.cn")
    manager.goto("/manage")
    new_link = page.locator(f"a[href='/manage/units/{unit_id}/venues/new']")
    expect(new_link).to_be_visible()
    manager.check("console")
    new_link.click()
    page.wait_for_url(f"**/manage/units/{unit_id}/venues/new")
    manager.check("new venue form")
    page.fill("#name", VENUE_NAME)
    page.select_option("#kind", "meeting_room")
    page.fill("#capacity", "30")
    page.check("#requires_approval")
    page.locator("#venue-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/manage/venues/\d+/edit$"))
    expect(page.locator(".alert-success")).to_be_visible()
    manager.check("venue created")
    venue_id = int(re.search(r"/manage/venues/(\d+)/edit$", page.url).group(1))
    with live_app.app_context():
        venue = db.session.get(Venue, venue_id)
        assert (venue.name, venue.unit_id, venue.capacity, venue.requires_approval) == (
            VENUE_NAME, unit_id, 30, True)
        db.session.remove()

    # 2. Weekly hours: Saturday 08:00–20:00 and Wednesday 18:00–21:00, from today on.
    manager.goto(f"/manage/venues/{venue_id}/hours")
    expect(page.locator("#hours-form")).to_be_visible()
    manager.check("hours editor")
    details = page.locator("details.gj-new-timetable")
    if details.count() and details.get_attribute("open") is None:
        details.locator("summary").click()
    page.fill("#t0-from", "2026-12-01")
    page.fill("#t0-d5-0-start", "08:00")
    page.fill("#t0-d5-0-end", "20:00")
    page.fill("#t0-d2-0-start", "18:00")
    page.fill("#t0-d2-0-end", "21:00")
    page.locator("#hours-form button[name=action][value=save]").first.click()
    page.wait_for_url(re.compile(rf"/manage/venues/{venue_id}/hours(\?.*)?$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#t0-d5-0-start")).to_have_value("08:00")
    manager.check("hours saved")
    with live_app.app_context():
        rows = db.session.execute(
            sa.select(OpeningHours.weekday, OpeningHours.start_minute, OpeningHours.end_minute)
            .where(OpeningHours.venue_id == venue_id)
            .order_by(OpeningHours.weekday)).all()
        assert [tuple(r) for r in rows] == [(2, 18 * 60, 21 * 60), (5, 8 * 60, 20 * 60)]
        db.session.remove()

    # 3. A resident asks for Saturday 14:00–16:00: pending until the manager approves it.
    with live_app.app_context():
        resident = db.session.get(User, district["resident"])
        booking = create_booking(venue_id=venue_id, booker=resident,
                                 start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 16),
                                 title="读书会", attendees=12, now=NOW)
        db.session.commit()
        booking_id = booking.id
        assert booking.status is BookingStatus.PENDING
        db.session.remove()

    manager.goto("/desk")
    request = page.locator(f'#queue > li[data-booking="{booking_id}"]')
    expect(request).to_be_visible()
    expect(request).to_contain_text("读书会")
    expect(request).to_contain_text(VENUE_NAME)
    manager.check("desk with the request")
    request.locator(f"form[action$='/{booking_id}/approve'] button").click()
    expect(page.locator("#queue-empty")).to_be_visible()
    manager.check("request approved")
    with live_app.app_context():
        assert db.session.get(Booking, booking_id).status is BookingStatus.CONFIRMED
        db.session.remove()

    # 4. A closure over the booking: the preview lists it; saving cancels it.
    manager.goto(f"/manage/venues/{venue_id}/closures")
    form = page.locator("#closure-form")
    expect(form).to_be_visible()
    manager.check("closures page")
    page.fill("#closure-start_date", "2026-12-05")
    page.fill("#closure-start_time", "13:00")
    page.fill("#closure-end_date", "2026-12-05")
    page.fill("#closure-end_time", "17:00")
    page.select_option("#closure-reason", "maintenance")
    page.fill("#closure-note", NOTE)
    form.locator("button[name=action][value=preview]").click()
    preview = page.locator("#preview")
    expect(preview).to_be_visible()
    expect(preview.locator(f'#hit-bookings tr[data-booking-id="{booking_id}"]')).to_contain_text(
        "读书会")
    expect(preview.locator("#hit-bookings tbody tr")).to_have_count(1)
    manager.check("closure preview")
    with live_app.app_context():  # a preview keeps nothing
        assert db.session.get(Booking, booking_id).status is BookingStatus.CONFIRMED
        db.session.remove()
    preview.locator("button[name=action][value=save]").click()
    expect(page.locator("#preview")).to_have_count(0)
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#closure-list tbody tr")).to_have_count(1)
    manager.check("closure saved")
    with live_app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert booking.status is BookingStatus.CANCELLED
        assert booking.reason == NOTE
        kinds = db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == district["resident"],
                                               Notification.booking_id == booking_id)).all()
        assert "booking_cancelled_by_manager" in kinds
        db.session.remove()

    # 5. The resident signs in and finds the notice (approval, then cancellation: both unread).
    resident_visit = visit_factory(viewport, "resident")
    sign_in(resident_visit, "wang@example.cn")
    resident_visit.goto("/notifications")
    notices = resident_visit.page.locator("#notices > li")
    expect(notices).to_have_count(2)
    expect(resident_visit.page.locator('#notices > li[data-unread="true"]')).to_have_count(2)
    expect(notices.first).to_contain_text(VENUE_NAME)
    expect(notices.first).to_contain_text(NOTE)  # the newest: the cancellation, with why
    resident_visit.check("notifications")
    with live_app.app_context():
        unread = db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == district["resident"],
                                               Notification.read_at.is_(None))
            .order_by(Notification.id)).all()
        assert unread == ["booking_approved", "booking_cancelled_by_manager"]
        db.session.remove()
