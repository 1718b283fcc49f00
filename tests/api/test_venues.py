"""Venues, their filters, opening hours, closures and availability."""

from __future__ import annotations

from gongjian.venues.models import RULE_DEFAULTS

from ..factories import local


def _ids(response) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


def test_creating_a_venue_takes_rule_settings_by_name_and_defaults_the_rest(api, world):
    response = api.post("/api/v1/venues", as_=world.manager, json={
        "unit_id": world.unit.id, "name": "舞蹈室", "kind": "activity", "capacity": 25,
        "timezone": "Asia/Urumqi", "requires_approval": True, "slot_minutes": 60,
        "equipment": ["镜子", "音响"], "step_free": True})
    assert response.status_code == 201
    venue = response.get_json()
    assert venue["unit_id"] == world.unit.id
    assert venue["community_id"] == world.unit.community_id
    assert (venue["name"], venue["kind"], venue["capacity"]) == ("舞蹈室", "activity", 25)
    assert venue["timezone"] == "Asia/Urumqi"
    assert venue["created_at"] == "2026-12-01T08:00:00+06:00"
    assert venue["archived_at"] is None
    assert venue["equipment"] == sorted(["镜子", "音响"])
    assert venue["requires_approval"] is True and venue["slot_minutes"] == 60
    for name, default in RULE_DEFAULTS.items():
        if name not in ("requires_approval", "slot_minutes"):
            assert venue[name] == default, name
    assert venue["feed_url"].endswith(f"/feeds/venues/{venue['id']}.ics")


def test_venue_settings_are_checked_by_the_service(api, world):
    response = api.post("/api/v1/venues", as_=world.manager, json={
        "unit_id": world.unit.id, "name": "x", "kind": "sports", "capacity": 10,
        "min_duration_minutes": 300, "max_duration_minutes": 60, "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"] == {"timezone": "invalid"}
    response = api.post("/api/v1/venues", as_=world.manager, json={
        "unit_id": world.unit.id, "name": "x", "kind": "sports", "capacity": 10,
        "min_duration_minutes": 300, "max_duration_minutes": 60})
    assert response.get_json()["error"]["details"]["fields"] == {
        "min_duration_minutes": "greater_than_max"}


def test_patching_a_venue_changes_only_what_is_given(api, world):
    response = api.patch(f"/api/v1/venues/{world.venue.id}", as_=world.manager,
                         json={"capacity": 60, "buffer_minutes": 15, "audience": "residents"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["capacity"], body["buffer_minutes"], body["audience"]) == (60, 15, "residents")
    assert body["name"] == "多功能厅"
    assert api.patch(f"/api/v1/venues/{world.venue.id}", as_=world.manager,
                     json={"unit_id": world.other_unit.id}).status_code == 422


def test_filters(api, world, make):
    big = make.venue(unit=world.other_unit, name="礼堂", capacity=300, kind="meeting_room",
                     description="可放映电影")
    make.commit()
    assert _ids(api.get("/api/v1/venues")) == [world.venue.id, world.other_venue.id, big.id]
    assert _ids(api.get("/api/v1/venues?kind=sports")) == [world.other_venue.id]
    assert _ids(api.get(f"/api/v1/venues?unit_id={world.other_unit.id}")) == [
        world.other_venue.id, big.id]
    assert _ids(api.get(f"/api/v1/venues?community_id={world.unit.community_id}")) == [
        world.venue.id, world.other_venue.id, big.id]
    assert _ids(api.get("/api/v1/venues?community_id=9999")) == []
    assert _ids(api.get("/api/v1/venues?min_capacity=100")) == [big.id]
    assert _ids(api.get("/api/v1/venues?q=电影")) == [big.id]
    assert _ids(api.get("/api/v1/venues?q=篮球")) == [world.other_venue.id]
    assert _ids(api.get("/api/v1/venues?q=100%25")) == []


def test_free_from_and_free_to_find_venues_open_and_free_throughout(api, world):
    url = "/api/v1/venues?free_from={}&free_to={}"
    # 09:00–10:00 tomorrow both venues hold a booking.
    assert _ids(api.get(url.format("2026-12-02T09:00:00%2B08:00",
                                   "2026-12-02T10:00:00%2B08:00"))) == []
    assert _ids(api.get(url.format("2026-12-02T10:00:00%2B08:00",
                                   "2026-12-02T12:00:00%2B08:00"))) == [
        world.venue.id, world.other_venue.id]
    # The org booking holds the first venue 14:00–16:00 (06:00–08:00 UTC).
    assert _ids(api.get(url.format("2026-12-02T08:00:00Z", "2026-12-02T09:00:00Z"))) == [
        world.venue.id, world.other_venue.id]
    assert _ids(api.get(url.format("2026-12-02T06:00:00Z", "2026-12-02T07:00:00Z"))) == [
        world.other_venue.id]
    # Outside opening hours (22:00–23:00) nothing is free; an unencoded "+" still reads.
    assert _ids(api.get(url.format("2026-12-02T22:00:00+08:00",
                                   "2026-12-02T23:00:00+08:00"))) == []
    assert _ids(api.get(url.format("2026-12-02T20:00:00+08:00",
                                   "2026-12-02T21:00:00+08:00")
                        + "&kind=sports")) == [world.other_venue.id]


def test_free_search_needs_both_ends_in_order(api):
    one = api.get("/api/v1/venues?free_from=2026-12-02T10:00:00Z")
    assert one.status_code == 422
    assert one.get_json()["error"]["details"]["fields"] == {"free_to": "required"}
    backwards = api.get("/api/v1/venues?free_from=2026-12-02T10:00:00Z"
                        "&free_to=2026-12-02T09:00:00Z")
    assert backwards.get_json()["error"]["details"]["fields"] == {
        "free_to": "not_after_free_from"}
    naive = api.get("/api/v1/venues?free_from=2026-12-02T10:00:00&free_to=2026-12-02T11:00:00Z")
    assert naive.get_json()["error"]["details"]["fields"] == {"free_from": "not_an_instant"}


def test_opening_hours_round_trip(api, world):
    url = f"/api/v1/venues/{world.venue.id}/opening-hours"
    windows = [
        {"weekday": 0, "start": "08:00", "end": "12:00", "valid_from": "2026-12-01",
         "valid_until": None},
        {"weekday": 0, "start": "12:00", "end": "24:00", "valid_from": "2026-12-01",
         "valid_until": "2027-06-30"},
        {"weekday": 5, "start": "09:00", "end": "17:30", "valid_from": "2026-12-01",
         "valid_until": None},
    ]
    response = api.put(url, json=windows, as_=world.manager)
    assert response.status_code == 200
    assert response.get_json() == windows
    assert api.get(url).get_json() == windows
    defaulted = api.put(url, json=[{"weekday": 2, "start": "10:00", "end": "11:00"}],
                        as_=world.manager).get_json()
    assert defaulted == [{"weekday": 2, "start": "10:00", "end": "11:00",
                          "valid_from": "2026-12-01", "valid_until": None}]


def test_overlapping_windows_are_refused(api, world):
    response = api.put(f"/api/v1/venues/{world.venue.id}/opening-hours", as_=world.manager,
                       json=[{"weekday": 1, "start": "08:00", "end": "12:00"},
                             {"weekday": 1, "start": "11:00", "end": "13:00"}])
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "hours_overlap"


def test_a_closure_cancels_the_bookings_it_overlaps(api, world):
    response = api.post(f"/api/v1/venues/{world.venue.id}/closures", as_=world.manager, json={
        "start": "2026-12-02T08:00:00+08:00", "end": "2026-12-02T12:00:00+08:00",
        "reason": "maintenance", "note": "更换地板"})
    assert response.status_code == 201
    closure = response.get_json()
    assert closure == {
        "id": closure["id"], "venue_id": world.venue.id,
        "start": "2026-12-02T08:00:00+08:00", "end": "2026-12-02T12:00:00+08:00",
        "reason": "maintenance", "note": "更换地板", "created_at": "2026-12-01T10:00:00+08:00",
        "cancelled_bookings": [world.booking.id],
    }
    booking = api.get(f"/api/v1/bookings/{world.booking.id}", as_=world.resident).get_json()
    assert (booking["status"], booking["reason"]) == ("cancelled", "更换地板")
    listed = api.get(f"/api/v1/venues/{world.venue.id}/closures").get_json()
    assert listed["total"] == 1
    assert listed["items"][0] == {k: v for k, v in closure.items() if k != "cancelled_bookings"}
    assert api.delete(f"/api/v1/closures/{closure['id']}", as_=world.manager).status_code == 204
    assert api.get(f"/api/v1/venues/{world.venue.id}/closures").get_json()["total"] == 0
    assert api.delete(f"/api/v1/closures/{closure['id']}", as_=world.manager).status_code == 404


def test_a_suspension_has_no_end(api, world):
    response = api.post(f"/api/v1/venues/{world.venue.id}/closures", as_=world.manager,
                        json={"start": "2026-12-03T00:00:00+08:00", "reason": "suspension"})
    assert response.status_code == 201
    assert response.get_json()["end"] is None
    bad = api.post(f"/api/v1/venues/{world.venue.id}/closures", as_=world.manager, json={
        "start": "2026-12-03T10:00:00+08:00", "end": "2026-12-03T09:00:00+08:00",
        "reason": "holiday"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["fields"] == {"end": "not_after_start"}


def test_availability_gives_open_busy_and_free_in_the_venues_offset(api, world, make):
    from gongjian.venues.services import add_closure

    add_closure(venue=world.venue, start=local(2026, 12, 2, 12), end=local(2026, 12, 2, 13),
                reason="event", actor=world.admin, now=world.booking.created_at)
    make.commit()
    body = api.get(f"/api/v1/venues/{world.venue.id}/availability?from=2026-12-02"
                   "&to=2026-12-02").get_json()
    assert body == {
        "venue_id": world.venue.id,
        "timezone": "Asia/Shanghai",
        "open": [{"start": "2026-12-02T08:00:00+08:00", "end": "2026-12-02T12:00:00+08:00"},
                 {"start": "2026-12-02T13:00:00+08:00", "end": "2026-12-02T22:00:00+08:00"}],
        "busy": [{"start": "2026-12-02T09:00:00+08:00", "end": "2026-12-02T10:00:00+08:00"},
                 {"start": "2026-12-02T14:00:00+08:00", "end": "2026-12-02T16:00:00+08:00"}],
        "free": [{"start": "2026-12-02T08:00:00+08:00", "end": "2026-12-02T09:00:00+08:00"},
                 {"start": "2026-12-02T10:00:00+08:00", "end": "2026-12-02T12:00:00+08:00"},
                 {"start": "2026-12-02T13:00:00+08:00", "end": "2026-12-02T14:00:00+08:00"},
                 {"start": "2026-12-02T16:00:00+08:00", "end": "2026-12-02T22:00:00+08:00"}],
        "closures": [{"start": "2026-12-02T12:00:00+08:00", "end": "2026-12-02T13:00:00+08:00",
                      "reason": "event"}],
        "mine": [],
    }
    week = api.get(f"/api/v1/venues/{world.venue.id}/availability").get_json()
    assert week["open"][0]["start"] == "2026-12-01T08:00:00+08:00"
    assert week["open"][-1]["end"] == "2026-12-07T22:00:00+08:00"


def test_availability_ranges_are_bounded(api, world):
    url = f"/api/v1/venues/{world.venue.id}/availability"
    backwards = api.get(url + "?from=2026-12-05&to=2026-12-01")
    assert backwards.get_json()["error"]["details"]["fields"] == {"to": "before_from"}
    too_long = api.get(url + "?from=2026-01-01&to=2026-12-31")
    assert too_long.get_json()["error"]["details"]["fields"] == {"to": "range_too_long"}
    not_a_date = api.get(url + "?from=2026-02-30")
    assert not_a_date.get_json()["error"]["details"]["fields"] == {"from": "not_a_date"}


def test_the_holiday_rule_is_read_and_set_through_the_venue(api, world):
    url = f"/api/v1/venues/{world.venue.id}"
    assert api.get(url).get_json()["closed_on_holidays"] is False
    national_day = "/availability?from=2026-10-01&to=2026-10-01"
    assert api.get(url + national_day).get_json()["open"] != []
    response = api.patch(url, as_=world.manager, json={"closed_on_holidays": True})
    assert response.status_code == 200 and response.get_json()["closed_on_holidays"] is True
    assert api.get(url).get_json()["closed_on_holidays"] is True
    assert api.get(url + national_day).get_json()["open"] == []
    assert api.patch(url, as_=world.manager,
                     json={"closed_on_holidays": "yes"}).status_code == 422
    assert api.patch(url, as_=world.resident,
                     json={"closed_on_holidays": False}).status_code == 403
    assert api.get(url).get_json()["closed_on_holidays"] is True
