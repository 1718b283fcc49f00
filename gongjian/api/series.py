"""Recurring series (product.md §9): check, create, read and cancel."""

from __future__ import annotations

from typing import Any

from ..bookings import series as recurring
from ..bookings.models import Series
from ..bookings.services import TITLE_MAX
from ..bookings.visibility import can_view_booking
from ..errors import NotFound
from ..extensions import db
from ..venues.models import Venue
from .auth import caller
from .parsing import (
    Boolean,
    ClockTime,
    Date,
    Enum,
    Id,
    Integer,
    ListOf,
    Nullable,
    Object,
    String,
)
from .registry import get_or_404, now, operation
from .schemas import DATE, HHMM, INSTANT, nullable, ref
from .serializers import booking_json, instant

SERIES_BODY = Object({
    "venue_id": Id(),
    "title": String(TITLE_MAX, min_length=1),
    "attendees": Integer(),
    "organization_id": Nullable(Id(), description="Book on behalf of this organization"),
    "start_date": Date(description="The local date the series starts on"),
    "until": Nullable(Date(), description="The last local date (give this or `count`)"),
    "count": Nullable(Integer(1, recurring.MAX_OCCURRENCES),
                      description="How many occurrences (give this or `until`)"),
    "weekdays": ListOf(Integer(0, 6), max_items=7, description="0 = Monday … 6 = Sunday"),
    "interval_weeks": Integer(1, 52, description="Every N weeks (default 1)"),
    "start_time": ClockTime(description="Local start time HH:MM"),
    "end_time": ClockTime(allow_24=True, description="Local end time HH:MM"),
    "all_or_nothing": Boolean(description="Book every occurrence or none (default false)"),
}, required=("venue_id", "title", "attendees", "start_date", "weekdays", "start_time",
             "end_time"))
SERIES_ID = {"series_id": "The series' id"}
VIOLATIONS = {"type": "array", "items": {"type": "string"},
              "description": "Every failed rule's code, in checking order"}
OCCURRENCE = {
    "type": "object", "required": ["start", "end", "ok", "violations"],
    "properties": {"start": INSTANT, "end": INSTANT, "ok": {"type": "boolean"},
                   "violations": VIOLATIONS},
    "additionalProperties": False,
}
SKIPPED = {
    "type": "object", "required": ["start", "end", "violations"],
    "properties": {"start": INSTANT, "end": INSTANT, "violations": VIOLATIONS},
    "additionalProperties": False,
}
SERIES_FIELDS = {
    "id": {"type": "integer"}, "venue_id": {"type": "integer"},
    "booker_id": {"type": "integer"}, "organization_id": nullable({"type": "integer"}),
    "title": {"type": "string"}, "attendees": {"type": "integer"}, "start_date": DATE,
    "until": nullable(DATE), "count": nullable({"type": "integer"}),
    "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
    "interval_weeks": {"type": "integer"}, "start_time": HHMM, "end_time": HHMM,
    "created_at": INSTANT,
    "bookings": {"type": "array", "items": ref("Booking")},
}
SERIES_SCHEMA = {"type": "object", "required": list(SERIES_FIELDS),
                 "properties": SERIES_FIELDS, "additionalProperties": False}
CANCELLED_SCHEMA = {
    "type": "object", "required": [*SERIES_FIELDS, "cancelled"],
    "properties": {**SERIES_FIELDS, "cancelled": {
        "type": "array", "items": {"type": "integer"},
        "description": "The ids of the occurrences this request cancelled"}},
    "additionalProperties": False,
}
RULES_NOTE = ("Each occurrence is checked against every rule of product.md §5 like a single "
              "booking, except that `too_far_ahead` applies to the first occurrence only; the "
              "series must end within the venue's `max_series_days` of its first occurrence "
              "(`series_too_long`).")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def series_json(series: Series) -> dict[str, Any]:
    zone = series.venue.zone
    return {
        "id": series.id,
        "venue_id": series.venue_id,
        "booker_id": series.booker_id,
        "organization_id": series.organization_id,
        "title": series.title,
        "attendees": series.attendees,
        "start_date": series.start_date.isoformat(),
        "until": series.until.isoformat() if series.until else None,
        "count": series.count,
        "weekdays": list(series.weekdays),
        "interval_weeks": series.interval_weeks,
        "start_time": _hhmm(series.start_minute),
        "end_time": _hhmm(series.end_minute),
        "created_at": instant(series.created_at, zone),
        "bookings": [booking_json(b) for b in series.bookings],
    }


def _recurrence(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "venue_id": body["venue_id"], "title": body["title"], "attendees": body["attendees"],
        "organization_id": body.get("organization_id"), "start_date": body["start_date"],
        "until": body.get("until"), "count": body.get("count"), "weekdays": body["weekdays"],
        "interval_weeks": body.get("interval_weeks", 1), "start_time": body["start_time"],
        "end_time": body["end_time"],
    }


def _visible_series(series_id: int) -> Series:
    series = get_or_404(Series, series_id, "series")
    if not series.bookings or not can_view_booking(caller(), series.bookings[0]):
        raise NotFound("series")
    return series


@operation("POST", "/series/check", summary="Check a recurring series, writing nothing",
           tag="bookings", body=SERIES_BODY,
           responses={200: ("Every occurrence with its verdict", {
               "type": "object", "required": ["occurrences"],
               "properties": {"occurrences": {"type": "array", "items": OCCURRENCE}},
               "additionalProperties": False})},
           errors=(404,), description=RULES_NOTE)
def check_series(body: dict[str, Any]):
    occurrences = recurring.preview_series(booker=caller(), now=now(), **_recurrence(body))
    zone = db.session.get(Venue, body["venue_id"]).zone
    return {"occurrences": [
        {"start": instant(o.start, zone), "end": instant(o.end, zone), "ok": o.ok,
         "violations": o.codes} for o in occurrences]}


@operation("POST", "/series", summary="Book a recurring series", tag="bookings",
           body=SERIES_BODY,
           responses={201: ("The series: every free occurrence booked, the others skipped", {
               "type": "object", "required": ["id", "bookings", "skipped"],
               "properties": {"id": {"type": "integer"},
                              "bookings": {"type": "array", "items": ref("Booking")},
                              "skipped": {"type": "array", "items": SKIPPED}},
               "additionalProperties": False})},
           errors=(403, 404, 409, 503),
           description=RULES_NOTE + " With `all_or_nothing` any failing occurrence refuses "
           "the whole series (409 or 422, `details.occurrence` names it) and nothing is "
           "written; so does a series none of whose occurrences is free.")
def create_series(body: dict[str, Any]):
    result = recurring.create_series(
        booker=caller(), now=now(), all_or_nothing=body.get("all_or_nothing", False),
        **_recurrence(body))
    zone = result.series.venue.zone
    data = {
        "id": result.series.id,
        "bookings": [booking_json(b) for b in result.bookings],
        "skipped": [{"start": instant(o.start, zone), "end": instant(o.end, zone),
                     "violations": o.codes} for o in result.skipped],
    }
    db.session.commit()
    return data, 201


@operation("GET", "/series/{series_id}", summary="A recurring series and its occurrences",
           tag="bookings", path_params=SERIES_ID,
           responses={200: ("The series", SERIES_SCHEMA)}, errors=(404,),
           description="Visible to whoever may see its bookings.")
def get_series(series_id: int):
    return series_json(_visible_series(series_id))


@operation("POST", "/series/{series_id}/cancel", summary="Cancel occurrences of a series",
           tag="bookings", path_params=SERIES_ID,
           body=Object({
               "scope": Enum(["one", "following", "all"]),
               "booking_id": Nullable(Id(), description="The occurrence (for one/following)"),
               "reason": String(500),
           }, required=("scope",)),
           responses={200: ("The series after cancelling", CANCELLED_SCHEMA)},
           errors=(403, 404, 409),
           description="`one`: that occurrence; `following`: it and every later active one; "
           "`all`: every active occurrence. Each follows the rules of cancelling a booking "
           "(the booker before the start; a manager, with a reason, before the end).")
def cancel_series(series_id: int, body: dict[str, Any]):
    series = _visible_series(series_id)
    cancelled = recurring.cancel_series(
        series=series, scope=body["scope"], booking_id=body.get("booking_id"), actor=caller(),
        reason=body.get("reason", ""), now=now())
    data = {**series_json(series), "cancelled": [b.id for b in cancelled]}
    db.session.commit()
    return data
