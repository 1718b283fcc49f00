"""Scheduled jobs (product.md §6, §10): thin calls into services, run by exactly one process.

`flask --app app scheduler` runs them; `flask --app app jobs run NAME` runs one by hand. A
database lock keeps a second scheduler from running them too: PostgreSQL's advisory lock held
on a dedicated connection for the scheduler's life, or on SQLite a row in `scheduler_locks`
taken and renewed by a conditional UPDATE. The row also carries the heartbeat /readyz reads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from . import clock
from .extensions import db
from .jobs_models import SchedulerLock
from .metrics import count_job

log = logging.getLogger(__name__)

LOCK_NAME = "scheduler"
# An arbitrary constant naming the advisory lock (PostgreSQL locks are keyed by a bigint).
ADVISORY_KEY = 0x6A6F6273  # "jobs"
HEARTBEAT_EVERY = timedelta(seconds=30)
# A lock row not renewed for this long belongs to a dead scheduler and may be taken over.
STALE_AFTER = timedelta(minutes=2)


# The jobs ----------------------------------------------------------------------------------


def expire_pending(now: datetime) -> int:
    from .bookings.services import expire_pending

    return expire_pending(now=now)


def complete_past(now: datetime) -> int:
    from .bookings.services import complete_past

    return complete_past(now=now)


def mark_no_shows(now: datetime) -> int:
    from .bookings.services import mark_no_shows

    return mark_no_shows(now=now)


def apply_no_show_rule(now: datetime) -> int:
    from .bookings.services import apply_no_show_rule

    config = current_app.config
    return len(apply_no_show_rule(now=now, limit=config["NO_SHOW_LIMIT"],
                                  window_days=config["NO_SHOW_WINDOW_DAYS"],
                                  suspension_days=config["NO_SHOW_SUSPENSION_DAYS"]))


def send_reminders(now: datetime) -> int:
    from .bookings.reminders import send_reminders

    return send_reminders(now=now)


def send_digest(now: datetime) -> int:
    from .bookings.reminders import send_digest

    return send_digest(now=now, zone=current_app.config["DEFAULT_TIMEZONE"])


def send_emails(now: datetime) -> int:
    from .mail import send_pending_emails

    return send_pending_emails(now=now)


JOBS: dict[str, Callable[[datetime], int]] = {
    "expire-pending": expire_pending,
    "complete-past": complete_past,
    "mark-no-shows": mark_no_shows,
    "apply-no-show-rule": apply_no_show_rule,
    "send-reminders": send_reminders,
    "send-digest": send_digest,
    "send-emails": send_emails,
}

# APScheduler trigger arguments of each job. The digest goes out at 08:00 in the default zone.
SCHEDULE: dict[str, dict[str, Any]] = {
    "expire-pending": {"trigger": "interval", "minutes": 1},
    "complete-past": {"trigger": "interval", "minutes": 1},
    "mark-no-shows": {"trigger": "interval", "minutes": 1},
    "apply-no-show-rule": {"trigger": "interval", "minutes": 15},
    "send-reminders": {"trigger": "interval", "minutes": 5},
    "send-digest": {"trigger": "cron", "hour": 8, "minute": 0},
    "send-emails": {"trigger": "interval", "minutes": 1},
}


def run_job(name: str, *, now: datetime | None = None) -> int:
    """Run one job once and commit; on failure roll back and re-raise."""
    now = now or clock.now()
    try:
        result = JOBS[name](now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        count_job(name, "failed")
        raise
    count_job(name, "ok")
    return result


# The lock ----------------------------------------------------------------------------------


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SchedulerLease:
    """The right to run the jobs, held by one scheduler at a time."""

    def __init__(self, engine: sa.Engine, *, holder: str | None = None) -> None:
        self.engine = engine
        self.holder = holder or default_holder()
        self.held = False
        self._connection: sa.Connection | None = None

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def acquire(self, now: datetime) -> bool:
        """Take the lock if free (or stale); answers whether this scheduler holds it."""
        if self.held:
            return self.renew(now)
        if self.postgres:
            connection = self.engine.connect()
            got = connection.scalar(sa.select(sa.func.pg_try_advisory_lock(ADVISORY_KEY)))
            # Session-level advisory locks outlive the transaction: end it, keep the session.
            connection.commit()
            if not got:
                connection.close()
                return False
            self._connection = connection
            self.held = True
            self._beat(now, force=True)
            return True
        self.held = self._beat(now, force=False)
        return self.held

    def renew(self, now: datetime) -> bool:
        """Record the heartbeat; on SQLite, lose the lock if another took it over meanwhile."""
        if not self.held:
            return False
        if self.postgres:
            try:
                self._connection.scalar(sa.select(1))
                self._connection.commit()
            except sa.exc.DBAPIError:
                log.warning("the scheduler lock's connection was lost")
                self._drop_connection()
                self.held = False
                return False
            self._beat(now, force=True)
            return True
        self.held = self._beat(now, force=False)
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if self.postgres:
            if self._connection is not None:
                try:
                    self._connection.scalar(sa.select(sa.func.pg_advisory_unlock(ADVISORY_KEY)))
                    self._connection.commit()
                finally:
                    self._drop_connection()
            return
        with self.engine.begin() as connection:
            connection.execute(sa.delete(SchedulerLock.__table__).where(
                SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == self.holder))

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._connection.close()
            self._connection = None

    def _beat(self, now: datetime, *, force: bool) -> bool:
        """Write the lock row: unconditionally when the advisory lock decides, else only when
        it is ours or stale. Answers whether the row is ours."""
        table = SchedulerLock.__table__
        condition = table.c.name == LOCK_NAME
        if not force:
            condition = condition & sa.or_(table.c.holder == self.holder,
                                           table.c.heartbeat_at < now - STALE_AFTER)
        with self.engine.begin() as connection:
            updated = connection.execute(
                sa.update(table).where(condition).values(holder=self.holder, heartbeat_at=now)
            ).rowcount
        if updated:
            return True
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(table).values(name=LOCK_NAME, holder=self.holder,
                                                           heartbeat_at=now))
        except IntegrityError:
            return False  # another scheduler holds a fresh lock row
        return True


def last_heartbeat() -> datetime | None:
    """When a scheduler last said it was alive (for /readyz)."""
    return db.session.scalar(sa.select(SchedulerLock.heartbeat_at).where(
        SchedulerLock.name == LOCK_NAME))


# The scheduler -----------------------------------------------------------------------------


class JobRunner:
    """Runs the jobs in an app context, only while this process holds the lease."""

    def __init__(self, app: Flask, lease: SchedulerLease) -> None:
        self.app = app
        self.lease = lease

    def heartbeat(self) -> bool:
        with self.app.app_context():
            now = clock.now()
            was_held = self.lease.held
            held = self.lease.acquire(now)
            if held and not was_held:
                log.info("scheduler %s took the lock", self.lease.holder)
            elif was_held and not held:
                log.warning("scheduler %s lost the lock", self.lease.holder)
            return held

    def run(self, name: str) -> int | None:
        """Run one job if this scheduler holds the lock (renewed first); None when it does not."""
        if not self.heartbeat():
            return None
        with self.app.app_context():
            try:
                result = run_job(name, now=clock.now())
            except Exception:
                log.exception("job %s failed", name)
                return None
            finally:
                db.session.remove()
        if result:
            log.info("job %s: %s", name, result)
        return result


def build_scheduler(app: Flask, *, blocking: bool = True, lease: SchedulerLease | None = None):
    """An APScheduler 3 scheduler with every job, guarded by the database lock."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    with app.app_context():
        lease = lease or SchedulerLease(db.engine)
    runner = JobRunner(app, lease)
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(timezone=app.config["DEFAULT_TIMEZONE"],
                     job_defaults={"coalesce": True, "max_instances": 1,
                                   "misfire_grace_time": 300})
    scheduler.add_job(runner.heartbeat, "interval", id="heartbeat",
                      seconds=int(HEARTBEAT_EVERY.total_seconds()))
    for name, trigger in SCHEDULE.items():
        scheduler.add_job(runner.run, args=[name], id=name, name=name, **trigger)
    scheduler.runner = runner  # type: ignore[attr-defined]
    return scheduler
