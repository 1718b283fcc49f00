"""Account page fixtures: a fixed clock, fresh rate-limit counters, a street of communities."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gongjian.accounts import services as accounts
from gongjian.accounts.models import Community
from gongjian.ratelimit import limiter

from ..conftest import NOW


@pytest.fixture(autouse=True)
def accounts_app(app):
    saved = {key: app.config.get(key) for key in ("CLOCK", "RATE_LIMITS", "RATE_LIMIT_LOGIN")}
    app.config["CLOCK"] = lambda: NOW
    app.config["RATE_LIMITS"] = "on"
    limiter.reset()
    yield app
    app.config.update(saved)
    limiter.reset()


@dataclass
class Places:
    east: Community
    west: Community
    north: Community


@pytest.fixture
def places(app) -> Places:
    """Two streets: 和平街道 with 东风社区 and 光明社区, 新华街道 with 北苑社区."""
    peace = accounts.create_street(name="和平街道")
    xinhua = accounts.create_street(name="新华街道")
    places = Places(east=accounts.create_community(name="东风社区", street=peace),
                    west=accounts.create_community(name="光明社区", street=peace),
                    north=accounts.create_community(name="北苑社区", street=xinhua))
    return places
