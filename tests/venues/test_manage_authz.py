"""Who reaches the venue console: every route (GET and POST) × every role, exact statuses.

Decisions (documented in gongjian/venues/manage.py):
- visitors are sent to the login page (302), GET and POST alike;
- `/manage` is 403 for a signed-in user who manages no unit;
- a unit's "new venue" form is 403 for anyone who does not manage that unit;
- a venue's pages (and its photos' actions) are 404 for anyone who may not manage the venue:
  nobody learns about another unit's venues;
- district admins manage every unit; successful POSTs answer 303 (see other).
- `/photos/<name>` is public.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from gongjian.audit import AuditEvent
from gongjian.extensions import db
from gongjian.venues import photos as photo_services
from gongjian.venues.models import Venue, VenuePhoto

from ..conftest import NOW
from ..pages import csrf_token
from . import manage_fixtures
from .manage_fixtures import image_bytes, sign_in, venue_form

clock, people, photo_dir = manage_fixtures.clock, manage_fixtures.people, manage_fixtures.photo_dir

ROLES = ("visitor", "resident", "manager", "other_manager", "admin")


@pytest.fixture
def world(people, photo_dir, make):
    photo = photo_services.add_photo(venue=people.venue, data=image_bytes(), folder=photo_dir,
                                     actor=people.admin, now=NOW)
    make.commit()
    people.photo = photo
    return people


def user_of(world, role):
    return {"visitor": None, "resident": world.resident, "manager": world.manager,
            "other_manager": world.other_manager, "admin": world.admin}[role]


# (name, method, url, form data) — the URL and data are filled in from the world.
ROUTES = {
    "index": ("GET", lambda w: "/manage", None),
    "new_form": ("GET", lambda w: f"/manage/units/{w.unit.id}/venues/new", None),
    "new_post": ("POST", lambda w: f"/manage/units/{w.unit.id}/venues/new",
                 lambda w: venue_form(name="新场地")),
    "edit_form": ("GET", lambda w: f"/manage/venues/{w.venue.id}/edit", None),
    "edit_post": ("POST", lambda w: f"/manage/venues/{w.venue.id}/edit",
                  lambda w: venue_form(name="改过的名字")),
    "archive_form": ("GET", lambda w: f"/manage/venues/{w.venue.id}/archive", None),
    "archive_post": ("POST", lambda w: f"/manage/venues/{w.venue.id}/archive", lambda w: {}),
    "photos_page": ("GET", lambda w: f"/manage/venues/{w.venue.id}/photos", None),
    "photos_upload": ("POST", lambda w: f"/manage/venues/{w.venue.id}/photos",
                      lambda w: {"photos": [(io.BytesIO(image_bytes()), "a.jpg")]}),
    "photo_caption": ("POST",
                      lambda w: f"/manage/venues/{w.venue.id}/photos/{w.photo.id}/caption",
                      lambda w: {f"p{w.photo.id}-caption": "全景"}),
    "photo_move": ("POST", lambda w: f"/manage/venues/{w.venue.id}/photos/{w.photo.id}/move",
                   lambda w: {"direction": "down"}),
    "photo_delete": ("POST",
                     lambda w: f"/manage/venues/{w.venue.id}/photos/{w.photo.id}/delete",
                     lambda w: {}),
    "photo_file": ("GET", lambda w: f"/photos/{w.photo.filename}", None),
}

LOGIN = 302
EXPECTED = {
    #                 visitor resident manager other_manager admin
    "index":          (LOGIN, 403, 200, 200, 200),
    "new_form":       (LOGIN, 403, 200, 403, 200),
    "new_post":       (LOGIN, 403, 303, 403, 303),
    "edit_form":      (LOGIN, 404, 200, 404, 200),
    "edit_post":      (LOGIN, 404, 303, 404, 303),
    "archive_form":   (LOGIN, 404, 200, 404, 200),
    "archive_post":   (LOGIN, 404, 303, 404, 303),
    "photos_page":    (LOGIN, 404, 200, 404, 200),
    "photos_upload":  (LOGIN, 404, 303, 404, 303),
    "photo_caption":  (LOGIN, 404, 303, 404, 303),
    "photo_move":     (LOGIN, 404, 303, 404, 303),
    "photo_delete":   (LOGIN, 404, 303, 404, 303),
    "photo_file":     (200, 200, 200, 200, 200),
}
CASES = [(route, role, EXPECTED[route][i]) for route in ROUTES for i, role in enumerate(ROLES)]


def state(world) -> tuple:
    """Everything a refused request must leave as it was."""
    db.session.expire_all()
    venue = db.session.get(Venue, world.venue.id)
    return (venue.name, venue.archived_at,
            tuple(db.session.scalars(sa.select(VenuePhoto.caption).order_by(VenuePhoto.id))),
            db.session.scalar(sa.select(sa.func.count()).select_from(Venue)),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))


def request(client, world, route):
    method, url, data = ROUTES[route]
    if method == "GET":
        response = client.get(url(world))
    else:
        token = csrf_token(client, "/login")
        response = client.post(url(world), data={"csrf_token": token, **data(world)},
                               content_type="multipart/form-data")
    response.get_data()
    response.close()  # a served file is closed, as the server would
    return response


@pytest.mark.parametrize(("route", "role", "status"), CASES,
                         ids=[f"{route}-{role}" for route, role, _ in CASES])
def test_every_route_for_every_role(client, world, route, role, status):
    sign_in(client, user_of(world, role))
    before = state(world)
    response = request(client, world, route)
    assert response.status_code == status
    if status == LOGIN:
        assert response.headers["Location"].startswith("/login?next=")
    if status in (LOGIN, 403, 404):
        assert state(world) == before


@pytest.mark.parametrize("role", ["resident", "other_manager"])
def test_venue_pages_never_name_another_units_venue(client, world, role):
    sign_in(client, user_of(world, role))
    for route in ("edit_form", "archive_form", "photos_page"):
        response = request(client, world, route)
        assert "多功能厅" not in response.get_data(as_text=True)


def test_a_manager_sees_only_their_own_units_on_the_console(client, world):
    sign_in(client, world.other_manager)
    html = client.get("/manage").get_data(as_text=True)
    assert world.other_unit.name in html and "篮球场" in html
    assert world.unit.name not in html and "多功能厅" not in html


def test_an_unknown_unit_or_venue_is_not_found_even_for_an_admin(client, world):
    sign_in(client, world.admin)
    assert client.get("/manage/units/99999/venues/new").status_code == 404
    assert client.get("/manage/venues/99999/edit").status_code == 404
    assert client.get("/manage/venues/99999/photos").status_code == 404


def test_a_photo_of_another_venue_is_not_found_through_this_venue(client, world, photo_dir,
                                                                   make):
    other = photo_services.add_photo(venue=world.other_venue, data=image_bytes(),
                                     folder=photo_dir, actor=world.admin, now=NOW)
    make.commit()
    sign_in(client, world.manager)
    token = csrf_token(client, "/login")
    response = client.post(f"/manage/venues/{world.venue.id}/photos/{other.id}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 404
    assert db.session.get(VenuePhoto, other.id) is not None


def test_an_archived_venue_is_not_found_for_its_own_manager(client, world, make):
    from gongjian.venues.services import archive_venue

    archive_venue(venue=world.venue, actor=world.admin, now=NOW)
    make.commit()
    sign_in(client, world.manager)
    assert client.get(f"/manage/venues/{world.venue.id}/edit").status_code == 404
    response = client.get(f"/photos/{world.photo.filename}")
    assert response.status_code == 404
