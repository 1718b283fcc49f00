"""Who reaches the hours editor and the closures page: every route (GET and POST) × every role,
exact statuses (see gongjian/venues/hours_views.py):

- visitors are sent to sign in (302), GET and POST alike;
- the venue's managers and district admins reach every page (a POST that changes something
  answers 303, a page or a preview 200, the live check 200 JSON);
- to a resident or another unit's manager the venue does not exist (404), and nothing changes.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gongjian.audit import AuditEvent
from gongjian.extensions import db
from gongjian.venues.models import Closure, Venue
from gongjian.venues.services import add_closure, archive_venue

from ..conftest import NOW
from ..factories import local
from . import hours_fixtures
from .hours_fixtures import post, sign_in, windows_of

clock = hours_fixtures.clock

ROLES = ("visitor", "resident", "manager", "other_manager", "admin")


@pytest.fixture
def world(make, clock):
    found = hours_fixtures.World(make)
    found.closure = add_closure(venue=found.venue, start=local(2026, 12, 20, 8),
                                end=local(2026, 12, 20, 12), reason="event", note="活动",
                                actor=found.admin, now=NOW)
    make.commit()
    return found


def user_of(world, role):
    return {"visitor": None, "resident": world.resident, "manager": world.manager,
            "other_manager": world.other_manager, "admin": world.admin}[role]


def hours(w, suffix=""):
    return f"/manage/venues/{w.venue.id}/hours{suffix}"


def closures(w, suffix=""):
    return f"/manage/venues/{w.venue.id}/closures{suffix}"


GRID = {"t0-from": "2026-12-01", "t0-d0-0-start": "18:00", "t0-d0-0-end": "21:00"}
CLOSURE = {"which": "closure", "closure-start_date": "2026-12-06", "closure-start_time": "08:00",
           "closure-end_date": "2026-12-06", "closure-end_time": "12:00",
           "closure-reason": "maintenance", "closure-note": "检修"}

# (method, url, form data) — filled in from the world.
ROUTES = {
    "hours_page": ("GET", hours, None),
    "hours_save": ("POST", hours, lambda w: {**GRID, "action": "save"}),
    "hours_check_page": ("POST", hours, lambda w: {**GRID, "action": "check"}),
    "hours_live_check": ("POST", lambda w: hours(w, "/check"), lambda w: GRID),
    "hours_copy": ("POST", lambda w: hours(w, "/copy"),
                   lambda w: {"copy-targets": [str(w.second_venue.id)]}),
    "hours_holidays": ("POST", lambda w: hours(w, "/holidays"),
                       lambda w: {"hol-closed_on_holidays": "y"}),
    "closures_page": ("GET", closures, None),
    "closure_preview": ("POST", closures, lambda w: {**CLOSURE, "action": "preview"}),
    "closure_save": ("POST", closures,
                     lambda w: {**CLOSURE, "action": "save", "closure-expected": ""}),
    "suspend_preview": ("POST", closures,
                        lambda w: {"which": "suspend", "action": "preview",
                                   "suspend-start_date": "2026-12-02",
                                   "suspend-start_time": "08:00", "suspend-note": "整改"}),
    "closure_lift": ("POST", lambda w: closures(w, f"/{w.closure.id}/lift"), lambda w: {}),
}

LOGIN = 302
EXPECTED = {
    #                   visitor resident manager other_manager admin
    "hours_page":       (LOGIN, 404, 200, 404, 200),
    "hours_save":       (LOGIN, 404, 303, 404, 303),
    "hours_check_page": (LOGIN, 404, 200, 404, 200),
    "hours_live_check": (LOGIN, 404, 200, 404, 200),
    "hours_copy":       (LOGIN, 404, 303, 404, 303),
    "hours_holidays":   (LOGIN, 404, 303, 404, 303),
    "closures_page":    (LOGIN, 404, 200, 404, 200),
    "closure_preview":  (LOGIN, 404, 200, 404, 200),
    "closure_save":     (LOGIN, 404, 303, 404, 303),
    "suspend_preview":  (LOGIN, 404, 200, 404, 200),
    "closure_lift":     (LOGIN, 404, 303, 404, 303),
}
CASES = [(route, role, EXPECTED[route][i]) for route in ROUTES for i, role in enumerate(ROLES)]


def state(world) -> tuple:
    """Everything a refused request must leave as it was."""
    db.session.expire_all()
    venue = db.session.get(Venue, world.venue.id)
    return (windows_of(world.venue), windows_of(world.second_venue), venue.closed_on_holidays,
            tuple(db.session.scalars(sa.select(Closure.id).order_by(Closure.id))),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))


def request(client, world, route):
    method, url, data = ROUTES[route]
    if method == "GET":
        return client.get(url(world))
    return post(client, url(world), data(world))


@pytest.mark.parametrize(("route", "role", "status"), CASES,
                         ids=[f"{route}-{role}" for route, role, _ in CASES])
def test_every_route_for_every_role(client, world, route, role, status):
    sign_in(client, user_of(world, role))
    before = state(world)
    response = request(client, world, route)
    assert response.status_code == status
    if status == LOGIN:
        assert response.headers["Location"].startswith("/login?next=")
    if status in (LOGIN, 404):
        assert state(world) == before
    if status == 303:
        assert state(world) != before


@pytest.mark.parametrize("role", ["resident", "other_manager"])
def test_the_pages_never_name_another_units_venue(client, world, role):
    sign_in(client, user_of(world, role))
    for route in ("hours_page", "closures_page", "closure_preview"):
        assert "多功能厅" not in request(client, world, route).get_data(as_text=True)


def test_an_admin_may_copy_to_any_units_venue(client, world):
    sign_in(client, world.admin)
    response = post(client, hours(world, "/copy"),
                    {"copy-targets": [str(world.other_venue.id)]})
    assert response.status_code == 303
    assert windows_of(world.other_venue) == windows_of(world.venue)


def test_an_unknown_venue_is_not_found_even_for_an_admin(client, world):
    sign_in(client, world.admin)
    assert client.get("/manage/venues/99999/hours").status_code == 404
    assert client.get("/manage/venues/99999/closures").status_code == 404
    assert post(client, "/manage/venues/99999/hours/check", GRID).status_code == 404


def test_an_unknown_closure_is_not_found(client, world):
    sign_in(client, world.manager)
    assert post(client, closures(world, "/99999/lift"), {}).status_code == 404


def test_an_archived_venue_is_not_found_for_its_own_manager(client, world, make):
    archive_venue(venue=world.venue, actor=world.admin, now=NOW)
    make.commit()
    sign_in(client, world.manager)
    assert client.get(hours(world)).status_code == 404
    assert client.get(closures(world)).status_code == 404
