"""Co-construction agreements (共驻共建协议), and the booking indexes the openness figures read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Community, Street, Unit
from ..bookings.models import Booking
from ..db import UTCDateTime, utcnow
from ..extensions import db


class Agreement(db.Model):
    __tablename__ = "agreements"
    __table_args__ = (
        sa.CheckConstraint(
            "(community_id IS NULL) <> (street_id IS NULL)", name="one_counterparty"
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="validity_order"
        ),
        sa.CheckConstraint("committed_hours_per_week >= 0", name="hours_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"))
    street_id: Mapped[int | None] = mapped_column(sa.ForeignKey("streets.id"))
    signed_on: Mapped[date]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    committed_hours_per_week: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The signed agreement as a PDF: a random file name in AGREEMENT_DIR, the uploaded name.
    document_file: Mapped[str | None] = mapped_column(sa.String(64))
    document_name: Mapped[str | None] = mapped_column(sa.String(255))
    document_size: Mapped[int | None]

    unit: Mapped[Unit] = relationship()
    community: Mapped[Community | None] = relationship()
    street: Mapped[Street | None] = relationship()


# The openness figures aggregate bookings per venue and status over a range of start instants.
# These indexes belong to the figures (declared here, not with the booking rules): the first
# covers every booking aggregate, so a year of a district's bookings is read from the index in
# venue and status order without visiting the table or sorting; the second holds only the
# decided (approval-required) bookings, for the approval figures' median.
sa.Index(
    "ix_bookings_figures",
    Booking.venue_id, Booking.status, Booking.start_at, Booking.end_at, Booking.attendees,
    Booking.rating, Booking.decided_at, Booking.booker_id, Booking.organization_id,
)
sa.Index(
    "ix_bookings_decided",
    Booking.venue_id, Booking.start_at, Booking.decided_at, Booking.created_at, Booking.status,
    sqlite_where=Booking.decided_at.is_not(None),
    postgresql_where=Booking.decided_at.is_not(None),
)
