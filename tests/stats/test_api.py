"""GET /api/v1/units/{id}/openness and GET /api/v1/openness (product.md §9)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gongjian.bookings import services as bookings

from ..factories import local
from .conftest import login

NOVEMBER = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def setting(app, make):
    admin = make.user(is_admin=True)
    manager = make.user(name="管理员")
    other_manager = make.user(name="管理员")
    resident = make.user()
    unit = make.unit(managers=(manager,))
    other = make.unit(managers=(other_manager,))
    venue = make.venue(unit=unit)
    make.venue(unit=other, hours=[(5, "09:00", "12:00")])
    start = local(2026, 11, 3, 9)
    booking = make.booking(venue=venue, booker=resident, start=start,
                           end=start + timedelta(hours=2), attendees=12,
                           now=start - timedelta(days=1))
    bookings.complete_booking(booking=booking, now=start + timedelta(hours=2))
    make.commit()
    return {"admin": admin, "manager": manager, "other_manager": other_manager,
            "resident": resident, "unit": unit, "other": other, "venue": venue}


def test_a_units_figures_with_its_venues(app, client, setting):
    login(client, setting["manager"])
    response = client.get(f"/api/v1/units/{setting['unit'].id}/openness?{NOVEMBER}")
    assert response.status_code == 200
    data = response.get_json()
    assert data["unit"]["id"] == setting["unit"].id
    assert (data["from"], data["to"]) == ("2026-11-01", "2026-11-30")
    figures = data["figures"]
    assert figures["open_hours"] == 420 and figures["booked_hours"] == 2
    assert figures["used_hours"] == 2 and figures["people_served"] == 12
    assert figures["utilization"] == round(2 / 420, 4)
    assert figures["bookings"] == {"total": 1, "pending": 0, "confirmed": 0, "rejected": 0,
                                   "cancelled": 0, "expired": 0, "completed": 1, "no_show": 0}
    assert figures["committed_hours"] == 0 and figures["commitment_rate"] is None
    assert figures["approval_rate"] is None
    [venue] = data["venues"]
    assert venue["venue"]["id"] == setting["venue"].id
    assert venue["figures"]["committed_hours"] is None
    assert venue["figures"]["open_hours"] == 420


@pytest.mark.parametrize("who, status", [(None, 401), ("resident", 403),
                                         ("other_manager", 403), ("manager", 200),
                                         ("admin", 200)])
def test_who_may_read_a_units_figures(app, client, setting, who, status):
    if who:
        login(client, setting[who])
    response = client.get(f"/api/v1/units/{setting['unit'].id}/openness?{NOVEMBER}")
    assert response.status_code == status
    if status != 200:
        assert "error" in response.get_json()


def test_an_unknown_unit_is_404(app, client, setting):
    login(client, setting["admin"])
    response = client.get(f"/api/v1/units/999999/openness?{NOVEMBER}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query, fields", [
    ("from=2026-11-31&to=2026-12-01", {"from"}),
    ("from=2026-11-01&to=yesterday", {"to"}),
    ("from=2026-12-01&to=2026-11-01", {"to"}),
    ("from=2020-01-01&to=2026-01-01", {"to"}),
])
def test_bad_periods_are_refused_naming_the_field(app, client, setting, query, fields):
    login(client, setting["admin"])
    response = client.get(f"/api/v1/units/{setting['unit'].id}/openness?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["details"]["fields"]) == fields


def test_every_unit_for_admins_and_own_units_for_managers(app, client, setting):
    login(client, setting["admin"])
    data = client.get(f"/api/v1/openness?{NOVEMBER}").get_json()
    by_unit = {item["unit"]["id"]: item["figures"] for item in data["items"]}
    assert set(by_unit) == {setting["unit"].id, setting["other"].id}
    assert by_unit[setting["other"].id]["open_hours"] == 12
    assert by_unit[setting["unit"].id]["distinct_bookers"] == 1
    login(client, setting["other_manager"])
    data = client.get(f"/api/v1/openness?{NOVEMBER}").get_json()
    assert [item["unit"]["id"] for item in data["items"]] == [setting["other"].id]
    login(client, setting["resident"])
    assert client.get(f"/api/v1/openness?{NOVEMBER}").status_code == 403


def test_both_operations_are_in_the_openapi_document(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    unit_op = document["paths"]["/units/{unit_id}/openness"]["get"]
    assert {p["name"] for p in unit_op["parameters"]} >= {"unit_id", "from", "to"}
    assert unit_op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UnitOpenness"}
    assert "/openness" in document["paths"]
    figures = document["components"]["schemas"]["OpennessFigures"]
    assert "commitment_rate" in figures["required"]
