"""The availability answer's additions for the venue page's calendar: `closures` and `mine`.

`world`: the resident's booking tomorrow (2 December) 09:00–10:00 and the member's
organization booking 14:00–16:00 at `venue`; another booking at `other_venue`.
"""

from __future__ import annotations

from datetime import timedelta

from gongjian.bookings.services import cancel_booking
from gongjian.venues.services import add_closure

from ..conftest import NOW
from ..factories import local
from ..pages import login


def availability(api, world, *, as_=None, day: str = "2026-12-02", venue=None):
    venue = venue or world.venue
    response = api.get(f"/api/v1/venues/{venue.id}/availability?from={day}&to={day}", as_=as_)
    assert response.status_code == 200
    return response.get_json()


def test_a_visitor_gets_no_bookings_of_their_own(api, world):
    assert availability(api, world)["mine"] == []


def test_mine_holds_only_the_callers_own_bookings_with_title_and_status(api, world):
    assert availability(api, world, as_=world.resident)["mine"] == [
        {"id": world.booking.id, "start": "2026-12-02T09:00:00+08:00",
         "end": "2026-12-02T10:00:00+08:00", "title": "党员学习会", "status": "confirmed"}]


def test_mine_holds_the_bookings_of_the_callers_organizations(api, world, make):
    fellow = make.user(name="另一成员")
    from gongjian.accounts.services import add_member

    add_member(organization=world.organization, user=fellow)
    make.commit()
    assert [b["id"] for b in availability(api, world, as_=fellow)["mine"]] == [
        world.org_booking.id]


def test_a_manager_of_the_unit_still_gets_only_their_own(api, world):
    assert availability(api, world, as_=world.manager)["mine"] == []
    assert availability(api, world, as_=world.outsider)["mine"] == []


def test_mine_leaves_out_other_venues_other_days_and_released_bookings(api, world, make):
    assert availability(api, world, as_=world.outsider, venue=world.other_venue)["mine"] == [
        {"id": world.other_booking.id, "start": "2026-12-02T09:00:00+08:00",
         "end": "2026-12-02T10:00:00+08:00", "title": "党员学习会", "status": "confirmed"}]
    assert availability(api, world, as_=world.resident, day="2026-12-03")["mine"] == []
    cancel_booking(booking=world.booking, actor=world.resident, now=NOW)
    make.commit()
    assert availability(api, world, as_=world.resident)["mine"] == []


def test_a_pending_booking_is_mine_with_its_status(api, world, make):
    venue = make.venue(unit=world.unit, requires_approval=True)
    booking = make.booking(venue=venue, booker=world.resident, title="读书会",
                           start=local(2026, 12, 2, 19), end=local(2026, 12, 2, 20))
    make.commit()
    assert availability(api, world, as_=world.resident, venue=venue)["mine"] == [
        {"id": booking.id, "start": "2026-12-02T19:00:00+08:00",
         "end": "2026-12-02T20:00:00+08:00", "title": "读书会", "status": "pending"}]


def test_busy_blocks_never_carry_titles_or_names(api, world):
    own = {"resident": [world.booking.id], "member": [world.org_booking.id]}
    for role, user in world.roles.items():
        body = availability(api, world, as_=user)
        assert body["busy"] == [
            {"start": "2026-12-02T09:00:00+08:00", "end": "2026-12-02T10:00:00+08:00"},
            {"start": "2026-12-02T14:00:00+08:00", "end": "2026-12-02T16:00:00+08:00"},
        ], role
        assert [b["id"] for b in body["mine"]] == own.get(role, []), role
        names = (world.resident.name, world.member.name, world.outsider.name)
        assert not any(name in str(body) for name in names), role


def test_the_web_session_gets_its_own_bookings_too(api, world):
    login(api.client, world.resident)
    body = api.get(f"/api/v1/venues/{world.venue.id}/availability?from=2026-12-02"
                   "&to=2026-12-02").get_json()
    assert [b["id"] for b in body["mine"]] == [world.booking.id]


def test_closures_are_listed_with_their_reason_clipped_to_the_range(api, world, make):
    add_closure(venue=world.venue, start=local(2026, 12, 1, 20), end=local(2026, 12, 2, 9),
                reason="maintenance", note="张师傅修空调", actor=world.manager, now=NOW)
    add_closure(venue=world.venue, start=local(2026, 12, 2, 18), end=None,
                reason="suspension", actor=world.manager, now=NOW)
    add_closure(venue=world.venue, start=local(2026, 12, 5, 8), end=local(2026, 12, 5, 12),
                reason="event", actor=world.manager, now=NOW)
    make.commit()
    body = availability(api, world)
    assert body["closures"] == [
        {"start": "2026-12-02T00:00:00+08:00", "end": "2026-12-02T09:00:00+08:00",
         "reason": "maintenance"},
        {"start": "2026-12-02T18:00:00+08:00", "end": "2026-12-03T00:00:00+08:00",
         "reason": "suspension"},
    ]
    assert "张师傅" not in str(body)


def test_closures_come_in_the_venues_offset(api, world, make):
    venue = make.venue(unit=world.unit, timezone="Asia/Urumqi")
    add_closure(venue=venue, start=local(2026, 12, 2, 12), end=local(2026, 12, 2, 13),
                reason="holiday", actor=world.manager, now=NOW - timedelta(days=1))
    make.commit()
    assert availability(api, world, venue=venue)["closures"] == [
        {"start": "2026-12-02T10:00:00+06:00", "end": "2026-12-02T11:00:00+06:00",
         "reason": "holiday"}]


def test_the_document_describes_the_additions(api):
    schema = api.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Availability"]
    assert {"closures", "mine"} <= set(schema["required"])
    assert set(schema["properties"]["mine"]["items"]["properties"]) == {
        "id", "start", "end", "title", "status"}
    assert set(schema["properties"]["closures"]["items"]["properties"]) == {
        "start", "end", "reason"}
