"""Bookings through the API: the object, the rules' refusals, lists and the lifecycle."""

from __future__ import annotations

from datetime import timedelta

from ..factories import local


def _body(venue, start="2026-12-02T18:00:00+08:00", end="2026-12-02T19:00:00+08:00", **extra):
    return {"venue_id": venue.id, "start": start, "end": end, "title": "读书会",
            "attendees": 8, **extra}


def test_a_new_booking_answers_the_whole_object(api, make):
    resident = make.user()
    venue = make.venue()
    make.commit()
    response = api.post("/api/v1/bookings", json=_body(venue), as_=resident)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "venue_id": venue.id,
        "unit_id": venue.unit_id,
        "booker_id": resident.id,
        "organization_id": None,
        "title": "读书会",
        "attendees": 8,
        "start": "2026-12-02T18:00:00+08:00",
        "end": "2026-12-02T19:00:00+08:00",
        "status": "confirmed",
        "created_at": "2026-12-01T10:00:00+08:00",
        "decided_at": None,
        "reason": None,
        "series_id": None,
        "rating": None,
        "revision": 0,
    }
    assert api.get(f"/api/v1/bookings/{body['id']}", as_=resident).get_json() == body


def test_times_are_given_in_the_venues_offset(api, make):
    resident = make.user()
    venue = make.venue(timezone="Asia/Tokyo")
    make.commit()
    body = api.post("/api/v1/bookings", as_=resident, json=_body(
        venue, start="2026-12-02T09:00:00Z", end="2026-12-02T10:00:00Z")).get_json()
    assert body["start"] == "2026-12-02T18:00:00+09:00"
    assert body["end"] == "2026-12-02T19:00:00+09:00"
    assert body["created_at"] == "2026-12-01T11:00:00+09:00"


def test_a_clash_is_409_with_the_clashing_interval_and_suggestions(api, world):
    response = api.post("/api/v1/bookings", as_=world.outsider, json=_body(
        world.venue, start="2026-12-02T09:30:00+08:00", end="2026-12-02T10:30:00+08:00"))
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["details"]["violations"] == ["conflict"]
    assert error["details"]["conflicts"] == [
        {"start": "2026-12-02T09:00:00+08:00", "end": "2026-12-02T10:00:00+08:00"}]
    suggestions = error["details"]["suggestions"]
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0] == {"start": "2026-12-02T10:00:00+08:00",
                              "end": "2026-12-02T11:00:00+08:00"}
    assert all(s["start"].endswith("+08:00") for s in suggestions)
    assert world.resident.name not in str(error)


def test_every_failed_rule_is_listed(api, world):
    response = api.post("/api/v1/bookings", as_=world.outsider, json=_body(
        world.venue, start="2026-12-01T10:15:00+08:00", end="2026-12-01T10:45:00+08:00",
        attendees=400))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "misaligned"
    assert error["details"]["violations"] == ["misaligned", "too_soon", "over_capacity"]


def test_unreadable_times_are_invalid_time(api, world):
    for start in ("2026-12-02 18:00", "2026-12-02T18:00:00", 1700000000, "9999-12-31T23:00Z"):
        response = api.post("/api/v1/bookings", as_=world.outsider,
                            json=_body(world.venue, start=start))
        assert response.status_code == 422, start
        error = response.get_json()["error"]
        assert error["code"] == "invalid_time"
        assert error["details"]["violations"] == ["invalid_time"]


def test_an_unknown_venue_is_venue_not_found(api, world):
    response = api.post("/api/v1/bookings", as_=world.outsider,
                        json={**_body(world.venue), "venue_id": 9999})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "venue_not_found"


def test_booking_for_an_organization_needs_membership(api, world):
    response = api.post("/api/v1/bookings", as_=world.resident,
                        json=_body(world.venue, organization_id=world.organization.id))
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "not_org_member"
    assert error["details"]["violations"] == ["not_org_member"]
    ok = api.post("/api/v1/bookings", as_=world.member,
                  json=_body(world.venue, organization_id=world.organization.id))
    assert ok.status_code == 201
    assert ok.get_json()["organization_id"] == world.organization.id


def test_check_writes_nothing_and_lists_violations(api, world):
    from gongjian.bookings.models import Booking
    from gongjian.extensions import db

    before = db.session.query(Booking).count()
    ok = api.post("/api/v1/bookings/check", as_=world.outsider, json=_body(world.venue))
    assert ok.status_code == 200
    assert ok.get_json() == {"ok": True, "violations": [], "messages": [], "conflicts": [],
                             "suggestions": []}
    clash = api.post("/api/v1/bookings/check", as_=world.outsider, json=_body(
        world.venue, start="2026-12-02T09:00:00+08:00", end="2026-12-02T10:00:00+08:00",
        attendees=0)).get_json()
    assert clash["ok"] is False
    assert clash["violations"] == ["over_capacity", "conflict"]
    assert len(clash["messages"]) == 2
    assert clash["conflicts"] == [{"start": "2026-12-02T09:00:00+08:00",
                                   "end": "2026-12-02T10:00:00+08:00"}]
    assert clash["suggestions"]
    assert db.session.query(Booking).count() == before
    unreadable = api.post("/api/v1/bookings/check", as_=world.outsider,
                          json=_body(world.venue, end="soon"))
    assert unreadable.status_code == 422
    assert unreadable.get_json()["error"]["details"]["violations"] == ["invalid_time"]


def test_lists_filter_by_status_unit_and_local_dates(api, world, make):
    later = make.booking(venue=world.venue, booker=world.resident,
                         start=local(2026, 12, 5, 9), end=local(2026, 12, 5, 10))
    make.commit()
    api.post(f"/api/v1/bookings/{world.booking.id}/cancel", as_=world.resident)
    mine = "/api/v1/bookings?scope=mine"
    assert [b["id"] for b in api.get(mine, as_=world.resident).get_json()["items"]] == [
        world.booking.id, later.id]
    confirmed = api.get(mine + "&status=confirmed", as_=world.resident).get_json()["items"]
    assert [b["id"] for b in confirmed] == [later.id]
    both = api.get(mine + "&status=confirmed,cancelled", as_=world.resident).get_json()
    assert both["total"] == 2
    on_the_5th = api.get(mine + "&from=2026-12-05&to=2026-12-05", as_=world.resident)
    assert [b["id"] for b in on_the_5th.get_json()["items"]] == [later.id]
    until_the_2nd = api.get(mine + "&to=2026-12-02", as_=world.resident).get_json()["items"]
    assert [b["id"] for b in until_the_2nd] == [world.booking.id]
    other_unit = api.get(f"/api/v1/bookings?scope=unit&unit_id={world.other_unit.id}",
                         as_=world.admin).get_json()["items"]
    assert [b["id"] for b in other_unit] == [world.other_booking.id]
    bad = api.get(mine + "&status=lost", as_=world.resident)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["fields"] == {"status": "invalid_choice"}


def test_the_lifecycle_through_the_api(api, world, make, app):
    venue = make.venue(unit=world.unit, requires_approval=True)
    make.commit()
    first = api.post("/api/v1/bookings", as_=world.resident, json=_body(venue)).get_json()
    second = api.post("/api/v1/bookings", as_=world.resident, json=_body(
        venue, start="2026-12-02T20:00:00+08:00", end="2026-12-02T21:00:00+08:00")).get_json()
    assert first["status"] == second["status"] == "pending"

    approved = api.post(f"/api/v1/bookings/{first['id']}/approve", as_=world.manager)
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "confirmed"
    assert approved.get_json()["decided_at"] == "2026-12-01T10:00:00+08:00"
    assert approved.get_json()["revision"] == first["revision"] + 1
    again = api.post(f"/api/v1/bookings/{first['id']}/approve", as_=world.manager)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "invalid_transition"

    no_reason = api.post(f"/api/v1/bookings/{second['id']}/reject", as_=world.manager)
    assert no_reason.status_code == 422
    assert no_reason.get_json()["error"]["code"] == "reason_required"
    rejected = api.post(f"/api/v1/bookings/{second['id']}/reject", as_=world.manager,
                        json={"reason": "场地检修"}).get_json()
    assert (rejected["status"], rejected["reason"]) == ("rejected", "场地检修")

    too_early = api.post(f"/api/v1/bookings/{first['id']}/check-in", as_=world.resident)
    assert too_early.status_code == 422
    assert too_early.get_json()["error"]["code"] == "check_in_not_open"
    start = local(2026, 12, 2, 18)
    app.config["CLOCK"] = lambda: start - timedelta(minutes=5)
    assert api.post(f"/api/v1/bookings/{first['id']}/check-in",
                    as_=world.resident).status_code == 200
    from gongjian.bookings.services import complete_past
    from gongjian.extensions import db

    complete_past(now=start + timedelta(hours=2))
    db.session.commit()
    app.config["CLOCK"] = lambda: start + timedelta(hours=2)
    rated = api.post(f"/api/v1/bookings/{first['id']}/rate", as_=world.resident,
                     json={"rating": 4, "comment": "很好"}).get_json()
    assert (rated["status"], rated["rating"]) == ("completed", 4)
    out_of_range = api.post(f"/api/v1/bookings/{first['id']}/rate", as_=world.resident,
                            json={"rating": 6})
    assert out_of_range.status_code == 422
    assert out_of_range.get_json()["error"]["details"]["fields"] == {"rating": "out_of_range"}


def test_a_manager_cancels_with_a_reason(api, world):
    url = f"/api/v1/bookings/{world.booking.id}/cancel"
    assert api.post(url, as_=world.manager).get_json()["error"]["code"] == "reason_required"
    cancelled = api.post(url, as_=world.manager, json={"reason": "停电"}).get_json()
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "停电")


def test_the_booker_details_are_for_the_managers_of_the_unit_booked(api, world):
    response = api.get(f"/api/v1/users/{world.resident.id}", as_=world.manager)
    assert response.get_json() == {"id": world.resident.id, "email": world.resident.email,
                                   "name": world.resident.name, "phone": "",
                                   "is_admin": False}
    assert api.get(f"/api/v1/users/{world.outsider.id}", as_=world.manager).status_code == 404
    assert api.get(f"/api/v1/users/{world.outsider.id}",
                   as_=world.other_manager).status_code == 200
