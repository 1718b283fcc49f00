"""The unit desk: the approval queue, the unit calendar, today's list, one booking's page for
managers (approve, reject, cancel, check in, no-show) and QR check-in.

Who reaches what (tests/bookings/test_desk_authz.py walks every route):
- visitors are sent to the login page (302), GET and POST alike, except the calendar's JSON
  feed, which answers 401;
- the desk's own pages (`/desk`, `/desk/today`, bulk approval) answer 403 to a signed-in user
  who manages no unit; district admins see every unit;
- a unit's pages (`?unit_id=` filters, its calendar and its JSON) answer 403 to anyone who does
  not manage that unit (units are public, their bookings are not) and 404 for a unit that does
  not exist;
- a booking's pages and actions, and its QR check-in link, answer 404 to everyone who does not
  manage its unit — even its own booker (who has /me/bookings/<id>): nobody learns that another
  unit's booking exists, nor who booked it. A QR link with a wrong token is 404 for everyone.
- bulk approval takes ids: those the user may not manage are "could not be approved", exactly
  like ids that do not exist.
Every change goes through the services in gongjian/bookings/services.py; each successful POST
answers 303 (see other).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from ..accounts.models import Notification, Unit, User
from ..accounts.services import can_manage_unit, managed_unit_ids
from ..accounts.views import safe_next
from ..clock import now
from ..errors import CODES, DomainError, InvalidInput
from ..extensions import db
from ..feeds.services import base_url
from ..labels import BOOKING_STATUSES, label
from ..venues.intervals import format_hhmm
from ..venues.models import OpeningHours, Venue
from ..venues.services import managed_units_query
from .desk_forms import BookingActionForm, BulkApproveForm, CancelForm, RejectForm
from .models import Booking, BookingStatus
from .notifications import mark_notifications_read, render_notice
from .queries import (
    QUEUE_PER_PAGE,
    BookerRecord,
    approval_queue,
    booker_records,
    recently_ended_unchecked,
    todays_unit_bookings,
    unit_calendar_bookings,
    unit_notices,
    unread_unit_notice_count,
)
from .services import (
    NO_SHOW_MARK_WINDOW,
    approve_booking,
    can_check_in,
    cancel_booking,
    cancel_role,
    check_in_booking,
    check_in_is_open,
    mark_no_show,
    no_show_is_markable,
    reject_booking,
)
from .visibility import can_view_person, manageable_booking_ids

bp = Blueprint("desk", __name__, url_prefix="/desk")

DEFAULT_ZONE = "Asia/Shanghai"
WAITING_LONG = timedelta(hours=24)
NOTICES_SHOWN = 10
# Bulk approval takes at most this many requests at once (two pages of the queue).
MAX_BULK = 2 * QUEUE_PER_PAGE
# The calendar's JSON answers at most this many days at once (a month view shows 42).
CALENDAR_MAX_DAYS = 62
# Where the calendar's day starts and ends when the unit's venues have no opening hours.
DEFAULT_DAY = (8 * 60, 22 * 60)
ID = re.compile(r"[0-9]{1,9}")


# Guards --------------------------------------------------------------------------------------


def _user() -> User:
    return current_user._get_current_object()


def _require_desk(user: User) -> None:
    """The desk is for district admins and for the managers of at least one unit."""
    if not user.is_admin and not managed_unit_ids(user):
        abort(403)


def _managed_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    if not can_manage_unit(_user(), unit.id):
        abort(403)
    return unit


def _managed_booking(booking_id: int) -> Booking:
    """The booking if the reader manages its unit; else 404, as if it did not exist."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not can_manage_unit(_user(), booking.venue.unit_id):
        abort(404)
    return booking


def _id_arg(name: str) -> int | None:
    """An id from the query string; anything that is not one names nothing (404)."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not ID.fullmatch(raw):
        abort(404)
    return int(raw)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not ID.fullmatch(raw) or int(raw) < 1:
        abort(404)
    return int(raw)


def _here() -> str:
    return request.full_path.rstrip("?")


def _back(form: BookingActionForm | BulkApproveForm | None, booking: Booking | None = None):
    """Back where the button was (a path inside the site), else the booking's page."""
    fallback = (url_for(".booking", booking_id=booking.id) if booking is not None
                else url_for(".index"))
    target = form.next.data if form is not None and form.next.data else fallback
    return redirect(safe_next(target), 303)


def _revision_matches(form: BookingActionForm, booking: Booking) -> bool:
    raw = form.revision.data or ""
    return raw.isascii() and raw.isdigit() and int(raw) == booking.revision


def _refuse(error: DomainError, form: BookingActionForm, booking: Booking):
    """Nothing is written; the service's message is flashed where the button was."""
    db.session.rollback()
    flash(error.message, "danger")
    return _back(form, booking)


def _units_of(user: User) -> list[Unit]:
    return list(db.session.scalars(managed_units_query(user)))


# QR check-in ---------------------------------------------------------------------------------


def check_in_token(booking_id: int) -> str:
    """An unguessable token for the booking's check-in link: an HMAC of its id with the app's
    secret key (128 bits, URL-safe). Nothing is stored; a new secret key voids every link."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, f"gongjian.check-in:{booking_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def token_matches(booking_id: int, token: str) -> bool:
    return hmac.compare_digest(check_in_token(booking_id).encode(),
                               token.encode("utf-8", "replace"))


@bp.app_template_global()
def check_in_url(booking: Booking) -> str:
    """The absolute URL a manager's phone opens by scanning the booking's QR code."""
    path = url_for("desk.scan", booking_id=booking.id, token=check_in_token(booking.id))
    return f"{base_url()}{path}"


def shows_check_in_code(booking: Booking, moment: datetime) -> bool:
    """A confirmed booking that has not ended and nobody checked in yet."""
    return (booking.status == BookingStatus.CONFIRMED and booking.checked_in_at is None
            and booking.end_at > moment)


@bp.app_template_global()
def check_in_qr_svg(booking: Booking) -> Markup:
    """The booking's check-in QR code as inline SVG, or nothing when there is nothing to check
    in (not confirmed, already checked in, or over). For the booker's own booking page."""
    if not shows_check_in_code(booking, now()):
        return Markup("")
    url = check_in_url(booking)
    svg = segno.make(url, error="m").svg_inline(scale=5, border=2,
                                                   title=str(escape(_("Check-in code"))))
    return Markup(svg)


# What a row of the desk shows and offers -------------------------------------------------------


@dataclass
class DeskActions:
    approve: bool = False
    reject: bool = False
    cancel: bool = False
    cancel_needs_reason: bool = False
    check_in: bool = False
    no_show: bool = False


def desk_actions(booking: Booking, user: User, moment: datetime) -> DeskActions:
    """What a manager may do with the booking now (the services' own predicates)."""
    pending = booking.status == BookingStatus.PENDING
    role = cancel_role(user, booking, moment)
    return DeskActions(
        approve=pending and booking.start_at > moment,
        reject=pending,
        cancel=role is not None,
        cancel_needs_reason=role == "manager",
        check_in=(booking.status == BookingStatus.CONFIRMED and booking.checked_in_at is None
                  and check_in_is_open(booking, moment) and can_check_in(user, booking)),
        no_show=no_show_is_markable(booking, moment),
    )


def _waiting_long(booking: Booking, moment: datetime) -> bool:
    return booking.created_at < moment - WAITING_LONG


@dataclass
class DeskNotice:
    id: int
    subject: str
    lines: list[str]
    created_at: datetime
    zone: ZoneInfo
    unread: bool
    booking_id: int | None


def _notices(user: User) -> list[DeskNotice]:
    rows = unit_notices(user=user, limit=NOTICES_SHOWN)
    openable = manageable_booking_ids(user, [row.booking_id for row in rows])
    notices = []
    for row in rows:
        data = row.data or {}
        subject, lines = render_notice(row.kind, data)
        notices.append(DeskNotice(
            id=row.id, subject=subject, lines=lines, created_at=row.created_at,
            zone=ZoneInfo(data.get("timezone") or DEFAULT_ZONE), unread=row.read_at is None,
            booking_id=row.booking_id if row.booking_id in openable else None))
    return notices


def _unit_filter(user: User) -> tuple[list[Unit], Unit | None]:
    """The user's units and the one chosen by `?unit_id=` (403/404 as for a unit's pages)."""
    units = _units_of(user)
    unit_id = _id_arg("unit_id")
    return units, (_managed_unit(unit_id) if unit_id is not None else None)


# The approval queue --------------------------------------------------------------------------


@bp.get("")
@login_required
def index():
    """Pending requests at the units the user manages, soonest first, with the booker's
    record; approve, reject, bulk approve; the unit notices."""
    user, moment = _user(), now()
    _require_desk(user)
    units, unit = _unit_filter(user)
    if unit is not None:
        venues = list(unit.venues)
    elif not user.is_admin:
        venues = [v for u in units for v in u.venues]
    else:
        venues = []  # a district admin picks a unit first
    venues = [v for v in venues if v.archived_at is None]
    venue_id = _id_arg("venue_id")
    venue = None
    if venue_id is not None:
        venue = next((v for v in venues if v.id == venue_id), None)
        if venue is None:
            abort(404)
    page = _page_number()
    queue = approval_queue(user=user, now=moment, unit_id=unit.id if unit else None,
                           venue_id=venue_id, page=page, per_page=QUEUE_PER_PAGE)
    if page > queue.pages:
        abort(404)
    # The queue holds only bookings at units the user manages: exactly the managers who may
    # see these bookers' details (visibility.can_view_person).
    records = booker_records(b.booker_id for b in queue.items)

    def page_url(number: int) -> str:
        args = {"unit_id": unit.id if unit else None, "venue_id": venue_id}
        return url_for(".index", page=number if number > 1 else None, **args)

    return render_template(
        "desk/index.html", units=units, unit=unit, venues=venues, venue=venue, queue=queue,
        records=records, empty_record=BookerRecord(),
        waiting={b.id: _waiting_long(b, moment) for b in queue.items},
        suspended={b.id: b.booker.is_suspended_at(moment) for b in queue.items},
        notices=_notices(user), unread_notices=unread_unit_notice_count(user=user),
        page_url=page_url, bulk_form=BulkApproveForm(), action_form=BookingActionForm(),
        show_unit_filter=user.is_admin or len(units) > 1, return_to=_here(),
    )


@dataclass
class BulkOutcome:
    approved: list[int]
    not_pending: list[int]
    refused: list[int]


def approve_in_turn(booking_ids, *, actor: User, moment: datetime) -> BulkOutcome:
    """Approve each request through `approve_booking`, each in its own transaction: a request
    cancelled, decided or changed meanwhile is refused on its own and the others go through.
    Ids the actor may not manage, or that do not exist, are refused like any other."""
    outcome = BulkOutcome([], [], [])
    for booking_id in dict.fromkeys(booking_ids):
        booking = db.session.get(Booking, booking_id)
        if booking is None or not can_manage_unit(actor, booking.venue.unit_id):
            outcome.refused.append(booking_id)
            db.session.rollback()
            continue
        try:
            approve_booking(booking=booking, actor=actor, now=moment)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            if error.code in ("invalid_transition", "stale"):
                outcome.not_pending.append(booking_id)
            else:
                outcome.refused.append(booking_id)
        else:
            outcome.approved.append(booking_id)
    return outcome


def bulk_message(outcome: BulkOutcome) -> str:
    """"Approved 4; 1 was no longer pending." """
    parts = [_("Approved %(num)d", num=len(outcome.approved))]
    if outcome.not_pending:
        parts.append(ngettext("%(num)d was no longer pending", "%(num)d were no longer pending",
                              len(outcome.not_pending)))
    if outcome.refused:
        parts.append(ngettext("%(num)d could not be approved", "%(num)d could not be approved",
                              len(outcome.refused)))
    return "; ".join(parts) + "."


@bp.post("/approve")
@login_required
def bulk_approve():
    user = _user()
    _require_desk(user)
    form = BulkApproveForm()
    if not form.validate() or not form.booking_ids.data:
        flash(_("Choose at least one request to approve."), "danger")
        return _back(form)
    if len(form.booking_ids.data) > MAX_BULK:
        flash(_("Choose at most %(num)d requests at once.", num=MAX_BULK), "danger")
        return _back(form)
    outcome = approve_in_turn(form.booking_ids.data, actor=user, moment=now())
    category = "success" if not (outcome.not_pending or outcome.refused) else "warning"
    flash(bulk_message(outcome), category)
    return _back(form)


# One booking ---------------------------------------------------------------------------------


def _booking_page(booking: Booking, *, reject_form: RejectForm | None = None,
                  cancel_form: CancelForm | None = None, status: int = 200):
    user, moment = _user(), now()
    reject_form = reject_form or RejectForm(formdata=None)
    cancel_form = cancel_form or CancelForm(formdata=None)
    for form in (reject_form, cancel_form):
        form.revision.data = str(booking.revision)
    return render_template(
        "desk/booking.html", booking=booking, actions=desk_actions(booking, user, moment),
        record=booker_records([booking.booker_id]).get(booking.booker_id, BookerRecord()),
        show_person=can_view_person(user, booking.booker),
        waiting=booking.status == BookingStatus.PENDING and _waiting_long(booking, moment),
        suspended=booking.booker.is_suspended_at(moment),
        action_form=BookingActionForm(formdata=None), reject_form=reject_form,
        cancel_form=cancel_form,
    ), status


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int):
    return _booking_page(_managed_booking(booking_id))


def _act(booking_id: int, action, success: str, **kwargs: Any):
    """One button on one booking: the service decides; refusals are flashed."""
    found = _managed_booking(booking_id)
    form = BookingActionForm()
    if not _revision_matches(form, found):
        return _refuse(DomainError("stale"), form, found)
    try:
        action(booking=found, actor=_user(), now=now(), **kwargs)
    except DomainError as error:
        return _refuse(error, form, found)
    db.session.commit()
    flash(success, "success")
    return _back(form, found)


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def approve(booking_id: int):
    return _act(booking_id, approve_booking, _("The request is approved."))


@bp.post("/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id: int):
    return _act(booking_id, check_in_booking, _("Checked in."))


@bp.post("/bookings/<int:booking_id>/no-show")
@login_required
def no_show(booking_id: int):
    return _act(booking_id, mark_no_show, _("Recorded as a no-show."))


def _reason_errors(error: DomainError) -> str | None:
    """A refusal about the reason, as the reason field's message."""
    if error.code == "reason_required":
        return error.message
    if isinstance(error, InvalidInput) and "reason" in error.details.get("fields", {}):
        return _("The reason may have at most 500 characters.")
    return None


@bp.post("/bookings/<int:booking_id>/reject")
@login_required
def reject(booking_id: int):
    found = _managed_booking(booking_id)
    form = RejectForm()
    if not _revision_matches(form, found):
        return _refuse(DomainError("stale"), form, found)
    if not form.validate():
        return _booking_page(found, reject_form=form, status=422)
    try:
        reject_booking(booking=found, actor=_user(), reason=form.reason(), now=now())
    except DomainError as error:
        message = _reason_errors(error)
        if message is None:
            return _refuse(error, form, found)
        db.session.rollback()
        form.reason_text.errors = [*form.reason_text.errors, message]
        return _booking_page(found, reject_form=form, status=422)
    db.session.commit()
    flash(_("The request is rejected; the booker is told why."), "success")
    return _back(form, found)


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    found = _managed_booking(booking_id)
    form = CancelForm()
    if not _revision_matches(form, found):
        return _refuse(DomainError("stale"), form, found)
    if not form.validate():
        return _booking_page(found, cancel_form=form, status=422)
    try:
        cancel_booking(booking=found, actor=_user(), reason=form.reason.data or "", now=now())
    except DomainError as error:
        message = _reason_errors(error)
        if message is None:
            return _refuse(error, form, found)
        db.session.rollback()
        form.reason.errors = [*form.reason.errors, message]
        return _booking_page(found, cancel_form=form, status=422)
    db.session.commit()
    flash(_("The booking is cancelled; the booker is told why."), "success")
    return _back(form, found)


# QR check-in: the manager's phone opens the booking's link ------------------------------------


@bp.route("/scan/<int:booking_id>/<token>", methods=["GET", "POST"])
@login_required
def scan(booking_id: int, token: str):
    """The booking behind a check-in code, with one big button. 404 unless the code is right
    and the reader manages the booking's unit."""
    if not token_matches(booking_id, token):
        abort(404)
    found = _managed_booking(booking_id)
    user, moment = _user(), now()
    form = BookingActionForm()
    if request.method == "POST":
        try:
            check_in_booking(booking=found, actor=user, now=moment)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("Checked in."), "success")
        return redirect(url_for(".scan", booking_id=booking_id, token=token), 303)
    opens_at = found.start_at - timedelta(minutes=15)
    return render_template(
        "desk/scan.html", booking=found, form=form, actions=desk_actions(found, user, moment),
        not_yet=moment < opens_at, opens_at=opens_at,
        show_person=can_view_person(user, found.booker))


# Today ---------------------------------------------------------------------------------------


@bp.get("/today")
@login_required
def today():
    """Today's bookings at the user's units with their check-in buttons, and the ones that
    ended within 48 h without a check-in, with their no-show buttons."""
    user, moment = _user(), now()
    _require_desk(user)
    units, unit = _unit_filter(user)
    unit_id = unit.id if unit else None
    todays = todays_unit_bookings(user=user, now=moment, unit_id=unit_id)
    shown = {b.id for b in todays}
    ended = [b for b in recently_ended_unchecked(user=user, now=moment,
                                                 window=NO_SHOW_MARK_WINDOW, unit_id=unit_id)
             if b.id not in shown]
    return render_template(
        "desk/today.html", units=units, unit=unit, todays=todays, ended=ended,
        actions={b.id: desk_actions(b, user, moment) for b in [*todays, *ended]},
        action_form=BookingActionForm(formdata=None), return_to=_here(),
        show_unit_filter=user.is_admin or len(units) > 1,
        today_text=moment.astimezone(_desk_zone(units)).date(),
    )


def _desk_zone(units: list[Unit]) -> ZoneInfo:
    for unit in units:
        for venue in unit.venues:
            return venue.zone
    return ZoneInfo(DEFAULT_ZONE)


# The unit calendar ---------------------------------------------------------------------------


def _calendar_hours(venues: list[Venue]) -> tuple[str, str]:
    """The calendar's day: the earliest opening to the latest close of the unit's venues."""
    ids = [v.id for v in venues]
    first, last = (db.session.execute(
        sa.select(sa.func.min(OpeningHours.start_minute), sa.func.max(OpeningHours.end_minute))
        .where(OpeningHours.venue_id.in_(ids))).one() if ids else (None, None))
    if first is None or last is None:
        first, last = DEFAULT_DAY
    first, last = first // 60 * 60, min(1440, -(-last // 60) * 60)
    return f"{format_hhmm(first)}:00", f"{format_hhmm(last)}:00"


def _status_words() -> dict[str, str]:
    return {status.value: label(BOOKING_STATUSES, status) for status in BookingStatus}


@bp.get("/units/<int:unit_id>/calendar")
@login_required
def calendar(unit_id: int):
    """Every booking at the unit's venues on a week/day/month calendar, in the venues' zone."""
    unit = _managed_unit(unit_id)
    venues = list(unit.venues)
    language = str(get_locale() or "zh")
    zone = venues[0].timezone if venues else DEFAULT_ZONE
    slot_min, slot_max = _calendar_hours(venues)
    data = {
        "eventsUrl": url_for(".events", unit_id=unit.id),
        "timezone": zone,
        "language": language,
        "locale": "zh-cn" if language == "zh" else "en",
        "slotMinTime": slot_min,
        "slotMaxTime": slot_max,
        "statuses": _status_words(),
        "labels": {
            "previous": _("Previous"), "next": _("Next"), "today": _("Today"),
            "week": _("Week"), "day": _("Day"), "month": _("Month"),
            "calendarFailed": _("The calendar could not be loaded. Please reload the page."),
            "attendees": _("%(n)s people", n="{n}"),
            "checkedIn": _("checked in"),
        },
    }
    return render_template("desk/calendar.html", unit=unit, venues=venues, calendar=data,
                           statuses=list(BookingStatus))


def _json_error(code: str, status: int, **params: Any):
    message = str(CODES[code][1]).format(**params) if params else str(CODES[code][1])
    response = jsonify({"error": {"code": code, "message": message, "details": {}}})
    response.status_code = status
    return response


def _date_arg(name: str) -> date | None:
    """A local date from `YYYY-MM-DD` (or the date part of an ISO date-time)."""
    raw = request.args.get(name, "")
    try:
        return date.fromisoformat(raw[:10]) if re.match(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        return None


@bp.get("/units/<int:unit_id>/events.json")
def events(unit_id: int):
    """The calendar's bookings with every detail, for the unit's managers only:
    `?start=&end=` local dates (end exclusive, at most 62 days), `venue=` (repeatable)."""
    if not current_user.is_authenticated:
        return _json_error("unauthorized", 401)
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return _json_error("not_found", 404)
    if not can_manage_unit(_user(), unit.id):
        return _json_error("forbidden", 403)
    first, end = _date_arg("start"), _date_arg("end")
    if first is None or end is None or not 0 < (end - first).days <= CALENDAR_MAX_DAYS:
        return _json_error("malformed", 400, problem=_(
            "start and end must be dates, end after start, at most %(days)d days apart",
            days=CALENDAR_MAX_DAYS))
    venue_ids = None
    wanted = request.args.getlist("venue")
    if wanted:
        if not all(ID.fullmatch(v) for v in wanted):
            return _json_error("malformed", 400, problem="venue")
        venue_ids = sorted({int(v) for v in wanted})
        if not set(venue_ids) <= {v.id for v in unit.venues}:
            return _json_error("not_found", 404)
    user = _user()
    found = unit_calendar_bookings(user=user, unit_id=unit.id, first=first,
                                   last=end - timedelta(days=1), venue_ids=venue_ids)
    words = _status_words()
    items = []
    for booking in found:
        zone = booking.venue.zone
        items.append({
            "id": booking.id,
            "title": booking.title,
            "start": booking.start_at.astimezone(zone).isoformat(),
            "end": booking.end_at.astimezone(zone).isoformat(),
            "status": booking.status.value,
            "statusLabel": words[booking.status.value],
            "venueId": booking.venue_id,
            "venue": booking.venue.name,
            "booker": booking.booker.name,
            "organization": booking.organization.name if booking.organization else None,
            "attendees": booking.attendees,
            "checkedIn": booking.checked_in_at is not None,
            "url": url_for(".booking", booking_id=booking.id),
        })
    response = jsonify({"unit_id": unit.id, "items": items})
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Unit notices --------------------------------------------------------------------------------


@bp.post("/notices/<int:notification_id>/read")
@login_required
def read_notice(notification_id: int):
    """Mark one of the reader's unit notices read and open its booking on the desk."""
    user = _user()
    form = BookingActionForm()
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.user_id != user.id:
        abort(404)
    booking_id = notice.booking_id
    mark_notifications_read(user=user, now=now(), notification_ids=[notice.id])
    db.session.commit()
    if booking_id is not None and manageable_booking_ids(user, [booking_id]):
        return redirect(url_for(".booking", booking_id=booking_id), 303)
    return _back(form)
