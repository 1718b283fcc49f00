"""A signed-in user's own pages: my bookings, one booking's detail and its actions (cancel,
check in, rate), and my notifications (通知).

Every page is for signed-in users only. A booking its reader may not see (visibility.py) answers
404 on every route, so nobody learns that it exists. The services decide every action; a refusal
comes back as their localized message (flashed, or on the form's field), never a 500.

Notifications are NOT marked read by opening the list: a notice stays "Unread" until its reader
follows its link (a POST that marks that one notice and opens its booking), marks it read, or
presses "Mark all as read". Explicit marking keeps the header's count honest when the list is
only glanced at, and a page view changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..accounts.models import Notification
from ..accounts.views import safe_next
from ..clock import now
from ..errors import DomainError, InvalidInput
from ..extensions import db
from .models import Booking, BookingStatus
from .notifications import mark_notifications_read, render_notice
from .queries import (
    NOTICES_PER_PAGE,
    PAST_PER_PAGE,
    past_bookings,
    upcoming_bookings,
    user_notifications,
)
from .services import (
    can_check_in,
    cancel_booking,
    cancel_role,
    cancels_late,
    check_in_booking,
    check_in_is_open,
    rate_booking,
)
from .visibility import can_view_booking, can_view_person, visible_booking_ids

bp = Blueprint("my", __name__)

DEFAULT_ZONE = "Asia/Shanghai"
RATINGS = (1, 2, 3, 4, 5)
# Shape codes the services name per field (InvalidInput details), as the field's message.
FIELD_MESSAGES = {
    ("reason", "too_long"): _l("The reason may have at most 500 characters."),
    ("rating", "out_of_range"): _l("Choose a rating from 1 to 5 stars."),
    ("comment", "too_long"): _l("The comment may have at most 1000 characters."),
}


@bp.app_context_processor
def unread_notifications() -> dict:
    """The header's unread count: one COUNT per page, only for signed-in users."""
    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))) or 0
    return {"unread_notifications": count}


# Helpers -------------------------------------------------------------------------------------


def _user():
    return current_user._get_current_object()


def _page_number() -> int:
    """`?page=` as a positive number; anything else is a page that does not exist."""
    raw = request.args.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,6}", raw) or int(raw) < 1:
        abort(404)
    return int(raw)


def _visible_booking(booking_id: int) -> Booking:
    """The booking if the reader may see it; else 404, as if it did not exist."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not can_view_booking(_user(), booking):
        abort(404)
    return booking


@dataclass
class Actions:
    """What the reader may do with a booking now (the services' own predicates)."""

    cancel: bool
    check_in: bool
    rate: bool
    is_booker: bool


def actions_for(booking: Booking, user, moment: datetime) -> Actions:
    is_booker = booking.booker_id == user.id
    return Actions(
        cancel=cancel_role(user, booking, moment) is not None,
        # The button is offered where the venue asks for check-in; the service also accepts
        # check-in elsewhere (through the API).
        check_in=(booking.venue.requires_check_in
                  and booking.status == BookingStatus.CONFIRMED
                  and booking.checked_in_at is None
                  and check_in_is_open(booking, moment)
                  and can_check_in(user, booking)),
        rate=is_booker and booking.status == BookingStatus.COMPLETED and booking.rating is None,
        is_booker=is_booker,
    )


def _revision_matches(booking: Booking) -> bool:
    """The form carries the revision it was shown with: a change since then is `stale`."""
    raw = request.form.get("revision", "")
    return raw.isascii() and raw.isdigit() and int(raw) == booking.revision


def _field_errors(error: DomainError) -> dict[str, str]:
    """A shape refusal as messages per form field ({} when it is not about a field)."""
    if error.code == "reason_required":
        return {"reason": error.message}
    if isinstance(error, InvalidInput):
        fields = error.details.get("fields", {})
        return {name: str(FIELD_MESSAGES.get((name, code), _("Not valid.")))
                for name, code in fields.items()}
    return {}


def _refuse(error: DomainError, booking: Booking):
    """Nothing is written; the service's message is flashed over the booking's page."""
    db.session.rollback()
    flash(error.message, "danger")
    return redirect(url_for(".booking", booking_id=booking.id))


def _stale(booking: Booking):
    return _refuse(DomainError("stale"), booking)


# My bookings ---------------------------------------------------------------------------------


@bp.get("/me/bookings")
@login_required
def bookings():
    """Upcoming (pending or confirmed, not ended; soonest first) and past/other bookings
    (newest first, 20 a page) of the reader and of their organizations."""
    user, moment, page = _user(), now(), _page_number()
    past = past_bookings(user=user, now=moment, page=page, per_page=PAST_PER_PAGE)
    if page > past.pages:
        abort(404)
    upcoming = upcoming_bookings(user=user, now=moment)
    actions = {b.id: actions_for(b, user, moment) for b in [*upcoming, *past.items]}
    return render_template("my/bookings.html", upcoming=upcoming, past=past, actions=actions)


@bp.get("/me/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int):
    found = _visible_booking(booking_id)
    user = _user()
    return render_template(
        "my/booking.html", booking=found, actions=actions_for(found, user, now()),
        show_booker=found.booker_id == user.id or can_view_person(user, found.booker))


@bp.route("/me/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    """Confirm, then cancel through `cancel_booking` (which decides who may, and when)."""
    found = _visible_booking(booking_id)
    user, moment = _user(), now()
    role = cancel_role(user, found, moment)
    errors: dict[str, str] = {}
    reason = request.form.get("reason", "")
    if request.method == "POST":
        if not _revision_matches(found):
            return _stale(found)
        try:
            cancel_booking(booking=found, actor=user, now=moment, reason=reason)
        except DomainError as error:
            errors = _field_errors(error)
            if not errors:
                return _refuse(error, found)
            db.session.rollback()
        else:
            late = found.late_cancellation
            db.session.commit()
            flash(_("The booking is cancelled; it counts as a late cancellation.") if late
                  else _("The booking is cancelled."), "success")
            if role == "booker":
                return redirect(url_for(".bookings"))
            return redirect(url_for(".booking", booking_id=found.id))
    return render_template(
        "my/cancel.html", booking=found, role=role, errors=errors, reason=reason,
        late=role == "booker" and cancels_late(found, moment))


@bp.post("/me/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id: int):
    found = _visible_booking(booking_id)
    if not _revision_matches(found):
        return _stale(found)
    try:
        check_in_booking(booking=found, actor=_user(), now=now())
    except DomainError as error:
        return _refuse(error, found)
    db.session.commit()
    flash(_("You are checked in."), "success")
    return redirect(safe_next(request.form.get("next")
                              or url_for(".booking", booking_id=found.id)))


@bp.route("/me/bookings/<int:booking_id>/rate", methods=["GET", "POST"])
@login_required
def rate(booking_id: int):
    """1–5 stars and an optional comment, through `rate_booking` (the booker, once completed)."""
    found = _visible_booking(booking_id)
    user = _user()
    errors: dict[str, str] = {}
    chosen = request.form.get("rating", str(found.rating or ""))
    comment = request.form.get("comment", found.rating_comment or "")
    if request.method == "POST":
        if not _revision_matches(found):
            return _stale(found)
        rating = int(chosen) if chosen.isascii() and chosen.isdigit() else chosen
        try:
            rate_booking(booking=found, actor=user, rating=rating, comment=comment,
                         now=now())
        except DomainError as error:
            errors = _field_errors(error)
            if not errors:
                return _refuse(error, found)
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Thank you for rating this booking."), "success")
            return redirect(url_for(".bookings"))
    allowed = found.booker_id == user.id and found.status == BookingStatus.COMPLETED
    return render_template("my/rate.html", booking=found, allowed=allowed, errors=errors,
                           chosen=chosen, comment=comment, ratings=RATINGS)


# Notifications -------------------------------------------------------------------------------


@dataclass
class Notice:
    """One notice as the list shows it, rendered in the page's language."""

    id: int
    subject: str
    lines: list[str]
    created_at: datetime
    zone: ZoneInfo
    unread: bool
    booking_id: int | None


@bp.get("/notifications")
@login_required
def notifications():
    """The reader's notices, newest first, 30 a page. Viewing marks nothing read."""
    user, page = _user(), _page_number()
    found = user_notifications(user=user, page=page, per_page=NOTICES_PER_PAGE)
    if page > found.pages:
        abort(404)
    visible = visible_booking_ids(user, [n.booking_id for n in found.items])
    notices = []
    for row in found.items:
        subject, lines = render_notice(row.kind, row.data or {})
        notices.append(Notice(
            id=row.id, subject=subject, lines=lines, created_at=row.created_at,
            zone=ZoneInfo((row.data or {}).get("timezone") or DEFAULT_ZONE),
            unread=row.read_at is None,
            booking_id=row.booking_id if row.booking_id in visible else None))
    return render_template("my/notifications.html", notices=notices, page=found)


@bp.post("/notifications/read")
@login_required
def read_all():
    count = mark_notifications_read(user=_user(), now=now())
    db.session.commit()
    flash(ngettext("Marked %(num)d notice as read.", "Marked %(num)d notices as read.", count),
          "success")
    return redirect(url_for(".notifications"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_one(notification_id: int):
    """Mark one notice read, then open its booking (when the reader may see it) or go back."""
    user = _user()
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.user_id != user.id:
        abort(404)
    booking_id = notice.booking_id
    mark_notifications_read(user=user, now=now(), notification_ids=[notice.id])
    db.session.commit()
    if booking_id is not None and visible_booking_ids(user, [booking_id]):
        return redirect(url_for(".booking", booking_id=booking_id))
    return redirect(safe_next(request.form.get("next") or url_for(".notifications")))
