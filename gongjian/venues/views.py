"""Public venue pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from ..accounts.models import Unit
from ..extensions import db
from .models import Venue

bp = Blueprint("venues", __name__)


@bp.get("/")
def index():
    units = db.session.scalars(
        sa.select(Unit)
        .where(Unit.active.is_(True))
        .options(selectinload(Unit.venues), selectinload(Unit.community))
        .order_by(Unit.id)
    ).all()
    venue_count = db.session.scalar(
        sa.select(sa.func.count(Venue.id)).where(Venue.archived_at.is_(None))
    )
    return render_template("venues/index.html", units=units, venue_count=venue_count)
