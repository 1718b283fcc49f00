"""Every endpoint for every role: visitor, resident, organization member, the unit's manager,
another unit's manager, district admin. One unit's data stays invisible to another's manager.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ..conftest import NOW
from ..factories import local

ROLES = ("visitor", "resident", "member", "manager", "other_manager", "admin")


def statuses(visitor, resident, member, manager, other_manager, admin) -> dict[str, int]:
    return dict(zip(ROLES, (visitor, resident, member, manager, other_manager, admin),
                    strict=True))


def _pending(ctx) -> Any:
    """A pending request by the resident at an approval-required venue of the unit."""
    w, make = ctx.world, ctx.make
    venue = make.venue(unit=w.unit, requires_approval=True)
    booking = make.booking(venue=venue, booker=w.resident,
                           start=local(2026, 12, 3, 9), end=local(2026, 12, 3, 10))
    make.commit()
    return booking


def _checked_in_window(ctx):
    ctx.app.config["CLOCK"] = lambda: ctx.world.booking.start_at - timedelta(minutes=10)
    return ctx.world.booking


def _after_start(ctx):
    ctx.app.config["CLOCK"] = lambda: ctx.world.booking.start_at + timedelta(minutes=30)
    return ctx.world.booking


def _completed(ctx):
    from gongjian.bookings.services import complete_booking

    booking = ctx.world.booking
    complete_booking(booking=booking, now=booking.end_at)
    ctx.make.commit()
    ctx.app.config["CLOCK"] = lambda: booking.end_at + timedelta(hours=1)
    return booking


def _closure(ctx):
    from gongjian.venues.services import add_closure

    closure = add_closure(venue=ctx.world.venue, start=local(2026, 12, 20, 8),
                          end=local(2026, 12, 20, 22), reason="maintenance",
                          actor=ctx.world.admin, now=NOW)
    ctx.make.commit()
    return closure


def _window_body():
    return [{"weekday": d, "start": "09:00", "end": "21:00", "valid_from": "2026-01-01"}
            for d in range(7)]


Request = Callable[[Any], tuple[str, str, Any]]

# name: (request builder, expected status per role)
WRITES: dict[str, tuple[Request, dict[str, int]]] = {
    "create street": (lambda c: ("POST", "/api/v1/streets", {"name": "新街道"}),
                      statuses(401, 403, 403, 403, 403, 201)),
    "create community": (lambda c: ("POST", "/api/v1/communities",
                                    {"name": "新社区",
                                     "street_id": c.world.unit.community.street_id}),
                         statuses(401, 403, 403, 403, 403, 201)),
    "create unit": (lambda c: ("POST", "/api/v1/units",
                               {"name": "新单位", "type": "school",
                                "community_id": c.world.unit.community_id}),
                    statuses(401, 403, 403, 403, 403, 201)),
    "change unit contacts": (lambda c: ("PATCH", f"/api/v1/units/{c.world.unit.id}",
                                        {"contact_phone": "010-1234"}),
                             statuses(401, 403, 403, 200, 403, 200)),
    "rename unit": (lambda c: ("PATCH", f"/api/v1/units/{c.world.unit.id}", {"name": "改名"}),
                    statuses(401, 403, 403, 403, 403, 200)),
    "add unit manager": (lambda c: ("POST", f"/api/v1/units/{c.world.unit.id}/managers",
                                    {"user_id": c.world.outsider.id}),
                         statuses(401, 403, 403, 403, 403, 200)),
    "remove unit manager": (lambda c: ("DELETE", f"/api/v1/units/{c.world.unit.id}/managers/"
                                       f"{c.world.manager.id}", None),
                            statuses(401, 403, 403, 403, 403, 204)),
    "create user": (lambda c: ("POST", "/api/v1/users",
                               {"email": "new@example.cn", "password": "long-enough",
                                "name": "新人"}),
                    statuses(401, 403, 403, 403, 403, 201)),
    "create venue": (lambda c: ("POST", "/api/v1/venues",
                                {"unit_id": c.world.unit.id, "name": "新场地",
                                 "kind": "training", "capacity": 30}),
                     statuses(401, 403, 403, 201, 403, 201)),
    "change venue": (lambda c: ("PATCH", f"/api/v1/venues/{c.world.venue.id}",
                                {"capacity": 50}),
                     statuses(401, 403, 403, 200, 403, 200)),
    "set opening hours": (lambda c: ("PUT", f"/api/v1/venues/{c.world.venue.id}/opening-hours",
                                     _window_body()),
                          statuses(401, 403, 403, 200, 403, 200)),
    "add closure": (lambda c: ("POST", f"/api/v1/venues/{c.world.venue.id}/closures",
                               {"start": "2026-12-24T08:00:00+08:00",
                                "end": "2026-12-24T22:00:00+08:00", "reason": "event"}),
                    statuses(401, 403, 403, 201, 403, 201)),
    "remove closure": (lambda c: ("DELETE", f"/api/v1/closures/{_closure(c).id}", None),
                       statuses(401, 403, 403, 204, 403, 204)),
    "create agreement": (lambda c: ("POST", "/api/v1/agreements",
                                    {"unit_id": c.world.unit.id,
                                     "community_id": c.world.unit.community_id,
                                     "signed_on": "2026-01-01", "valid_from": "2026-01-01",
                                     "committed_hours_per_week": 20}),
                         statuses(401, 403, 403, 403, 403, 201)),
    "book": (lambda c: ("POST", "/api/v1/bookings",
                        {"venue_id": c.world.venue.id, "start": "2026-12-02T18:00:00+08:00",
                         "end": "2026-12-02T19:00:00+08:00", "title": "读书会",
                         "attendees": 8}),
             statuses(401, 201, 201, 201, 201, 201)),
    "check a booking": (lambda c: ("POST", "/api/v1/bookings/check",
                                   {"venue_id": c.world.venue.id,
                                    "start": "2026-12-02T18:00:00+08:00",
                                    "end": "2026-12-02T19:00:00+08:00", "title": "读书会",
                                    "attendees": 8}),
                        statuses(401, 200, 200, 200, 200, 200)),
    "approve": (lambda c: ("POST", f"/api/v1/bookings/{_pending(c).id}/approve", None),
                statuses(401, 403, 404, 200, 404, 200)),
    "reject": (lambda c: ("POST", f"/api/v1/bookings/{_pending(c).id}/reject",
                          {"reason": "场地另有安排"}),
               statuses(401, 403, 404, 200, 404, 200)),
    "cancel": (lambda c: ("POST", f"/api/v1/bookings/{c.world.booking.id}/cancel",
                          {"reason": "临时有事"}),
               statuses(401, 200, 404, 200, 404, 200)),
    "cancel an organization's booking": (
        lambda c: ("POST", f"/api/v1/bookings/{c.world.org_booking.id}/cancel",
                   {"reason": "临时有事"}),
        # The organization's other members see it but only its booker may cancel it.
        statuses(401, 404, 200, 200, 404, 200)),
    "check in": (lambda c: ("POST", f"/api/v1/bookings/{_checked_in_window(c).id}/check-in",
                            None),
                 statuses(401, 200, 404, 200, 404, 200)),
    "mark no-show": (lambda c: ("POST", f"/api/v1/bookings/{_after_start(c).id}/no-show", None),
                     statuses(401, 403, 404, 200, 404, 200)),
    "rate": (lambda c: ("POST", f"/api/v1/bookings/{_completed(c).id}/rate", {"rating": 5}),
             statuses(401, 200, 404, 403, 404, 403)),
}

# name: (url builder, expected status per role)
READS: dict[str, tuple[Callable[[Any], str], dict[str, int]]] = {
    "me": (lambda w: "/api/v1/me", statuses(401, 200, 200, 200, 200, 200)),
    "streets": (lambda w: "/api/v1/streets", statuses(200, 200, 200, 200, 200, 200)),
    "communities": (lambda w: "/api/v1/communities", statuses(200, 200, 200, 200, 200, 200)),
    "units": (lambda w: "/api/v1/units", statuses(200, 200, 200, 200, 200, 200)),
    "unit": (lambda w: f"/api/v1/units/{w.unit.id}", statuses(200, 200, 200, 200, 200, 200)),
    "venues": (lambda w: "/api/v1/venues", statuses(200, 200, 200, 200, 200, 200)),
    "venue": (lambda w: f"/api/v1/venues/{w.venue.id}", statuses(200, 200, 200, 200, 200, 200)),
    "opening hours": (lambda w: f"/api/v1/venues/{w.venue.id}/opening-hours",
                      statuses(200, 200, 200, 200, 200, 200)),
    "closures": (lambda w: f"/api/v1/venues/{w.venue.id}/closures",
                 statuses(200, 200, 200, 200, 200, 200)),
    "availability": (lambda w: f"/api/v1/venues/{w.venue.id}/availability",
                     statuses(200, 200, 200, 200, 200, 200)),
    "my bookings": (lambda w: "/api/v1/bookings", statuses(401, 200, 200, 200, 200, 200)),
    "unit bookings": (lambda w: "/api/v1/bookings?scope=unit",
                      statuses(401, 403, 403, 200, 200, 200)),
    "this unit's bookings": (lambda w: f"/api/v1/bookings?scope=unit&unit_id={w.unit.id}",
                             statuses(401, 403, 403, 200, 403, 200)),
    "a resident's booking": (lambda w: f"/api/v1/bookings/{w.booking.id}",
                             statuses(401, 200, 404, 200, 404, 200)),
    "an organization's booking": (lambda w: f"/api/v1/bookings/{w.org_booking.id}",
                                  statuses(401, 404, 200, 200, 404, 200)),
    "the booker's details": (lambda w: f"/api/v1/users/{w.resident.id}",
                             statuses(401, 200, 404, 200, 404, 200)),
    "agreements": (lambda w: "/api/v1/agreements", statuses(401, 403, 403, 200, 200, 200)),
    "this unit's agreements": (lambda w: f"/api/v1/agreements?unit_id={w.unit.id}",
                               statuses(401, 403, 403, 200, 403, 200)),
    "openapi": (lambda w: "/api/v1/openapi.json", statuses(200, 200, 200, 200, 200, 200)),
}


class Ctx:
    def __init__(self, world, make, app) -> None:
        self.world, self.make, self.app = world, make, app


@pytest.mark.parametrize("name", list(READS))
def test_reads(api, world, name):
    """Reads change nothing, so one district serves every role."""
    url, expected = READS[name]
    answered = {role: api.get(url(world), as_=world.roles[role]).status_code for role in ROLES}
    assert answered == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(WRITES))
def test_writes(api, world, make, app, name, role):
    build, expected = WRITES[name]
    method, url, body = build(Ctx(world, make, app))
    kwargs = {"json": body} if body is not None else {}
    response = api.request(method, url, as_=world.roles[role], **kwargs)
    assert response.status_code == expected[role], response.get_json()


def _ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


def test_each_role_lists_only_the_bookings_it_may_see(api, world):
    mine = "/api/v1/bookings"
    assert _ids(api.get(mine, as_=world.resident)) == [world.booking.id]
    assert _ids(api.get(mine, as_=world.member)) == [world.org_booking.id]
    assert _ids(api.get(mine, as_=world.outsider)) == [world.other_booking.id]
    assert _ids(api.get(mine, as_=world.manager)) == []
    unit = "/api/v1/bookings?scope=unit"
    assert _ids(api.get(unit, as_=world.manager)) == [world.booking.id, world.org_booking.id]
    assert _ids(api.get(unit, as_=world.other_manager)) == [world.other_booking.id]
    assert sorted(_ids(api.get(unit, as_=world.admin))) == sorted(
        [world.booking.id, world.org_booking.id, world.other_booking.id])


def test_an_organizations_other_members_see_its_bookings(api, world, make):
    second = make.user(name="第二成员")
    from gongjian.accounts.services import add_member

    add_member(organization=world.organization, user=second)
    make.commit()
    assert _ids(api.get("/api/v1/bookings", as_=second)) == [world.org_booking.id]
    assert api.get(f"/api/v1/bookings/{world.org_booking.id}", as_=second).status_code == 200
    assert api.get(f"/api/v1/bookings/{world.booking.id}", as_=second).status_code == 404


def test_the_unit_feed_url_and_managers_are_for_the_units_managers_only(api, world):
    url = f"/api/v1/units/{world.unit.id}"
    for role in ("visitor", "resident", "member", "other_manager"):
        body = api.get(url, as_=world.roles[role]).get_json()
        assert "feed_url" not in body and "managers" not in body, role
    for role in ("manager", "admin"):
        body = api.get(url, as_=world.roles[role]).get_json()
        assert "/feeds/units/" in body["feed_url"]
        assert body["managers"] == [{"id": world.manager.id, "name": world.manager.name,
                                     "email": world.manager.email}]
    first = api.get(url, as_=world.manager).get_json()["feed_url"]
    assert api.get(url, as_=world.manager).get_json()["feed_url"] == first


def test_visitors_see_no_personal_data_in_availability(api, world):
    body = api.get(f"/api/v1/venues/{world.venue.id}/availability?from=2026-12-02"
                   "&to=2026-12-02").get_json()
    assert body["busy"] == [
        {"start": "2026-12-02T09:00:00+08:00", "end": "2026-12-02T10:00:00+08:00"},
        {"start": "2026-12-02T14:00:00+08:00", "end": "2026-12-02T16:00:00+08:00"},
    ]
    text = str(body)
    assert world.resident.name not in text and "党员学习会" not in text


def test_archived_venues_exist_only_for_their_managers(api, world, make):
    from gongjian.venues.services import archive_venue

    archive_venue(venue=world.venue, actor=world.admin, now=NOW)
    make.commit()
    url = f"/api/v1/venues/{world.venue.id}"
    assert api.get(url).status_code == 404
    assert api.get(url, as_=world.other_manager).status_code == 404
    assert api.get(url, as_=world.manager).status_code == 200
    assert world.venue.id not in _ids(api.get("/api/v1/venues", as_=world.admin))
