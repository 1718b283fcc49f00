"""Flask commands (thin: they call services and commit)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from .db import utcnow
from .errors import DomainError
from .extensions import db

user_cli = AppGroup("user", help="Manage users.")
jobs_cli = AppGroup("jobs", help="Run scheduled jobs by hand.")


def _parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    from .bookings.services import parse_instant

    try:
        return parse_instant(value).astimezone(UTC)
    except DomainError:
        raise click.BadParameter("--now needs an RFC 3339 time with an offset") from None


def _fail(error: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(f"{error.code}: {error.message} {error.details or ''}".strip())


@click.command("seed-demo", help="Fill an empty database with the demo district.")
def seed_demo_command() -> None:
    from .accounts.models import User
    from .demo import seed_demo

    if db.session.scalar(sa.select(sa.func.count(User.id))):
        raise click.ClickException("the database already has users; seed-demo needs it empty")
    logins = seed_demo(now=utcnow())
    db.session.commit()
    click.echo("Demo district created. Logins:")
    for role, login in logins.items():
        click.echo(f"  {role}: {login}")


@user_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="Make the user a district admin.")
@click.option("--manages", "manages", type=int, multiple=True, help="A unit id the user manages.")
def create_user_command(email: str, password: str, name: str, admin: bool,
                        manages: tuple[int, ...]) -> None:
    """Create a user (optionally a district admin or a unit's manager)."""
    from .accounts.services import assign_manager, create_user, get_unit

    try:
        user = create_user(email=email, password=password, name=name, now=utcnow(),
                           is_admin=admin)
        for unit_id in manages:
            assign_manager(unit=get_unit(unit_id), user=user)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"created user {user.id} {user.email}")


@click.command("backup", help="Write a consistent copy of the SQLite database to PATH.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException("backup copies SQLite databases; use pg_dump for PostgreSQL")
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise click.ClickException("the database is not a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    # The online backup API copies a consistent snapshot while the app keeps writing.
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    click.echo(f"backed up {source_path} to {path}")


JOBS = ("expire-pending", "complete-past", "mark-no-shows", "apply-no-show-rule",
        "send-reminders", "send-digest", "send-emails")


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(JOBS))
@click.option("--now", "now_text", help="Run as if the clock read this RFC 3339 time.")
def run_job_command(name: str, now_text: str | None) -> None:
    """Run one scheduled job once."""
    from .jobs import run_job

    result = run_job(name, now=_parse_now(now_text))
    click.echo(f"{name}: {result}")


@click.command("scheduler", help="Run the scheduled jobs in the foreground (one per database).")
def scheduler_command() -> None:
    import logging
    import signal

    from .jobs import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    def stop(signum, frame):
        raise SystemExit(0)

    # A supervisor stops us with SIGTERM: leave through `finally`, releasing the lock.
    signal.signal(signal.SIGTERM, stop)
    scheduler = build_scheduler(current_app._get_current_object(), blocking=True)
    runner = scheduler.runner
    if runner.heartbeat():
        click.echo(f"scheduler {runner.lease.holder} holds the lock; running the jobs")
    else:
        click.echo("another scheduler holds the lock; standing by until it is free")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with current_app.app_context():
            runner.lease.release()


def prepare_embedded(app: Flask) -> None:
    """Upgrade the schema, and seed the demo district into an empty database."""
    from flask_migrate import upgrade

    from .accounts.models import User
    from .demo import seed_demo

    with app.app_context():
        upgrade()
        if not db.session.scalar(sa.select(sa.func.count(User.id))):
            logins = seed_demo(now=utcnow())
            db.session.commit()
            print(" * Demo district seeded. Logins:")
            for role, login in logins.items():
                print(f"     {role}: {login}")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(user_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_command)
