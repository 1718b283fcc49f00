"""A unit the street office deactivated takes no bookings, and its venue pages are gone."""

from __future__ import annotations

import pytest

from gongjian.errors import DomainError
from gongjian.extensions import db

from ..factories import local


def test_a_deactivated_units_venue_refuses_bookings_and_its_page_is_gone(app, make, client):
    venue = make.venue()
    resident = make.user()
    venue.unit.active = False
    make.commit()
    with pytest.raises(DomainError) as refused:
        make.booking(venue=venue, booker=resident, start=local(2026, 12, 3, 9),
                     end=local(2026, 12, 3, 10))
    assert refused.value.code == "venue_not_found"
    db.session.rollback()
    assert client.get(f"/venues/{venue.id}").status_code == 404


def test_reactivating_the_unit_opens_its_venues_again(app, make, client):
    venue = make.venue()
    venue.unit.active = False
    make.commit()
    venue.unit.active = True
    make.commit()
    booking = make.booking(venue=venue, start=local(2026, 12, 3, 9), end=local(2026, 12, 3, 10))
    assert booking.status.value == "confirmed"
    assert client.get(f"/venues/{venue.id}").status_code == 200
