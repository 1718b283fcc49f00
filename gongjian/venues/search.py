"""Finding venues: the filters of the venue list (product.md §9) and the home page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from ..accounts.models import Community, Unit
from ..extensions import db
from .models import Venue, VenueKind

# How many tags one search may require, and how long one tag may be (the API's limit too).
MAX_EQUIPMENT_TAGS = 20
MAX_TAG_LENGTH = 60


class json_array_values(GenericFunction):
    """The elements of a JSON array of strings as rows of one text column `value`:
    `json_each` on SQLite, `json_array_elements_text` on PostgreSQL (the column is `json`)."""

    name = "json_array_values"
    inherit_cache = True


@compiles(json_array_values, "sqlite")
def _json_values_sqlite(element, compiler, **kw) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(json_array_values, "postgresql")
def _json_values_postgresql(element, compiler, **kw) -> str:
    return f"json_array_elements_text({compiler.process(element.clauses, **kw)})"


def _has_tag(tag: str) -> sa.ColumnElement[bool]:
    values = json_array_values(Venue.equipment).table_valued("value").alias()
    return sa.select(sa.literal(1)).select_from(values).where(values.c.value == tag).exists()


def venue_search(
    *,
    kind: VenueKind | str | None = None,
    street_id: int | None = None,
    community_id: int | None = None,
    unit_id: int | None = None,
    min_capacity: int | None = None,
    q: str | None = None,
    sport: str | None = None,
    equipment: Iterable[str] = (),
    step_free: bool | None = None,
    accessible_toilet: bool | None = None,
    order: Literal["id", "name"] = "id",
) -> sa.Select:
    """Venues that are not archived, of active units, matching every given filter.

    `q` looks in the venue's name, sport, address and description and in its unit's name;
    `sport` matches the venue's sport exactly (case aside); every tag of `equipment` must be
    among the venue's; `step_free` / `accessible_toilet` True keep only venues that have it
    (False and None do not filter). `order="name"` sorts by unit name, venue name, id (the
    home page); `"id"` by id (the API).
    """
    query = (sa.select(Venue).join(Unit, Unit.id == Venue.unit_id)
             .where(Venue.archived_at.is_(None), Unit.active.is_(True)))
    if kind is not None:
        query = query.where(Venue.kind == VenueKind(kind))
    if street_id is not None:
        query = query.where(Unit.community_id.in_(
            sa.select(Community.id).where(Community.street_id == street_id)))
    if community_id is not None:
        query = query.where(Unit.community_id == community_id)
    if unit_id is not None:
        query = query.where(Venue.unit_id == unit_id)
    if min_capacity is not None:
        query = query.where(Venue.capacity >= min_capacity)
    if sport is not None and sport.strip():
        query = query.where(sa.func.lower(Venue.sport) == sport.strip().lower())
    for tag in sorted(set(equipment)):
        query = query.where(_has_tag(tag))
    if step_free:
        query = query.where(Venue.step_free.is_(True))
    if accessible_toilet:
        query = query.where(Venue.accessible_toilet.is_(True))
    if q and q.strip():
        needle = q.strip().lower()
        query = query.where(sa.or_(*(
            sa.func.lower(column).contains(needle, autoescape=True)
            for column in (Venue.name, Venue.sport, Venue.address, Venue.description, Unit.name)
        )))
    if order == "name":
        return query.order_by(Unit.name, Venue.name, Venue.id)
    return query.order_by(Venue.id)


def _listed_venues() -> sa.Select:
    return venue_search().order_by(None)


def sports_in_use() -> list[str]:
    """The sports of the venues anyone can find, sorted (the sport filter's choices)."""
    query = (_listed_venues().with_only_columns(Venue.sport).where(Venue.sport != "")
             .distinct())
    return sorted(db.session.scalars(query))


def equipment_in_use() -> list[str]:
    """The equipment tags of the venues anyone can find, most common first, then by name."""
    counts: Counter[str] = Counter()
    for tags in db.session.scalars(_listed_venues().with_only_columns(Venue.equipment)):
        counts.update(set(tags or ()))
    return sorted(counts, key=lambda tag: (-counts[tag], tag))
