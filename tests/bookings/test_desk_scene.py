"""The unit desk's shared scene (imported by tests/bookings/test_desk_*.py; no tests here).

NOW is Tuesday 1 December 2026, 10:00 Shanghai. The unit (managed by `manager`) has a venue
that needs approval and one that confirms at once; another unit (managed by `other_manager`)
has its own request. Bookings of the unit, by key:
- `waiting`: pending, 读书会 on Sat 5 Dec 14–16, requested two days ago (over 24 h);
- `fresh`: pending, 合唱排练 on Thu 3 Dec 19–21 for the choir, requested an hour ago;
- `confirmed`: 党员学习会 on Fri 4 Dec 09–11, approved;
- `running`: 晨练 today 09:30–11:00 at the courts (check-in is open);
- `ended`: 篮球赛 yesterday 14–16 at the courts, confirmed, nobody checked in;
and at the other unit `foreign`: pending, 别人的会 on Sat 5 Dec 14–16.
The waiting request's booker has one completed booking and one no-show in their record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from gongjian.accounts.models import Organization, Unit, User
from gongjian.bookings.models import Booking
from gongjian.bookings.services import approve_booking, complete_booking, mark_no_show
from gongjian.venues.models import Venue

from ..conftest import NOW
from ..factories import local
from ..pages import login


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


def set_clock(app, moment) -> None:
    app.config["CLOCK"] = lambda: moment


@dataclass
class Scene:
    manager: User
    other_manager: User
    resident: User
    admin: User
    booker: User
    singer: User
    unit: Unit
    other_unit: Unit
    venue: Venue
    courts: Venue
    other_venue: Venue
    choir: Organization
    bookings: dict[str, Booking]

    def __getitem__(self, key: str) -> Booking:
        return self.bookings[key]


def build_scene(make) -> Scene:
    manager = make.user(name="联络员", phone="13800138000")
    other_manager = make.user(name="别的联络员")
    resident = make.user(name="邻居")
    admin = make.admin
    booker = make.user(name="张三", phone="13900139000")
    singer = make.user(name="李四", phone="13700137000")
    unit = make.unit(managers=(manager,))
    other_unit = make.unit(managers=(other_manager,))
    venue = make.venue(unit=unit, name="多功能厅", requires_approval=True,
                       max_active_per_user=10)
    courts = make.venue(unit=unit, name="篮球场", kind="sports", capacity=20,
                        max_active_per_user=10)
    other_venue = make.venue(unit=other_unit, name="会议室", requires_approval=True)
    choir = make.organization(members=(singer,))
    b: dict[str, Booking] = {}
    b["waiting"] = make.booking(venue=venue, booker=booker, title="读书会",
                                start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 16),
                                attendees=12, now=NOW - timedelta(days=2))
    b["fresh"] = make.booking(venue=venue, booker=singer, title="合唱排练",
                              start=local(2026, 12, 3, 19), end=local(2026, 12, 3, 21),
                              attendees=25, organization_id=choir.id,
                              now=NOW - timedelta(hours=1))
    b["confirmed"] = make.booking(venue=venue, booker=resident, title="党员学习会",
                                  start=local(2026, 12, 4, 9), end=local(2026, 12, 4, 11),
                                  now=NOW - timedelta(days=1))
    approve_booking(booking=b["confirmed"], actor=manager, now=NOW - timedelta(hours=20))
    b["running"] = make.booking(venue=courts, booker=singer, title="晨练",
                                start=local(2026, 12, 1, 9, 30), end=local(2026, 12, 1, 11),
                                now=NOW - timedelta(days=1))
    b["ended"] = make.booking(venue=courts, booker=resident, title="篮球赛",
                              start=local(2026, 11, 30, 14), end=local(2026, 11, 30, 16),
                              now=NOW - timedelta(days=3))
    # The waiting booker's record: one completed booking, one no-show.
    done = make.booking(venue=courts, booker=booker, title="羽毛球",
                        start=local(2026, 11, 20, 14), end=local(2026, 11, 20, 15),
                        now=local(2026, 11, 19, 9))
    complete_booking(booking=done, now=local(2026, 11, 20, 15))
    missed = make.booking(venue=courts, booker=booker, title="乒乓球",
                          start=local(2026, 11, 22, 14), end=local(2026, 11, 22, 15),
                          now=local(2026, 11, 21, 9))
    mark_no_show(booking=missed, actor=manager, now=local(2026, 11, 22, 16))
    b["foreign"] = make.booking(venue=other_venue, title="别人的会",
                                start=local(2026, 12, 5, 14), end=local(2026, 12, 5, 16),
                                now=NOW - timedelta(hours=3))
    return Scene(manager=manager, other_manager=other_manager, resident=resident, admin=admin,
                 booker=booker, singer=singer, unit=unit, other_unit=other_unit, venue=venue,
                 courts=courts, other_venue=other_venue, choir=choir, bookings=b)


@pytest.fixture
def scene(app, make, clock) -> Scene:
    found = build_scene(make)
    make.commit()
    return found


def sign_in(client, user) -> None:
    if user is not None:
        login(client, user, lang="en")
    else:
        with client.session_transaction() as session:
            session["lang"] = "en"
