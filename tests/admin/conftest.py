"""District console fixtures: a fixed clock, a street with two communities, the four roles."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gongjian.accounts import services as accounts
from gongjian.accounts.models import Community, Street, Unit, User
from gongjian.ratelimit import limiter

from ..conftest import NOW
from ..pages import set_language


def _in_browser(request) -> bool:
    """The browser story runs on its own live app, not on the `app` of the other tests."""
    return "live_app" in request.fixturenames


@pytest.fixture(autouse=True)
def admin_app(request, tmp_path):
    if _in_browser(request):
        yield None
        return
    app = request.getfixturevalue("app")
    saved = {key: app.config.get(key) for key in ("CLOCK", "AGREEMENT_DIR", "SMTP_HOST")}
    app.config["CLOCK"] = lambda: NOW
    app.config["AGREEMENT_DIR"] = str(tmp_path / "agreements")
    app.config["SMTP_HOST"] = None
    limiter.reset()
    yield app
    app.config.update(saved)


@pytest.fixture(autouse=True)
def english(request):
    """Pages in English (the msgids), for visitors too; `login` sets it for users."""
    if not _in_browser(request):
        set_language(request.getfixturevalue("client"), "en")


@dataclass
class District:
    street: Street
    east: Community
    west: Community
    unit: Unit
    other_unit: Unit
    admin: User
    manager: User
    other_manager: User
    resident: User


@pytest.fixture
def district(app, make) -> District:
    """和平街道 with 东风社区 and 光明社区; 区图书馆 (managed by 李) and 和平中学 (by 赵)."""
    street = accounts.create_street(name="和平街道")
    east = accounts.create_community(name="东风社区", street=street)
    west = accounts.create_community(name="光明社区", street=street)
    manager = make.user(name="李", email="li@example.cn")
    other_manager = make.user(name="赵", email="zhao@example.cn")
    unit = accounts.create_unit(name="区图书馆", type="public_institution", community=east,
                                address="和平路1号")
    other_unit = accounts.create_unit(name="和平中学", type="school", community=west)
    accounts.assign_manager(unit=unit, user=manager)
    accounts.assign_manager(unit=other_unit, user=other_manager)
    district = District(street=street, east=east, west=west, unit=unit, other_unit=other_unit,
                        admin=make.user(name="街道管理员", is_admin=True,
                                        email="admin@example.cn"),
                        manager=manager, other_manager=other_manager,
                        resident=make.user(name="王", email="wang@example.cn"))
    make.commit()
    return district
