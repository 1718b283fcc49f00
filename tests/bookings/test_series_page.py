"""The series page (issue 8): preview each occurrence with its verdict, then book the free ones.

NOW is Tuesday 1 December 2026, 10:00 Shanghai; the series meets on Wednesdays 19:00–21:00
from 2 December, and 9 December already holds a booking.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from gongjian.bookings.models import Booking, Series
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import local

CONFLICT = "This time clashes with another booking."
FORM = {"title": "老年合唱团排练", "attendees": "20", "organization": "",
        "start_date": "2026-12-02", "ends": "count", "count": "4", "until": "",
        "weekdays": ["2"], "interval_weeks": "1", "start_time": "19:00", "end_time": "21:00"}


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@pytest.fixture
def page(app, make, client, clock):
    """A resident logged in (English pages), a venue, and a booking on 9 December 19:00–20:00."""
    venue = make.venue()
    resident = make.user()
    make.booking(venue=venue, start=local(2026, 12, 9, 19), end=local(2026, 12, 9, 20))
    make.commit()
    with client.session_transaction() as session:
        session["_user_id"] = resident.get_id()
        session["_fresh"] = True
        session["lang"] = "en"
    return f"/venues/{venue.id}/series"


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def post(client, url: str, button: str, **changes):
    data = {**FORM, "csrf_token": csrf_token(client, url), button: "1", **changes}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def rows(html: str, table: str) -> dict[str, str]:
    """Each row of a result table by its local date, as plain text."""
    body = html.split(f'id="{table}-table"')[1].split("</table>")[0]
    return {day: " ".join(re.sub(r"<[^>]+>", " ", cells).split())
            for day, cells in re.findall(r'<tr data-date="([\d-]+)"[^>]*>(.*?)</tr>', body, re.S)}


def series_bookings() -> list[Booking]:
    return list(db.session.scalars(
        sa.select(Booking).where(Booking.series_id.is_not(None)).order_by(Booking.start_at)))


def test_a_visitor_is_sent_to_log_in(app, make, client):
    venue = make.venue()
    make.commit()
    response = client.get(f"/venues/{venue.id}/series")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_preview_shows_each_date_with_its_verdict(page, client):
    response = post(client, page, "preview")
    assert response.status_code == 200
    verdicts = rows(response.get_data(as_text=True), "preview")
    assert list(verdicts) == ["2026-12-02", "2026-12-09", "2026-12-16", "2026-12-23"]
    assert CONFLICT in verdicts["2026-12-09"] and "Free" not in verdicts["2026-12-09"]
    for day in ("2026-12-02", "2026-12-16", "2026-12-23"):
        assert verdicts[day] == f"{day} Wed 19:00–21:00 Free"
    assert series_bookings() == []


def test_booking_creates_exactly_the_free_occurrences(page, client):
    response = post(client, page, "book")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    booked = series_bookings()
    assert [(b.start_at, b.end_at) for b in booked] == [
        (local(2026, 12, d, 19), local(2026, 12, d, 21)) for d in (2, 16, 23)]
    assert len({b.series_id for b in booked}) == 1
    assert list(rows(html, "booked")) == ["2026-12-02", "2026-12-16", "2026-12-23"]
    assert CONFLICT in rows(html, "skipped")["2026-12-09"]


def test_all_or_nothing_with_a_conflict_books_nothing(page, client):
    response = post(client, page, "book", all_or_nothing="y")
    assert response.status_code == 200
    assert f"2026-12-09: {CONFLICT}" in response.get_data(as_text=True)
    assert series_bookings() == []
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0


def test_a_post_without_the_csrf_token_is_refused(page, client):
    response = client.post(page, data={**FORM, "book": "1"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0


def test_bad_input_shows_field_errors_and_writes_nothing(page, client):
    response = post(client, page, "book", weekdays=None, count="60")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="weekdays-error"' in html and "Choose at least one weekday." in html
    assert 'id="count-error"' in html
    assert 'aria-describedby="count-hint count-error"' in html
    assert 'id="preview-table"' not in html and 'id="booked-table"' not in html
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0


def test_times_in_the_wrong_order_are_shown_on_the_end_time(page, client):
    response = post(client, page, "preview", start_time="21:00", end_time="19:00")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="end_time-error"' in html and "The end must be after the start." in html
    assert 'id="preview-table"' not in html


def test_the_organization_choice_lists_approved_memberships_only(app, make, client, clock):
    venue = make.venue()
    resident = make.user()
    approved = make.organization(members=(resident,))
    pending = make.organization(members=(resident,), approved=False)
    make.commit()
    with client.session_transaction() as session:
        session["_user_id"] = resident.get_id()
        session["_fresh"] = True
    url = f"/venues/{venue.id}/series"
    html = client.get(url).get_data(as_text=True)
    assert approved.name in html and pending.name not in html
    response = post(client, url, "book", organization=str(approved.id), count="1")
    assert response.status_code == 200
    assert [b.organization_id for b in series_bookings()] == [approved.id]
