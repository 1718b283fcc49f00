"""/bookings/<id>.ics: a single event for its booker, organization members and managers."""

from __future__ import annotations

from .calendars import parse
from .conftest import get, sign_in, sign_out


def test_the_booker_downloads_the_booking(client, district):
    booking = district.booking()
    district.make.commit()
    sign_in(client, district.resident)
    response = get(client, f"/bookings/{booking.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="booking-{booking.id}.ics"')
    assert response.headers["Cache-Control"].startswith("private")
    parsed = parse(response.data)
    assert parsed.uids == [f"booking-{booking.id}@gongjian.test"]
    event = parsed.event(booking.id)
    assert event["SUMMARY"] == "党员学习会"
    assert event["URL"] == f"https://gongjian.test/bookings/{booking.id}"
    # The same UID as in the feeds: importing it next to a subscription does not duplicate it.
    assert parse(get(client, district.personal_url).data).uids == parsed.uids


def test_organization_members_and_managers_download_it_too(client, district):
    booking = district.booking(organization_id=district.organization.id)
    district.make.commit()
    sign_in(client, district.member)
    assert get(client, f"/bookings/{booking.id}.ics").status_code == 200
    sign_in(client, district.manager)
    response = get(client, f"/bookings/{booking.id}.ics")
    assert response.status_code == 200
    assert f"预约人：{district.resident.name}" in parse(response.data).event(booking.id)[
        "DESCRIPTION"]


def test_anyone_else_finds_nothing(client, district, make):
    booking = district.booking()
    stranger = make.user(name="路人")
    other_manager = make.user(name="别的联络员")
    make.unit(managers=(other_manager,))
    make.commit()
    for user in (stranger, other_manager):
        sign_in(client, user)
        assert get(client, f"/bookings/{booking.id}.ics").status_code == 404
    assert get(client, "/bookings/999999.ics").status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(client, district):
    booking = district.booking()
    district.make.commit()
    sign_out(client)
    response = get(client, f"/bookings/{booking.id}.ics")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_download_is_conditional(client, district):
    booking = district.booking()
    district.make.commit()
    sign_in(client, district.resident)
    etag = get(client, f"/bookings/{booking.id}.ics").headers["ETag"]
    sign_in(client, district.resident)
    response = get(client, f"/bookings/{booking.id}.ics", headers={"If-None-Match": etag})
    assert response.status_code == 304
