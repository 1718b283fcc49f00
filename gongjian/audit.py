"""The audit log: every state change of a booking, venue, closure, rule or agreement."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime
from .extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int]
    unit_id: Mapped[int | None] = mapped_column(index=True)
    venue_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC).isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of obj as JSON-ready values."""
    return {name: _plain(getattr(obj, name)) for name in fields}


@functools.cache
def _insert_event() -> sa.Insert:
    return AuditEvent.__table__.insert()


def record(
    *,
    actor,
    action: str,
    obj: Any,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    unit_id: int | None = None,
    venue_id: int | None = None,
) -> None:
    """Write one audit event for a change of obj, in the change's own transaction.

    A plain insert on the session's connection: the event is never read back in the same
    unit of work, so it skips the ORM's bookkeeping (it sits on every write's hot path).
    """
    db.session.connection().execute(
        _insert_event(),
        {
            "at": now,
            "actor_id": actor.id if actor is not None else None,
            "action": action,
            "object_type": type(obj).__tablename__,
            "object_id": obj.id,
            "unit_id": unit_id,
            "venue_id": venue_id,
            "before": _plain(before) if before is not None else None,
            "after": _plain(after) if after is not None else None,
        },
    )


def events_query(
    *,
    unit_id: int | None = None,
    venue_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> sa.Select:
    """Audit events, newest first, narrowed by unit, venue, actor, action and [start, end)."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if unit_id is not None:
        query = query.where(AuditEvent.unit_id == unit_id)
    if venue_id is not None:
        query = query.where(AuditEvent.venue_id == venue_id)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end)
    return query


def actions_present() -> list[str]:
    """Every action the log holds, alphabetically."""
    return list(db.session.scalars(
        sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
