"""Booking engine benchmark: the services beside their floor, at 10,000 and 1,000,000 bookings.

Fills a database with 1,000 venues and N bookings and prints the median time of

  (a) create        one booking through ``bookings.services.create_booking`` with every rule
                    checked, committed in its own transaction (the request's work: load the
                    booker, create, commit, end the session);
  (b) availability  a month of one venue through ``bookings.availability.venue_availability``
                    (load the venue, compute open/busy/free, end the session);

each beside its *floor*: the same statements' semantics written by hand on the raw driver
(sqlite3 / psycopg) in one transaction, with the same Python interval arithmetic
(``gongjian.venues.intervals``). The ratio service/floor is the price of the ORM and the
service layer; the ratio largest/smallest size shows whether that price grows with the table.

    .venv/bin/python bench/booking_engine.py                                   # SQLite
    .venv/bin/python bench/booking_engine.py postgresql+psycopg://postgres@127.0.0.1/gj_bench
    options: --sizes 10000,1000000  --repeat 200  --warmup 20  --profile  --check

Targets (the issue): create ≤ 10× its floor, availability ≤ 5× its floor, and the largest
size's service medians within 1.5× of the smallest size's.

The data. 1,000 venues of 200 units (two managers each), all open 08:00–22:00 every day;
5,000 bookers; 100 organizations. Every tenth venue is busy. The *live* schedule — 10,000
bookings from 24 November 2026 to 7 January 2027 around the fixed clock (Tuesday 1 December
2026, 10:00 in Shanghai) — is the same at every size: two bookings a day at each busy venue,
one or two in all at each quiet one, plus a morning closure in December at each busy venue.
What grows with the size is history: the remaining N − 10,000 bookings lie one a day at each
venue in the years before (mostly completed, some cancelled, no-shows, rejected, expired), so
the benchmarked requests see the same neighbourhood at every size and only the table grows.
Rows are inserted in time order, as a real table fills (the bulk load sets the bookings
table's indexes, triggers and constraints aside and rebuilds them from their own DDL).

Each size has its own database, built by the real migrations: SQLite files
bench/booking_engine-<size>.db (gitignored), or for a PostgreSQL URL ending in /gj_bench the
databases gj_bench_<size> (created when missing, public schema dropped and rebuilt). All sizes
are filled first and then measured in alternating rounds, so a shared machine's changing load
falls on every size alike; within a round, service and floor calls alternate one by one.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from gongjian import create_app  # noqa: E402
from gongjian.accounts.models import (  # noqa: E402
    Community,
    Organization,
    Street,
    Unit,
    User,
    unit_managers,
)
from gongjian.bookings.availability import venue_availability  # noqa: E402
from gongjian.bookings.services import LONGEST_BOOKING, create_booking  # noqa: E402
from gongjian.errors import DomainError  # noqa: E402
from gongjian.extensions import db  # noqa: E402
from gongjian.venues.intervals import (  # noqa: E402
    covers,
    local_dates,
    local_instant,
    merge,
    minutes_since_local_midnight,
    subtract,
)
from gongjian.venues.models import Closure, OpeningHours, Venue  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 1 December 2026, 10:00 in Shanghai
MONTH_START = datetime(2026, 12, 1, tzinfo=ZONE)
MONTH_END = datetime(2027, 1, 1, tzinfo=ZONE)
CREATE_DAYS = [date(2026, 12, 1) + timedelta(days=i) for i in range(15)]

STREETS, COMMUNITIES, UNITS, VENUES = 2, 20, 200, 1000
MANAGERS_PER_UNIT, BOOKERS, ORGANIZATIONS = 2, 5000, 100
BUSY_EVERY = 10
OPENS, CLOSES = 8 * 60, 22 * 60
LIVE_FIRST, LIVE_DAYS, LIVE_BOOKINGS = date(2026, 11, 24), 45, 10_000
HISTORY_FILL = 0.9  # history bookings per venue per day
ACTIVE = ("pending", "confirmed")
TITLES = ("篮球友谊赛", "读书会", "党员活动日", "舞蹈排练", "社区议事会", "羽毛球训练",
          "亲子手工课", "志愿者培训", "书法班", "老年合唱团排练")
TARGETS = {"create": 10.0, "availability": 5.0}
GROWTH_TARGET = 1.5
BOOKING_COLUMNS = (
    "venue_id", "booker_id", "organization_id", "title", "attendees", "start_at", "end_at",
    "status", "created_at", "updated_at", "cancelled_at", "cancelled_by_id", "late_cancellation",
    "checked_in_at", "reason", "rating", "rating_comment", "rated_at", "revision",
    "reminders_sent",
)


def is_busy(venue_id: int) -> bool:
    return venue_id % BUSY_EVERY == 1


# The data ------------------------------------------------------------------------------------


@dataclass
class World:
    """What the benchmark needs to know about the filled database."""

    booker_ids: list[int]
    taken: dict[int, list[tuple[datetime, datetime]]]  # venue → active bookings and closures
    active_counts: Counter  # (booker, venue) → active bookings not yet ended


def minute_of(instant: datetime) -> int:
    """An aware instant as whole UTC minutes since 0001-01-01 (the generator's fast clock)."""
    utc = instant.astimezone(UTC)
    return utc.toordinal() * 1440 + utc.hour * 60 + utc.minute


def instant_of(minute: int) -> datetime:
    return FIRST_INSTANT + timedelta(minutes=minute - 1440)


FIRST_INSTANT = datetime.min.replace(tzinfo=UTC)

NOW_MINUTE = minute_of(NOW)
CLOCK = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)]


class Rows:
    """Booking rows as tuples in BOOKING_COLUMNS order, instants as UTC text.

    A million rows are made in seconds: instants are integer minutes, formatted from tables.
    """

    def __init__(self, suffix: str, booker_ids: list[int], org_ids: list[int]) -> None:
        self.suffix = suffix
        self.booker_ids = booker_ids
        self.org_ids = org_ids
        self.rows: list[tuple] = []
        self.active_counts: Counter = Counter()
        self._days: dict[int, str] = {}
        self._midnights: dict[date, int] = {}

    def text(self, minute: int) -> str:
        ordinal, clock = divmod(minute, 1440)
        day = self._days.get(ordinal)
        if day is None:
            day = self._days[ordinal] = date.fromordinal(ordinal).isoformat() + " "
        return day + CLOCK[clock] + self.suffix

    def local(self, day: date, minute: int) -> int:
        midnight = self._midnights.get(day)
        if midnight is None:
            midnight = self._midnights[day] = minute_of(local_instant(day, 0, ZONE))
        return midnight + minute

    def add(self, rng: random.Random, venue_id: int, day: date, start_min: int, end_min: int,
            status: str | None = None) -> tuple[int, int]:
        r = rng.random
        start, end = self.local(day, start_min), self.local(day, end_min)
        if status is None:
            status = _status(r(), start, end)
        booker = self.booker_ids[int(r() * len(self.booker_ids))]
        org = self.org_ids[int(r() * len(self.org_ids))] if r() < 0.1 else None
        created = start - 60 * (2 + int(r() * 14 * 24))
        if created > NOW_MINUTE:
            created = NOW_MINUTE - 1 - int(r() * 10_000)
        updated, cancelled_at, cancelled_by, checked_in, rating, rated_at = (
            created, None, None, None, None, None)
        reason, revision = "", 0
        if status == "cancelled":
            cancelled_at = updated = created + (start - created) // 2
            cancelled_by, reason, revision = booker, CANCEL_REASONS[int(r() * 3)], 1
        elif status == "completed":
            updated, revision = end, 1
            if r() < 0.5:
                checked_in = start + 5
            if r() < 0.3:
                rating, rated_at = 3 + int(r() * 3), end + 60
        elif status in ("no_show", "expired", "rejected"):
            updated, revision = (end if status == "no_show" else start), 1
        if status in ACTIVE and end > NOW_MINUTE:
            self.active_counts[(booker, venue_id)] += 1
        t = self.text
        self.rows.append((
            venue_id, booker, org, TITLES[int(r() * len(TITLES))], 1 + int(r() * 20), t(start),
            t(end), status, t(created), t(updated), cancelled_at and t(cancelled_at),
            cancelled_by, 0, checked_in and t(checked_in), reason, rating, "",
            rated_at and t(rated_at), revision, "[]",
        ))
        return start, end


CANCEL_REASONS = ("时间冲突", "活动取消", "")
LENGTHS = (60, 90, 120, 120, 180)


def _status(r: float, start: int, end: int) -> str:
    if end <= NOW_MINUTE:
        return ("completed" if r < 0.82 else "cancelled" if r < 0.93 else "no_show" if r < 0.96
                else "expired" if r < 0.98 else "rejected")
    if start < NOW_MINUTE:
        return "confirmed"
    return "confirmed" if r < 0.85 else "pending" if r < 0.90 else "cancelled"


def _slot(rng: random.Random, earliest: int, latest_start: int, latest_end: int):
    """A start on the half-hour grid in [earliest, latest_start] and a usual length."""
    start = earliest + 30 * int(rng.random() * ((latest_start - earliest) // 30 + 1))
    return start, min(start + LENGTHS[int(rng.random() * len(LENGTHS))], latest_end)


def live_schedule(rows: Rows, closures: list[dict], taken: dict) -> None:
    """The 10,000 bookings around now, the same at every size."""
    rng = random.Random(1)
    december_closure = {v: date(2026, 12, rng.randint(2, 30))
                        for v in range(1, VENUES + 1) if is_busy(v)}
    for v, day in december_closure.items():
        start, end = local_instant(day, OPENS, ZONE), local_instant(day, 12 * 60, ZONE)
        closures.append(_closure(v, start, end, "maintenance", "设备检修"))
        taken[v].append((start, end))

    def add(v: int, day: date, slot: tuple[int, int], status: str | None = None) -> None:
        start, end = rows.add(rng, v, day, *slot, status)
        if rows.rows[-1][7] in ACTIVE:
            taken[v].append((instant_of(start), instant_of(end)))

    for d in range(LIVE_DAYS):
        day = LIVE_FIRST + timedelta(days=d)
        for v in range(1, VENUES + 1, BUSY_EVERY):
            # A morning booking on the closure's day was cancelled by the closure.
            add(v, day, _slot(rng, OPENS, 12 * 60, 15 * 60),
                "cancelled" if december_closure[v] == day else None)
            add(v, day, _slot(rng, 15 * 60, 19 * 60, CLOSES))
    quiet = [v for v in range(1, VENUES + 1) if not is_busy(v)]
    for i in range(LIVE_BOOKINGS - len(rows.rows)):
        # A second booking at a quiet venue falls in the other half of the window: no overlap.
        second = i >= len(quiet)
        day = LIVE_FIRST + timedelta(days=rng.randrange(0, 22) + (23 if second else 0))
        add(quiet[i % len(quiet)], day, _slot(rng, OPENS, 20 * 60, CLOSES))


def history(rows: Rows, count: int) -> None:
    """`count` past bookings, at most one a day at each venue, before the live schedule."""
    rng = random.Random(2)
    per_venue, extra = divmod(count, VENUES)
    span = max(math.ceil((per_venue + 1) / HISTORY_FILL), 1)
    first = LIVE_FIRST - timedelta(days=span)
    days = [first + timedelta(days=i) for i in range(span)]
    for v in range(1, VENUES + 1):
        for offset in sorted(rng.sample(range(span), per_venue + (v <= extra))):
            rows.add(rng, v, days[offset], *_slot(rng, OPENS, 20 * 60, CLOSES))


def _closure(venue_id: int, start: datetime, end: datetime, reason: str, note: str) -> dict:
    return {"venue_id": venue_id, "start_at": start, "end_at": end, "reason": reason,
            "note": note, "created_by_id": None, "created_at": start - timedelta(days=7)}


def fill(app, backend: Backend, size: int) -> tuple[World, dict[str, float]]:
    """Everything but the bookings through SQLAlchemy Core; the bookings on the raw driver."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    created = NOW - timedelta(days=1500)
    password_hash = generate_password_hash("bench-password", method="pbkdf2:sha256:1000")
    with app.app_context():
        session = db.session
        session.execute(sa.insert(Street), [
            {"name": f"街道{i}", "created_at": created} for i in range(STREETS)])
        street_ids = session.scalars(sa.select(Street.id).order_by(Street.id)).all()
        session.execute(sa.insert(Community), [
            {"name": f"社区{i}", "street_id": street_ids[i % STREETS], "created_at": created}
            for i in range(COMMUNITIES)])
        community_ids = session.scalars(sa.select(Community.id).order_by(Community.id)).all()
        session.execute(sa.insert(Unit), [
            {"name": f"单位{i}", "type": "public_institution",
             "community_id": community_ids[i % COMMUNITIES], "address": "和平路1号",
             "contact_name": "", "contact_phone": "", "description": "", "active": True,
             "created_at": created} for i in range(UNITS)])
        unit_ids = session.scalars(sa.select(Unit.id).order_by(Unit.id)).all()

        def user(email: str, name: str, i: int) -> dict:
            return {"email": email, "name": name, "phone": "", "password_hash": password_hash,
                    "community_id": community_ids[i % COMMUNITIES], "is_admin": False,
                    "locale": None, "suspended": False, "suspension_reason": "",
                    "suspended_until": None, "no_show_suspended_at": None, "created_at": created}

        managers = UNITS * MANAGERS_PER_UNIT
        session.execute(sa.insert(User), [
            user(f"manager{i}@bench.cn", f"管理员{i}", i) for i in range(managers)])
        session.execute(sa.insert(User), [
            user(f"booker{i}@bench.cn", f"居民{i}", i) for i in range(BOOKERS)])
        manager_ids = session.scalars(
            sa.select(User.id).where(User.email.like("manager%")).order_by(User.id)).all()
        booker_ids = session.scalars(
            sa.select(User.id).where(User.email.like("booker%")).order_by(User.id)).all()
        session.execute(sa.insert(unit_managers), [
            {"user_id": manager_ids[i], "unit_id": unit_ids[i // MANAGERS_PER_UNIT]}
            for i in range(managers)])
        session.execute(sa.insert(Organization), [
            {"name": f"组织{i}", "kind": "social_org", "community_id": community_ids[i % 20],
             "status": "approved", "description": "", "created_by_id": booker_ids[i],
             "approved_at": created, "created_at": created} for i in range(ORGANIZATIONS)])
        org_ids = session.scalars(sa.select(Organization.id).order_by(Organization.id)).all()
        rng = random.Random(0)
        session.execute(sa.insert(Venue), [
            {"unit_id": unit_ids[i // (VENUES // UNITS)], "name": f"多功能厅{i + 1}",
             "kind": "sports" if i % 3 else "meeting_room", "sport": "", "capacity":
             rng.randint(20, 200), "equipment": ["投影仪"], "address": "和平路1号", "floor": "1",
             "step_free": True, "accessible_toilet": False, "description": "场地介绍" * 20,
             "booking_notes": "", "timezone": "Asia/Shanghai", "audience": "both",
             "slot_minutes": 30, "min_duration_minutes": 30, "max_duration_minutes": 240,
             "min_notice_minutes": 60, "max_advance_days": 14, "max_active_per_user": 3,
             "max_active_per_org": 10, "buffer_minutes": 0,
             "requires_approval": i % 10 == 5, "requires_check_in": False,
             "cancel_deadline_minutes": 120, "max_series_days": 182, "created_at": created,
             "archived_at": None} for i in range(VENUES)])
        venue_ids = session.scalars(sa.select(Venue.id).order_by(Venue.id)).all()
        assert venue_ids == list(range(1, VENUES + 1)), "expected a fresh schema"
        session.execute(sa.insert(OpeningHours), [
            {"venue_id": v, "weekday": d, "start_minute": OPENS, "end_minute": CLOSES,
             "valid_from": date(2020, 1, 1), "valid_until": None}
            for v in venue_ids for d in range(7)])

        rows = Rows(backend.instant_suffix, booker_ids, org_ids)
        closures: list[dict] = []
        taken: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        live_schedule(rows, closures, taken)
        rng = random.Random(3)
        for v in venue_ids:  # three past one-day closures at each venue
            for _ in range(3):
                day = LIVE_FIRST - timedelta(days=rng.randint(1, 1000))
                closures.append(_closure(v, local_instant(day, 0, ZONE),
                                         local_instant(day, 1440, ZONE), "holiday", ""))
        session.execute(sa.insert(Closure), closures)
        session.commit()
    timings["setup rows"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    history(rows, size - LIVE_BOOKINGS)
    rows.rows.sort(key=lambda row: row[8])  # in the order they were made, as a table fills
    timings["generate bookings"] = time.perf_counter() - t0
    active_counts = rows.active_counts
    t0 = time.perf_counter()
    backend.load_bookings(rows.rows, BOOKING_COLUMNS)
    timings["load bookings"] = time.perf_counter() - t0
    del rows
    gc.collect()
    t0 = time.perf_counter()
    backend.analyze()
    timings["analyze"] = time.perf_counter() - t0
    return World(booker_ids=list(booker_ids), taken=taken, active_counts=active_counts), timings


# Backends: schema, bulk load, and the floor -------------------------------------------------


class Backend:
    name = ""
    instant_suffix = ""

    def __init__(self, url: str) -> None:
        self.url = url

    def app(self):
        return create_app({"SQLALCHEMY_DATABASE_URI": self.url, "SECRET_KEY": "bench",
                           "TESTING": False})

    def reset(self) -> None:
        raise NotImplementedError

    def build(self):
        """A fresh schema built by the real migrations; answers the app."""
        from flask_migrate import upgrade

        self.reset()
        app = self.app()
        with app.app_context():
            upgrade()
        return app

    def raw(self):
        raise NotImplementedError

    def close(self) -> None:
        pass


# The floor's shared Python: exactly the arithmetic the services do, without the ORM.


def opening_windows_floor(hours, zone: ZoneInfo, start: datetime, end: datetime):
    days = local_dates(start - timedelta(days=1), end, zone)
    intervals = [
        (local_instant(day, s, zone), local_instant(day, e, zone))
        for day in days
        for weekday, s, e, valid_from, valid_until in hours
        if weekday == day.weekday() and valid_from <= day
        and (valid_until is None or day <= valid_until)
    ]
    intervals = [(s, e) for s, e in intervals if s < e]  # a window inside a skipped DST hour
    return [iv for iv in merge(intervals) if iv[0] < end and iv[1] > start]


def on_grid(instant: datetime, zone: ZoneInfo, slot_minutes: int) -> bool:
    minutes = minutes_since_local_midnight(instant, zone)
    return minutes == int(minutes) and int(minutes) % slot_minutes == 0


def rule_violations(venue: dict, suspended: bool, suspended_until, req: CreateRequest,
                    hours, zone: ZoneInfo) -> list[str]:
    """The rules checked in Python, in the contract's order (resident booking)."""
    failed = []
    if suspended or (suspended_until is not None and suspended_until > NOW):
        failed.append("booker_suspended")
    if venue["audience"] == "organizations":
        failed.append("audience_not_allowed")
    if not (on_grid(req.start, zone, venue["slot_minutes"])
            and on_grid(req.end, zone, venue["slot_minutes"])):
        failed.append("misaligned")
    minutes = (req.end - req.start).total_seconds() / 60
    if minutes < venue["min_duration_minutes"]:
        failed.append("too_short")
    elif minutes > venue["max_duration_minutes"]:
        failed.append("too_long")
    if req.start < NOW + timedelta(minutes=venue["min_notice_minutes"]) or req.start < NOW:
        failed.append("too_soon")
    if req.start > NOW + timedelta(days=venue["max_advance_days"]):
        failed.append("too_far_ahead")
    if not 1 <= req.attendees <= venue["capacity"]:
        failed.append("over_capacity")
    if not covers(opening_windows_floor(hours, zone, req.start, req.end), req.start, req.end):
        failed.append("outside_opening_hours")
    return failed


VENUE_RULE_COLUMNS = (
    "unit_id", "name", "timezone", "audience", "slot_minutes", "min_duration_minutes",
    "max_duration_minutes", "min_notice_minutes", "max_advance_days", "max_active_per_user",
    "capacity", "buffer_minutes", "requires_approval", "archived_at",
)
AUDITED = ("status", "start_at", "end_at", "title", "attendees", "reason", "rating",
           "checked_in_at", "late_cancellation")


def audit_after(status: str, req: CreateRequest) -> str:
    return json.dumps({"status": status, "start_at": req.start.isoformat(),
                       "end_at": req.end.isoformat(), "title": req.title,
                       "attendees": req.attendees, "reason": "", "rating": None,
                       "checked_in_at": None, "late_cancellation": False})


def notification_data(venue_name: str, timezone: str, req: CreateRequest) -> dict:
    return {"title": req.title, "venue": venue_name, "start": req.start.isoformat(),
            "end": req.end.isoformat(), "reason": "", "timezone": timezone}


class SQLite(Backend):
    name = "sqlite"
    instant_suffix = ".000000"  # SQLAlchemy's SQLite DATETIME text: 'YYYY-MM-DD HH:MM:SS.ffffff'

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.path = sa.engine.make_url(url).database
        self.conn: sqlite3.Connection | None = None

    def reset(self) -> None:
        self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(self.path + suffix).unlink(missing_ok=True)

    def raw(self) -> sqlite3.Connection:
        if self.conn is None:
            # The app's connection settings (gongjian.db): WAL, synchronous=NORMAL, foreign keys
            # on; transactions are begun by hand (BEGIN IMMEDIATE for writers).
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                   check_same_thread=False)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                           "busy_timeout=30000"):
                conn.execute(f"PRAGMA {pragma}")
            self.conn = conn
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def load_bookings(self, rows: list[tuple], columns: tuple[str, ...]) -> None:
        """One transaction; the table's indexes and triggers are set aside during the insert
        and rebuilt from their own DDL, so the schema is exactly the migrations' again."""
        conn = self.raw()
        conn.execute("PRAGMA cache_size=-512000")  # 512 MB while loading only
        conn.execute("BEGIN IMMEDIATE")
        ddl = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'bookings' "
                           "AND type IN ('index', 'trigger') AND sql IS NOT NULL").fetchall()
        for kind, name, _ in ddl:
            conn.execute(f"DROP {kind.upper()} {name}")
        conn.executemany(
            f"INSERT INTO bookings ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})", rows)
        for _, _, sql in ddl:
            conn.execute(sql)
        conn.execute("COMMIT")
        self.close()  # back to the default page cache, like the app's connections

    def analyze(self) -> None:
        conn = self.raw()
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @staticmethod
    def instant(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    @staticmethod
    def parse(text: str | None) -> datetime | None:
        return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)

    def floor_create(self, req: CreateRequest) -> int | str:
        conn, t = self.raw(), self.instant
        conn.execute("BEGIN IMMEDIATE")  # the write lock first, then read what we decide on
        try:
            row = conn.execute(f"SELECT {', '.join(VENUE_RULE_COLUMNS)} FROM venues WHERE id = ?",
                               (req.venue_id,)).fetchone()
            if row is None or row[-1] is not None:
                conn.execute("ROLLBACK")
                return "venue_not_found"
            venue = dict(zip(VENUE_RULE_COLUMNS, row, strict=True))
            suspended, until = conn.execute(
                "SELECT suspended, suspended_until FROM users WHERE id = ?",
                (req.booker_id,)).fetchone()
            zone = ZoneInfo(venue["timezone"])
            hours = [(wd, s, e, date.fromisoformat(vf), vu and date.fromisoformat(vu))
                     for wd, s, e, vf, vu in conn.execute(
                         "SELECT weekday, start_minute, end_minute, valid_from, valid_until "
                         "FROM opening_hours WHERE venue_id = ?", (req.venue_id,))]
            failed = rule_violations(venue, suspended, self.parse(until), req, hours, zone)
            start, end = t(req.start), t(req.end)
            if conn.execute(
                "SELECT 1 FROM closures WHERE venue_id = ? AND start_at < ? "
                "AND (end_at IS NULL OR end_at > ?) LIMIT 1",
                (req.venue_id, end, start),
            ).fetchone():
                failed.append("closed")
            (active,) = conn.execute(
                "SELECT count(DISTINCT coalesce(-series_id, id)) FROM bookings "
                "WHERE booker_id = ? AND venue_id = ? AND status IN ('pending', 'confirmed') "
                "AND end_at > ?", (req.booker_id, req.venue_id, t(NOW))).fetchone()
            if active >= venue["max_active_per_user"]:
                failed.append("quota_exceeded")
            buffer = timedelta(minutes=venue["buffer_minutes"])
            wide_start = req.start - buffer
            clashes = conn.execute(
                "SELECT start_at, end_at FROM bookings WHERE venue_id = ? "
                "AND status IN ('pending', 'confirmed') AND start_at < ? AND start_at > ? "
                "AND end_at > ? ORDER BY start_at",
                (req.venue_id, t(req.end + buffer), t(wide_start - LONGEST_BOOKING),
                 t(wide_start))).fetchall()
            if clashes:
                failed.append("conflict")
            if failed:
                conn.execute("ROLLBACK")
                return failed[0]
            status = "pending" if venue["requires_approval"] else "confirmed"
            now = t(NOW)
            booking_id = conn.execute(
                "INSERT INTO bookings (venue_id, booker_id, title, attendees, start_at, end_at, "
                "status, created_at, updated_at, late_cancellation, reason, rating_comment, "
                "revision, reminders_sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', 0, '[]')",
                (req.venue_id, req.booker_id, req.title, req.attendees, start, end, status,
                 now, now)).lastrowid
            conn.execute(
                "INSERT INTO audit_events (at, actor_id, action, object_type, object_id, "
                "unit_id, venue_id, before, after) VALUES (?, ?, 'booking.create', 'bookings', "
                "?, ?, ?, NULL, ?)",
                (now, req.booker_id, booking_id, venue["unit_id"], req.venue_id,
                 audit_after(status, req)))
            data = json.dumps(notification_data(venue["name"], venue["timezone"], req))
            managers = conn.execute("SELECT user_id FROM unit_managers WHERE unit_id = ?",
                                    (venue["unit_id"],)).fetchall()
            conn.executemany(
                "INSERT INTO notifications (user_id, kind, booking_id, data, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(m, "booking_requested" if status == "pending" else "booking_created",
                  booking_id, data, now) for (m,) in managers])
            conn.execute("COMMIT")
            return booking_id
        except sqlite3.IntegrityError as exc:  # the overlap trigger, behind the check
            conn.execute("ROLLBACK")
            if "booking_overlap" in str(exc):
                return "conflict"
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def floor_availability(self, venue_id: int, start: datetime, end: datetime):
        conn, t = self.raw(), self.instant
        conn.execute("BEGIN")
        row = conn.execute("SELECT timezone, buffer_minutes, archived_at FROM venues "
                           "WHERE id = ?", (venue_id,)).fetchone()
        hours = [(wd, s, e, date.fromisoformat(vf), vu and date.fromisoformat(vu))
                 for wd, s, e, vf, vu in conn.execute(
                     "SELECT weekday, start_minute, end_minute, valid_from, valid_until "
                     "FROM opening_hours WHERE venue_id = ?", (venue_id,))]
        closure_rows = conn.execute(
            "SELECT start_at, end_at FROM closures WHERE venue_id = ? AND start_at < ? "
            "AND (end_at IS NULL OR end_at > ?)", (venue_id, t(end), t(start))).fetchall()
        buffer = timedelta(minutes=row[1])
        wide_start = start - buffer
        booking_rows = conn.execute(
            "SELECT start_at, end_at FROM bookings WHERE venue_id = ? "
            "AND status IN ('pending', 'confirmed') AND start_at < ? AND start_at > ? "
            "AND end_at > ? ORDER BY start_at",
            (venue_id, t(end + buffer), t(wide_start - LONGEST_BOOKING), t(wide_start)),
        ).fetchall()
        conn.execute("COMMIT")
        parse = self.parse
        closures = [(parse(s), parse(e) if e is not None else FOREVER) for s, e in closure_rows]
        bookings = [(parse(s), parse(e)) for s, e in booking_rows]
        return availability_floor(ZoneInfo(row[0]), buffer, hours, closures, bookings,
                                  start, end)

    def explain(self, sql: str, params: tuple) -> list[str]:
        return [r[-1] for r in self.raw().execute("EXPLAIN QUERY PLAN " + sql, params)]

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"


FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


def availability_floor(zone, buffer, hours, closures, bookings, start, end):
    """venue_availability's arithmetic on plain rows."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    windows = [(max(s, start), min(e, end))
               for s, e in opening_windows_floor(hours, zone, start, end)]
    open_ = subtract(windows, merge(closures))
    busy = [(max(s, start), min(e, end)) for s, e in merge(bookings) if s < end and e > start]
    free = subtract(open_, ((s - buffer, e + buffer) for s, e in bookings))
    return open_, busy, free


class Postgres(Backend):
    name = "postgresql"
    instant_suffix = "+00"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parsed = sa.engine.make_url(url)
        self.dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self.database = parsed.database
        self.maintenance_dsn = parsed.set(drivername="postgresql", database="postgres") \
            .render_as_string(hide_password=False)
        self.conn = None

    def reset(self) -> None:
        import psycopg

        self.close()
        try:
            conn = psycopg.connect(self.dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            if f'database "{self.database}" does not exist' not in str(exc):
                raise
            with psycopg.connect(self.maintenance_dsn, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.database}"')
            conn = psycopg.connect(self.dsn, autocommit=True)
        with conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")

    def raw(self):
        import psycopg

        if self.conn is None:
            self.conn = psycopg.connect(self.dsn)  # transactions begin implicitly, as the app's
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def load_bookings(self, rows: list[tuple], columns: tuple[str, ...]) -> None:
        """COPY in one transaction; the table's indexes, foreign keys and exclusion constraint
        are set aside and rebuilt from their own definitions (which checks them all)."""
        conn = self.raw()
        constraints = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'bookings'::regclass AND contype IN ('f', 'x')").fetchall()
        indexes = conn.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'bookings'::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)").fetchall()
        for name, _ in constraints:
            conn.execute(f"ALTER TABLE bookings DROP CONSTRAINT {name}")
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        with conn.cursor() as cur, cur.copy(
                f"COPY bookings ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition)
        for name, definition in constraints:
            conn.execute(f"ALTER TABLE bookings ADD CONSTRAINT {name} {definition}")
        conn.commit()

    def analyze(self) -> None:
        conn = self.raw()
        conn.autocommit = True
        # What autovacuum would have done to a table that filled over years: statistics and a
        # visibility map (index-only scans).
        conn.execute("VACUUM ANALYZE")
        conn.autocommit = False

    def floor_create(self, req: CreateRequest) -> int | str:
        from psycopg import errors
        from psycopg.types.json import Json

        conn = self.raw()
        try:
            with conn.cursor() as cur:
                # The lock and the venue's rules in one statement.
                cur.execute(f"SELECT {', '.join(VENUE_RULE_COLUMNS)} FROM venues WHERE id = %s "
                            "FOR UPDATE", (req.venue_id,))
                row = cur.fetchone()
                if row is None or row[-1] is not None:
                    conn.rollback()
                    return "venue_not_found"
                venue = dict(zip(VENUE_RULE_COLUMNS, row, strict=True))
                cur.execute("SELECT suspended, suspended_until FROM users WHERE id = %s",
                            (req.booker_id,))
                suspended, until = cur.fetchone()
                zone = ZoneInfo(venue["timezone"])
                cur.execute("SELECT weekday, start_minute, end_minute, valid_from, valid_until "
                            "FROM opening_hours WHERE venue_id = %s", (req.venue_id,))
                hours = cur.fetchall()
                failed = rule_violations(venue, suspended, until, req, hours, zone)
                cur.execute("SELECT 1 FROM closures WHERE venue_id = %s AND start_at < %s "
                            "AND (end_at IS NULL OR end_at > %s) LIMIT 1",
                            (req.venue_id, req.end, req.start))
                if cur.fetchone():
                    failed.append("closed")
                cur.execute(
                    "SELECT count(DISTINCT coalesce(-series_id, id)) FROM bookings "
                    "WHERE booker_id = %s AND venue_id = %s "
                    "AND status IN ('pending', 'confirmed') AND end_at > %s",
                    (req.booker_id, req.venue_id, NOW))
                if cur.fetchone()[0] >= venue["max_active_per_user"]:
                    failed.append("quota_exceeded")
                buffer = timedelta(minutes=venue["buffer_minutes"])
                wide_start = req.start - buffer
                cur.execute(
                    "SELECT start_at, end_at FROM bookings WHERE venue_id = %s "
                    "AND status IN ('pending', 'confirmed') AND start_at < %s AND start_at > %s "
                    "AND end_at > %s ORDER BY start_at",
                    (req.venue_id, req.end + buffer, wide_start - LONGEST_BOOKING, wide_start))
                if cur.fetchall():
                    failed.append("conflict")
                if failed:
                    conn.rollback()
                    return failed[0]
                status = "pending" if venue["requires_approval"] else "confirmed"
                cur.execute(
                    "INSERT INTO bookings (venue_id, booker_id, title, attendees, start_at, "
                    "end_at, status, created_at, updated_at, late_cancellation, reason, "
                    "rating_comment, revision, reminders_sent) VALUES (%s, %s, %s, %s, %s, %s, "
                    "%s, %s, %s, false, '', '', 0, '[]') RETURNING id",
                    (req.venue_id, req.booker_id, req.title, req.attendees, req.start, req.end,
                     status, NOW, NOW))
                (booking_id,) = cur.fetchone()
                cur.execute(
                    "INSERT INTO audit_events (at, actor_id, action, object_type, object_id, "
                    "unit_id, venue_id, before, after) VALUES (%s, %s, 'booking.create', "
                    "'bookings', %s, %s, %s, NULL, %s::json)",
                    (NOW, req.booker_id, booking_id, venue["unit_id"], req.venue_id,
                     audit_after(status, req)))
                cur.execute("SELECT user_id FROM unit_managers WHERE unit_id = %s",
                            (venue["unit_id"],))
                managers = cur.fetchall()
                data = Json(notification_data(venue["name"], venue["timezone"], req))
                cur.executemany(
                    "INSERT INTO notifications (user_id, kind, booking_id, data, created_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [(m, "booking_requested" if status == "pending" else "booking_created",
                      booking_id, data, NOW) for (m,) in managers])
            conn.commit()
            return booking_id
        except errors.ExclusionViolation:
            conn.rollback()
            return "conflict"
        except BaseException:
            conn.rollback()
            raise

    def floor_availability(self, venue_id: int, start: datetime, end: datetime):
        conn = self.raw()
        with conn.cursor() as cur:
            cur.execute("SELECT timezone, buffer_minutes, archived_at FROM venues WHERE id = %s",
                        (venue_id,))
            row = cur.fetchone()
            cur.execute("SELECT weekday, start_minute, end_minute, valid_from, valid_until "
                        "FROM opening_hours WHERE venue_id = %s", (venue_id,))
            hours = cur.fetchall()
            cur.execute("SELECT start_at, end_at FROM closures WHERE venue_id = %s "
                        "AND start_at < %s AND (end_at IS NULL OR end_at > %s)",
                        (venue_id, end, start))
            closure_rows = cur.fetchall()
            buffer = timedelta(minutes=row[1])
            wide_start = start - buffer
            cur.execute(
                "SELECT start_at, end_at FROM bookings WHERE venue_id = %s "
                "AND status IN ('pending', 'confirmed') AND start_at < %s AND start_at > %s "
                "AND end_at > %s ORDER BY start_at",
                (venue_id, end + buffer, wide_start - LONGEST_BOOKING, wide_start))
            bookings = cur.fetchall()
        conn.commit()
        # psycopg answers in the session's zone; the service's column type converts to UTC,
        # and so does the floor (comparisons within one tzinfo are the fast ones).
        closures = [(s.astimezone(UTC), e.astimezone(UTC) if e is not None else FOREVER)
                    for s, e in closure_rows]
        bookings = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in bookings]
        return availability_floor(ZoneInfo(row[0]), buffer, hours, closures, bookings,
                                  start, end)

    def explain(self, sql: str, params: tuple) -> list[str]:
        conn = self.raw()
        rows = conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params).fetchall()
        conn.rollback()
        lines = [r[0].strip().removeprefix("-> ").strip() for r in rows]
        return [line for line in lines if "Scan" in line or "BitmapAnd" in line
                or line.startswith("Execution Time")]

    def version(self) -> str:
        conn = self.raw()
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.rollback()
        return f"PostgreSQL {version}"


# Requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateRequest:
    venue_id: int
    booker_id: int
    start: datetime  # in the venue's zone, as the API parses it
    end: datetime
    title: str
    attendees: int


class Planner:
    """Free, rule-abiding slots at random venues, each for a booker well under the quota."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.rng = random.Random(seed)
        self.taken = {v: list(ivs) for v, ivs in world.taken.items()}
        self.counts = Counter(world.active_counts)

    def create(self) -> CreateRequest:
        rng = self.rng
        while True:
            venue_id = rng.randint(1, VENUES)
            minutes = rng.choice((60, 90, 120))
            day = rng.choice(CREATE_DAYS)
            start_min = OPENS + 30 * rng.randint(0, (CLOSES - OPENS - minutes) // 30)
            start = local_instant(day, start_min, ZONE)
            end = start + timedelta(minutes=minutes)
            if not NOW + timedelta(minutes=60) <= start <= NOW + timedelta(days=14):
                continue
            if any(s < end and start < e for s, e in self.taken.get(venue_id, ())):
                continue
            booker_id = rng.choice(self.world.booker_ids)
            if self.counts[(booker_id, venue_id)] >= 2:
                continue
            self.counts[(booker_id, venue_id)] += 1
            self.taken.setdefault(venue_id, []).append((start, end))
            return CreateRequest(venue_id, booker_id, start.astimezone(ZONE),
                                 end.astimezone(ZONE), rng.choice(TITLES), rng.randint(1, 20))

    def busy_venue(self) -> int:
        return self.rng.randrange(1, VENUES + 1, BUSY_EVERY)


# The service side ----------------------------------------------------------------------------


def service_create(req: CreateRequest) -> None:
    """One request's work: load the booker (the login does), create, commit, end the session."""
    try:
        booker = db.session.get(User, req.booker_id)
        create_booking(venue_id=req.venue_id, booker=booker, start=req.start, end=req.end,
                       title=req.title, attendees=req.attendees, now=NOW)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.remove()


def service_availability(venue_id: int):
    try:
        venue = db.session.get(Venue, venue_id)
        result = venue_availability(venue=venue, start=MONTH_START, end=MONTH_END)
        return result.open, result.busy, result.free
    finally:
        db.session.remove()


# Measuring -----------------------------------------------------------------------------------


def timed(fn: Callable, *args) -> tuple[float, float, object]:
    """Wall time (what the targets are about), this thread's CPU time, and the outcome."""
    c0, t0 = time.thread_time(), time.perf_counter()
    outcome = fn(*args)
    return time.perf_counter() - t0, time.thread_time() - c0, outcome


@dataclass
class Result:
    size: int
    operation: str
    service: list[float]
    floor: list[float]
    service_cpu: list[float]
    floor_cpu: list[float]

    @property
    def service_ms(self) -> float:
        return statistics.median(self.service) * 1000

    @property
    def floor_ms(self) -> float:
        return statistics.median(self.floor) * 1000

    @property
    def ratio(self) -> float:
        return self.service_ms / self.floor_ms

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(self.service_cpu) / statistics.median(self.floor_cpu)


def measure(result: Result, warmup: int, repeat: int, service_call: Callable[[], tuple],
            floor_call: Callable[[], tuple]) -> None:
    """Pairs of calls, alternating which goes first so neither always finds the caches warm."""
    for i in range(warmup + repeat):
        if i % 2:
            s, f = service_call(), floor_call()
        else:
            f, s = floor_call(), service_call()
        if i >= warmup:
            result.service.append(s[0])
            result.service_cpu.append(s[1])
            result.floor.append(f[0])
            result.floor_cpu.append(f[1])


@dataclass
class Run:
    """One size: its database, app, planned requests and results."""

    size: int
    backend: Backend
    app: object
    planner: Planner

    def __post_init__(self) -> None:
        self.results = {op: Result(self.size, op, [], [], [], []) for op in TARGETS}

    def measure_create(self, warmup: int, repeat: int) -> None:
        def floor_call():
            wall, cpu, outcome = timed(self.backend.floor_create, self.planner.create())
            if not isinstance(outcome, int):
                raise RuntimeError(f"the floor refused a planned request: {outcome}")
            return wall, cpu

        with self.app.app_context():
            measure(self.results["create"], warmup, repeat,
                    lambda: timed(service_create, self.planner.create()), floor_call)

    def measure_availability(self, warmup: int, repeat: int) -> None:
        # Both sides ask for the same venue in each pair.
        venue_ids = [self.planner.busy_venue() for _ in range(warmup + repeat)]
        service_ids, floor_ids = iter(venue_ids), iter(venue_ids)
        with self.app.app_context():
            measure(self.results["availability"], warmup, repeat,
                    lambda: timed(service_availability, next(service_ids)),
                    lambda: timed(self.backend.floor_availability, next(floor_ids),
                                  MONTH_START, MONTH_END))


def self_check(app, backend: Backend, planner: Planner) -> list[str]:
    """The floor and the service agree: same availability, same refusals, same rows written."""
    notes = []
    with app.app_context():
        for _ in range(5):
            venue_id = planner.busy_venue()
            got = service_availability(venue_id)
            want = backend.floor_availability(venue_id, MONTH_START, MONTH_END)
            if got != want:
                raise RuntimeError(f"availability differs at venue {venue_id}")
        notes.append(f"availability: service == floor (open/busy/free) on 5 venues, "
                     f"{len(got[1])} busy intervals in the month at venue {venue_id}")
        # The same slot twice: the second is a conflict on both sides.
        req = planner.create()
        service_create(req)
        clash = CreateRequest(req.venue_id, planner.create().booker_id, req.start, req.end,
                              req.title, req.attendees)
        floor_code = backend.floor_create(clash)
        try:
            service_create(clash)
            service_code = "created"
        except DomainError as error:
            service_code = error.code
        if not floor_code == service_code == "conflict":
            raise RuntimeError(f"conflict not found: floor {floor_code}, service {service_code}")
        floor_req = planner.create()
        floor_id = backend.floor_create(floor_req)
        rows = {}
        for label, booking_id in (("service", _last_booking_of(req)), ("floor", floor_id)):
            rows[label] = db.session.execute(sa.text(
                "SELECT b.status, b.revision, b.reminders_sent, b.late_cancellation, "
                "(SELECT count(*) FROM notifications n WHERE n.booking_id = b.id), "
                "(SELECT count(*) FROM audit_events a WHERE a.object_type = 'bookings' "
                "AND a.object_id = b.id), "
                "(SELECT min(n.data) FROM notifications n WHERE n.booking_id = b.id), "
                "(SELECT min(a.after) FROM audit_events a WHERE a.object_type = 'bookings' "
                "AND a.object_id = b.id) FROM bookings b WHERE b.id = :id"
                if backend.name == "sqlite" else
                "SELECT b.status, b.revision, b.reminders_sent::text, b.late_cancellation, "
                "(SELECT count(*) FROM notifications n WHERE n.booking_id = b.id), "
                "(SELECT count(*) FROM audit_events a WHERE a.object_type = 'bookings' "
                "AND a.object_id = b.id), "
                "(SELECT min(n.data::text) FROM notifications n WHERE n.booking_id = b.id), "
                "(SELECT min(a.after::text) FROM audit_events a WHERE a.object_type = 'bookings' "
                "AND a.object_id = b.id) FROM bookings b WHERE b.id = :id"),
                {"id": booking_id}).one()
        db.session.remove()
        # The same columns, counts, and JSON keys in the notice and the audit event (a field
        # the service starts writing shows up here, so the floor can follow).
        shape = {label: (*row[1:6], sorted(json.loads(row[6])), sorted(json.loads(row[7])))
                 for label, row in rows.items()}
        if shape["service"] != shape["floor"]:
            raise RuntimeError(f"rows differ: {shape}")
        notes.append(f"create: both refuse a taken slot with 'conflict'; rows written alike "
                     f"(booking, {rows['floor'][4]} notifications, {rows['floor'][5]} audit event)")
    return notes


def _last_booking_of(req: CreateRequest) -> int:
    return db.session.scalar(sa.text(
        "SELECT max(id) FROM bookings WHERE venue_id = :v AND booker_id = :b"),
        {"v": req.venue_id, "b": req.booker_id})


# Profiling -----------------------------------------------------------------------------------


def statement_trace(app, fn: Callable, *args) -> list[tuple[float, str]]:
    """The SQL one call sends, with the time each took in the driver."""
    trace: list[tuple[float, str]] = []
    with app.app_context():
        engine = db.engine

        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info["bench_t0"] = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            took = time.perf_counter() - conn.info.pop("bench_t0")
            trace.append((took, " ".join(statement.split())))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            fn(*args)
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
    return trace


class Phases:
    """Exclusive wall time per step of the service calls, by wrapping the steps' functions."""

    STEPS = {
        "gongjian.bookings.services": (
            "lock_row_for_write", "_require_venue", "evaluate", "opening_windows",
            "closure_intervals", "_active_count", "busy_intervals", "insert_booking",
            "notify_managers"),
        "gongjian.audit": ("record",),
        "gongjian.bookings.availability": ("opening_windows", "closure_intervals",
                                           "busy_intervals"),
    }

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.stack: list[float] = []
        self.undo: list[tuple] = []

    def run(self, name: str, fn: Callable, *args, **kwargs):
        t0 = time.perf_counter()
        self.stack.append(0.0)
        try:
            return fn(*args, **kwargs)
        finally:
            took = time.perf_counter() - t0
            self.totals[name] += took - self.stack.pop()
            if self.stack:
                self.stack[-1] += took

    def __enter__(self) -> Phases:
        for module_name, names in self.STEPS.items():
            module = sys.modules[module_name]
            short = module_name.rsplit(".", 1)[-1]
            for name in names:
                original = getattr(module, name)
                self.undo.append((module, name, original))
                setattr(module, name, self._wrap(f"{short}.{name}", original))
        return self

    def _wrap(self, label: str, fn: Callable) -> Callable:
        return lambda *args, **kwargs: self.run(label, fn, *args, **kwargs)

    def __exit__(self, *exc) -> None:
        for module, name, original in reversed(self.undo):
            setattr(module, name, original)


def profile(app, backend: Backend, planner: Planner, count: int) -> None:
    """Where the service's time goes: its SQL, its steps, and the hottest Python functions."""

    def create(req: CreateRequest, phases: Phases | None = None) -> None:
        run = phases.run if phases else (lambda _name, fn, *a, **k: fn(*a, **k))
        booker = run("session.get(User)", db.session.get, User, req.booker_id)
        run("create_booking itself", create_booking, venue_id=req.venue_id, booker=booker,
            start=req.start, end=req.end, title=req.title, attendees=req.attendees, now=NOW)
        run("session.commit", db.session.commit)
        run("session.remove", db.session.remove)

    def availability(venue_id: int, phases: Phases | None = None) -> None:
        run = phases.run if phases else (lambda _name, fn, *a, **k: fn(*a, **k))
        venue = run("session.get(Venue)", db.session.get, Venue, venue_id)
        run("venue.opening_hours (lazy load)", lambda: venue.opening_hours)
        run("venue_availability itself", venue_availability, venue=venue, start=MONTH_START,
            end=MONTH_END)
        run("session.remove", db.session.remove)

    for label, fn, make_arg in (("create", create, planner.create),
                                ("availability", availability, planner.busy_venue)):
        t0 = time.perf_counter()
        trace = statement_trace(app, fn, make_arg())
        wall = time.perf_counter() - t0
        print(f"\n-- {label}: {len(trace)} statements, {sum(t for t, _ in trace) * 1000:.2f} ms "
              f"in the driver of {wall * 1000:.2f} ms")
        for took, sql in trace:
            print(f"   {took * 1000:7.3f} ms  {sql[:110]}")
        with app.app_context(), Phases() as phases:
            args = [make_arg() for _ in range(count)]
            t0 = time.perf_counter()
            for arg in args:
                fn(arg, phases)
            wall = (time.perf_counter() - t0) / count
        print(f"-- {label}: {wall * 1000:.3f} ms a call over {count} calls; exclusive time "
              "per step (ms a call):")
        for name, total in sorted(phases.totals.items(), key=lambda kv: -kv[1]):
            print(f"   {total / count * 1000:7.3f}  {name}")
        profiler = cProfile.Profile()
        with app.app_context():
            args = [make_arg() for _ in range(count)]
            profiler.enable()
            for arg in args:
                fn(arg)
            profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"-- {label}: cProfile, the 15 functions with the most own time over {count} calls")
        print("\n".join(lines[start:]))


def explain_plans(backend: Backend, world: World) -> None:
    venue_id = 11
    start = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
    end = start + timedelta(hours=2)
    if backend.name == "sqlite":
        t, ph = SQLite.instant, "?"
    else:
        t, ph = (lambda x: x), "%s"
    queries = {
        "conflict": (f"SELECT start_at, end_at FROM bookings WHERE venue_id = {ph} AND status IN "
                     f"('pending', 'confirmed') AND start_at < {ph} AND start_at > {ph} AND "
                     f"end_at > {ph} ORDER BY start_at",
                     (venue_id, t(end), t(start - LONGEST_BOOKING), t(start))),
        "quota": (f"SELECT count(DISTINCT coalesce(-series_id, id)) FROM bookings WHERE "
                  f"booker_id = {ph} AND venue_id = {ph} AND status IN ('pending', 'confirmed') "
                  f"AND end_at > {ph}", (world.booker_ids[0], venue_id, t(NOW))),
        "month": (f"SELECT start_at, end_at FROM bookings WHERE venue_id = {ph} AND status IN "
                  f"('pending', 'confirmed') AND start_at < {ph} AND start_at > {ph} AND "
                  f"end_at > {ph} ORDER BY start_at",
                  (venue_id, t(MONTH_END), t(MONTH_START - LONGEST_BOOKING), t(MONTH_START))),
    }
    for name, (sql, params) in queries.items():
        print(f"   plan {name}: " + " | ".join(backend.explain(sql, params)))


# Main ----------------------------------------------------------------------------------------


DEFAULT_SQLITE = ROOT / "bench" / "booking_engine.db"  # gitignored: /bench/*.db*
ROUNDS = 10


def sized_url(url: str, size: int) -> str:
    """Each size has its own database, so the sizes can be measured in alternation."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        return f"sqlite:///{path.with_name(f'{path.stem}-{size}{path.suffix}')}"
    return parsed.set(database=f"{parsed.database}_{size}").render_as_string(hide_password=False)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default=f"sqlite:///{DEFAULT_SQLITE}",
                        help="SQLAlchemy database URL (default: a SQLite file under bench/)")
    parser.add_argument("--sizes", default="10000,1000000",
                        help="booking counts, comma separated (each ≥ 10000)")
    parser.add_argument("--repeat", type=int, default=200, help="measured calls per operation")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured calls first")
    parser.add_argument("--profile", action="store_true",
                        help="after the last size: statements per call, cProfile of the services")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    if any(s < LIVE_BOOKINGS for s in sizes):
        parser.error(f"sizes must be at least {LIVE_BOOKINGS} (the live schedule)")

    started = time.perf_counter()
    shown_url = sa.engine.make_url(args.url).render_as_string(hide_password=True)
    print(f"booking engine benchmark on {shown_url}")
    print(f"python {platform.python_version()}, SQLAlchemy {sa.__version__}, "
          f"{os.cpu_count()} CPUs, {load()}; repeat {args.repeat}, warm-up {args.warmup}")
    runs: list[Run] = []
    for size in sizes:
        url = sized_url(args.url, size)
        backend: Backend = SQLite(url) if url.startswith("sqlite") else Postgres(url)
        t0 = time.perf_counter()
        app = backend.build()
        world, timings = fill(app, backend, size)
        fill_s = time.perf_counter() - t0
        print(f"\n{size:,} bookings in {sa.engine.make_url(url).database}: filled in "
              f"{fill_s:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
              + f"); {backend.version()}; {load()}")
        explain_plans(backend, world)
        planner = Planner(world, seed=5)  # the same requests, in the same order, at every size
        for note in self_check(app, backend, planner):
            print(f"   check {note}")
        runs.append(Run(size, backend, app, planner))

    # The sizes take turns, in blocks, so that the machine's load drifting over the minutes
    # falls on every size alike; within a block service and floor alternate call by call.
    for run in runs:
        run.measure_create(args.warmup, 0)
        run.measure_availability(args.warmup, 0)
    for i in range(ROUNDS):
        count = args.repeat // ROUNDS + (i < args.repeat % ROUNDS)
        for run in runs if i % 2 == 0 else reversed(runs):
            run.measure_create(2, count)
            run.measure_availability(2, count)
    print(f"\nmeasured in {ROUNDS} rounds; {load()}")
    if args.profile:
        profile(runs[-1].app, runs[-1].backend, runs[-1].planner, count=100)
    for run in runs:
        with run.app.app_context():
            db.session.remove()
            db.engine.dispose()
        run.backend.close()

    results = [run.results[op] for run in runs for op in TARGETS]
    missed = report(results, sizes, runs[0].backend)
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s; {load()}")
    return 1 if missed and args.check else 0


def report(results: list[Result], sizes: list[int], backend: Backend) -> list[str]:
    missed = []
    print(f"\n{'bookings':>10}  {'operation':<13}{'service ms':>11}{'floor ms':>10}{'ratio':>8}"
          f"  {'target':<10}{'p90 svc':>9}{'p90 floor':>10}{'cpu ratio':>10}")
    for r in results:
        target = TARGETS[r.operation]
        ok = r.ratio <= target
        if not ok:
            missed.append(f"{r.operation} at {r.size:,}")
        p90s = statistics.quantiles(r.service, n=10)[-1] * 1000
        p90f = statistics.quantiles(r.floor, n=10)[-1] * 1000
        print(f"{r.size:>10,}  {r.operation:<13}{r.service_ms:>11.3f}{r.floor_ms:>10.3f}"
              f"{r.ratio:>7.1f}×  ≤{target:g}× {'ok' if ok else 'MISS':<5}"
              f"{p90s:>9.3f}{p90f:>10.3f}{r.cpu_ratio:>9.1f}×")
    print("(medians of wall time; p90 shows the noise; cpu ratio = median CPU time of this "
          "thread, " + ("all the work on SQLite)" if backend.name == "sqlite"
                        else "the client side only on PostgreSQL)"))
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        parts = []
        for operation in TARGETS:
            a = next(r for r in results if r.size == small and r.operation == operation)
            b = next(r for r in results if r.size == large and r.operation == operation)
            growth = b.service_ms / a.service_ms
            ok = growth <= GROWTH_TARGET
            if not ok:
                missed.append(f"{operation} growth")
            parts.append(f"{operation} service {growth:.2f}× (floor "
                         f"{b.floor_ms / a.floor_ms:.2f}×) {'ok' if ok else 'MISS'}")
        print(f"{large:,} vs {small:,} bookings (target ≤ {GROWTH_TARGET}×): " + "; ".join(parts))
    print("targets: " + ("all met" if not missed else "missed: " + ", ".join(missed)))
    one, five, _ = os.getloadavg()
    if five > (os.cpu_count() or 1) * 0.75:
        print(f"warning: load average {five:.1f} on {os.cpu_count()} CPUs while measuring: other "
              "processes preempt the longer (service) calls more often than the short floor "
              "calls, which inflates the wall-clock ratios; the cpu ratio is the steadier guide")
    return missed


if __name__ == "__main__":
    sys.exit(main())
