"""Shared pieces of the hours editor's and closures page's tests: a fixed clock, the people of
the authorization matrix, and helpers to read what the database holds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Notification
from gongjian.audit import AuditEvent
from gongjian.extensions import db
from gongjian.venues.intervals import format_hhmm
from gongjian.venues.models import Closure, OpeningHours

from ..conftest import NOW
from ..pages import csrf_token, login


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


class World:
    """A unit with its manager and two venues, another unit with its own manager and venue, a
    resident and a district admin."""

    def __init__(self, make) -> None:
        self.manager = make.user(name="联络员")
        self.other_manager = make.user(name="别的联络员")
        self.resident = make.user(name="居民")
        self.admin = make.admin
        self.unit = make.unit(managers=(self.manager,))
        self.other_unit = make.unit(managers=(self.other_manager,))
        self.venue = make.venue(unit=self.unit, name="多功能厅")
        self.second_venue = make.venue(unit=self.unit, name="会议室", hours=[(0, "09:00", "12:00")])
        self.other_venue = make.venue(unit=self.other_unit, name="篮球场", kind="sports")


@pytest.fixture
def world(make, clock) -> World:
    found = World(make)
    make.commit()
    return found


def sign_in(client, user) -> None:
    if user is not None:
        login(client, user, lang="en")
    else:
        with client.session_transaction() as session:
            session["lang"] = "en"


def post(client, url: str, data: dict, **kwargs):
    """A form post with the session's CSRF token (read from the sign-in page)."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/login"), **data}, **kwargs)


def windows_of(venue) -> list[tuple]:
    """The venue's stored windows as (weekday, "HH:MM", "HH:MM", valid_from, valid_until)."""
    db.session.expire_all()
    rows = db.session.scalars(sa.select(OpeningHours).where(OpeningHours.venue_id == venue.id)
                              .order_by(OpeningHours.weekday, OpeningHours.start_minute,
                                        OpeningHours.valid_from))
    return [(w.weekday, format_hhmm(w.start_minute), format_hhmm(w.end_minute), w.valid_from,
             w.valid_until) for w in rows]


def closures_of(venue) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Closure).where(Closure.venue_id == venue.id)
                              .order_by(Closure.start_at, Closure.id))
    return [(c.start_at, c.end_at, c.reason.value, c.note) for c in rows]


def audit_actions(**where) -> list[str]:
    query = sa.select(AuditEvent.action).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))


def notification_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
