"""Benchmark: the district openness table for one year over a big district.

    python bench/openness.py                      # SQLite file in a temporary directory
    python bench/openness.py postgresql+psycopg://postgres@127.0.0.1/gj_bench_stats

Builds 300 units, 1,500 venues (weekly windows, some closures and timetable changes),
agreements and 1,000,000 bookings over 2026 in a database whose schema comes from the real
migrations (the PostgreSQL database is emptied first). Small tables go in through SQLAlchemy
Core, the bookings through the raw driver (sqlite3 executemany, psycopg COPY).

Then it times `district_table` (every unit's §7 figures for the year) and, as the floor, one
hand-written SQL aggregate over the same bookings (per unit: booked hours clipped to the year,
counts by status, people served, distinct bookers) and prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongjian import create_app  # noqa: E402
from gongjian.extensions import db  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2026
STATUSES = (("completed", 70), ("cancelled", 9), ("confirmed", 8), ("no_show", 4),
            ("rejected", 3), ("pending", 3), ("expired", 3))
BOOKING_COLUMNS = ("id", "venue_id", "booker_id", "organization_id", "title", "attendees",
                   "start_at", "end_at", "status", "created_at", "updated_at", "decided_at",
                   "late_cancellation", "reason", "rating", "rating_comment", "revision",
                   "reminders_sent")


def build_schema(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()


def load_places(rng: random.Random, units: int, venues: int, users: int) -> None:
    """Streets, communities, units, users, organizations, venues, hours, closures, agreements."""
    from gongjian.accounts.models import Community, Organization, Street, Unit, User
    from gongjian.stats.models import Agreement
    from gongjian.venues.models import Closure, OpeningHours, Venue

    created = datetime(YEAR - 1, 6, 1, tzinfo=UTC)
    execute = db.session.execute
    execute(sa.insert(Street), [{"id": i, "name": f"街道{i}", "created_at": created}
                                for i in range(1, 4)])
    execute(sa.insert(Community), [{"id": i, "name": f"社区{i}", "street_id": i % 3 + 1,
                                    "created_at": created} for i in range(1, 16)])
    types = ("government", "public_institution", "state_enterprise", "private_enterprise",
             "school", "other")
    execute(sa.insert(Unit), [
        {"id": i, "name": f"单位{i}", "type": types[i % 6], "community_id": i % 15 + 1,
         "created_at": created} for i in range(1, units + 1)])
    execute(sa.insert(User), [
        {"id": i, "email": f"u{i}@bench.cn", "name": f"居民{i}", "password_hash": "x",
         "community_id": i % 15 + 1, "created_at": created} for i in range(1, users + 1)])
    execute(sa.insert(Organization), [
        {"id": i, "name": f"组织{i}", "kind": "social_org", "community_id": i % 15 + 1,
         "status": "approved", "created_at": created} for i in range(1, 61)])
    venue_rows, hours, closures = [], [], []
    for i in range(1, venues + 1):
        born = created if i % 25 else datetime(YEAR, 3, 15, 3, 30, tzinfo=UTC)
        gone = datetime(YEAR, 10, 1, 4, tzinfo=UTC) if i % 40 == 0 else None
        venue_rows.append({
            "id": i, "unit_id": (i - 1) % units + 1, "name": f"场地{i}", "kind": "sports",
            "capacity": 30, "requires_approval": i % 5 == 0, "created_at": born,
            "archived_at": gone})
        switch = date(YEAR, 5, 1) if i % 7 == 0 else None
        for weekday in range(7):
            spans = ((8 * 60, 12 * 60), (14 * 60, 18 * 60), (18 * 60, 22 * 60)) if (
                weekday >= 5) else ((9 * 60, 11 * 60 + 30), (18 * 60, 21 * 60))
            for start, end in spans:
                hours.append({"venue_id": i, "weekday": weekday, "start_minute": start,
                              "end_minute": end, "valid_from": date(YEAR - 1, 1, 1),
                              "valid_until": switch - timedelta(days=1) if switch else None})
                if switch:
                    hours.append({"venue_id": i, "weekday": weekday, "start_minute": start,
                                  "end_minute": min(1440, end + 60), "valid_from": switch,
                                  "valid_until": None})
        if i % 10 == 0:
            start = datetime(YEAR, 7, 10, 1, tzinfo=UTC) + timedelta(days=i % 30)
            closures.append({"venue_id": i, "start_at": start, "end_at": start + timedelta(
                days=3, hours=5), "reason": "maintenance", "created_at": created})
    execute(sa.insert(Venue), venue_rows)
    execute(sa.insert(OpeningHours), hours)
    execute(sa.insert(Closure), closures)
    execute(sa.insert(Agreement), [
        {"unit_id": u, "community_id": u % 15 + 1, "signed_on": date(YEAR - 1, 12, 20),
         "valid_from": date(YEAR, 1, 1) if u % 4 else date(YEAR, 4, 1),
         "valid_until": date(YEAR, 12, 31), "committed_hours_per_week": 20 + u % 30,
         "created_at": created} for u in range(1, units + 1)])
    db.session.commit()


def booking_rows(rng: random.Random, venues: int, total: int, users: int):
    """Non-overlapping bookings: venue v's k-th booking sits on its own (day, slot)."""
    per_venue = total // venues
    weights = [w for _, w in STATUSES]
    names = [s for s, _ in STATUSES]
    statuses = rng.choices(names, weights, k=total)
    booking_id = 0
    for v in range(1, venues + 1):
        requires_approval = v % 5 == 0
        for k in range(per_venue):
            day = date(YEAR, 1, 1) + timedelta(days=k * 365 // per_venue)
            hour = 8 + (k % 7) * 2
            start = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)
            end = start + timedelta(hours=rng.choice((1, 1, 2)))
            status = statuses[booking_id]
            booking_id += 1
            created = start - timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 600))
            decided = None
            if requires_approval and status not in ("pending", "expired"):
                decided = created + timedelta(minutes=rng.randint(5, 3000))
            rating = rng.randint(1, 5) if status == "completed" and rng.random() < 0.3 else None
            yield (booking_id, v, rng.randint(1, users),
                   rng.randint(1, 60) if rng.random() < 0.2 else None, "活动",
                   rng.randint(1, 30), start, end, status, created, created, decided, False,
                   "", rating, "", 0, "[]")


def load_bookings(rng: random.Random, venues: int, total: int, users: int) -> None:
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        rows = booking_rows(rng, venues, total, users)
        if db.engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY bookings ({', '.join(BOOKING_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            def text(value):
                return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(
                    value, datetime) else value
            marks = ", ".join("?" * len(BOOKING_COLUMNS))
            cursor.executemany(
                f"INSERT INTO bookings ({', '.join(BOOKING_COLUMNS)}) VALUES ({marks})",
                ([text(value) for value in row] for row in rows))
        connection.commit()
        cursor.execute("ANALYZE")
        connection.commit()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            driver = connection.driver_connection
            driver.autocommit = True
            driver.execute("VACUUM ANALYZE bookings")
            driver.autocommit = False
    finally:
        connection.close()


def floor_statement(dialect: str) -> str:
    """The hand-written aggregate: one pass over the year's bookings, grouped by unit.

    Written as well as it can be as one statement: FILTER instead of CASE, and the shape that
    lets each database use the figures index (ix_bookings_figures, venue_id, status,
    start_at, …): the venues walked in unit order, each venue's bookings read as index ranges
    per status (naming the statuses gives the index its equality on status), so nothing is
    sorted and the table is never visited.
    """
    if dialect == "sqlite":
        booked = "min(unixepoch(b.end_at), :e1) - max(unixepoch(b.start_at), :e0)"
    else:
        booked = "least(b.end_at, :p1) - greatest(b.start_at, :p0)"  # an exact interval
    counts = ",\n".join(
        f"  count(*) FILTER (WHERE b.status = '{s}' AND b.start_at >= :p0)"
        for s, _ in STATUSES)
    every = ", ".join(f"'{s}'" for s, _ in STATUSES)
    return f"""
SELECT v.unit_id,
  sum({booked}) FILTER (WHERE b.status IN ('confirmed', 'completed', 'no_show')),
{counts},
  sum(b.attendees) FILTER (WHERE b.status = 'completed' AND b.start_at >= :p0),
  count(DISTINCT b.booker_id) FILTER (
    WHERE b.status IN ('confirmed', 'completed') AND b.start_at >= :p0)
FROM venues v JOIN bookings b ON b.venue_id = v.id
WHERE b.status IN ({every})
  AND b.start_at >= :p_early AND b.start_at < :p1 AND b.end_at > :p0
GROUP BY v.unit_id
"""


def timed(function, repeat: int) -> tuple[float, float, object]:
    """Median wall time and median CPU time of this process (all of SQLite's work; on
    PostgreSQL only the client's share) over `repeat` runs, and the last result."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        db.session.rollback()
    return statistics.median(times), statistics.median(cpu), result


def agrees(rows, floor_rows) -> bool:
    """Every figure the floor computes equals the district table's, exactly."""
    def hours(value) -> Fraction:
        if value is None:
            return Fraction(0)
        if isinstance(value, timedelta):
            return Fraction(value // timedelta(microseconds=1), 3_600_000_000)
        return Fraction(value, 3600)

    by_unit = {r.unit.id: r.figures for r in rows}
    for unit_id, booked, *rest in floor_rows:
        figures = by_unit[unit_id]
        counts = dict(zip((s for s, _ in STATUSES), rest[:len(STATUSES)], strict=True))
        people, bookers = rest[len(STATUSES):]
        if (hours(booked) != figures.booked_hours or counts != figures.bookings
                or (people or 0) != figures.people_served
                or bookers != figures.distinct_bookers):
            return False
    return bool(floor_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", help="database URL (default: a SQLite file)")
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--venues", type=int, default=1500)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="SQLite only: keep the database file at this path")
    parser.add_argument("--reuse", action="store_true",
                        help="time an already loaded database (--keep path or URL) again")
    args = parser.parse_args()
    workdir = None
    url = args.url
    if not url and args.keep:
        if not args.reuse:
            Path(args.keep).unlink(missing_ok=True)
        url = f"sqlite:///{Path(args.keep).resolve()}"
    if not url:
        workdir = tempfile.TemporaryDirectory(prefix="gj-bench-")
        url = f"sqlite:///{workdir.name}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    rng = random.Random(2026)
    users = 20_000
    if not args.reuse:
        build_schema(app)
    with app.app_context():
        dialect = db.engine.dialect.name
        started = time.perf_counter()
        if not args.reuse:
            load_places(rng, args.units, args.venues, users)
            load_bookings(rng, args.venues, args.bookings, users)
        count = db.session.scalar(sa.text("SELECT count(*) FROM bookings"))
        units = db.session.scalar(sa.text("SELECT count(*) FROM units"))
        venues = db.session.scalar(sa.text("SELECT count(*) FROM venues"))
        how = "reused" if args.reuse else f"loaded in {time.perf_counter() - started:.1f} s"
        print(f"{dialect}: {units} units, {venues} venues, {count:,} bookings ({how})")

        from gongjian.stats.periods import Period
        from gongjian.stats.services import district_table

        period = Period(date(YEAR, 1, 1), date(YEAR, 12, 31))
        p0, p1 = period.bounds(ZONE)
        floor_sql = sa.text(floor_statement(dialect))
        if dialect == "sqlite":
            def stamp(value):
                return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            def stamp(value):
                return value
        params = {"p0": stamp(p0), "p1": stamp(p1), "p_early": stamp(p0 - timedelta(days=1)),
                  "e0": int(p0.timestamp()), "e1": int(p1.timestamp())}

        def floor():
            return db.session.execute(floor_sql, params).all()

        def table():
            return district_table(period)

        table()  # warm caches (statement compilation, zone data) once
        floor()
        table_time, table_cpu, rows = timed(table, args.repeat)
        floor_time, floor_cpu, floor_rows = timed(floor, args.repeat)
        checked = agrees(rows, floor_rows)
        share = "" if dialect == "sqlite" else " of the client"
        print(f"{dialect}: district table for {period} ({len(rows)} units), median of "
              f"{args.repeat}: {table_time * 1000:.0f} ms (CPU{share} {table_cpu * 1000:.0f} ms)")
        print(f"{dialect}: floor (one hand-written SQL aggregate), median of {args.repeat}: "
              f"{floor_time * 1000:.0f} ms (CPU{share} {floor_cpu * 1000:.0f} ms)")
        load = " ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"{dialect}: ratio {table_time / floor_time:.2f}  "
              f"(target: under 1 s, ratio ≤ 3)  figures agree with the floor: {checked}  "
              f"[load average {load} on {os.cpu_count()} CPUs]")
    if workdir is not None:
        workdir.cleanup()


if __name__ == "__main__":
    main()
