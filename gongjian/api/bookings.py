"""Bookings: check, create, list, read, and every step of their lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..bookings import services as bookings
from ..bookings.models import Booking, BookingStatus
from ..bookings.visibility import can_view_booking, visible_bookings_query
from ..errors import DomainError, NotFound
from ..extensions import db
from ..venues.models import Venue
from .auth import caller
from .parsing import (
    FIRST_YEAR,
    LAST_YEAR,
    Anything,
    Date,
    Enum,
    Id,
    Integer,
    ListOf,
    Nullable,
    Object,
    Query,
    String,
)
from .registry import PAGE_QUERY, get_or_404, now, operation, paginate
from .schemas import page_of, ref
from .serializers import booking_json, instant

TIME = Anything({"type": "string", "format": "date-time"},
                description="RFC 3339 with an offset; anything else is `invalid_time`")
BOOKING_BODY = Object({
    "venue_id": Id(),
    "start": TIME,
    "end": TIME,
    "title": String(bookings.TITLE_MAX, min_length=1),
    "attendees": Integer(),
    "organization_id": Nullable(Id(), description="Book on behalf of this organization"),
}, required=("venue_id", "start", "end", "title", "attendees"))
REASON = String(bookings.REASON_MAX)
BOOKING_ID = {"booking_id": "The booking's id"}
BOOKING_ERRORS = (403, 404, 409)
RULES_NOTE = ("Refusals carry `details.violations`, every failed rule's code (product.md §5); "
              "a clash (409 `conflict`) also `details.conflicts` and up to 3 "
              "`details.suggestions`.")


def _instant(value: Any) -> datetime:
    moment = bookings.parse_instant(value)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise DomainError("invalid_time")
    return moment


def _visible_booking(booking_id: int) -> Booking:
    booking = get_or_404(Booking, booking_id, "booking")
    if not can_view_booking(caller(), booking):
        raise NotFound("booking")
    return booking


@operation("POST", "/bookings/check", summary="Check a booking request, writing nothing",
           tag="bookings", body=BOOKING_BODY,
           responses={200: ("Whether every rule holds, and which fail", ref("BookingCheck"))},
           errors=(403, 404), description="Same body as creating a booking. A request that "
           "cannot be read at all (bad times, unknown venue) is refused as on creation.")
def check_booking(body: dict[str, Any]):
    start, end = _instant(body["start"]), _instant(body["end"])
    verdict = bookings.check_booking(
        venue_id=body["venue_id"], booker=caller(), start=start, end=end,
        attendees=body["attendees"], title=body["title"],
        organization_id=body.get("organization_id"), now=now())
    venue = db.session.get(Venue, body["venue_id"])
    zone = venue.zone
    return {
        "ok": verdict.ok,
        "violations": [v.code for v in verdict.violations],
        "messages": [v.message for v in verdict.violations],
        "conflicts": [{"start": instant(s, zone), "end": instant(e, zone)}
                      for s, e in verdict.conflicts],
        "suggestions": [{"start": instant(s, zone), "end": instant(e, zone)}
                        for s, e in verdict.suggestions],
    }


@operation("POST", "/bookings", summary="Book a venue", tag="bookings", body=BOOKING_BODY,
           responses={201: ("The booking: confirmed, or pending where the venue requires "
                            "approval", ref("Booking"))},
           errors=(*BOOKING_ERRORS, 503), description=RULES_NOTE)
def create_booking(body: dict[str, Any]):
    # Refusals carry their clashes and suggestions in the venue's offset already.
    booking = bookings.create_booking(
        venue_id=body["venue_id"], booker=caller(), start=_instant(body["start"]),
        end=_instant(body["end"]), title=body["title"], attendees=body["attendees"],
        organization_id=body.get("organization_id"), now=now())
    data = booking_json(booking)
    db.session.commit()
    return data, 201


@operation("GET", "/bookings", summary="List bookings", tag="bookings",
           query=PAGE_QUERY + Query({
               "scope": Enum(["mine", "unit"], description="mine (default): booked by me or "
                             "by my organizations; unit: at the units I manage (all units for "
                             "district admins)"),
               "unit_id": Id(description="Only at this unit's venues"),
               "status": ListOf(Enum(BookingStatus), max_items=len(BookingStatus),
                                description="Comma-separated statuses"),
               "from": Date(description="Overlapping this local date or later"),
               "to": Date(description="Overlapping this local date or earlier (inclusive)"),
           }),
           responses={200: ("A page of bookings, by start", page_of("Booking"))},
           errors=(403,))
def list_bookings(query: dict[str, Any]):
    select = visible_bookings_query(
        user=caller(), scope=query.get("scope", "mine"), unit_id=query.get("unit_id"),
        statuses=[BookingStatus(s) for s in query.get("status", [])],
        first=query.get("from"), last=query.get("to"))
    return paginate(select, query, booking_json)


@operation("GET", "/bookings/{booking_id}", summary="A booking", tag="bookings",
           path_params=BOOKING_ID, responses={200: ("The booking", ref("Booking"))},
           errors=(404,), description="Its booker, the organization's members, the unit's "
           "managers and district admins see it; to anyone else it does not exist.")
def get_booking(booking_id: int):
    return booking_json(_visible_booking(booking_id))


def _act(booking_id: int, action, **kwargs: Any):
    booking = _visible_booking(booking_id)
    action(booking=booking, actor=caller(), now=now(), **kwargs)
    data = booking_json(booking)
    db.session.commit()
    return data


CHANGED = {200: ("The changed booking", ref("Booking"))}


@operation("POST", "/bookings/{booking_id}/cancel", summary="Cancel a booking", tag="bookings",
           path_params=BOOKING_ID, body=Object({"reason": REASON}), body_optional=True,
           responses=CHANGED, errors=BOOKING_ERRORS,
           description="The booker, before the start; a manager of the unit before the end, "
                       "with a reason.")
def cancel_booking(booking_id: int, body: dict[str, Any]):
    return _act(booking_id, bookings.cancel_booking, reason=body.get("reason", ""))


@operation("POST", "/bookings/{booking_id}/approve", summary="Approve a pending booking",
           tag="bookings", path_params=BOOKING_ID, responses=CHANGED, errors=BOOKING_ERRORS)
def approve_booking(booking_id: int):
    return _act(booking_id, bookings.approve_booking)


@operation("POST", "/bookings/{booking_id}/reject", summary="Reject a pending booking",
           tag="bookings", path_params=BOOKING_ID, body=Object({"reason": REASON}),
           body_optional=True, responses=CHANGED, errors=BOOKING_ERRORS,
           description="A reason is required (`reason_required`, 422).")
def reject_booking(booking_id: int, body: dict[str, Any]):
    return _act(booking_id, bookings.reject_booking, reason=body.get("reason", ""))


@operation("POST", "/bookings/{booking_id}/check-in", summary="Check in", tag="bookings",
           path_params=BOOKING_ID, responses=CHANGED, errors=BOOKING_ERRORS,
           description="From 15 minutes before the start; by the booker, the organization's "
                       "members or the unit's managers.")
def check_in_booking(booking_id: int):
    return _act(booking_id, bookings.check_in_booking)


@operation("POST", "/bookings/{booking_id}/no-show", summary="Mark a no-show", tag="bookings",
           path_params=BOOKING_ID, responses=CHANGED, errors=BOOKING_ERRORS,
           description="A manager of the unit, after start + 15 min and within 48 h after "
                       "the end.")
def mark_no_show(booking_id: int):
    return _act(booking_id, bookings.mark_no_show)


@operation("POST", "/bookings/{booking_id}/rate", summary="Rate a completed booking",
           tag="bookings", path_params=BOOKING_ID,
           body=Object({"rating": Integer(1, 5), "comment": String(1000)},
                       required=("rating",)),
           responses=CHANGED, errors=BOOKING_ERRORS)
def rate_booking(booking_id: int, body: dict[str, Any]):
    return _act(booking_id, bookings.rate_booking, rating=body["rating"],
                comment=body.get("comment", ""))
