"""Co-construction agreements (共驻共建协议): what each unit promised to open."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Community, Street, Unit
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

    unit: Mapped[Unit] = relationship()
    community: Mapped[Community | None] = relationship()
    street: Mapped[Street | None] = relationship()
