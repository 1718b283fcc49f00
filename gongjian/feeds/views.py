"""Feed URLs (/feeds/venues/<id>.ics, /feeds/me/<token>.ics, /feeds/units/<token>.ics), the
single-booking download (/bookings/<id>.ics) and the subscription page (/feeds)."""

from __future__ import annotations

from collections.abc import Callable

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.http import is_resource_modified

from .. import clock
from ..accounts.models import Unit
from ..accounts.services import can_manage_unit
from ..bookings.models import Booking
from ..errors import NotAllowed, NotFound
from ..extensions import db
from .i18n import FEEDS_DOMAIN
from .i18n import gettext as _
from .ics import Links
from .services import (
    FeedSource,
    Revision,
    base_url,
    booking_calendar,
    booking_revision,
    can_download_booking,
    feed_revision,
    known_revision,
    personal_feed,
    personal_feed_url,
    public_venue,
    regenerate_unit_feed_token,
    regenerate_user_feed_token,
    render_booking,
    render_feed,
    unit_feed,
    unit_feed_owner,
    unit_feed_url,
    user_feed_owner,
    venue_feed,
    venue_feed_url,
    webcal_url,
)

bp = Blueprint("feeds", __name__)

CALENDAR_TYPE = "text/calendar; charset=utf-8"
# no-transform: proxies must not gzip a feed either (Outlook refuses compressed feeds).
PRIVATE_CACHE = "private, no-cache, no-transform"
PUBLIC_CACHE = "public, max-age=300, no-transform"


@bp.before_request
def use_feeds_catalog() -> None:
    FEEDS_DOMAIN.as_default()


def feed_locale(preferred: str | None = None) -> str:
    """`?lang=` on the URL, else the owner's saved language, else Chinese.

    Not Accept-Language: calendar servers fetch on behalf of many readers, each feed in one
    language.
    """
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        return asked
    if preferred in languages:
        return preferred
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", languages[0])
    return default if default in languages else languages[0]


def _not_modified(revision: Revision) -> bool:
    return not is_resource_modified(request.environ, etag=revision.etag,
                                    last_modified=revision.last_modified)


def calendar_response(revision: Revision, render: Callable[[], bytes], *, private: bool,
                      filename: str | None = None) -> Response:
    """200 with the calendar, or 304 without building it when the client's copy is current."""
    if _not_modified(revision):
        response = Response(status=304)
    else:
        response = Response(render(), content_type=CALENDAR_TYPE)
        if filename:
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.set_etag(revision.etag)
    response.last_modified = revision.last_modified
    response.headers["Cache-Control"] = PRIVATE_CACHE if private else PUBLIC_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _serve_feed(build_feed: Callable, source: FeedSource | None,
                preferred_locale: str | None = None) -> Response:
    if source is None:
        abort(404)
    loaded = {"secret": source.secret} if source.secret is not None else {}
    feed = build_feed(source.owner, now=clock.now(), links=Links(base_url()),
                      locale=feed_locale(preferred_locale), **loaded)
    revision = known_revision(feed, marker=source.marker)
    # A remembered revision may only answer 304: a calendar is always sent with the revision
    # read just now.
    if revision is None or not _not_modified(revision):
        revision = feed_revision(feed, marker=source.marker)
    return calendar_response(revision, lambda: render_feed(feed), private=feed.private)


@bp.get("/feeds/venues/<int:venue_id>.ics")
def venue(venue_id: int):
    return _serve_feed(venue_feed, public_venue(venue_id))


@bp.get("/feeds/me/<token>.ics")
def personal(token: str):
    source = user_feed_owner(token)
    return _serve_feed(personal_feed, source, source.owner.locale if source else None)


@bp.get("/feeds/units/<token>.ics")
def unit(token: str):
    return _serve_feed(unit_feed, unit_feed_owner(token))


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking(booking_id: int):
    """One booking as a calendar file, for its booker, organization members and managers."""
    reader = current_user._get_current_object()
    found = db.session.get(Booking, booking_id)
    # Someone else's booking answers as if it did not exist.
    if found is None or not can_download_booking(reader, found):
        abort(404)
    info = booking_calendar(found, reader=reader, links=Links(base_url()),
                            locale=feed_locale(str(get_locale())))
    return calendar_response(booking_revision(found, info), lambda: render_booking(found, info),
                             private=True, filename=f"booking-{found.id}.ics")


# The subscription page ---------------------------------------------------------------------


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of the URL (segno escapes nothing it is given: URLs only)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, title=url)
    return Markup(svg)


def calendar_links(url: str) -> dict[str, str | Markup]:
    """What a page offers for one feed: the https and webcal URLs and a QR code to scan."""
    webcal = webcal_url(url)
    return {"https": url, "webcal": webcal, "qr": qr_svg(webcal)}


@bp.app_template_global()
def venue_feed_links(venue_id: int) -> dict[str, str | Markup]:
    """For the venue pages: the public busy-times feed's links and QR code."""
    return calendar_links(venue_feed_url(venue_id))


@bp.get("/feeds")
@login_required
def subscribe():
    user = current_user._get_current_object()
    personal_links = calendar_links(personal_feed_url(user))
    units = sorted(user.managed_units, key=lambda u: u.id)
    unit_links = [(u, calendar_links(unit_feed_url(u))) for u in units]
    # Seeing a URL for the first time creates its secret.
    db.session.commit()
    response = Response(render_template("feeds/subscribe.html", personal=personal_links,
                                        units=unit_links))
    # The page holds secret URLs: never keep it in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/feeds/me/regenerate")
@login_required
def regenerate_personal():
    regenerate_user_feed_token(current_user._get_current_object(), now=clock.now())
    db.session.commit()
    flash(_("Your calendar has a new link. The old link no longer works: subscribe again "
            "with the new one."), "success")
    return redirect(url_for(".subscribe"))


@bp.post("/feeds/units/<int:unit_id>/regenerate")
@login_required
def regenerate_unit(unit_id: int):
    found = db.session.get(Unit, unit_id)
    if found is None:
        raise NotFound("unit")
    if not can_manage_unit(current_user, found.id):
        raise NotAllowed()
    regenerate_unit_feed_token(found, now=clock.now())
    db.session.commit()
    flash(_("The unit's calendar has a new link. The old link no longer works."), "success")
    return redirect(url_for(".subscribe"))
