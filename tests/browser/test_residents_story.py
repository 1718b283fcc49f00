"""The residents' main story in a real browser (issue 4), on a desktop and on a 375×812 phone.

A new resident registers, searches for a basketball court free on the coming Saturday
14:00–16:00, opens it, selects the slot on the calendar, books it and sees it in My bookings.
A second resident, whose page was open on the same slot, selects it too: the live check says it
clashes, the server refuses it with free times nearby, and they book one of those instead. The
first resident cancels. Every step is screenshotted and checked with axe-core and for console
errors (tests/browser/conftest.py).

The server's clock and the browser's read Tuesday 1 December 2026, 10:00 in Shanghai; the
coming Saturday is 5 December.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from gongjian.bookings.models import Booking, BookingStatus
from gongjian.extensions import db

from ..conftest import NOW, _empty_tables
from ..factories import Factory, local

SATURDAY = "2026-12-05"
WEEKEND_AND_EVENINGS = [(d, "18:00", "22:00") for d in range(5)] + [
    (5, "08:00", "20:00"), (6, "08:00", "20:00")]


@pytest.fixture
def district(live_app):
    """A school's basketball court (confirmed at once), another court already taken on
    Saturday afternoon, and a table-tennis room: the search must find only the first."""
    _empty_tables(live_app)
    with live_app.app_context():
        make = Factory(now=NOW)
        school = make.unit()
        school.name = "第一中学"
        court = make.venue(unit=school, name="篮球场", kind="sports", sport="篮球",
                           capacity=30, hours=WEEKEND_AND_EVENINGS)
        taken = make.venue(name="体育馆篮球场", kind="sports", sport="篮球", capacity=30,
                           hours=WEEKEND_AND_EVENINGS)
        make.venue(unit=school, name="乒乓球室", kind="sports", sport="乒乓球", capacity=8,
                   hours=WEEKEND_AND_EVENINGS)
        make.booking(venue=taken, start=local(2026, 12, 5, 13), end=local(2026, 12, 5, 17),
                     title="区篮球联赛")
        make.commit()
        ids = {"court": court.id, "community": school.community_id}
    yield ids
    _empty_tables(live_app)


def register(visit, *, name: str, email: str, community: int) -> None:
    page = visit.page
    visit.goto("/register")
    visit.check("register form")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#phone", "13800138000")
    page.select_option("#community", str(community))
    page.fill("#password", "Lanqiu-2026!")
    page.fill("#repeat", "Lanqiu-2026!")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/$|/\?"))
    expect(page.locator(".alert-success")).to_be_visible()
    visit.check("registered")


def show_day(visit, day: str) -> None:
    """The phone's calendar shows one day: step forward to `day` (the desktop's week has it)."""
    page = visit.page
    while page.locator(f'td.fc-timegrid-col[data-date="{day}"]').count() == 0:
        page.locator("#venue-calendar .fc-next-button").click()


def select_on_calendar(visit, *, day: str, start: str, end: str) -> None:
    """Drag over the calendar's slots from `start` to the slot before `end` on `day`."""
    page = visit.page
    show_day(visit, day)
    column = page.locator(f'td.fc-timegrid-col[data-date="{day}"]')
    first = page.locator(f'td.fc-timegrid-slot-lane[data-time="{start}:00"]')
    hours, minutes = map(int, end.split(":"))
    minutes = hours * 60 + minutes - 30
    last_slot = f"{minutes // 60:02d}:{minutes % 60:02d}:00"
    last = page.locator(f'td.fc-timegrid-slot-lane[data-time="{last_slot}"]')
    first.scroll_into_view_if_needed()
    last.scroll_into_view_if_needed()
    x_box, top, bottom = column.bounding_box(), first.bounding_box(), last.bounding_box()
    x = x_box["x"] + x_box["width"] / 2
    page.mouse.move(x, top["y"] + 3)
    page.mouse.down()
    page.mouse.move(x, (top["y"] + bottom["y"]) / 2, steps=4)
    page.mouse.move(x, bottom["y"] + bottom["height"] - 3, steps=4)
    page.mouse.up()
    expect(page.locator("#booking-date")).to_have_value(day)
    expect(page.locator("#booking-start")).to_have_value(start)
    expect(page.locator("#booking-end")).to_have_value(end)


def bookings_of(app, email: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        from gongjian.accounts.models import User

        rows = db.session.execute(
            sa.select(Booking.start_at, Booking.end_at, Booking.status)
            .join(User, User.id == Booking.booker_id).where(User.email == email)
            .order_by(Booking.id)).all()
        db.session.remove()
    return [(s.astimezone(local(2026, 1, 1).tzinfo).strftime("%Y-%m-%d %H:%M"),
             e.astimezone(local(2026, 1, 1).tzinfo).strftime("%H:%M"), status.value)
            for s, e, status in rows]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_residents_find_book_clash_and_cancel(visit_factory, live_app, district, viewport):
    first = visit_factory(viewport, "first-resident")
    second = visit_factory(viewport, "second-resident")
    page = first.page

    # 1. A new resident registers (and is signed in).
    register(first, name="王小明", email="wang@example.cn", community=district["community"])

    # 2. They search for a basketball court free on Saturday 14:00–16:00.
    first.goto("/")
    if not page.locator("#sport").is_visible():  # folded away on phones
        page.locator("#filters-toggle").click()
    page.select_option("#sport", "篮球")
    page.fill("#free_date", SATURDAY)
    page.fill("#free_start", "14:00")
    page.fill("#free_end", "16:00")
    page.locator("#free_end").press("Enter")
    page.wait_for_url(re.compile(r"free_date=2026-12-05"))
    cards = page.locator("article.venue-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("篮球场")
    first.check("search results")

    # 3. They open it.
    cards.first.locator(f"a[href='/venues/{district['court']}']").first.click()
    page.wait_for_url(f"**/venues/{district['court']}")
    expect(page.locator("#venue-calendar .fc-timegrid")).to_be_visible()
    first.check("venue page")

    # A second resident has signed up too and has the same page open on Saturday.
    register(second, name="李华", email="li@example.cn", community=district["community"])
    second.goto(f"/venues/{district['court']}")
    expect(second.page.locator("#venue-calendar .fc-timegrid")).to_be_visible()
    show_day(second, SATURDAY)

    # 4. The first selects Saturday 14:00–16:00 on the calendar and books it.
    select_on_calendar(first, day=SATURDAY, start="14:00", end="16:00")
    page.fill("#booking-title", "周六篮球友谊赛")
    page.fill("#booking-attendees", "10")
    expect(page.locator("#booking-check .alert-success")).to_be_visible()  # the live check
    first.check("slot selected")
    page.locator("#booking-form [type=submit]").click()
    page.wait_for_url("**/me/bookings")
    expect(page.locator("main")).to_contain_text("周六篮球友谊赛")
    first.check("my bookings")
    assert bookings_of(live_app, "wang@example.cn") == [
        ("2026-12-05 14:00", "16:00", "confirmed")]

    # 5. The second selects the same slot on the page they had open: the live check says it
    #    clashes; the server refuses it and offers free times nearby; they take the first.
    other = second.page
    select_on_calendar(second, day=SATURDAY, start="14:00", end="16:00")
    other.fill("#booking-title", "篮球训练")
    other.fill("#booking-attendees", "6")
    expect(other.locator("#booking-check .alert-danger")).to_be_visible()
    second.check("clash seen live")
    other.locator("#booking-form [type=submit]").click()
    suggestions = other.locator("button.suggestion")
    expect(suggestions.first).to_be_visible()
    second.check("clash refused with suggestions")
    suggestions.first.click()
    other.wait_for_url("**/me/bookings")
    expect(other.locator("main")).to_contain_text("篮球训练")
    second.check("booked a suggestion")
    taken = bookings_of(live_app, "li@example.cn")
    assert len(taken) == 1 and taken[0][2] == "confirmed"
    assert taken[0][0] != "2026-12-05 14:00"

    # 6. The first resident cancels.
    first.goto("/me/bookings")
    page.locator("a[href$='/cancel']").first.click()
    page.wait_for_url(re.compile(r"/me/bookings/\d+/cancel$"))
    first.check("cancel confirmation")
    page.locator("main form button.btn-danger").click()
    page.wait_for_url("**/me/bookings")
    first.check("cancelled")
    assert bookings_of(live_app, "wang@example.cn") == [
        ("2026-12-05 14:00", "16:00", BookingStatus.CANCELLED.value)]


def tab_to(page, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element with this id has the focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reachable with the Tab key")


def type_into(page, element_id: str, value: str, attempts: list[list[str]]) -> None:
    """Type into a date or time field key by key. Chromium orders the field's parts by its
    own UI language (month/day/year and a 12-hour clock in the headless default), so try each
    order in turn until the field holds `value`."""
    for keys in attempts:
        for key in keys:
            if key in ("ArrowRight", "Backspace", "Delete"):
                page.keyboard.press(key)
            else:
                page.keyboard.type(key)
        if page.evaluate(f"() => document.getElementById('{element_id}').value") == value:
            return
        page.keyboard.press("Shift+Tab")
        tab_to(page, element_id)
        page.evaluate(f"() => {{ document.getElementById('{element_id}').value = ''; }}")
    raise AssertionError(f"could not type {value} into #{element_id}")


def type_date(page, element_id: str, day: str) -> None:
    year, month, date_ = day.split("-")
    type_into(page, element_id, day, [[month, date_, year], [year, "ArrowRight", month, date_]])


def type_time(page, element_id: str, clock: str) -> None:
    hour, minute = map(int, clock.split(":"))
    twelve = f"{(hour % 12) or 12:02d}{minute:02d}" + ("P" if hour >= 12 else "A")
    type_into(page, element_id, clock, [[twelve], [f"{hour:02d}{minute:02d}"]])


def test_a_resident_books_with_the_keyboard_alone(visit_factory, live_app, district):
    visit = visit_factory("desktop", "keyboard")
    page = visit.page
    register(visit, name="孙键盘", email="sun@example.cn", community=district["community"])
    visit.goto(f"/venues/{district['court']}")
    expect(page.locator("#venue-calendar .fc-timegrid")).to_be_visible()
    tab_to(page, "booking-title")
    page.keyboard.type("周日晨练")
    tab_to(page, "booking-attendees")
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    tab_to(page, "booking-date")
    type_date(page, "booking-date", "2026-12-06")
    tab_to(page, "booking-start")
    type_time(page, "booking-start", "09:00")
    tab_to(page, "booking-end")
    type_time(page, "booking-end", "10:30")
    expect(page.locator("#booking-check .alert-success")).to_be_visible()
    visit.check("keyboard form filled")
    page.keyboard.press("Enter")
    page.wait_for_url("**/me/bookings")
    visit.check("keyboard booked")
    assert bookings_of(live_app, "sun@example.cn") == [("2026-12-06 09:00", "10:30", "confirmed")]
