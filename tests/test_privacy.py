"""Another resident's booking titles and names never reach a resident or a visitor (issue 4).

A crawler follows every same-site link a visitor and a resident can reach from the home page
(plus the calendar JSON of each venue page and the public feeds), and no answer may contain
the other resident's name, e-mail, phone or the titles of their bookings — pending, confirmed,
cancelled or organization bookings alike.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from gongjian.bookings.services import cancel_booking

from .conftest import NOW
from .factories import local
from .pages import login

SECRETS = ("秘密会议甲", "秘密会议乙", "秘密团体活动", "赵隐私", "zhao.private@example.cn",
           "13912345678")
SKIP = re.compile(r"^/(static|logout)|\.(xlsx|csv)$|/feeds/(me|units)/|/api/docs")


@pytest.fixture
def clock(app):
    previous = app.config.get("CLOCK")
    app.config["CLOCK"] = lambda: NOW
    yield
    app.config["CLOCK"] = previous


@pytest.fixture
def district(app, make, clock):
    """Zhao books three things at two venues (one for an organization Wang is not in); Wang
    is a resident with a booking of her own."""
    zhao = make.user(name="赵隐私", email="zhao.private@example.cn", phone="13912345678")
    zhao.name = "赵隐私"
    wang = make.user(name="王")
    hall, court = make.venue(name="礼堂"), make.venue(name="球场", kind="sports")
    choir = make.organization(members=(zhao,))
    make.booking(venue=hall, booker=zhao, start=local(2026, 12, 3, 9), end=local(2026, 12, 3, 10),
                 title="秘密会议甲")
    cancelled = make.booking(venue=court, booker=zhao, start=local(2026, 12, 4, 9),
                             end=local(2026, 12, 4, 10), title="秘密会议乙")
    cancel_booking(booking=cancelled, actor=zhao, now=NOW)
    make.booking(venue=court, booker=zhao, start=local(2026, 12, 5, 9), end=local(2026, 12, 5, 10),
                 title="秘密团体活动", organization_id=choir.id)
    make.booking(venue=hall, booker=wang, start=local(2026, 12, 3, 14),
                 end=local(2026, 12, 3, 15), title="王的读书会")
    make.organization(members=(wang,))  # she belongs to an organization of her own
    make.commit()
    return {"wang": wang, "venues": [hall.id, court.id]}


def crawl(client, venue_ids) -> dict[str, str]:
    """Every page reachable by GET from the home page, and each venue's calendar JSON."""
    seen: dict[str, str] = {}
    queue = deque(["/", "/openness", "/openness.json", "/feeds"])
    for venue_id in venue_ids:
        queue.extend([f"/api/v1/venues/{venue_id}/availability?from=2026-11-30&to=2026-12-13",
                      f"/feeds/venues/{venue_id}.ics", f"/api/v1/venues/{venue_id}",
                      "/api/v1/bookings?scope=mine", "/api/v1/venues"])
    while queue and len(seen) < 250:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        body = response.get_data(as_text=True)
        seen[url] = body
        if "html" not in (response.content_type or ""):
            continue
        for href in re.findall(r'href="([^"#]+)', body):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or SKIP.search(parts.path) or "lang=" in parts.query:
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in seen:
                queue.append(path)
    return seen


def leaks(pages: dict[str, str]) -> list[tuple[str, str]]:
    return [(url, secret) for url, body in pages.items() for secret in SECRETS if secret in body]


def test_a_visitor_never_sees_another_residents_bookings_or_details(app, client, district):
    pages = crawl(client, district["venues"])
    assert len(pages) > 10
    assert any(url.startswith("/venues/") for url in pages)
    assert leaks(pages) == []


def test_a_resident_never_sees_another_residents_bookings_or_details(app, client, district):
    login(client, district["wang"], lang="en")
    pages = crawl(client, district["venues"])
    assert any(url.startswith("/me/bookings/") for url in pages)  # her own booking's page
    assert "王的读书会" in "".join(pages.values())                  # she sees her own title
    assert leaks(pages) == []
