"""Who reaches the unit desk: every route (GET and POST) × every role, exact statuses.

Decisions (documented in gongjian/bookings/desk.py):
- visitors are sent to the login page (302), GET and POST alike; the calendar's JSON answers
  401 instead (a script reads it);
- the desk's own pages (queue, today, bulk approval) are 403 for a signed-in user who manages no
  unit; district admins see every unit;
- a unit's pages (`?unit_id=` filters, calendar, calendar JSON) are 403 for anyone who does not
  manage that unit: units are public, their bookings are not;
- a booking's page, its actions and its QR check-in link are 404 for anyone who does not manage
  its unit: nobody learns that another unit's booking exists, nor who booked it;
- a notice can be opened only by its own recipient (404 for anyone else);
- successful POSTs answer 303 (see other).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification
from gongjian.audit import AuditEvent
from gongjian.bookings.desk import check_in_token
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.extensions import db

from ..pages import csrf_token, text
from . import test_desk_scene
from .test_desk_scene import sign_in

clock, scene = test_desk_scene.clock, test_desk_scene.scene

ROLES = ("visitor", "resident", "manager", "other_manager", "admin")


def user_of(scene, role):
    return {"visitor": None, "resident": scene.resident, "manager": scene.manager,
            "other_manager": scene.other_manager, "admin": scene.admin}[role]


def manager_notice(scene) -> int:
    return db.session.scalar(sa.select(Notification.id).where(
        Notification.user_id == scene.manager.id,
        Notification.booking_id == scene["waiting"].id))


def revision(booking: Booking) -> dict:
    return {"revision": str(booking.revision)}


# (method, url, form data) — filled in from the scene.
ROUTES = {
    "queue": ("GET", lambda s: "/desk", None),
    "queue_unit": ("GET", lambda s: f"/desk?unit_id={s.unit.id}", None),
    "today": ("GET", lambda s: "/desk/today", None),
    "today_unit": ("GET", lambda s: f"/desk/today?unit_id={s.unit.id}", None),
    "calendar": ("GET", lambda s: f"/desk/units/{s.unit.id}/calendar", None),
    "events": ("GET", lambda s: f"/desk/units/{s.unit.id}/events.json"
               "?start=2026-11-30&end=2026-12-07", None),
    "booking": ("GET", lambda s: f"/desk/bookings/{s['waiting'].id}", None),
    "approve": ("POST", lambda s: f"/desk/bookings/{s['waiting'].id}/approve",
                lambda s: revision(s["waiting"])),
    "reject": ("POST", lambda s: f"/desk/bookings/{s['waiting'].id}/reject",
               lambda s: {**revision(s["waiting"]), "reason_choice": "needed_by_unit"}),
    "cancel": ("POST", lambda s: f"/desk/bookings/{s['confirmed'].id}/cancel",
               lambda s: {**revision(s["confirmed"]), "reason": "场地维修"}),
    "check_in": ("POST", lambda s: f"/desk/bookings/{s['running'].id}/check-in",
                 lambda s: revision(s["running"])),
    "no_show": ("POST", lambda s: f"/desk/bookings/{s['ended'].id}/no-show",
                lambda s: revision(s["ended"])),
    "bulk": ("POST", lambda s: "/desk/approve",
             lambda s: {"booking_ids": [str(s["waiting"].id), str(s["fresh"].id)]}),
    "scan": ("GET", lambda s: f"/desk/scan/{s['running'].id}/{check_in_token(s['running'].id)}",
             None),
    "scan_post": ("POST",
                  lambda s: f"/desk/scan/{s['running'].id}/{check_in_token(s['running'].id)}",
                  lambda s: {}),
    "read_notice": ("POST", lambda s: f"/desk/notices/{manager_notice(s)}/read", lambda s: {}),
}

LOGIN = 302
EXPECTED = {
    #                 visitor resident manager other_manager admin
    "queue":          (LOGIN, 403, 200, 200, 200),
    "queue_unit":     (LOGIN, 403, 200, 403, 200),
    "today":          (LOGIN, 403, 200, 200, 200),
    "today_unit":     (LOGIN, 403, 200, 403, 200),
    "calendar":       (LOGIN, 403, 200, 403, 200),
    "events":         (401, 403, 200, 403, 200),
    "booking":        (LOGIN, 404, 200, 404, 200),
    "approve":        (LOGIN, 404, 303, 404, 303),
    "reject":         (LOGIN, 404, 303, 404, 303),
    "cancel":         (LOGIN, 404, 303, 404, 303),
    "check_in":       (LOGIN, 404, 303, 404, 303),
    "no_show":        (LOGIN, 404, 303, 404, 303),
    "bulk":           (LOGIN, 403, 303, 303, 303),
    "scan":           (LOGIN, 404, 200, 404, 200),
    "scan_post":      (LOGIN, 404, 303, 404, 303),
    "read_notice":    (LOGIN, 404, 303, 404, 404),
}
CASES = [(route, role, EXPECTED[route][i]) for route in ROUTES for i, role in enumerate(ROLES)]
# What a manager or admin changes with each POST (the others change nothing).
WRITES = {"approve", "reject", "cancel", "check_in", "no_show", "bulk", "scan_post"}


def state() -> tuple:
    """Everything a refused request must leave as it was."""
    db.session.expire_all()
    bookings = tuple(db.session.execute(sa.select(
        Booking.id, Booking.status, Booking.revision, Booking.checked_in_at, Booking.reason,
    ).order_by(Booking.id)))
    return (bookings,
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
            tuple(db.session.execute(sa.select(Notification.id, Notification.read_at)
                                     .order_by(Notification.id))))


def request(client, scene, route):
    method, url, data = ROUTES[route]
    if method == "GET":
        return client.get(url(scene))
    token = csrf_token(client, "/login")
    return client.post(url(scene), data={"csrf_token": token, **data(scene)})


@pytest.mark.parametrize(("route", "role", "status"), CASES,
                         ids=[f"{route}-{role}" for route, role, _ in CASES])
def test_every_route_for_every_role(client, scene, route, role, status):
    sign_in(client, user_of(scene, role))
    before = state()
    response = request(client, scene, route)
    assert response.status_code == status
    if status == LOGIN:
        assert response.headers["Location"].startswith("/login?next=")
    if role in ("visitor", "resident", "other_manager"):
        assert state() == before
    elif route in WRITES:
        assert state() != before


@pytest.mark.parametrize("role", ["resident", "other_manager"])
def test_refused_pages_name_no_booking_and_no_booker(client, scene, role):
    sign_in(client, user_of(scene, role))
    for route in ("queue_unit", "today_unit", "calendar", "events", "booking", "scan"):
        body = request(client, scene, route).get_data(as_text=True)
        for secret in ("读书会", scene.booker.name, scene.booker.phone, scene.booker.email):
            assert secret not in body


def test_a_manager_never_sees_another_units_requests_or_bookers(client, scene):
    sign_in(client, scene.other_manager)
    page = text(client.get("/desk"))
    assert "别人的会" in page
    for secret in ("读书会", "合唱排练", scene.booker.name, scene.singer.phone):
        assert secret not in page
    today = text(client.get("/desk/today"))
    assert "晨练" not in today and "篮球赛" not in today


def test_another_units_booking_is_404_for_a_manager(client, scene):
    sign_in(client, scene.manager)
    foreign = scene["foreign"]
    assert client.get(f"/desk/bookings/{foreign.id}").status_code == 404
    token = check_in_token(foreign.id)
    assert client.get(f"/desk/scan/{foreign.id}/{token}").status_code == 404


def test_the_booker_cannot_open_their_booking_on_the_desk(client, scene):
    sign_in(client, scene.booker)
    assert client.get(f"/desk/bookings/{scene['waiting'].id}").status_code == 404


def test_a_booking_that_does_not_exist_is_404(client, scene):
    sign_in(client, scene.admin)
    assert client.get("/desk/bookings/999999").status_code == 404
    token = check_in_token(999999)
    assert client.get(f"/desk/scan/999999/{token}").status_code == 404


def test_a_unit_that_does_not_exist_is_404(client, scene):
    sign_in(client, scene.admin)
    assert client.get("/desk/units/999999/calendar").status_code == 404
    assert client.get("/desk?unit_id=999999").status_code == 404
    response = client.get("/desk/units/999999/events.json?start=2026-11-30&end=2026-12-07")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_wrong_scan_token_is_404_even_for_the_manager(client, scene):
    sign_in(client, scene.manager)
    running = scene["running"]
    assert client.get(f"/desk/scan/{running.id}/not-the-token").status_code == 404
    other_token = check_in_token(scene["confirmed"].id)
    assert client.get(f"/desk/scan/{running.id}/{other_token}").status_code == 404


def test_bulk_approval_of_another_units_request_writes_nothing(client, scene):
    sign_in(client, scene.manager)
    foreign = scene["foreign"]
    token = csrf_token(client, "/desk")
    response = client.post("/desk/approve", data={"csrf_token": token,
                                                  "booking_ids": [str(foreign.id)]},
                           follow_redirects=True)
    assert "Approved 0; 1 could not be approved." in text(response)
    db.session.expire_all()
    assert db.session.get(Booking, foreign.id).status == BookingStatus.PENDING


def test_events_json_for_a_visitor_is_a_json_401(client, scene):
    sign_in(client, None)
    response = client.get(f"/desk/units/{scene.unit.id}/events.json"
                          "?start=2026-11-30&end=2026-12-07")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
