"""HTTP done right: content type, strong ETag, Last-Modified, 304 without building the calendar,
HEAD, caching, no compression, short absolute URLs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import SecurityError
from werkzeug.http import http_date

from gongjian.accounts.models import Membership
from gongjian.bookings.models import Booking
from gongjian.bookings.services import cancel_booking
from gongjian.extensions import db
from gongjian.feeds import services as feeds

from .calendars import parse
from .conftest import get, head


@pytest.fixture
def feed_urls(district):
    district.booking()
    district.booking(booker=district.member, day=4, organization_id=district.organization.id)
    urls = {"personal": district.personal_url, "unit": district.unit_url,
            "venue": district.venue_url}
    district.make.commit()
    return urls


def refuse_to_build(*args, **kwargs):
    raise AssertionError("the calendar was built")


@pytest.mark.parametrize("kind", ["personal", "unit", "venue"])
def test_headers_of_a_feed(client, feed_urls, kind, now):
    district_now = now  # every booking was made then
    response = get(client, feed_urls[kind], headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag, weak = response.get_etag()
    assert etag and not weak
    assert response.headers["Last-Modified"] == http_date(response.last_modified)
    assert response.last_modified == district_now
    assert "Content-Encoding" not in response.headers
    assert "no-transform" in response.headers["Cache-Control"]
    private = kind != "venue"
    assert response.headers["Cache-Control"].startswith("private" if private else "public")
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")


@pytest.mark.parametrize("kind", ["personal", "unit", "venue"])
def test_if_none_match_answers_304_without_building_the_calendar(
        client, feed_urls, kind, monkeypatch):
    """The client's copy is current: one aggregate query answers, nothing is built."""
    first = get(client, feed_urls[kind])
    etag = first.headers["ETag"]
    monkeypatch.setattr(feeds, "build_calendar", refuse_to_build)
    again = get(client, feed_urls[kind], headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


@pytest.mark.parametrize("kind", ["personal", "unit", "venue"])
def test_if_modified_since_answers_304_without_building_the_calendar(
        client, feed_urls, kind, monkeypatch):
    last_modified = head(client, feed_urls[kind]).headers["Last-Modified"]
    monkeypatch.setattr(feeds, "build_calendar", refuse_to_build)
    response = get(client, feed_urls[kind], headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304


def test_a_change_gives_a_new_etag_and_last_modified(client, district, feed_urls, clock):
    first = get(client, feed_urls["personal"])
    mine = db.session.scalars(
        sa.select(Booking).where(Booking.booker_id == district.resident.id)).one()
    cancel_booking(booking=mine, actor=district.resident, now=clock.now + timedelta(hours=2))
    district.make.commit()
    for headers in ({"If-None-Match": first.headers["ETag"]},
                    {"If-Modified-Since": first.headers["Last-Modified"]}):
        response = get(client, feed_urls["personal"], headers=headers)
        assert response.status_code == 200
        assert response.headers["ETag"] != first.headers["ETag"]
        assert response.last_modified > first.last_modified


def test_etag_follows_the_window_and_the_30_days(client, district, feed_urls, clock):
    first = get(client, feed_urls["personal"]).headers["ETag"]
    clock.now += timedelta(hours=1)
    assert get(client, feed_urls["personal"]).headers["ETag"] == first
    clock.now += timedelta(days=400)
    assert get(client, feed_urls["personal"]).headers["ETag"] != first


def test_a_stale_etag_does_not_hide_a_change_behind_if_modified_since(client, feed_urls):
    current = get(client, feed_urls["venue"])
    response = get(client, feed_urls["venue"], headers={
        "If-None-Match": '"stale"', "If-Modified-Since": current.headers["Last-Modified"]})
    assert response.status_code == 200


@pytest.mark.parametrize("kind", ["personal", "unit", "venue"])
def test_head_answers_the_headers_of_get(client, feed_urls, kind):
    full = get(client, feed_urls[kind])
    response = head(client, feed_urls[kind])
    assert response.status_code == 200
    assert response.data == b""
    for name in ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Content-Length"):
        assert response.headers[name] == full.headers[name]


def test_head_is_conditional_too(client, feed_urls, monkeypatch):
    etag = head(client, feed_urls["unit"]).headers["ETag"]
    monkeypatch.setattr(feeds, "build_calendar", refuse_to_build)
    assert head(client, feed_urls["unit"], headers={"If-None-Match": etag}).status_code == 304


def test_feed_urls_are_absolute_https_and_short(feed_urls):
    for url in feed_urls.values():
        assert url.startswith("https://gongjian.test/feeds/")
        assert url.endswith(".ics")
        assert len(url) < 256
    token = feed_urls["personal"].rsplit("/", 1)[1].removesuffix(".ics")
    # ≥ 128 bits: 32 base64url characters carry 192.
    assert len(token.split("-", 1)[1]) * 6 >= 128


def test_base_url_setting_wins(app, district, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://gj.example.cn/")
    assert feeds.personal_feed_url(district.resident).startswith(
        "https://gj.example.cn/feeds/me/")


def test_request_host_is_announced_as_https_except_on_loopback(app, district, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    with app.test_request_context("/", base_url="http://gongjian.example.cn"):
        assert feeds.base_url() == "https://gongjian.example.cn"
    with app.test_request_context("/", base_url="http://localhost:5000"):
        assert feeds.base_url() == "http://localhost:5000"
    with app.test_request_context("/", base_url="http://[::1]:5000"):
        assert feeds.base_url() == "http://[::1]:5000"


def test_uids_use_the_base_urls_host(client, app, district, monkeypatch):
    booking = district.booking()
    district.make.commit()
    monkeypatch.setitem(app.config, "BASE_URL", "https://gj.example.cn")
    body = get(client, district.venue_url).data
    assert f"UID:booking-{booking.id}@gj.example.cn".encode() in body
    assert b"URL:https://gj.example.cn/venues/" in body


def test_a_remembered_revision_answers_without_reading_the_bookings(
        client, feed_urls, monkeypatch):
    etag = get(client, feed_urls["personal"]).headers["ETag"]
    monkeypatch.setattr(feeds, "feed_revision", refuse_to_build)
    monkeypatch.setattr(feeds, "build_calendar", refuse_to_build)
    response = get(client, feed_urls["personal"], headers={"If-None-Match": etag})
    assert response.status_code == 304


def _join_a_choir_unaudited(client, district, make):
    """Joining an organization writes no audit event."""
    choir = make.organization(members=(district.member,))
    joined = district.booking(booker=district.member, organization_id=choir.id, day=8)
    url = district.personal_url
    make.commit()
    before = get(client, url)
    assert not parse(before.data).has(joined.id)
    db.session.add(Membership(user_id=district.resident.id, organization_id=choir.id))
    make.commit()
    return url, joined, before.headers["ETag"]


def test_unaudited_changes_reach_conditional_requests_within_the_memos_lifetime(
        client, district, make, clock):
    url, joined, old_etag = _join_a_choir_unaudited(client, district, make)
    assert get(client, url, headers={"If-None-Match": old_etag}).status_code == 304
    clock.now += feeds.REVISION_TTL
    response = get(client, url, headers={"If-None-Match": old_etag})
    assert response.status_code == 200
    assert parse(response.data).has(joined.id)


def test_a_full_fetch_carries_the_revision_read_now(client, district, make):
    url, joined, old_etag = _join_a_choir_unaudited(client, district, make)
    response = get(client, url)
    assert parse(response.data).has(joined.id)
    assert response.headers["ETag"] != old_etag
    assert get(client, url, headers={"If-None-Match": old_etag}).status_code == 200


def test_an_untrusted_host_is_never_announced(app, district, monkeypatch):
    """Absolute URLs come from the request's host only when it is a trusted one."""
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["gongjian.test"])
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    with app.test_request_context("/", headers={"Host": "gongjian.test"}):
        assert feeds.venue_feed_url(1) == "https://gongjian.test/feeds/venues/1.ics"
    with app.test_request_context("/", headers={"Host": "evil.example"}), pytest.raises(
            SecurityError):
        feeds.venue_feed_url(1)


def test_venue_pages_get_the_venue_feeds_links(app, district):
    with app.test_request_context("/"):
        links = app.jinja_env.globals["venue_feed_links"](district.venue.id)
    assert links["https"] == f"https://gongjian.test/feeds/venues/{district.venue.id}.ics"
    assert links["webcal"] == f"webcal://gongjian.test/feeds/venues/{district.venue.id}.ics"
    assert links["qr"].startswith("<svg")
