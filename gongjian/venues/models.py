"""Venues, their weekly opening hours, closures and photos."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Unit, str_enum
from ..db import UTCDateTime, utcnow
from ..extensions import db


class VenueKind(StrEnum):
    MEETING_ROOM = "meeting_room"
    SPORTS = "sports"
    TRAINING = "training"
    ACTIVITY = "activity"
    OTHER = "other"


class Audience(StrEnum):
    RESIDENTS = "residents"
    ORGANIZATIONS = "organizations"
    BOTH = "both"


class ClosureReason(StrEnum):
    MAINTENANCE = "maintenance"
    EVENT = "event"
    HOLIDAY = "holiday"
    SUSPENSION = "suspension"


# The rule settings of product.md §5 with their defaults; the API and forms accept them by name.
RULE_DEFAULTS: dict[str, int | bool | str] = {
    "audience": "both",
    "slot_minutes": 30,
    "min_duration_minutes": 30,
    "max_duration_minutes": 240,
    "min_notice_minutes": 60,
    "max_advance_days": 14,
    "max_active_per_user": 3,
    "max_active_per_org": 10,
    "buffer_minutes": 0,
    "requires_approval": False,
    "requires_check_in": False,
    "cancel_deadline_minutes": 120,
    "max_series_days": 182,
}

# No booking may last longer than a day; conflict searches rely on it to stay index-bounded.
LONGEST_BOOKING_MINUTES = 24 * 60


class Venue(db.Model):
    __tablename__ = "venues"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint(
            "slot_minutes >= 5 AND slot_minutes <= 1440", name="slot_minutes_range"
        ),
        sa.CheckConstraint(
            "min_duration_minutes >= 1 AND min_duration_minutes <= max_duration_minutes"
            " AND max_duration_minutes <= 1440",
            name="duration_range",
        ),
        sa.CheckConstraint(
            "min_notice_minutes >= 0 AND max_advance_days >= 0 AND buffer_minutes >= 0"
            " AND cancel_deadline_minutes >= 0 AND max_series_days >= 1"
            " AND max_active_per_user >= 1 AND max_active_per_org >= 1",
            name="rules_non_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[VenueKind] = mapped_column(str_enum(VenueKind))
    sport: Mapped[str] = mapped_column(sa.String(60), default="")
    capacity: Mapped[int]
    equipment: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    floor: Mapped[str] = mapped_column(sa.String(40), default="")
    step_free: Mapped[bool] = mapped_column(default=False)
    accessible_toilet: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    booking_notes: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")

    audience: Mapped[Audience] = mapped_column(str_enum(Audience), default=Audience.BOTH)
    slot_minutes: Mapped[int] = mapped_column(default=30)
    min_duration_minutes: Mapped[int] = mapped_column(default=30)
    max_duration_minutes: Mapped[int] = mapped_column(default=240)
    min_notice_minutes: Mapped[int] = mapped_column(default=60)
    max_advance_days: Mapped[int] = mapped_column(default=14)
    max_active_per_user: Mapped[int] = mapped_column(default=3)
    max_active_per_org: Mapped[int] = mapped_column(default=10)
    buffer_minutes: Mapped[int] = mapped_column(default=0)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    requires_check_in: Mapped[bool] = mapped_column(default=False)
    cancel_deadline_minutes: Mapped[int] = mapped_column(default=120)
    max_series_days: Mapped[int] = mapped_column(default=182)
    # Closed on mainland China's statutory holidays, open on make-up working days (调休) with the
    # working-day windows: gongjian/venues/holidays.py.
    closed_on_holidays: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A new random value with every new weekly timetable (set_opening_hours): read with the
    # venue, it names the timetable, so processes may keep timetables by it (weekly_windows).
    hours_version: Mapped[str | None] = mapped_column(sa.String(32))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(back_populates="venues")
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="venue",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.start_minute, OpeningHours.valid_from)",
    )
    photos: Mapped[list[VenuePhoto]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="VenuePhoto.position"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name}>"


class OpeningHours(db.Model):
    """A weekly window in the venue's local time: minutes from midnight, end ≤ 1440 (24:00)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint(
            "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
            name="minutes_range",
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="validity_order"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]

    venue: Mapped[Venue] = relationship(back_populates="opening_hours")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def __repr__(self) -> str:
        return f"<OpeningHours {self.weekday} {self.start_minute}-{self.end_minute}>"


class Closure(db.Model):
    """An interval when the venue is not open; no end means suspended until further notice."""

    __tablename__ = "closures"
    __table_args__ = (
        sa.CheckConstraint("end_at IS NULL OR end_at > start_at", name="end_after_start"),
        sa.Index("ix_closures_venue_start", "venue_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[ClosureReason] = mapped_column(str_enum(ClosureReason))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue] = relationship()

    def __repr__(self) -> str:
        return f"<Closure {self.venue_id} {self.start_at}–{self.end_at}>"


class VenuePhoto(db.Model):
    __tablename__ = "venue_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    width: Mapped[int]
    height: Mapped[int]
    # What the photo shows, for people who cannot see it (the img's alt text); may be empty.
    caption: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue] = relationship(back_populates="photos")
