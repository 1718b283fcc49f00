"""Factories: real rows through the real services, with sensible defaults."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from werkzeug.security import generate_password_hash

from gongjian.accounts import services as accounts
from gongjian.accounts.models import OrganizationKind, UnitType, User
from gongjian.bookings.services import create_booking
from gongjian.extensions import db
from gongjian.venues import services as venues
from gongjian.venues.services import Window

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Users made without an explicit password share this one: "correct-horse".
DEFAULT_PASSWORD = "correct-horse"
FAST_HASH = generate_password_hash(DEFAULT_PASSWORD, method="pbkdf2:sha256:1000")
_serial = count(1)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          zone: ZoneInfo = SHANGHAI) -> datetime:
    """An aware instant from a wall-clock time in a zone (Shanghai by default)."""
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class Factory:
    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self._admin: User | None = None

    @property
    def admin(self) -> User:
        if self._admin is None:
            self._admin = self.user(name="街道管理员", is_admin=True)
        return self._admin

    def user(self, *, name: str = "居民", is_admin: bool = False, email: str | None = None,
             password: str | None = None, **extra) -> User:
        """A user; with a password, through the real service (slow scrypt), else a fast row."""
        n = next(_serial)
        email = email or f"user{n}@example.cn"
        if password is not None:
            return accounts.create_user(email=email, password=password, name=f"{name}{n}",
                                        now=self.now, is_admin=is_admin, **extra)
        user = User(email=email, name=f"{name}{n}", password_hash=FAST_HASH, is_admin=is_admin,
                    created_at=self.now, **extra)
        db.session.add(user)
        db.session.flush()
        return user

    def community(self):
        street = accounts.create_street(name=f"和平街道{next(_serial)}")
        return accounts.create_community(name="东风社区", street=street)

    def unit(self, *, community=None, managers: tuple[User, ...] = ()):
        unit = accounts.create_unit(name=f"区图书馆{next(_serial)}",
                                    type=UnitType.PUBLIC_INSTITUTION,
                                    community=community or self.community(), address="和平路1号")
        for manager in managers:
            accounts.assign_manager(unit=unit, user=manager)
        return unit

    def venue(self, *, unit=None, hours: list[tuple[int, str, str]] | None = None,
              valid_from: date = date(2026, 1, 1), **settings):
        """A venue open 08:00–22:00 every day unless `hours` [(weekday, "HH:MM", "HH:MM")]."""
        unit = unit or self.unit()
        settings.setdefault("name", f"多功能厅{next(_serial)}")
        settings.setdefault("kind", "meeting_room")
        settings.setdefault("capacity", 40)
        venue = venues.create_venue(unit=unit, actor=self.admin, now=self.now - timedelta(days=400),
                                    **settings)
        windows = [(d, "08:00", "22:00") for d in range(7)] if hours is None else hours
        venues.set_opening_hours(
            venue=venue, actor=self.admin, now=self.now,
            windows=[Window(d, hm(s), hm(e), valid_from) for d, s, e in windows],
        )
        return venue

    def organization(self, *, members: tuple[User, ...] = (), approved: bool = True):
        founder = members[0] if members else self.user(name="组织者")
        org = accounts.create_organization(name=f"老年合唱团{next(_serial)}",
                                           kind=OrganizationKind.SOCIAL_ORG,
                                           community=self.community(), founder=founder,
                                           now=self.now)
        for member in members[1:]:
            accounts.add_member(organization=org, user=member)
        if approved:
            accounts.approve_organization(organization=org, now=self.now)
        return org

    def booking(self, *, venue, booker=None, start: datetime, end: datetime,
                title: str = "党员学习会", attendees: int = 10, organization_id=None,
                now: datetime | None = None):
        return create_booking(venue_id=venue.id, booker=booker or self.user(), start=start,
                              end=end, title=title, attendees=attendees,
                              organization_id=organization_id, now=now or self.now)

    def commit(self) -> None:
        db.session.commit()
