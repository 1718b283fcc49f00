"""Openness pages: who may see what, and the public board's figures and open data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from gongjian.bookings import services as bookings

from ..conftest import NOW
from ..factories import local
from .conftest import login


@pytest.fixture
def people(app, make):
    admin = make.user(is_admin=True)
    manager = make.user(name="管理员")
    other_manager = make.user(name="管理员")
    resident = make.user()
    unit = make.unit(managers=(manager,))
    make.unit(managers=(other_manager,))
    make.venue(unit=unit)
    make.commit()
    return {"visitor": None, "resident": resident, "manager": manager,
            "other_manager": other_manager, "admin": admin, "unit": unit}


UNIT_PAGES = ("/stats/units/{id}", "/stats/units/{id}/report", "/stats/units/{id}/report.xlsx",
              "/stats/units/{id}/report.csv")
DISTRICT_PAGES = ("/stats/district", "/stats/district.xlsx", "/stats/district.csv",
                  "/stats/district/trend.json")


@pytest.mark.parametrize("who, status", [("visitor", 302), ("resident", 403),
                                         ("manager", 200), ("other_manager", 403),
                                         ("admin", 200)])
def test_unit_pages_are_for_the_units_managers_and_admins(app, client, people, who, status):
    if people[who] is not None:
        login(client, people[who])
    for page in UNIT_PAGES:
        response = client.get(page.format(id=people["unit"].id))
        assert response.status_code == status, page
        if status == 302:
            assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("who, status", [("resident", 404), ("manager", 404),
                                         ("admin", 404)])
def test_an_unknown_unit_is_not_found(app, client, people, who, status):
    login(client, people[who])
    assert client.get("/stats/units/999999").status_code == status


@pytest.mark.parametrize("who, status", [("visitor", 302), ("resident", 403),
                                         ("manager", 403), ("other_manager", 403),
                                         ("admin", 200)])
def test_district_pages_are_for_admins(app, client, people, who, status):
    if people[who] is not None:
        login(client, people[who])
    for page in DISTRICT_PAGES:
        assert client.get(page).status_code == status, page


@pytest.mark.parametrize("who", ["visitor", "resident", "manager", "admin"])
def test_the_public_board_needs_no_login(app, client, people, who):
    if people[who] is not None:
        login(client, people[who])
    for page in ("/openness", "/openness.csv", "/openness.json"):
        assert client.get(page).status_code == 200, page


def test_a_bad_period_is_refused_naming_the_field(app, client, people):
    login(client, people["admin"])
    response = client.get("/stats/district?from=2026-11-31&to=2026-12-01",
                          headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"] == {"from": "invalid_date"}
    response = client.get("/stats/district?from=2026-12-01&to=2026-11-01",
                          headers={"Accept": "application/json"})
    assert response.get_json()["error"]["details"]["fields"] == {"to": "before_from"}


def test_the_unit_dashboard_shows_the_figures_and_flags(app, client, make, people):
    unit = people["unit"]
    login(client, people["manager"])
    html = client.get(f"/stats/units/{unit.id}?from=2026-11-01&to=2026-11-30").get_data(
        as_text=True)
    assert "420.00" in html  # 14 h × 30 days
    assert 'id="unit-chart-data"' in html and "onclick" not in html
    # No bookings: utilization 0 of 420 hours flags the venue idle.
    assert "badge text-bg-warning" in html


def test_the_board_shows_last_month_and_the_year_so_far(app, client, make, people, clock):
    clock(NOW)  # Tuesday 1 December 2026: last full month November, year 1 Jan – 1 Dec
    unit = people["unit"]
    venue = unit.venues[0]
    start = local(2026, 11, 10, 9)
    booking = make.booking(venue=venue, start=start, end=start + timedelta(hours=2),
                           attendees=30, now=start - timedelta(days=1))
    bookings.complete_booking(booking=booking, now=start + timedelta(hours=2))
    bookings.rate_booking(booking=booking, actor=booking.booker, rating=5,
                          now=start + timedelta(hours=3))
    make.commit()
    data = client.get("/openness.json").get_json()
    assert data["last_month"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert data["year_to_date"] == {"from": "2026-01-01", "to": "2026-12-01"}
    item = next(i for i in data["items"] if i["unit"]["id"] == unit.id)
    assert item["last_month"]["open_hours"] == 420
    assert item["last_month"]["people_served"] == 30
    assert item["last_month"]["satisfaction"] == 5
    assert item["last_month"]["utilization"] == round(2 / 420, 4)
    assert item["year_to_date"]["open_hours"] == 335 * 14  # 1 Jan – 1 Dec 2026
    assert item["venues"][0]["opening_hours"][0] == {"weekday": 0, "start": "08:00",
                                                     "end": "22:00"}
    assert "booker" not in str(item) and "email" not in str(item)
    rows = list(csv.reader(io.StringIO(client.get("/openness.csv").data.decode("utf-8-sig"))))
    assert rows[0][1] == "单位"
    row = next(r for r in rows[1:] if r[1] == unit.name)
    assert row[4] == "420" and row[6] == "30"
    html = client.get("/openness").get_data(as_text=True)
    assert unit.name in html and "08:00–22:00" in html


def test_the_district_page_ranks_units_and_lists_shortfalls(app, client, make, people):
    weekend = make.unit()
    make.venue(unit=weekend, hours=[(5, "09:00", "12:00")])
    make.commit()
    login(client, people["admin"])
    html = client.get("/stats/district?from=2026-11-01&to=2026-11-30&sort=open_hours"
                      "&dir=desc").get_data(as_text=True)
    table = html.split("<tbody>")[1].split("</tbody>")[0]
    assert table.index(people["unit"].name) < table.index(weekend.name)
    shortfalls = html.split("</table>")[-1]
    assert weekend.name in shortfalls and "78.00" in shortfalls  # 90 − 12 hours
    assert 'data-url="/stats/district/trend.json?' in html
    trend = client.get("/stats/district/trend.json?from=2026-10-01&to=2026-11-30").get_json()
    assert trend["months"] == ["2026-10", "2026-11"]
    assert trend["open_hours"][1] == 420 + 12 + 0
