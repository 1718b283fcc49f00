"""Personal feed of 5,000 events: our render time against icalendar's own floor, and the 304.

    .venv/bin/python bench/feeds.py [--events 5000] [--runs 7] [--database-url URL]

- render: GET /feeds/me/<token>.ics end to end (token, revision query, bookings query, texts,
  VTIMEZONE, serialization, response);
- floor: icalendar alone building and serializing the same events from values already in
  memory (the same bytes, checked);
- 304: the same GET with If-None-Match, as a client polling an unchanged feed sends it, and
  the first such GET after a change (the revision then comes from the aggregate query).
Targets: render ÷ floor ≤ 1.5, 304 under 5 ms. The database is a fresh SQLite file in bench/
unless --database-url names an empty PostgreSQL database (its schema is replaced).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from icalendar import Calendar, Event  # noqa: E402

from gongjian import create_app  # noqa: E402
from gongjian.accounts.models import (  # noqa: E402
    Community,
    Membership,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Street,
    Unit,
    UnitType,
    User,
)
from gongjian.bookings.models import Booking, BookingStatus  # noqa: E402
from gongjian.extensions import db  # noqa: E402
from gongjian.feeds import ics  # noqa: E402
from gongjian.feeds import services as feeds  # noqa: E402
from gongjian.venues.models import Venue, VenueKind  # noqa: E402

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
VENUES = 10


def seed(events: int) -> User:
    """One user in one organization; `events` bookings of theirs (a third for the organization,
    booked by someone else) spread over the feed's window in every shown status."""
    street = Street(name="和平街道")
    community = Community(name="东风社区", street=street)
    unit = Unit(name="区图书馆", type=UnitType.PUBLIC_INSTITUTION, community=community,
                address="和平路1号")
    venues = [Venue(unit=unit, name=f"多功能厅{i}", kind=VenueKind.MEETING_ROOM, capacity=40,
                    address="和平路1号", floor=f"{i}楼", created_at=NOW - timedelta(days=400))
              for i in range(VENUES)]
    user = User(email="bench@example.cn", name="张三", password_hash="-", created_at=NOW)
    friend = User(email="friend@example.cn", name="李四", password_hash="-", created_at=NOW)
    org = Organization(name="老年合唱团", kind=OrganizationKind.SOCIAL_ORG, community=community,
                       status=OrganizationStatus.APPROVED, created_at=NOW)
    db.session.add_all([unit, *venues, user, friend, org,
                        Membership(user=user, organization=org),
                        Membership(user=friend, organization=org)])
    db.session.flush()
    start, end = feeds.feed_window(NOW)
    step = (end - start - timedelta(hours=3)) / events
    rows = []
    for i in range(events):
        begins = (start + step * i).replace(minute=0, second=0, microsecond=0)
        org_booking = i % 3 == 0
        if begins + timedelta(hours=2) < NOW:
            status = BookingStatus.COMPLETED
        elif i % 10 == 1:
            status = BookingStatus.PENDING
        elif i % 25 == 2 and begins < NOW + timedelta(days=20):
            status = BookingStatus.CANCELLED
        else:
            status = BookingStatus.CONFIRMED
        changed = min(begins, NOW) - timedelta(days=1)
        rows.append({
            "venue_id": venues[i % VENUES].id,
            "booker_id": friend.id if org_booking else user.id,
            "organization_id": org.id if org_booking else None,
            "title": "社区合唱团排练" if org_booking else f"党员学习会 第{i}期",
            "attendees": 5 + i % 30, "start_at": begins, "end_at": begins + timedelta(hours=2),
            "status": status, "created_at": changed - timedelta(days=3), "updated_at": changed,
            "cancelled_at": changed if status == BookingStatus.CANCELLED else None,
            "reason": "临时有事" if status == BookingStatus.CANCELLED else "",
            "revision": i % 4, "reminders_sent": [],
        })
    db.session.execute(sa.insert(Booking), rows)
    db.session.commit()
    return user


def floor_events(bookings: list[Booking], info: ics.CalendarInfo):
    """Every property value the feed carries, computed ahead: what icalendar is handed."""
    texts = ics.Texts()
    values = []
    for booking in bookings:
        zone = ics.zone_for(booking.venue.timezone)
        summary, description = ics._private_text(booking, info.view, texts, info.links)
        values.append((
            info.links.uid(booking.id), booking.updated_at, booking.start_at.astimezone(zone),
            booking.end_at.astimezone(zone), summary, description, info.links.booking(booking.id),
            ics.location(booking), ics.ICS_STATUS[booking.status], booking.revision,
            booking.created_at,
        ))
    return values


def build_floor(values, info: ics.CalendarInfo, zone) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", ics.PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.calendar_name = info.name
    calendar.add("x-wr-timezone", info.timezone)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(zone)
    for (uid, stamp, start, end, summary, description, url, location, status, sequence,
         created) in values:
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", summary)
        event.add("description", description)
        event.add("url", url)
        event.add("location", location)
        event.add("status", status)
        event.add("sequence", sequence)
        event.add("created", created)
        event.add("last-modified", stamp)
        calendar.add_component(event)
    return calendar.to_ical()


@dataclass
class Timing:
    """Wall-clock and this process's CPU seconds of each run. On a shared machine the CPU time
    is the steadier figure; with PostgreSQL it leaves out the server's share."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, function):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)
        return result

    def median(self, which: str = "wall") -> float:
        return statistics.median(getattr(self, which))

    def ms(self) -> str:
        return f"{self.median() * 1000:8.2f} ms wall {self.median('cpu') * 1000:8.2f} ms cpu"


def timed(function, runs: int) -> tuple[Timing, object]:
    timing, result = Timing(), None
    for _ in range(runs):
        result = timing.run(function)
    return timing, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as scratch:
        url = args.database_url or f"sqlite:///{scratch}/feeds.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "SERVER_NAME": "gongjian.test", "CLOCK": lambda: NOW})
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade(directory=str(ROOT / "migrations"))
            user = seed(args.events)
            feed_url = feeds.personal_feed_url(user)
            db.session.commit()
            path = feed_url.split("gongjian.test", 1)[1]
            client = app.test_client()

            def get(**headers):
                response = client.get(path, headers=headers)
                db.session.remove()  # each request starts cold, as in production
                return response

            response = get()
            assert response.status_code == 200
            body = response.data
            with app.test_request_context():
                feed = feeds.personal_feed(user, now=NOW, links=ics.Links(feeds.base_url()),
                                           locale="zh")
                bookings = feeds.feed_bookings(feed)
                values = floor_events(bookings, feed.info)
                zone = ics.vtimezone("Asia/Shanghai", bookings[0].start_at.year,
                                     bookings[-1].end_at.year)
                assert build_floor(values, feed.info, zone) == body, (
                    "the floor must build the very same calendar")
                db.session.remove()

                # Alternate the two, so that a busy machine slows both alike.
                render, floor = Timing(), Timing()
                for _ in range(args.runs):
                    render.run(get)
                    floor.run(lambda: build_floor(values, feed.info, zone))

            etag = get().headers["ETag"]
            not_modified, response = timed(lambda: get(**{"If-None-Match": etag}), 200)
            assert response.status_code == 304

            def cold_304():
                feeds.REVISIONS.clear()  # as after a change: the aggregate query answers
                return get(**{"If-None-Match": etag})

            cold, response = timed(cold_304, 50)
            assert response.status_code == 304
            dialect = db.engine.dialect.name

    events = body.count(b"BEGIN:VEVENT")
    print(f"personal feed: {events} events, {len(body) / 1e6:.2f} MB, {dialect}, "
          f"median of {args.runs} runs")
    print(f"render (GET, end to end)      {render.ms()}")
    print(f"floor (icalendar alone)       {floor.ms()}")
    print(f"ratio render / floor          {render.median() / floor.median():8.2f}    wall "
          f"{render.median('cpu') / floor.median('cpu'):8.2f}    cpu   (target ≤ 1.5)")
    print(f"304 (If-None-Match), of 200   {not_modified.ms()}   (target < 5 ms)")
    print(f"304 after a change, of 50     {cold.ms()}   (revision from the bookings)")


if __name__ == "__main__":
    main()
