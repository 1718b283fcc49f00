"""JSON Schemas of what the API answers (the OpenAPI document's components)."""

from __future__ import annotations

from typing import Any

from ..accounts.models import MemberRole, OrganizationKind, OrganizationStatus, UnitType
from ..bookings.models import BookingStatus
from ..venues.models import Audience, ClosureReason, VenueKind

INSTANT = {"type": "string", "format": "date-time",
           "description": "RFC 3339, in the venue's offset"}
DATE = {"type": "string", "format": "date"}
HHMM = {"type": "string", "pattern": r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": ref(name)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    }


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }


def _enum(values) -> dict[str, Any]:
    return {"type": "string", "enum": [v.value for v in values]}


INTERVAL = _object({"start": INSTANT, "end": INSTANT})

RULE_SCHEMAS: dict[str, dict[str, Any]] = {
    "audience": _enum(Audience),
    "slot_minutes": {"type": "integer"},
    "min_duration_minutes": {"type": "integer"},
    "max_duration_minutes": {"type": "integer"},
    "min_notice_minutes": {"type": "integer"},
    "max_advance_days": {"type": "integer"},
    "max_active_per_user": {"type": "integer"},
    "max_active_per_org": {"type": "integer"},
    "buffer_minutes": {"type": "integer"},
    "requires_approval": {"type": "boolean"},
    "requires_check_in": {"type": "boolean"},
    "cancel_deadline_minutes": {"type": "integer"},
    "max_series_days": {"type": "integer"},
}

COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": _object({
        "error": _object({
            "code": {"type": "string", "description": "A code of product.md §5, or "
                     "invalid_input, malformed, unauthorized, forbidden, not_found, "
                     "invalid_transition, reason_required, check_in_not_open, stale, "
                     "hours_overlap, rate_limited, busy"},
            "message": {"type": "string", "description": "In the language of Accept-Language "
                        "(Chinese by default)"},
            "details": {
                "type": "object",
                "description": "`fields` names each refused field with a short code; booking "
                "refusals carry `violations` (every failed rule's code), a conflict also "
                "`conflicts` and `suggestions` (intervals, no personal data).",
                "properties": {
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "violations": {"type": "array", "items": {"type": "string"}},
                    "conflicts": {"type": "array", "items": ref("Interval")},
                    "suggestions": {"type": "array", "items": ref("Interval")},
                },
            },
        }),
    }),
    "Interval": INTERVAL,
    "Token": _object({
        "token": {"type": "string", "description": "Shown once; send as `Authorization: "
                  "Bearer <token>`"},
        "id": {"type": "integer"},
    }),
    "Organization": _object({
        "id": {"type": "integer"}, "name": {"type": "string"},
        "kind": _enum(OrganizationKind), "status": _enum(OrganizationStatus),
        "community_id": {"type": "integer"}, "role": _enum(MemberRole),
    }),
    "Me": _object({
        "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
        "is_admin": {"type": "boolean"},
        "manages": {"type": "array", "items": {"type": "integer"},
                    "description": "Ids of the units this user manages"},
        "organizations": {"type": "array", "items": ref("Organization")},
        "feeds": _object({"personal": {"type": "string", "format": "uri"}}),
    }),
    "Person": _object({
        "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
        "phone": {"type": "string"}, "is_admin": {"type": "boolean"},
    }),
    "Street": _object({"id": {"type": "integer"}, "name": {"type": "string"}}),
    "Community": _object({"id": {"type": "integer"}, "name": {"type": "string"},
                          "street_id": {"type": "integer"}}),
    "Unit": _object({
        "id": {"type": "integer"}, "name": {"type": "string"}, "type": _enum(UnitType),
        "community_id": {"type": "integer"}, "street_id": {"type": "integer"},
        "address": {"type": "string"}, "contact_name": {"type": "string"},
        "contact_phone": {"type": "string"}, "description": {"type": "string"},
        "active": {"type": "boolean"},
        "feed_url": {"type": "string", "format": "uri",
                     "description": "The unit's private ICS feed; its managers and district "
                     "admins only"},
        "managers": {"type": "array", "description": "Its managers and district admins only",
                     "items": _object({"id": {"type": "integer"}, "name": {"type": "string"},
                                       "email": {"type": "string"}})},
    }, optional=("feed_url", "managers")),
    "Venue": _object({
        "id": {"type": "integer"}, "unit_id": {"type": "integer"},
        "community_id": {"type": "integer"}, "name": {"type": "string"},
        "kind": _enum(VenueKind), "sport": {"type": "string"}, "capacity": {"type": "integer"},
        "equipment": {"type": "array", "items": {"type": "string"}},
        "address": {"type": "string"}, "floor": {"type": "string"},
        "step_free": {"type": "boolean"}, "accessible_toilet": {"type": "boolean"},
        "description": {"type": "string"}, "booking_notes": {"type": "string"},
        "timezone": {"type": "string"},
        **RULE_SCHEMAS,
        "closed_on_holidays": {"type": "boolean", "description": "Closed on statutory "
                               "holidays, open on make-up working days (China's calendar)"},
        "created_at": INSTANT, "archived_at": nullable(INSTANT),
        "feed_url": {"type": "string", "format": "uri",
                     "description": "The venue's public busy/free ICS feed"},
    }),
    "OpeningWindow": _object({
        "weekday": {"type": "integer", "minimum": 0, "maximum": 6,
                    "description": "0 = Monday"},
        "start": HHMM, "end": HHMM, "valid_from": DATE, "valid_until": nullable(DATE),
    }),
    "Closure": _object({
        "id": {"type": "integer"}, "venue_id": {"type": "integer"}, "start": INSTANT,
        "end": nullable(INSTANT), "reason": _enum(ClosureReason), "note": {"type": "string"},
        "created_at": INSTANT,
        "cancelled_bookings": {"type": "array", "items": {"type": "integer"},
                               "description": "On creation: the bookings it cancelled"},
    }, optional=("cancelled_bookings",)),
    "Availability": _object({
        "venue_id": {"type": "integer"}, "timezone": {"type": "string"},
        "open": {"type": "array", "items": ref("Interval")},
        "busy": {"type": "array", "items": ref("Interval")},
        "free": {"type": "array", "items": ref("Interval")},
        "closures": {"type": "array", "description": "Closures overlapping the range, clipped "
                     "to it (an open-ended suspension ends with the range); the reason code only",
                     "items": _object({"start": INSTANT, "end": INSTANT,
                                       "reason": _enum(ClosureReason)})},
        "mine": {"type": "array", "description": "The caller's own pending and confirmed "
                 "bookings at this venue overlapping the range, and those of the organizations "
                 "they belong to; empty for visitors",
                 "items": _object({"id": {"type": "integer"}, "start": INSTANT, "end": INSTANT,
                                   "title": {"type": "string"},
                                   "status": {"type": "string",
                                              "enum": ["pending", "confirmed"]}})},
    }),
    "Booking": _object({
        "id": {"type": "integer"}, "venue_id": {"type": "integer"},
        "unit_id": {"type": "integer"}, "booker_id": {"type": "integer"},
        "organization_id": nullable({"type": "integer"}), "title": {"type": "string"},
        "attendees": {"type": "integer"}, "start": INSTANT, "end": INSTANT,
        "status": _enum(BookingStatus), "created_at": INSTANT, "decided_at": nullable(INSTANT),
        "reason": nullable({"type": "string"}), "series_id": nullable({"type": "integer"}),
        "rating": nullable({"type": "integer", "minimum": 1, "maximum": 5}),
        "revision": {"type": "integer"},
    }),
    "BookingCheck": _object({
        "ok": {"type": "boolean"},
        "violations": {"type": "array", "items": {"type": "string"},
                       "description": "Every failed rule's code, in checking order"},
        "messages": {"type": "array", "items": {"type": "string"},
                     "description": "One message per violation, in the reader's language"},
        "conflicts": {"type": "array", "items": ref("Interval")},
        "suggestions": {"type": "array", "items": ref("Interval")},
    }),
    "Agreement": _object({
        "id": {"type": "integer"}, "unit_id": {"type": "integer"},
        "community_id": nullable({"type": "integer"}), "street_id": nullable({"type": "integer"}),
        "signed_on": DATE, "valid_from": DATE, "valid_until": nullable(DATE),
        "committed_hours_per_week": {"type": "number"}, "notes": {"type": "string"},
        "created_at": INSTANT,
    }),
}
