"""Feeds fixtures: a settable clock read by the views, a small district, signed-in requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import g

from gongjian.accounts.models import Organization, Unit, User
from gongjian.bookings.models import Booking
from gongjian.feeds import services as feeds
from gongjian.venues.models import Venue

from ..conftest import NOW
from ..factories import Factory, local


class Clock:
    """What `gongjian.clock.now()` answers in the views; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True)
def forget_feed_revisions():
    """The revision memo is per process: no test may see another's."""
    feeds.REVISIONS.clear()
    yield
    feeds.REVISIONS.clear()


@pytest.fixture
def clock(app, monkeypatch) -> Clock:
    clock = Clock(NOW)
    monkeypatch.setitem(app.config, "CLOCK", clock)
    return clock


def path(url: str) -> str:
    """The path (and query) of an absolute URL, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fresh_request_state() -> None:
    """The tests' app context outlives each request, and with it `g`: forget who was signed in
    and which language was chosen, as a new request in production would."""
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


def get(client, url: str, **kwargs):
    fresh_request_state()
    return client.get(path(url), **kwargs)


def head(client, url: str, **kwargs):
    fresh_request_state()
    return client.head(path(url), **kwargs)


def sign_in(client, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    fresh_request_state()


def sign_out(client) -> None:
    with client.session_transaction() as session:
        session.clear()
    fresh_request_state()


@dataclass
class District:
    """A unit with a manager and a venue, a resident, and an organization of two members."""

    make: Factory
    manager: User
    unit: Unit
    venue: Venue
    resident: User
    member: User
    organization: Organization

    def booking(self, *, day: int = 3, hour: int = 14, hours: int = 2, booker: User | None = None,
                venue: Venue | None = None, title: str = "党员学习会", **kwargs) -> Booking:
        start = local(2026, 12, day, hour)
        return self.make.booking(venue=venue or self.venue, booker=booker or self.resident,
                                 start=start, end=start + timedelta(hours=hours), title=title,
                                 **kwargs)

    def booking_at(self, start: datetime, *, hours: int = 1, venue: Venue | None = None,
                   booker: User | None = None, **kwargs) -> Booking:
        """A booking anywhere in time: made the day before it starts (or today)."""
        made = min(NOW, start - timedelta(days=1))
        return self.make.booking(venue=venue or self.venue, booker=booker or self.resident,
                                 start=start, end=start + timedelta(hours=hours), now=made,
                                 **kwargs)

    @property
    def personal_url(self) -> str:
        return feeds.personal_feed_url(self.resident)

    def personal_url_of(self, user: User) -> str:
        return feeds.personal_feed_url(user)

    @property
    def unit_url(self) -> str:
        return feeds.unit_feed_url(self.unit)

    @property
    def venue_url(self) -> str:
        return feeds.venue_feed_url(self.venue.id)


@pytest.fixture
def district(app, make: Factory, clock) -> District:
    manager = make.user(name="联络员")
    unit = make.unit(managers=(manager,))
    venue = make.venue(unit=unit, address="和平路1号", floor="3楼", max_advance_days=400)
    resident = make.user(name="张三")
    member = make.user(name="李四")
    organization = make.organization(members=(resident, member))
    make.commit()
    return District(make=make, manager=manager, unit=unit, venue=venue, resident=resident,
                    member=member, organization=organization)
