"""Finding venues: the filters of the venue list (product.md §9)."""

from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import Unit
from .models import Venue, VenueKind


def venue_search(
    *,
    kind: VenueKind | str | None = None,
    community_id: int | None = None,
    unit_id: int | None = None,
    min_capacity: int | None = None,
    q: str | None = None,
) -> sa.Select:
    """Venues that are not archived, matching every given filter; `q` looks in the venue's
    name, sport, address and description and in its unit's name."""
    query = (sa.select(Venue).join(Unit, Unit.id == Venue.unit_id)
             .where(Venue.archived_at.is_(None)).order_by(Venue.id))
    if kind is not None:
        query = query.where(Venue.kind == VenueKind(kind))
    if community_id is not None:
        query = query.where(Unit.community_id == community_id)
    if unit_id is not None:
        query = query.where(Venue.unit_id == unit_id)
    if min_capacity is not None:
        query = query.where(Venue.capacity >= min_capacity)
    if q:
        needle = q.strip().lower()
        query = query.where(sa.or_(*(
            sa.func.lower(column).contains(needle, autoescape=True)
            for column in (Venue.name, Venue.sport, Venue.address, Venue.description, Unit.name)
        )))
    return query
