"""The series page (issue 8): preview every occurrence with its verdict, then book the free ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..accounts.models import Membership, Organization, OrganizationStatus
from ..clock import now
from ..errors import DomainError, InvalidInput
from ..extensions import db
from ..labels import BOOKING_STATUSES, label
from ..venues.models import Venue
from ..venues.services import get_venue
from .forms import WEEKDAY_NAMES, SeriesForm
from .series import Occurrence, create_series, preview_series

bp = Blueprint("bookings", __name__)

# Shape codes the series services name per field (InvalidInput details), as field messages.
FIELD_MESSAGES = {
    "too_many_occurrences": _l("A series has at most 52 occurrences; choose an earlier last date."),
    "no_occurrences": _l("No chosen weekday falls between the first and the last date."),
    "until_or_count": _l("Give either a last date or a number of occurrences."),
}
FORM_FIELDS = frozenset(["title", "attendees", "start_date", "until", "count", "weekdays",
                         "interval_weeks", "start_time", "end_time"])


@dataclass
class Row:
    """One occurrence as the page shows it, in the venue's local time."""

    day: str
    weekday: str
    time: str
    ok: bool
    messages: list[str]


def _row(venue: Venue, start: datetime, end: datetime, *, ok: bool, messages: list[str]) -> Row:
    start, end = start.astimezone(venue.zone), end.astimezone(venue.zone)
    return Row(day=start.date().isoformat(), weekday=str(WEEKDAY_NAMES[start.weekday()]),
               time=f"{start:%H:%M}–{end:%H:%M}", ok=ok, messages=messages)


def _rows(venue: Venue, occurrences: list[Occurrence]) -> list[Row]:
    return [_row(venue, o.start, o.end, ok=o.ok, messages=[v.message for v in o.violations])
            for o in occurrences]


def _organization_choices(user) -> list[SelectChoice]:
    organizations = db.session.scalars(
        sa.select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id,
               Organization.status == OrganizationStatus.APPROVED)
        .order_by(Organization.name)
    ).all()
    return [SelectChoice("", _("— none —"))] + [SelectChoice(org.id, org.name)
                                                 for org in organizations]


def _show_refusal(venue: Venue, form: SeriesForm, error: DomainError) -> None:
    """Shape errors go on their fields; a rule's refusal is flashed."""
    fields = error.details.get("fields") if isinstance(error, InvalidInput) else None
    if fields and all(name in FORM_FIELDS for name in fields):
        for name, code in fields.items():
            field = getattr(form, name)
            field.errors = [*field.errors, str(FIELD_MESSAGES.get(code, _("Not valid.")))]
        return
    if error.code == "invalid_time":
        # make_pattern's only non-field refusal: the times of day are in the wrong order.
        form.end_time.errors = [*form.end_time.errors, _("The end must be after the start.")]
        return
    occurrence = error.details.get("occurrence")
    if occurrence:
        day = datetime.fromisoformat(occurrence["start"]).astimezone(venue.zone).date()
        flash(_("%(day)s: %(message)s", day=day.isoformat(), message=error.message), "danger")
    else:
        flash(error.message, "danger")


@bp.get("/venues/<int:venue_id>")
def venue(venue_id: int):
    return render_template("base.html", venue=get_venue(venue_id))  # TODO(#4): venue page


@bp.route("/venues/<int:venue_id>/series", methods=["GET", "POST"])
@login_required
def series(venue_id: int):
    venue = get_venue(venue_id)
    booker = current_user._get_current_object()
    form = SeriesForm()
    form.organization.choices = _organization_choices(booker)
    rows: list[Row] | None = None
    result = None
    if form.validate_on_submit():
        arguments = dict(venue_id=venue.id, booker=booker, title=form.title.data,
                         attendees=form.attendees.data,
                         organization_id=form.organization.data, now=now(),
                         **form.recurrence())
        if form.book.data:
            try:
                created = create_series(all_or_nothing=form.all_or_nothing.data, **arguments)
            except DomainError as error:
                db.session.rollback()
                _show_refusal(venue, form, error)
            else:
                result = {
                    "booked": [_row(venue, b.start_at, b.end_at, ok=True,
                                    messages=[label(BOOKING_STATUSES, b.status)])
                               for b in created.bookings],
                    "skipped": _rows(venue, created.skipped),
                }
                db.session.commit()
                flash(_("Booked %(count)d of %(total)d dates.", count=len(created.bookings),
                        total=len(created.bookings) + len(created.skipped)), "success")
        else:
            try:
                rows = _rows(venue, preview_series(**arguments))
            except DomainError as error:
                _show_refusal(venue, form, error)
    return render_template("bookings/series.html", venue=venue, form=form, rows=rows,
                           result=result)
