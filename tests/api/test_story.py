"""The whole story through the API alone, every answer checked field by field.

A district admin creates a street, a community, a unit and its manager; the manager creates a
venue, sets its opening hours and adds a closure; a resident finds the venue free, books it,
is told of the clash (with suggestions) when booking over another booking, and cancels; the
manager then requires approval and approves one request and rejects another.
"""

from __future__ import annotations

from gongjian.extensions import db

from ..factories import DEFAULT_PASSWORD


def _token(api, email: str, password: str) -> dict[str, str]:
    response = api.post("/api/v1/tokens", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"token", "id"} and isinstance(body["id"], int)
    return {"Authorization": f"Bearer {body['token']}"}


def _created(response) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_whole_story(api, make):
    make.user(email="admin@jiedao.cn", name="街道管理员", is_admin=True)
    db.session.commit()
    admin = _token(api, "admin@jiedao.cn", DEFAULT_PASSWORD)

    # The admin builds the district and names the unit's manager.
    street = _created(api.post("/api/v1/streets", json={"name": "和平街道"}, headers=admin))
    assert street == {"id": street["id"], "name": "和平街道"}
    community = _created(api.post("/api/v1/communities", headers=admin,
                                  json={"name": "东风社区", "street_id": street["id"]}))
    assert community == {"id": community["id"], "name": "东风社区", "street_id": street["id"]}
    unit = _created(api.post("/api/v1/units", headers=admin, json={
        "name": "和平中学", "type": "school", "community_id": community["id"],
        "address": "和平路8号", "contact_name": "赵老师", "contact_phone": "010-6666",
        "description": "体育馆周末开放"}))
    assert {k: v for k, v in unit.items() if k != "feed_url"} == {
        "id": unit["id"], "name": "和平中学", "type": "school",
        "community_id": community["id"], "street_id": street["id"], "address": "和平路8号",
        "contact_name": "赵老师", "contact_phone": "010-6666", "description": "体育馆周末开放",
        "active": True, "managers": []}
    manager_account = _created(api.post("/api/v1/users", headers=admin, json={
        "email": "zhao@school.cn", "password": "manager-pass-1", "name": "赵老师"}))
    assert manager_account == {"id": manager_account["id"], "email": "zhao@school.cn",
                               "name": "赵老师", "phone": "", "is_admin": False}
    appointed = api.post(f"/api/v1/units/{unit['id']}/managers", headers=admin,
                         json={"user_id": manager_account["id"]})
    assert appointed.status_code == 200
    assert appointed.get_json()["managers"] == [
        {"id": manager_account["id"], "name": "赵老师", "email": "zhao@school.cn"}]
    resident_account = _created(api.post("/api/v1/users", headers=admin, json={
        "email": "li@home.cn", "password": "resident-pass-1", "name": "李居民"}))
    neighbour_account = _created(api.post("/api/v1/users", headers=admin, json={
        "email": "wang@home.cn", "password": "neighbour-pass-1", "name": "王邻居"}))

    # The manager sets up a venue.
    manager = _token(api, "zhao@school.cn", "manager-pass-1")
    me = api.get("/api/v1/me", headers=manager).get_json()
    assert (me["id"], me["manages"], me["is_admin"]) == (manager_account["id"], [unit["id"]],
                                                          False)
    venue = _created(api.post("/api/v1/venues", headers=manager, json={
        "unit_id": unit["id"], "name": "体育馆", "kind": "sports", "sport": "篮球",
        "capacity": 40, "buffer_minutes": 0, "max_advance_days": 14}))
    assert {k: venue[k] for k in ("unit_id", "community_id", "name", "kind", "sport",
                                  "capacity", "timezone", "audience", "slot_minutes",
                                  "requires_approval", "archived_at")} == {
        "unit_id": unit["id"], "community_id": community["id"], "name": "体育馆",
        "kind": "sports", "sport": "篮球", "capacity": 40, "timezone": "Asia/Shanghai",
        "audience": "both", "slot_minutes": 30, "requires_approval": False,
        "archived_at": None}
    venue_url = f"/api/v1/venues/{venue['id']}"
    hours = [{"weekday": d, "start": "08:00", "end": "21:00", "valid_from": "2026-12-01",
              "valid_until": None} for d in range(7)]
    set_hours = api.put(f"{venue_url}/opening-hours", headers=manager, json=hours)
    assert set_hours.status_code == 200 and set_hours.get_json() == hours
    closure = _created(api.post(f"{venue_url}/closures", headers=manager, json={
        "start": "2026-12-03T08:00:00+08:00", "end": "2026-12-03T21:00:00+08:00",
        "reason": "maintenance", "note": "地板保养"}))
    assert closure == {"id": closure["id"], "venue_id": venue["id"],
                       "start": "2026-12-03T08:00:00+08:00", "end": "2026-12-03T21:00:00+08:00",
                       "reason": "maintenance", "note": "地板保养",
                       "created_at": "2026-12-01T10:00:00+08:00", "cancelled_bookings": []}

    # A resident finds it free on the 2nd (but not during the closure) and books it.
    resident = _token(api, "li@home.cn", "resident-pass-1")
    free = api.get("/api/v1/venues?free_from=2026-12-02T18:00:00%2B08:00"
                   "&free_to=2026-12-02T19:30:00%2B08:00&kind=sports", headers=resident)
    assert free.get_json() == {"items": [venue], "page": 1, "per_page": 20, "total": 1}
    closed = api.get("/api/v1/venues?free_from=2026-12-03T18:00:00%2B08:00"
                     "&free_to=2026-12-03T19:00:00%2B08:00", headers=resident)
    assert closed.get_json()["total"] == 0
    booking = _created(api.post("/api/v1/bookings", headers=resident, json={
        "venue_id": venue["id"], "start": "2026-12-02T18:00:00+08:00",
        "end": "2026-12-02T19:30:00+08:00", "title": "篮球友谊赛", "attendees": 12}))
    assert booking == {
        "id": booking["id"], "venue_id": venue["id"], "unit_id": unit["id"],
        "booker_id": resident_account["id"], "organization_id": None, "title": "篮球友谊赛",
        "attendees": 12, "start": "2026-12-02T18:00:00+08:00",
        "end": "2026-12-02T19:30:00+08:00", "status": "confirmed",
        "created_at": "2026-12-01T10:00:00+08:00", "decided_at": None, "reason": None,
        "series_id": None, "rating": None, "revision": 0}

    # A neighbour asks for an overlapping slot: 409 with the clash and free suggestions.
    neighbour = _token(api, "wang@home.cn", "neighbour-pass-1")
    clash = api.post("/api/v1/bookings", headers=neighbour, json={
        "venue_id": venue["id"], "start": "2026-12-02T19:00:00+08:00",
        "end": "2026-12-02T20:00:00+08:00", "title": "羽毛球", "attendees": 4})
    assert clash.status_code == 409
    error = clash.get_json()["error"]
    assert error["code"] == "conflict" and error["message"]
    assert error["details"]["violations"] == ["conflict"]
    assert error["details"]["conflicts"] == [
        {"start": "2026-12-02T18:00:00+08:00", "end": "2026-12-02T19:30:00+08:00"}]
    assert error["details"]["suggestions"] == [
        {"start": "2026-12-02T19:30:00+08:00", "end": "2026-12-02T20:30:00+08:00"},
        {"start": "2026-12-02T20:00:00+08:00", "end": "2026-12-02T21:00:00+08:00"},
        {"start": "2026-12-02T17:00:00+08:00", "end": "2026-12-02T18:00:00+08:00"},
    ]
    assert "李居民" not in str(error) and "篮球友谊赛" not in str(error)

    # The resident cancels; the slot is free again.
    cancelled = api.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=resident,
                         json={"reason": "人数不够"})
    assert cancelled.status_code == 200
    assert cancelled.get_json() == {**booking, "status": "cancelled", "reason": "人数不够",
                                    "revision": 1}
    availability = api.get(f"{venue_url}/availability?from=2026-12-02&to=2026-12-02")
    assert availability.get_json()["busy"] == []

    # The manager now requires approval: one request approved, another rejected.
    patched = api.patch(venue_url, headers=manager, json={"requires_approval": True})
    assert patched.status_code == 200 and patched.get_json()["requires_approval"] is True
    first = _created(api.post("/api/v1/bookings", headers=resident, json={
        "venue_id": venue["id"], "start": "2026-12-04T09:00:00+08:00",
        "end": "2026-12-04T10:00:00+08:00", "title": "晨练", "attendees": 6}))
    second = _created(api.post("/api/v1/bookings", headers=neighbour, json={
        "venue_id": venue["id"], "start": "2026-12-04T10:00:00+08:00",
        "end": "2026-12-04T11:00:00+08:00", "title": "羽毛球", "attendees": 4}))
    assert (first["status"], second["status"]) == ("pending", "pending")
    assert second["booker_id"] == neighbour_account["id"]
    waiting = api.get("/api/v1/bookings?scope=unit&status=pending", headers=manager)
    assert [b["id"] for b in waiting.get_json()["items"]] == [first["id"], second["id"]]

    approved = api.post(f"/api/v1/bookings/{first['id']}/approve", headers=manager)
    assert approved.status_code == 200
    assert approved.get_json() == {**first, "status": "confirmed",
                                   "decided_at": "2026-12-01T10:00:00+08:00", "revision": 1}
    rejected = api.post(f"/api/v1/bookings/{second['id']}/reject", headers=manager,
                        json={"reason": "当天有校内活动"})
    assert rejected.status_code == 200
    assert rejected.get_json() == {**second, "status": "rejected", "reason": "当天有校内活动",
                                   "decided_at": "2026-12-01T10:00:00+08:00", "revision": 1}

    # Each resident sees exactly their own bookings.
    mine = api.get("/api/v1/bookings", headers=resident).get_json()
    assert mine == {"items": [cancelled.get_json(), approved.get_json()], "page": 1,
                    "per_page": 20, "total": 2}
    theirs = api.get("/api/v1/bookings", headers=neighbour).get_json()
    assert theirs["items"] == [rejected.get_json()]
    assert api.get(f"/api/v1/bookings/{first['id']}", headers=neighbour).status_code == 404
