"""The unit desk in a real browser, on a desktop and on a 375×812 phone: the approval queue
(select all, bulk approve), a booking's page, today's list, the unit calendar (events from the
desk's JSON, the venue filter) and the QR check-in page. Every step is screenshotted and checked
with axe-core and for console errors, and the phone never scrolls sideways
(the harness: tests/browser/conftest.py; the scene: test_desk_scene.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gongjian.bookings.desk import check_in_token
from gongjian.extensions import db

from ..bookings.test_desk_scene import build_scene
from ..conftest import NOW, _empty_tables
from ..factories import DEFAULT_PASSWORD, Factory


@pytest.fixture
def desk_world(live_app):
    _empty_tables(live_app)
    with live_app.app_context():
        scene = build_scene(Factory(now=NOW))
        db.session.commit()
        token = check_in_token(scene["running"].id)
        ids = {"email": scene.manager.email, "unit": scene.unit.id,
               "waiting": scene["waiting"].id, "running": scene["running"].id,
               "courts": scene.courts.id, "token": token}
    yield ids
    _empty_tables(live_app)


def sign_in(visit, email: str) -> None:
    page = visit.page
    visit.goto("/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit], main form button:not([type])").first.click()
    page.wait_for_load_state()


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_desk_in_a_browser(visit_factory, desk_world, viewport):  # noqa: F811
    visit = visit_factory(viewport, "manager", locale="en-US")
    page = visit.page
    sign_in(visit, desk_world["email"])

    visit.goto("/desk")
    expect(page.locator("#queue > li")).to_have_count(2)
    expect(page.locator(f'[data-booking="{desk_world["waiting"]}"]')).to_contain_text(
        "Waiting over 24 h")
    visit.check("approval queue")
    no_sideways_scroll(page)

    page.check("#select-all")
    expect(page.locator(".gj-pick:checked")).to_have_count(2)
    expect(page.locator("#selected-count")).to_have_text("2 / 2")
    page.click("#bulk-approve-button")
    expect(page.locator(".alert")).to_contain_text("Approved 2.")
    expect(page.locator("#queue-empty")).to_be_visible()
    visit.check("queue after bulk approval")

    visit.goto(f"/desk/bookings/{desk_world['running']}")
    visit.check("booking page")
    no_sideways_scroll(page)

    visit.goto("/desk/today")
    visit.check("today")
    no_sideways_scroll(page)

    visit.goto(f"/desk/units/{desk_world['unit']}/calendar")
    calendar = page.locator("#unit-calendar")
    expect(calendar.locator(".fc-event").first).to_be_visible()
    if viewport == "phone":
        expect(calendar.locator(".fc-timeGridDay-view")).to_be_visible()
        expect(calendar.locator(".fc-event")).to_have_count(1)  # today: 晨练
        expect(calendar.locator(".fc-event").first).to_contain_text("09:30")
    else:
        expect(calendar.locator(".fc-timeGridWeek-view")).to_be_visible()
        expect(calendar.locator(".gj-status-confirmed").first).to_be_visible()
        expect(calendar.locator(".fc-event")).to_have_count(5)
    visit.check("unit calendar")
    no_sideways_scroll(page)
    page.uncheck(f"#venue-{desk_world['courts']}")
    if viewport == "phone":
        expect(calendar.locator(".fc-event")).to_have_count(0)
    else:
        expect(calendar.locator(".fc-event")).to_have_count(3)
    page.get_by_role("button", name="Month").click()
    expect(calendar.locator(".fc-dayGridMonth-view")).to_be_visible()
    visit.check("unit calendar month")
    no_sideways_scroll(page)

    visit.goto(f"/desk/scan/{desk_world['running']}/{desk_world['token']}")
    visit.check("scan page")
    page.click("#scan-check-in")
    expect(page.locator("#scan-state")).to_contain_text("Checked in at 2026-12-01 (Tue) 10:00")
    visit.check("scan page after check-in")
    no_sideways_scroll(page)
