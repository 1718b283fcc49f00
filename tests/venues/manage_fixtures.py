"""Shared pieces of the venue console's tests (tests/venues/test_manage_*.py, test_photos.py):
the people of the authorization matrix, a complete venue form, images made on the fly."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ..conftest import NOW
from ..pages import login


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@pytest.fixture
def photo_dir(app, tmp_path):
    previous = app.config.get("PHOTO_DIR")
    folder = tmp_path / "photos"  # not there yet: the first upload makes it
    app.config["PHOTO_DIR"] = str(folder)
    yield folder
    app.config["PHOTO_DIR"] = previous


class People:
    """A unit with its manager and a venue, another unit with its own, a resident, an admin."""

    def __init__(self, make) -> None:
        self.manager = make.user(name="联络员")
        self.other_manager = make.user(name="别的联络员")
        self.resident = make.user(name="居民")
        self.admin = make.admin
        self.unit = make.unit(managers=(self.manager,))
        self.other_unit = make.unit(managers=(self.other_manager,))
        self.venue = make.venue(unit=self.unit, name="多功能厅")
        self.other_venue = make.venue(unit=self.other_unit, name="篮球场", kind="sports")


@pytest.fixture
def people(make, clock, photo_dir) -> People:
    found = People(make)
    make.commit()
    return found


def sign_in(client, user) -> None:
    if user is not None:
        login(client, user, lang="en")
    else:
        with client.session_transaction() as session:
            session["lang"] = "en"


# A complete, valid venue form as the page posts it (checkboxes absent mean "off").
VENUE_FORM = {
    "name": "舞蹈室", "kind": "activity", "sport": "", "capacity": "25",
    "equipment": "镜子, 音响", "address": "和平路2号", "floor": "2F",
    "description": "明亮", "booking_notes": "请穿软底鞋", "timezone": "Asia/Shanghai",
    "audience": "both", "slot_minutes": "30", "min_duration_minutes": "30",
    "max_duration_minutes": "240", "buffer_minutes": "0", "min_notice_minutes": "60",
    "max_advance_days": "14", "cancel_deadline_minutes": "120", "max_series_days": "182",
    "max_active_per_user": "3", "max_active_per_org": "10",
}


def venue_form(**changes) -> dict[str, str]:
    data = {**VENUE_FORM, **changes}
    return {name: value for name, value in data.items() if value is not None}


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), *, mode: str = "RGB",
                color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()
