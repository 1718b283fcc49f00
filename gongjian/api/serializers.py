"""Models → the JSON of product.md §9. Instants are RFC 3339 in the venue's own offset."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from ..accounts.models import Community, Organization, Street, Unit, User
from ..bookings.models import Booking
from ..feeds.services import personal_feed_url, unit_feed_url, venue_feed_url
from ..stats.models import Agreement
from ..venues.intervals import Interval, format_hhmm
from ..venues.models import RULE_DEFAULTS, Closure, OpeningHours, Venue


def instant(value: datetime | None, zone: tzinfo) -> str | None:
    if value is None:
        return None
    return value.astimezone(zone).isoformat(timespec="seconds")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def default_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("DEFAULT_TIMEZONE", "Asia/Shanghai"))


def interval(value: Interval, zone: tzinfo) -> dict[str, str | None]:
    return {"start": instant(value[0], zone), "end": instant(value[1], zone)}


def booking_json(booking: Booking) -> dict[str, Any]:
    zone = booking.venue.zone
    return {
        "id": booking.id,
        "venue_id": booking.venue_id,
        "unit_id": booking.venue.unit_id,
        "booker_id": booking.booker_id,
        "organization_id": booking.organization_id,
        "title": booking.title,
        "attendees": booking.attendees,
        "start": instant(booking.start_at, zone),
        "end": instant(booking.end_at, zone),
        "status": booking.status.value,
        "created_at": instant(booking.created_at, zone),
        "decided_at": instant(booking.decided_at, zone),
        "reason": booking.reason or None,
        "series_id": booking.series_id,
        "rating": booking.rating,
        "revision": booking.revision,
    }


def venue_json(venue: Venue) -> dict[str, Any]:
    zone = venue.zone
    data: dict[str, Any] = {
        "id": venue.id,
        "unit_id": venue.unit_id,
        "community_id": venue.unit.community_id,
        "name": venue.name,
        "kind": venue.kind.value,
        "sport": venue.sport,
        "capacity": venue.capacity,
        "equipment": list(venue.equipment or []),
        "address": venue.address,
        "floor": venue.floor,
        "step_free": venue.step_free,
        "accessible_toilet": venue.accessible_toilet,
        "description": venue.description,
        "booking_notes": venue.booking_notes,
        "timezone": venue.timezone,
    }
    for name in RULE_DEFAULTS:
        value = getattr(venue, name)
        data[name] = getattr(value, "value", value)
    data["closed_on_holidays"] = venue.closed_on_holidays
    data["created_at"] = instant(venue.created_at, zone)
    data["archived_at"] = instant(venue.archived_at, zone)
    data["feed_url"] = venue_feed_url(venue.id)
    return data


def window_json(window: OpeningHours) -> dict[str, Any]:
    return {
        "weekday": window.weekday,
        "start": format_hhmm(window.start_minute),
        "end": format_hhmm(window.end_minute),
        "valid_from": day(window.valid_from),
        "valid_until": day(window.valid_until),
    }


def closure_json(closure: Closure) -> dict[str, Any]:
    zone = closure.venue.zone
    return {
        "id": closure.id,
        "venue_id": closure.venue_id,
        "start": instant(closure.start_at, zone),
        "end": instant(closure.end_at, zone),
        "reason": closure.reason.value,
        "note": closure.note,
        "created_at": instant(closure.created_at, zone),
    }


def closure_span_json(closure: Closure, start: datetime, end: datetime,
                      zone: tzinfo) -> dict[str, Any]:
    """A closure as the availability answer shows it: clipped to [start, end), reason code
    only (the manager's note may name people)."""
    closure_end = end if closure.end_at is None else min(closure.end_at, end)
    return {"start": instant(max(closure.start_at, start), zone),
            "end": instant(closure_end, zone), "reason": closure.reason.value}


def own_booking_json(booking: Booking) -> dict[str, Any]:
    """One of the caller's own bookings on a venue's calendar."""
    zone = booking.venue.zone
    return {"id": booking.id, "start": instant(booking.start_at, zone),
            "end": instant(booking.end_at, zone), "title": booking.title,
            "status": booking.status.value}


def street_json(street: Street) -> dict[str, Any]:
    return {"id": street.id, "name": street.name}


def community_json(community: Community) -> dict[str, Any]:
    return {"id": community.id, "name": community.name, "street_id": community.street_id}


def person_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "phone": user.phone,
            "is_admin": user.is_admin}


def unit_json(unit: Unit, *, private: bool = False) -> dict[str, Any]:
    """Managers of the unit and district admins also get its feed URL and managers."""
    data: dict[str, Any] = {
        "id": unit.id,
        "name": unit.name,
        "type": unit.type.value,
        "community_id": unit.community_id,
        "street_id": unit.community.street_id,
        "address": unit.address,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "description": unit.description,
        "active": unit.active,
    }
    if private:
        data["feed_url"] = unit_feed_url(unit)
        data["managers"] = [{"id": u.id, "name": u.name, "email": u.email}
                            for u in sorted(unit.managers, key=lambda u: u.id)]
    return data


def organization_json(organization: Organization, role: str) -> dict[str, Any]:
    return {"id": organization.id, "name": organization.name,
            "kind": organization.kind.value, "status": organization.status.value,
            "community_id": organization.community_id, "role": role}


def me_json(user: User, managed: list[int]) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "is_admin": user.is_admin,
        "manages": managed,
        "organizations": [organization_json(m.organization, m.role.value)
                          for m in sorted(user.memberships, key=lambda m: m.organization_id)],
        "feeds": {"personal": personal_feed_url(user)},
    }


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.id,
        "unit_id": agreement.unit_id,
        "community_id": agreement.community_id,
        "street_id": agreement.street_id,
        "signed_on": day(agreement.signed_on),
        "valid_from": day(agreement.valid_from),
        "valid_until": day(agreement.valid_until),
        "committed_hours_per_week": float(agreement.committed_hours_per_week),
        "notes": agreement.notes,
        "created_at": instant(agreement.created_at, default_zone()),
    }
