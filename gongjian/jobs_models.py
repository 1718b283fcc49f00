"""The scheduler's lock and heartbeat: one row per lock name."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime
from .extensions import db


class SchedulerLock(db.Model):
    """Who runs the scheduled jobs, and when it last said so (also read by /readyz).

    On SQLite the row is the lock itself (taken and renewed by a conditional UPDATE); on
    PostgreSQL an advisory lock decides and the row only records the heartbeat.
    """

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SchedulerLock {self.name} {self.holder} {self.heartbeat_at}>"
