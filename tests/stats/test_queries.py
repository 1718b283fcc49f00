"""How the booking figures are read: a series is its months computed alone, and SQLite reads
the bookings through the figures indexes (no table visits, no sort by key)."""

from __future__ import annotations

import importlib
import threading
from dataclasses import asdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from gongjian.extensions import db
from gongjian.stats.periods import Period
from gongjian.stats.services import Level, Scope, compute_figures, monthly_series

from ..conftest import NOW
from ..factories import Factory, local
from .conftest import insert_booking

BERLIN = ZoneInfo("Europe/Berlin")
ALL_DAY = [(d, "00:00", "24:00") for d in range(7)]
AUTUMN = Period(date(2026, 9, 1), date(2026, 11, 30))


def _autumn_of_two_units(make):
    """Two units, one with a venue in Berlin; bookings in every state, some crossing a month's
    edge, some decided, rated or for an organization, with bookers shared across venues."""
    first, second = make.unit(), make.unit()
    shanghai = make.venue(unit=first, hours=ALL_DAY)
    berlin = make.venue(unit=first, hours=ALL_DAY, timezone="Europe/Berlin")
    other = make.venue(unit=second, hours=ALL_DAY, requires_approval=True)
    people = [make.user() for _ in range(4)]
    organization = make.organization()
    starts = {
        shanghai: [local(2026, 9, 30, 23), local(2026, 10, 2, 9), local(2026, 10, 31, 22, 30),
                   local(2026, 11, 15, 18)],
        berlin: [datetime(2026, 9, 30, 23, tzinfo=BERLIN), datetime(2026, 10, 24, 23, 30,
                 tzinfo=BERLIN), datetime(2026, 11, 30, 23, tzinfo=BERLIN)],
        other: [local(2026, 9, 3, 10) + timedelta(days=9 * k) for k in range(10)],
    }
    statuses = ["completed", "cancelled", "no_show", "completed", "rejected", "confirmed",
                "completed", "expired", "completed", "pending"]
    n = 0
    for venue, times in starts.items():
        for start in times:
            status = statuses[n % len(statuses)]
            decided = venue is other and status not in ("pending", "expired")
            created = start - timedelta(days=3)
            insert_booking(
                venue=venue, booker=people[n % len(people)], start=start,
                end=start + timedelta(hours=2), status=status, attendees=3 + n,
                created_at=created,
                decided_at=created + timedelta(hours=n % 5 + 1) if decided else None,
                rating=n % 5 + 1 if status == "completed" else None,
                organization_id=organization.id if n % 3 == 0 else None)
            n += 1
    return first, second


@pytest.mark.parametrize("level", [Level.VENUE, Level.UNIT, Level.COMMUNITY, Level.DISTRICT])
def test_each_month_of_a_series_is_that_month_computed_alone(app, make, level):
    first, second = _autumn_of_two_units(make)
    scope = Scope(unit_ids=[first.id, second.id])
    months, series = monthly_series(AUTUMN, level=level, scope=scope)
    alone = [compute_figures(month, level=level, scope=scope) for month in months]
    assert len(months) == 3 and series
    for key, figures in series.items():
        assert [asdict(f) for f in figures] == [asdict(a[key]) for a in alone], key
    assert sum(f.bookings_total for s in series.values() for f in s) == 17


def _plans_of_booking_reads(statements):
    """(statement, plan steps) of every SELECT over the bookings."""
    plans = []
    for statement, parameters in statements:
        if " bookings" in statement and statement.lstrip().upper().startswith("SELECT"):
            rows = db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append((statement, [row[-1] for row in rows]))
    return plans


@pytest.mark.parametrize("level", [Level.VENUE, Level.UNIT, Level.DISTRICT])
def test_sqlite_reads_the_bookings_through_the_figures_indexes(sqlite_only_app, level):
    """Without statistics too (a test database has none): every statement reads index
    ranges, the big ones only from the figures indexes (no table visits) and, over the whole
    district, without sorting the bookings by key (but for the medians' window)."""
    make = Factory(now=NOW)
    first, second = _autumn_of_two_units(make)
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        compute_figures(AUTUMN, level=level, scope=Scope(unit_ids=[first.id, second.id]))
        monthly_series(AUTUMN, level=level)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    plans = _plans_of_booking_reads(statements)
    assert len(plans) >= 8
    for statement, plan in plans:
        reads = [step for step in plan if step.split()[:2] in (["SEARCH", "bookings"],
                                                                ["SCAN", "bookings"])]
        assert reads and all(step.startswith("SEARCH bookings ") for step in reads), plan
        if "bookings.end_at >" in statement:
            continue  # bookings reaching into a month from the day before: few, any index
        assert all(step.startswith("SEARCH bookings USING COVERING INDEX ix_bookings_")
                   for step in reads), plan
        if " OVER " not in statement and "units.id IN" not in statement:  # district-wide
            assert "USE TEMP B-TREE FOR GROUP BY" not in plan, plan


def test_the_figures_indexes_exist(app):
    names = {index["name"] for index in sa.inspect(db.engine).get_indexes("bookings")}
    assert {"ix_bookings_figures", "ix_bookings_decided"} <= names


def test_sqlite_reads_committed_figures_at_once_and_agrees_with_one_by_one(
        sqlite_only_app, monkeypatch):
    """With nothing uncommitted, SQLite reads the aggregates on connections of their own, at
    once; the figures are exactly those read one statement after another."""
    make = Factory(now=NOW)
    first, second = _autumn_of_two_units(make)
    db.session.commit()
    threads = set()

    def remember(conn, cursor, statement, parameters, context, executemany):
        threads.add(threading.current_thread().name)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        months, at_once = monthly_series(AUTUMN, level=Level.UNIT)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert any(name.startswith("gongjian-read") for name in threads)
    monkeypatch.setattr(importlib.import_module("gongjian.db"), "_can_read_aside",
                        lambda connection: False)
    _, one_by_one = monthly_series(AUTUMN, level=Level.UNIT)
    assert {k: [asdict(f) for f in v] for k, v in at_once.items()} == {
        k: [asdict(f) for f in v] for k, v in one_by_one.items()}
    assert sum(f.bookings_total for s in at_once.values() for f in s) == 17
    assert set(at_once) == {first.id, second.id}


def test_uncommitted_bookings_count_read_on_the_sessions_own_connection(sqlite_only_app):
    """Bookings written but not yet committed are seen: the reads stay on the session's
    connection (other connections would not see them)."""
    make = Factory(now=NOW)
    first, _second = _autumn_of_two_units(make)
    db.session.commit()
    venue = make.venue(unit=first, hours=ALL_DAY)
    insert_booking(venue=venue, booker=make.user(), start=local(2026, 10, 10, 9),
                   end=local(2026, 10, 10, 11), status="completed", attendees=40)
    threads = set()

    def remember(conn, cursor, statement, parameters, context, executemany):
        threads.add(threading.current_thread().name)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        figures = compute_figures(AUTUMN, level=Level.UNIT, scope=Scope(unit_ids=[first.id]))
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert not any(name.startswith("gongjian-read") for name in threads)
    assert figures[first.id].bookings_total == 8
    assert figures[first.id].people_served == 40 + 3 + 6 + 9
