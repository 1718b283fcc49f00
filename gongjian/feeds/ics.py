"""Bookings → an RFC 5545 calendar (bytes), built with `icalendar`.

Pure: it reads the bookings it is given (with their venue, unit, booker and organization) and
the texts of the current locale, never the database or the request. Every value is derived from
the bookings, so the same bookings give the same bytes: `DTSTAMP` is the booking's last change,
not the time of the request, or every fetch would change the calendar and its ETag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import force_locale
from icalendar import Calendar, Event, Timezone

from ..bookings.models import Booking, BookingStatus
from .i18n import gettext as _

PRODID = "-//Gongjian//Calendar feeds 1.0//ZH"
# Clients poll no more often than this (RFC 7986 REFRESH-INTERVAL, Outlook's X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)

# §8: TENTATIVE pending, CONFIRMED, CANCELLED. Completed and no-show bookings did hold their
# slot, so they stay CONFIRMED in history; rejected and expired ones never will take place.
ICS_STATUS = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CONFIRMED: "CONFIRMED",
    BookingStatus.COMPLETED: "CONFIRMED",
    BookingStatus.NO_SHOW: "CONFIRMED",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.REJECTED: "CANCELLED",
    BookingStatus.EXPIRED: "CANCELLED",
}
# Statuses whose SUMMARY carries a marker, for clients that do not show STATUS at all.
MARKED = frozenset(ICS_STATUS) - {BookingStatus.CONFIRMED, BookingStatus.COMPLETED}


class View(StrEnum):
    """Who reads the calendar, which decides what each event may tell."""

    PUBLIC = "public"  # anyone: busy blocks only, no names, titles or contacts
    PERSONAL = "personal"  # the booker, or a member of the booking's organization
    UNIT = "unit"  # the unit's managers: booker, organization, title, attendees


@dataclass(frozen=True)
class Links:
    """Absolute URLs of this site: the booking and venue pages, and the UIDs' host."""

    base_url: str

    @cached_property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or "localhost"

    def uid(self, booking_id: int) -> str:
        return f"booking-{booking_id}@{self.host}"

    def booking(self, booking_id: int) -> str:
        return f"{self.base_url}/bookings/{booking_id}"

    def venue(self, venue_id: int) -> str:
        return f"{self.base_url}/venues/{venue_id}"


@dataclass(frozen=True)
class CalendarInfo:
    name: str
    timezone: str
    view: View
    links: Links
    locale: str = "zh"  # of the texts inside the events


class Texts:
    """Every label of one calendar in the current locale, looked up once per calendar."""

    def __init__(self) -> None:
        self.status = {
            BookingStatus.PENDING: _("Pending"),
            BookingStatus.CONFIRMED: _("Confirmed"),
            BookingStatus.REJECTED: _("Rejected"),
            BookingStatus.CANCELLED: _("Cancelled"),
            BookingStatus.EXPIRED: _("Expired"),
            BookingStatus.COMPLETED: _("Completed"),
            BookingStatus.NO_SHOW: _("No-show"),
        }
        # Templates with %(name)s placeholders, filled per event.
        self.marked = _("[%(status)s] %(title)s")
        self.status_line = _("Status: %(status)s")
        self.attendees_line = _("Attendees: %(count)s")
        self.organization_line = _("Organization: %(name)s")
        self.booker_line = _("Booked by: %(name)s")
        self.reason_line = _("Reason: %(reason)s")
        self.details_line = _("Details: %(url)s")
        self.busy = _("Booked")
        self.busy_note = _("This time is booked.")
        self.free_times_line = _("Free times: %(url)s")


@lru_cache(maxsize=64)
def zone_for(name: str) -> ZoneInfo:
    """The venue's zone; an unknown name falls back to UTC (times then carry a Z)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE generated from zoneinfo, covering whole years (so it caches well).

    Shared between calendars: it is only ever serialized, never changed.
    """
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1),
                              last_date=date(last_year + 1, 1, 1))


def location(booking: Booking) -> str:
    """Unit, venue, address (and floor): what a map or a visitor needs to find the room."""
    venue = booking.venue
    address = " ".join(part for part in (venue.address or venue.unit.address, venue.floor)
                       if part)
    return ", ".join(part for part in (venue.unit.name, venue.name, address) if part)


def _private_text(booking: Booking, view: View, texts: Texts, links: Links) -> tuple[str, str]:
    status = texts.status[booking.status]
    summary = (texts.marked % {"status": status, "title": booking.title}
               if booking.status in MARKED else booking.title)
    lines = [texts.status_line % {"status": status},
             texts.attendees_line % {"count": booking.attendees}]
    if booking.organization is not None:
        lines.append(texts.organization_line % {"name": booking.organization.name})
    # A manager sees who booked; a member sees who booked for the organization.
    if view == View.UNIT or booking.organization is not None:
        lines.append(texts.booker_line % {"name": booking.booker.name})
    if booking.reason and ICS_STATUS[booking.status] == "CANCELLED":
        lines.append(texts.reason_line % {"reason": booking.reason})
    lines.append(texts.details_line % {"url": links.booking(booking.id)})
    return summary, "\n".join(lines)


class EventMaker:
    """Makes the VEVENTs of one calendar; remembers what its events share (texts, places) and
    the years each time zone must cover."""

    def __init__(self, info: CalendarInfo) -> None:
        self.info = info
        with force_locale(info.locale):
            self.texts = Texts()
        self.locations: dict[int, str] = {}
        self.years: dict[str, tuple[int, int]] = {}

    def __call__(self, booking: Booking) -> Event:
        """One VEVENT; in the public view it tells only that the venue is busy."""
        info, links, texts = self.info, self.info.links, self.texts
        zone = zone_for(booking.venue.timezone)
        start = booking.start_at.astimezone(zone)
        end = booking.end_at.astimezone(zone)
        event = Event()
        event.add("uid", links.uid(booking.id))
        event.add("dtstamp", booking.updated_at)
        event.add("dtstart", start)
        event.add("dtend", end)
        if info.view == View.PUBLIC:
            venue_page = links.venue(booking.venue_id)
            event.add("summary", texts.busy)
            event.add("description",
                      f"{texts.busy_note}\n{texts.free_times_line % {'url': venue_page}}")
            event.add("url", venue_page)
        else:
            summary, description = _private_text(booking, info.view, texts, links)
            event.add("summary", summary)
            event.add("description", description)
            event.add("url", links.booking(booking.id))
        place = self.locations.get(booking.venue_id)
        if place is None:
            place = self.locations[booking.venue_id] = location(booking)
        event.add("location", place)
        event.add("status", ICS_STATUS[booking.status])
        event.add("sequence", booking.revision)
        event.add("created", booking.created_at)
        event.add("last-modified", booking.updated_at)
        tzid = event["DTSTART"].params.get("TZID")
        if tzid:  # UTC times carry a Z and need no VTIMEZONE
            known = self.years.get(tzid)
            self.years[tzid] = (start.year, end.year) if known is None else (
                min(known[0], start.year), max(known[1], end.year))
        return event


def new_calendar(info: CalendarInfo) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.calendar_name = info.name  # NAME (RFC 7986) and X-WR-CALNAME
    calendar.add("x-wr-timezone", info.timezone)
    # Without VALUE=DURATION some clients ignore the interval; Outlook reads X-PUBLISHED-TTL.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def build_calendar(bookings: Iterable[Booking], info: CalendarInfo) -> bytes:
    """The calendar of these bookings, one VTIMEZONE for each zone their times use."""
    make_event = EventMaker(info)
    events = [make_event(booking) for booking in bookings]
    calendar = new_calendar(info)
    for tzid in sorted(make_event.years):
        calendar.add_component(vtimezone(tzid, *make_event.years[tzid]))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()
