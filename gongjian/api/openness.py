"""Openness figures (product.md §7) over a period of local dates (§9)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from ..accounts.models import Unit
from ..errors import InvalidInput
from ..extensions import db
from ..stats import periods
from ..stats.services import (
    STATUSES,
    Figures,
    Level,
    Scope,
    compute_figures,
    require_unit_reader,
    unit_openness,
)
from ..stats.services import readable_unit_ids as stats_readable_unit_ids
from .auth import caller
from .parsing import Date, Query
from .registry import get_or_404, operation
from .schemas import COMPONENTS, DATE, nullable, ref
from .serializers import unit_json, venue_json

PERIOD_QUERY = Query({
    "from": Date(description="First local date of the period (default: 1 January of this "
                             "year)"),
    "to": Date(description="Last local date, inclusive (default: 31 December of this year; "
                           f"at most {periods.LONGEST_PERIOD_DAYS} days after `from`)"),
})

_HOURS = {"type": "number", "minimum": 0}
_RATIO = nullable({"type": "number", "minimum": 0})
_COUNT = {"type": "integer", "minimum": 0}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": list(properties),
                              "properties": properties, "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


# The components this module answers with, added to the shared document's schemas.
COMPONENTS.setdefault("OpennessFigures", _object({
    "open_hours": {**_HOURS, "description": "Opening-hours windows valid on each date, "
                   "clipped to the period and the venue's life, minus closures"},
    "evening_hours": {**_HOURS, "description": "The part of open_hours after 18:00 local"},
    "rest_day_hours": {**_HOURS, "description": "The part of open_hours on Saturday and Sunday"},
    "booked_hours": {**_HOURS, "description": "confirmed, completed and no_show bookings, "
                     "clipped to the period"},
    "used_hours": {**_HOURS, "description": "completed bookings, clipped to the period"},
    "utilization": {**_RATIO, "description": "booked_hours / open_hours"},
    "bookings": _object({"total": _COUNT, **{s.value: _COUNT for s in STATUSES}},
                        "Bookings starting in the period, by status"),
    "people_served": {**_COUNT, "description": "Attendees of completed bookings"},
    "distinct_bookers": _COUNT,
    "organizations_served": _COUNT,
    "approval_rate": {**_RATIO, "description": "approved / (approved + rejected) among "
                      "decided approval-required bookings"},
    "median_decision_hours": nullable(_HOURS),
    "cancellation_rate": _RATIO,
    "no_show_rate": _RATIO,
    "satisfaction": nullable({"type": "number", "minimum": 1, "maximum": 5}),
    "ratings": _COUNT,
    "committed_hours": {**nullable(_HOURS), "description": "From the unit's agreements; null "
                        "for a venue"},
    "commitment_rate": {**_RATIO, "description": "open_hours / committed_hours; null for a "
                        "venue"},
}, "Hours to 2 decimals, ratios to 4 (half up); a ratio is null when its denominator is 0. "
   "A unit's hours and counts are sums over its venues; distinct counts, medians and ratios "
   "are over its pooled bookings."))
COMPONENTS.setdefault("UnitOpenness", _object({
    "unit": ref("Unit"), "from": DATE, "to": DATE, "figures": ref("OpennessFigures"),
    "venues": {"type": "array", "items": _object({"venue": ref("Venue"),
                                                  "figures": ref("OpennessFigures")})},
}))
COMPONENTS.setdefault("DistrictOpenness", _object({
    "from": DATE, "to": DATE,
    "items": {"type": "array", "items": _object({"unit": ref("Unit"),
                                                 "figures": ref("OpennessFigures")})},
}))


def _period(query: dict[str, Any]) -> periods.Period:
    year = periods.today().year
    first = query.get("from") or date(year, 1, 1)
    last = query.get("to") or (date(year, 12, 31) if "from" not in query else
                               date(first.year, 12, 31))
    if last < first:
        raise InvalidInput({"to": "before_from"})
    if (last - first).days >= periods.LONGEST_PERIOD_DAYS:
        raise InvalidInput({"to": "range_too_long"})
    return periods.Period(first, last)


def _figures(figures: Figures) -> dict[str, Any]:
    return figures.to_dict()


@operation("GET", "/units/{unit_id}/openness", summary="A unit's openness figures",
           tag="openness", query=PERIOD_QUERY, path_params={"unit_id": "The unit"},
           responses={200: ("The unit's figures and each venue's", ref("UnitOpenness"))},
           errors=(403, 404))
def get_unit_openness(unit_id: int, query: dict[str, Any]):
    """For the unit's managers and district admins."""
    unit = get_or_404(Unit, unit_id, "unit")
    require_unit_reader(caller(), unit.id)
    period = _period(query)
    figures, venues = unit_openness(unit, period)
    return {
        "unit": unit_json(unit),
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "figures": _figures(figures),
        "venues": [{"venue": venue_json(venue), "figures": _figures(venue_figures)}
                   for venue, venue_figures in venues],
    }


@operation("GET", "/openness", summary="Every unit's openness figures", tag="openness",
           query=PERIOD_QUERY,
           responses={200: ("District admins get every unit, managers their own units",
                            ref("DistrictOpenness"))}, errors=(403,))
def get_openness(query: dict[str, Any]):
    """Units in id order."""
    unit_ids = stats_readable_unit_ids(caller())
    period = _period(query)
    figures = compute_figures(period, level=Level.UNIT, scope=Scope(unit_ids=unit_ids))
    rows = db.session.scalars(
        sa.select(Unit).where(Unit.id.in_(list(figures))).order_by(Unit.id)).all()
    return {"from": period.first.isoformat(), "to": period.last.isoformat(),
            "items": [{"unit": unit_json(u), "figures": _figures(figures[u.id])}
                      for u in rows]}
