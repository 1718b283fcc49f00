"""Bookings and recurring series."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User, str_enum
from ..db import UTCDateTime
from ..extensions import db
from ..venues.models import Venue


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


# Only these hold a slot (product.md §6); the database backstops use the same list.
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


class Series(db.Model):
    """A weekly recurrence; its occurrences are ordinary bookings that point back to it."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"), index=True)
    booker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    attendees: Mapped[int]
    start_date: Mapped[date]
    until: Mapped[date | None]
    count: Mapped[int | None]
    weekdays: Mapped[list[int]] = mapped_column(sa.JSON)
    interval_weeks: Mapped[int] = mapped_column(default=1)
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    venue: Mapped[Venue] = relationship()
    booker: Mapped[User] = relationship()
    organization: Mapped[Organization | None] = relationship()
    bookings: Mapped[list[Booking]] = relationship(
        back_populates="series", order_by="Booking.start_at"
    )


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="end_after_start"),
        sa.CheckConstraint("attendees >= 1", name="attendees_positive"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        sa.Index("ix_bookings_venue_start", "venue_id", "start_at"),
        sa.Index("ix_bookings_booker_venue_end", "booker_id", "venue_id", "end_at"),
        sa.Index("ix_bookings_org_venue_end", "organization_id", "venue_id", "end_at"),
        sa.Index("ix_bookings_status_start", "status", "start_at"),
        sa.Index("ix_bookings_status_end", "status", "end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"))
    booker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("series.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    attendees: Mapped[int]
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus, 16))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    late_cancellation: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The decision (rejection) or cancellation reason.
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every change: the ICS SEQUENCE.
    revision: Mapped[int] = mapped_column(default=0)
    # Reminders already sent, by kind ("24h", "2h"): jobs send each once.
    reminders_sent: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    # Optimistic concurrency: every UPDATE checks the revision it read, so two racing
    # decisions on one booking cannot both apply.
    __mapper_args__ = {  # noqa: RUF012
        "version_id_col": revision,
        "version_id_generator": lambda version: 0 if version is None else version + 1,
    }

    venue: Mapped[Venue] = relationship()
    booker: Mapped[User] = relationship(foreign_keys=[booker_id])
    organization: Mapped[Organization | None] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="bookings")

    @property
    def unit_id(self) -> int:
        return self.venue.unit_id

    @hybrid_property
    def holds_slot(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @holds_slot.inplace.expression
    @classmethod
    def _holds_slot_expression(cls) -> sa.ColumnElement[bool]:
        # The statuses are written into the statement: a bound list is expanded again at every
        # execution, and the booking path reads with this on every request.
        return cls.status.in_([sa.literal_column(f"'{status.value}'")
                               for status in ACTIVE_STATUSES])

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status} {self.start_at}–{self.end_at}>"
