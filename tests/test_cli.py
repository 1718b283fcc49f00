"""The flask commands of product.md §10."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from gongjian.accounts.models import Unit, User, unit_managers
from gongjian.bookings.models import Booking, BookingStatus
from gongjian.extensions import db
from gongjian.venues.models import Venue, VenueKind

from .factories import local


def test_user_create_makes_a_manager_of_a_unit(app, make):
    unit = make.unit()
    make.commit()
    result = app.test_cli_runner().invoke(args=[
        "user", "create", "--email", "Li.Wei@Example.cn", "--password", "s3cret-pass",
        "--name", "李伟", "--manages", str(unit.id)])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "li.wei@example.cn"))
    assert (user.name, user.is_admin) == ("李伟", False)
    assert db.session.execute(sa.select(unit_managers)).all() == [(user.id, unit.id)]


def test_user_create_admin(app):
    result = app.test_cli_runner().invoke(args=[
        "user", "create", "--email", "admin@example.cn", "--password", "s3cret-pass",
        "--name", "王芳", "--admin"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.is_admin)) is True


def test_user_create_refuses_bad_input_and_writes_nothing(app, make):
    make.user(email="taken@example.cn")
    make.commit()
    runner = app.test_cli_runner()
    taken = runner.invoke(args=["user", "create", "--email", "TAKEN@example.cn",
                                "--password", "s3cret-pass", "--name", "张三"])
    assert taken.exit_code == 1
    assert "invalid_input" in taken.output and "email" in taken.output
    short = runner.invoke(args=["user", "create", "--email", "new@example.cn",
                                "--password", "short", "--name", "张三"])
    assert short.exit_code == 1 and "password" in short.output
    no_unit = runner.invoke(args=["user", "create", "--email", "new@example.cn",
                                  "--password", "s3cret-pass", "--name", "张三",
                                  "--manages", "999"])
    assert no_unit.exit_code == 1 and "not_found" in no_unit.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_jobs_run_uses_the_given_clock(app, make, now):
    venue = make.venue(requires_approval=True)
    booking = make.booking(venue=venue, start=local(2026, 12, 2, 14), end=local(2026, 12, 2, 16))
    make.commit()
    runner = app.test_cli_runner()
    early = runner.invoke(args=["jobs", "run", "expire-pending", "--now",
                                "2026-12-02T13:59:00+08:00"])
    assert early.exit_code == 0 and early.output.strip() == "expire-pending: 0"
    due = runner.invoke(args=["jobs", "run", "expire-pending", "--now",
                              "2026-12-02T14:00:00+08:00"])
    assert due.output.strip() == "expire-pending: 1"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.EXPIRED
    naive = runner.invoke(args=["jobs", "run", "complete-past", "--now", "2026-12-02T14:00"])
    assert naive.exit_code == 2 and "offset" in naive.output


def test_seed_demo_builds_a_realistic_district_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for role in ("district admin", "unit manager", "resident", "organization member"):
        assert role in result.output
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) >= 8
    assert db.session.scalar(sa.select(sa.func.count(Venue.id))) >= 25
    kinds = set(db.session.scalars(sa.select(Venue.kind).distinct()))
    assert kinds == set(VenueKind)
    statuses = set(db.session.scalars(sa.select(Booking.status).distinct()))
    assert statuses == set(BookingStatus)
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 1 and "empty" in again.output


def test_backup_copies_a_consistent_sqlite_database(sqlite_only_app, tmp_path):
    from .conftest import NOW
    from .factories import Factory

    make = Factory(now=NOW)
    make.venue()
    make.commit()
    target = tmp_path / "copy" / "backup.db"
    result = sqlite_only_app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("SELECT count(*) FROM venues").fetchone() == (1,)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()
