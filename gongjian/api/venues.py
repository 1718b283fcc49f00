"""Venues, their opening hours, closures and availability."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..accounts.models import Unit
from ..accounts.services import can_manage_unit
from ..bookings.availability import free_venue_ids, venue_availability
from ..bookings.models import ACTIVE_STATUSES, Booking
from ..bookings.services import close_venue
from ..bookings.visibility import visible_bookings_query
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..venues import services as venues
from ..venues.intervals import local_instant
from ..venues.models import Audience, Closure, ClosureReason, Venue, VenueKind
from ..venues.search import venue_search
from .auth import caller
from .parsing import (
    Boolean,
    ClockTime,
    Date,
    Enum,
    Field,
    Id,
    Instant,
    Integer,
    ListOf,
    Nullable,
    Object,
    Query,
    String,
)
from .registry import PAGE_QUERY, PUBLIC, get_or_404, lookup, no_content, now, operation, paginate
from .schemas import page_of, ref
from .serializers import (
    closure_json,
    closure_span_json,
    interval,
    own_booking_json,
    venue_json,
    window_json,
)

# A free-venue search or an availability answer covers at most this much.
MAX_FREE_SEARCH = timedelta(days=31)
MAX_AVAILABILITY_DAYS = 92
DEFAULT_AVAILABILITY_DAYS = 7


def _set_holidays(venue: Venue, closed: bool | None) -> None:
    """`closed_on_holidays` when the body gives it (its own service: it is audited apart)."""
    if closed is not None:
        venues.set_closed_on_holidays(venue=venue, closed=closed, actor=caller(), now=now())


def _venue_fields() -> dict[str, Field]:
    fields: dict[str, Field] = {}
    for name, limit in venues.VENUE_TEXT_FIELDS.items():
        fields[name] = String(limit, min_length=1 if name == "name" else 0)
    fields["kind"] = Enum(VenueKind)
    fields["equipment"] = ListOf(String(60, min_length=1), max_items=50,
                                 description="Equipment tags")
    fields["timezone"] = String(64, min_length=1, description="IANA time zone",
                                example="Asia/Shanghai")
    fields["audience"] = Enum(Audience)
    for name in venues.VENUE_BOOL_FIELDS:
        fields[name] = Boolean()
    for name, (low, high) in venues.VENUE_INT_FIELDS.items():
        fields[name] = Integer(low, high)
    fields["closed_on_holidays"] = Boolean(
        description="Closed on statutory holidays, open on make-up working days with the "
        "working-day hours (default false: the weekly timetable alone counts)")
    return fields


VENUE_FIELDS = _venue_fields()
VENUE_CREATE = Object({"unit_id": Id(), **VENUE_FIELDS},
                      required=("unit_id", "name", "kind", "capacity"),
                      description="Omitted rule settings take their defaults (product.md §5).")
VENUE_PATCH = Object(VENUE_FIELDS)
WINDOW = Object({
    "weekday": Integer(0, 6, description="0 = Monday"),
    "start": ClockTime(description="HH:MM, local time"),
    "end": ClockTime(allow_24=True, description="HH:MM, local time; 24:00 is midnight"),
    "valid_from": Date(description="Default: today at the venue"),
    "valid_until": Nullable(Date()),
}, required=("weekday", "start", "end"))
CLOSURE_BODY = Object({
    "start": Instant(),
    "end": Nullable(Instant(), description="None or omitted: suspended until removed"),
    "reason": Enum(ClosureReason),
    "note": String(500),
}, required=("start", "reason"))
VENUE_QUERY = PAGE_QUERY + Query({
    "kind": Enum(VenueKind),
    "community_id": Id(),
    "unit_id": Id(),
    "min_capacity": Integer(1, 100000),
    "q": String(100, description="Part of the name, sport, address, description or unit name"),
    "free_from": Instant(description="With free_to: only venues open and free throughout"),
    "free_to": Instant(),
})
VENUE_ID = {"venue_id": "The venue's id"}


def _visible_venue(venue_id: int) -> Venue:
    """Archived venues exist only for their unit's managers and district admins."""
    venue = get_or_404(Venue, venue_id, "venue")
    if venue.is_archived and not can_manage_unit(caller(), venue.unit_id):
        raise NotFound("venue")
    return venue


@operation("GET", "/venues", summary="Find venues", tag="venues", access=PUBLIC,
           query=VENUE_QUERY,
           responses={200: ("A page of venues that are not archived", page_of("Venue"))})
def list_venues(query: dict[str, Any]):
    select = venue_search(kind=query.get("kind"), community_id=query.get("community_id"),
                          unit_id=query.get("unit_id"), min_capacity=query.get("min_capacity"),
                          q=query.get("q"))
    free_from, free_to = query.get("free_from"), query.get("free_to")
    if (free_from is None) != (free_to is None):
        raise InvalidInput({"free_to" if free_to is None else "free_from": "required"})
    if free_from is not None:
        if free_to <= free_from:
            raise InvalidInput({"free_to": "not_after_free_from"})
        if free_to - free_from > MAX_FREE_SEARCH:
            raise InvalidInput({"free_to": "range_too_long"})
        ids = free_venue_ids(select, free_from, free_to)
        select = sa.select(Venue).where(Venue.id.in_(ids)).order_by(Venue.id)
    return paginate(select, query, venue_json)


@operation("POST", "/venues", summary="Create a venue", tag="venues", body=VENUE_CREATE,
           responses={201: ("The new venue", ref("Venue"))}, errors=(403,),
           description="For the managers of the unit and district admins.")
def create_venue(body: dict[str, Any]):
    unit = lookup(Unit, body.pop("unit_id"), "unit_id")
    holidays = body.pop("closed_on_holidays", None)
    venue = venues.create_venue(unit=unit, actor=caller(), now=now(), **body)
    _set_holidays(venue, holidays)
    data = venue_json(venue)
    db.session.commit()
    return data, 201


@operation("GET", "/venues/{venue_id}", summary="A venue", tag="venues", access=PUBLIC,
           path_params=VENUE_ID, responses={200: ("The venue", ref("Venue"))}, errors=(404,))
def get_venue(venue_id: int):
    return venue_json(_visible_venue(venue_id))


@operation("PATCH", "/venues/{venue_id}", summary="Change a venue's details or rules",
           tag="venues", path_params=VENUE_ID, body=VENUE_PATCH,
           responses={200: ("The changed venue", ref("Venue"))}, errors=(403, 404))
def update_venue(venue_id: int, body: dict[str, Any]):
    venue = _visible_venue(venue_id)
    holidays = body.pop("closed_on_holidays", None)
    venues.update_venue(venue=venue, actor=caller(), now=now(), **body)
    _set_holidays(venue, holidays)
    data = venue_json(venue)
    db.session.commit()
    return data


@operation("GET", "/venues/{venue_id}/opening-hours", summary="A venue's weekly opening hours",
           tag="venues", access=PUBLIC, path_params=VENUE_ID,
           responses={200: ("Every weekly window", {"type": "array",
                                                    "items": ref("OpeningWindow")})},
           errors=(404,))
def get_opening_hours(venue_id: int):
    return [window_json(w) for w in _visible_venue(venue_id).opening_hours]


@operation("PUT", "/venues/{venue_id}/opening-hours", summary="Replace a venue's opening hours",
           tag="venues", path_params=VENUE_ID, body=ListOf(WINDOW, max_items=200),
           responses={200: ("The new weekly windows", {"type": "array",
                                                       "items": ref("OpeningWindow")})},
           errors=(403, 404),
           description="The whole weekly list; windows of one venue never overlap, touching "
                       "ones join (`hours_overlap`, 422).")
def put_opening_hours(venue_id: int, body: list[dict[str, Any]]):
    venue = _visible_venue(venue_id)
    today = now().astimezone(venue.zone).date()
    windows = [venues.Window(w["weekday"], w["start"], w["end"], w.get("valid_from", today),
                             w.get("valid_until")) for w in body]
    venues.set_opening_hours(venue=venue, windows=windows, actor=caller(), now=now())
    data = [window_json(w) for w in venue.opening_hours]
    db.session.commit()
    return data


@operation("GET", "/venues/{venue_id}/closures", summary="A venue's closures", tag="venues",
           access=PUBLIC, path_params=VENUE_ID, query=PAGE_QUERY,
           responses={200: ("A page of closures, by start", page_of("Closure"))},
           errors=(404,))
def list_closures(venue_id: int, query: dict[str, Any]):
    venue = _visible_venue(venue_id)
    select = (sa.select(Closure).where(Closure.venue_id == venue.id)
              .order_by(Closure.start_at, Closure.id))
    return paginate(select, query, closure_json)


@operation("POST", "/venues/{venue_id}/closures", summary="Close a venue for a while",
           tag="venues", path_params=VENUE_ID, body=CLOSURE_BODY,
           responses={201: ("The closure, with the bookings it cancelled", ref("Closure"))},
           errors=(403, 404),
           description="Every pending or confirmed booking it overlaps is cancelled with the "
                       "closure's note (or reason) and its booker told.")
def create_closure(venue_id: int, body: dict[str, Any]):
    venue = _visible_venue(venue_id)
    closure, cancelled = close_venue(venue=venue, start=body["start"], end=body.get("end"),
                                     reason=body["reason"], note=body.get("note", ""),
                                     actor=caller(), now=now())
    data = closure_json(closure)
    data["cancelled_bookings"] = [b.id for b in cancelled]
    db.session.commit()
    return data, 201


@operation("DELETE", "/closures/{closure_id}", summary="Remove a closure", tag="venues",
           path_params={"closure_id": "The closure's id"}, responses={204: ("Removed", None)},
           errors=(403, 404))
def delete_closure(closure_id: int):
    closure = get_or_404(Closure, closure_id, "closure")
    venues.remove_closure(closure=closure, actor=caller(), now=now())
    db.session.commit()
    return no_content()


@operation("GET", "/venues/{venue_id}/availability", summary="When a venue is open, busy, free",
           tag="venues", access=PUBLIC, path_params=VENUE_ID,
           query=Query({
               "from": Date(description="First local date (default: today at the venue)"),
               "to": Date(description=f"Last local date, inclusive (default: "
                          f"{DEFAULT_AVAILABILITY_DAYS} days; at most "
                          f"{MAX_AVAILABILITY_DAYS})"),
           }),
           responses={200: ("Open, busy and free intervals, closures; no one else's "
                            "personal data", ref("Availability"))}, errors=(404,),
           description="`busy` holds every slot-holding booking as a bare interval; `mine` "
                       "adds the caller's own (and their organizations') pending and "
                       "confirmed bookings with title and status.")
def get_availability(venue_id: int, query: dict[str, Any]):
    venue = _visible_venue(venue_id)
    zone = venue.zone
    first = query.get("from") or now().astimezone(zone).date()
    last = query.get("to") or first + timedelta(days=DEFAULT_AVAILABILITY_DAYS - 1)
    if last < first:
        raise InvalidInput({"to": "before_from"})
    if (last - first).days >= MAX_AVAILABILITY_DAYS:
        raise InvalidInput({"to": "range_too_long"})
    start = local_instant(first, 0, zone)
    end = local_instant(last + timedelta(days=1), 0, zone)
    found = venue_availability(venue=venue, start=start, end=end)
    closures = db.session.scalars(
        sa.select(Closure)
        .where(Closure.venue_id == venue.id, Closure.start_at < end,
               sa.or_(Closure.end_at.is_(None), Closure.end_at > start))
        .order_by(Closure.start_at, Closure.id)
    ).all()
    user = caller()
    mine = [] if user is None else db.session.scalars(
        visible_bookings_query(user=user, statuses=ACTIVE_STATUSES, first=first, last=last)
        .where(Booking.venue_id == venue.id)
    ).all()
    return {
        "venue_id": venue.id,
        "timezone": venue.timezone,
        "open": [interval(iv, zone) for iv in found.open],
        "busy": [interval(iv, zone) for iv in found.busy],
        "free": [interval(iv, zone) for iv in found.free],
        "closures": [closure_span_json(c, start, end, zone) for c in closures],
        "mine": [own_booking_json(b) for b in mine],
    }
