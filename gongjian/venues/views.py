"""Public venue pages: finding a venue (the home page, for visitors and residents alike).

The search form is a GET form, so every result page is a link. A filter that cannot be read
(capacity "abc", an unknown kind, a date like 2026-13-45, an end before the start) is marked on
its field with a message and left out: the results then follow the filters that could be read,
and a note above them says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..accounts.models import Community, Street, Unit
from ..accounts.places import communities_query, streets_query
from ..bookings.availability import free_venue_ids_local, venues_in_use
from ..clock import now
from ..extensions import db
from ..labels import VENUE_KINDS
from .intervals import Interval, parse_hhmm
from .models import Venue, VenuePhoto
from .search import (
    MAX_EQUIPMENT_TAGS,
    MAX_TAG_LENGTH,
    equipment_in_use,
    sports_in_use,
    venue_search,
)
from .services import VENUE_INT_FIELDS, local_day_bounds, open_intervals_on_local_day

bp = Blueprint("venues", __name__)

PER_PAGE = 24
MAX_QUERY_LENGTH = 100
MIN_CAPACITY, MAX_CAPACITY = VENUE_INT_FIELDS["capacity"]
# Dates outside these years are typos; refusing them keeps the date arithmetic in range.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
# The query arguments of the form; anything else (the language switch's `lang`) is kept as is.
FILTER_ARGS = ("q", "kind", "sport", "street", "community", "min_capacity", "equipment",
               "step_free", "accessible_toilet", "free_date", "free_start", "free_end")

MESSAGES = {
    "q_too_long": _l("Use at most %(n)d characters.", n=MAX_QUERY_LENGTH),
    "kind": _l("Choose a kind from the list."),
    "street": _l("Choose a street from the list."),
    "community": _l("Choose a community from the list."),
    "community_street": _l("This community is not in the chosen street."),
    "min_capacity": _l("Enter a whole number from %(low)d to %(high)d.",
                       low=MIN_CAPACITY, high=MAX_CAPACITY),
    "equipment": _l("Choose at most %(n)d pieces of equipment.", n=MAX_EQUIPMENT_TAGS),
    "date": _l("Enter a date as YYYY-MM-DD, for example 2026-12-05."),
    "time": _l("Enter a time as HH:MM, for example 18:30."),
    "date_required": _l("Give the date you want the venue free on."),
    "start_required": _l("Give the time from which you want the venue free."),
    "end_required": _l("Give the time until which you want the venue free."),
    "end_before_start": _l("The end must be after the start."),
}


@dataclass(frozen=True)
class FreeRange:
    """A local time range on one date, read in each venue's own time zone."""

    day: date
    start_minute: int
    end_minute: int


@dataclass
class Filters:
    """What the form asked for: the arguments of `venue_search`, the free range, the errors."""

    search: dict[str, Any]
    free: FreeRange | None
    errors: dict[str, str]

    @property
    def active(self) -> int:
        """How many filters are in use (shown on the phone's filter toggle)."""
        return len(self.search) + (self.free is not None)


@dataclass(frozen=True)
class Card:
    """One venue as its card shows it: today's hours in its zone and whether it is free now."""

    venue: Venue
    photo: VenuePhoto | None
    hours: list[str]
    status: str  # "free", "in_use" or "closed"


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _parse_date(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


def _parse_free_range(args: MultiDict, errors: dict[str, str]) -> FreeRange | None:
    texts = {name: args.get(name, "").strip() for name in ("free_date", "free_start", "free_end")}
    if not any(texts.values()):
        return None
    for name, code in (("free_date", "date_required"), ("free_start", "start_required"),
                       ("free_end", "end_required")):
        if not texts[name]:
            errors[name] = code
    day = start = end = None
    if texts["free_date"]:
        day = _parse_date(texts["free_date"])
        if day is None:
            errors["free_date"] = "date"
    for name, allow_24 in (("free_start", False), ("free_end", True)):
        if texts[name]:
            try:
                minute = parse_hhmm(texts[name], allow_24=allow_24)
            except ValueError:
                errors[name] = "time"
                continue
            if name == "free_start":
                start = minute
            else:
                end = minute
    if start is not None and end is not None and end <= start:
        errors["free_end"] = "end_before_start"
    if day is None or start is None or end is None or "free_end" in errors:
        return None
    return FreeRange(day, start, end)


def parse_filters(args: MultiDict, *, streets: list[Street],
                  communities: list[Community]) -> Filters:
    """Read the form's query arguments; unreadable ones become field errors and are left out."""
    search: dict[str, Any] = {}
    errors: dict[str, str] = {}
    q = args.get("q", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = "q_too_long"
    elif q:
        search["q"] = q
    kind = args.get("kind", "").strip()
    if kind and kind not in VENUE_KINDS:
        errors["kind"] = "kind"
    elif kind:
        search["kind"] = kind
    sport = args.get("sport", "").strip()
    if sport:
        search["sport"] = sport
    street_id = None
    if args.get("street", "").strip():
        street_id = _int_or_none(args["street"])
        if street_id not in {street.id for street in streets}:
            errors["street"] = "street"
            street_id = None
        else:
            search["street_id"] = street_id
    if args.get("community", "").strip():
        community_id = _int_or_none(args["community"])
        community = next((c for c in communities if c.id == community_id), None)
        if community is None:
            errors["community"] = "community"
        elif street_id is not None and community.street_id != street_id:
            errors["community"] = "community_street"
        else:
            search["community_id"] = community.id
    if args.get("min_capacity", "").strip():
        capacity = _int_or_none(args["min_capacity"])
        if capacity is None or not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
            errors["min_capacity"] = "min_capacity"
        else:
            search["min_capacity"] = capacity
    tags = sorted({tag.strip() for tag in args.getlist("equipment") if tag.strip()})
    if len(tags) > MAX_EQUIPMENT_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        errors["equipment"] = "equipment"
    elif tags:
        search["equipment"] = tags
    for name in ("step_free", "accessible_toilet"):
        if args.get(name, "").strip():
            search[name] = True
    free = _parse_free_range(args, errors)
    return Filters(search=search, free=free, errors=errors)


def photo_url(photo: VenuePhoto) -> str:
    # The cards show the photo's thumbnail, served by the venue console (venues/manage.py).
    return url_for("manage.photo", name=photo.filename.removesuffix(".jpg") + ".thumb.jpg")


def _hhmm(instant: datetime, zone: ZoneInfo, day_end: datetime) -> str:
    return "24:00" if instant >= day_end else f"{instant.astimezone(zone):%H:%M}"


def build_cards(venues: list[Venue], current: datetime) -> list[Card]:
    """Cards for a page of venues: today's open hours (one closure query for the page) and
    free/in use/closed now (one booking query)."""
    today = open_intervals_on_local_day(venues, current)
    in_use = venues_in_use([venue.id for venue in venues], current)
    cards = []
    for venue in venues:
        intervals: list[Interval] = today[venue.id]
        day_end = local_day_bounds(venue, current)[1]
        hours = [f"{_hhmm(s, venue.zone, day_end)}–{_hhmm(e, venue.zone, day_end)}"
                 for s, e in intervals]
        if not any(s <= current < e for s, e in intervals):
            status = "closed"
        elif venue.id in in_use:
            status = "in_use"
        else:
            status = "free"
        cards.append(Card(venue=venue, photo=venue.photos[0] if venue.photos else None,
                          hours=hours, status=status))
    return cards


def _page_number(args: MultiDict) -> int:
    page = _int_or_none(args.get("page", ""))
    return page if page is not None and page >= 1 else 1


def _page_window(page: int, pages: int) -> list[int | None]:
    """The page numbers to link: first, last and two either side of the current one;
    None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


@bp.get("/")
def index():
    current = now()
    streets = list(db.session.scalars(streets_query()))
    communities = list(db.session.scalars(communities_query()))
    filters = parse_filters(request.args, streets=streets, communities=communities)

    select = venue_search(**filters.search, order="name")
    if filters.free is not None:
        free_ids = free_venue_ids_local(select, day=filters.free.day,
                                        start_minute=filters.free.start_minute,
                                        end_minute=filters.free.end_minute)
        select = select.where(Venue.id.in_(free_ids))
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    pages = max(1, ceil(total / PER_PAGE))
    page = min(_page_number(request.args), pages)
    venues = list(db.session.scalars(
        select.options(selectinload(Venue.unit).selectinload(Unit.community),
                       selectinload(Venue.photos), selectinload(Venue.opening_hours))
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))

    sports = sports_in_use()
    if filters.search.get("sport") and filters.search["sport"] not in sports:
        sports.append(filters.search["sport"])
    equipment = equipment_in_use()
    equipment += [tag for tag in filters.search.get("equipment", ()) if tag not in equipment]
    kept_args = MultiDict([(name, value) for name, value in request.args.items(multi=True)
                           if name != "page"])

    def page_url(number: int) -> str:
        args = kept_args.to_dict(flat=False)
        if number > 1:
            args["page"] = [str(number)]
        return url_for("venues.index", **args)

    return render_template(
        "venues/index.html",
        cards=build_cards(venues, current), total=total, page=page, pages=pages,
        page_window=_page_window(page, pages), page_url=page_url, filters=filters,
        messages={name: MESSAGES[code] for name, code in filters.errors.items()},
        values=request.args, kinds=VENUE_KINDS, sports=sports, equipment=equipment,
        streets=streets, communities=communities, photo_url=photo_url,
        filtered=any(request.args.get(name, "").strip() for name in FILTER_ARGS),
    )
