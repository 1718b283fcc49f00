"""The unit manager's console: the units one manages and their venues — create, edit, archive,
photos — over the same services as the API.

Who reaches what (tests/venues/test_manage_authz.py walks every route):
- visitors are sent to the login page (302), for GET and POST alike;
- `/manage` answers 403 to a signed-in user who manages no unit;
- a venue's pages answer 404 to everyone who may not manage it (nobody learns about other
  units' venues), and to everyone once the venue is archived;
- a unit's "new venue" form answers 403 to anyone who does not manage that unit (units are
  public: their names are on every venue card) and 404 for a unit that does not exist;
- district admins manage every unit.
Photos are public once uploaded: `/photos/<name>` serves a photo or thumbnail of a venue that is
not archived, to anyone, and 404 for any other name.
"""

from __future__ import annotations

from math import ceil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import Field

from ..accounts.models import Unit
from ..accounts.services import can_manage_unit, managed_unit_ids
from ..bookings.models import Booking
from ..clock import now
from ..errors import DomainError, InvalidInput, NotFound
from ..extensions import db
from . import photos as photo_services
from .forms import (
    FIELDSETS,
    HINTS,
    PHOTO_MB,
    ActionForm,
    CaptionForm,
    PhotoUploadForm,
    VenueForm,
    default_hint,
    field_message,
)
from .markup import render_markdown
from .models import Venue, VenuePhoto
from .services import (
    VENUE_INT_FIELDS,
    VENUE_TEXT_FIELDS,
    archive_venue,
    create_venue,
    get_managed_venue,
    managed_units_query,
    update_venue,
)
from .views import _page_window

bp = Blueprint("manage", __name__, url_prefix="/manage")

UNITS_PER_PAGE = 20
MAX_UNIT_QUERY = 100
# A year: photo files never change (a new photo gets a new random name).
PHOTO_MAX_AGE = 365 * 24 * 3600
# Pages of the console that other modules provide, by the endpoints they may have; a link
# shows once one of its endpoints exists.
VENUE_LINKS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("hours", _l("Opening hours"), ("hours.edit",)),
    ("closures", _l("Closures"), ("hours.closures",)),
)
UNIT_LINKS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("calendar", _l("Calendar"), ("desk.calendar", "desk.unit_calendar", "calendar.unit")),
    ("approvals", _l("Approval queue"), ("desk.approvals", "desk.queue", "desk.index")),
)


@bp.app_template_filter("markdown")
def markdown_filter(text: str | None):
    """`{{ venue.description|markdown }}`: plain text or Markdown, sanitized."""
    return render_markdown(text)


@bp.app_template_global()
def venue_photo_url(photo: VenuePhoto, *, thumbnail: bool = False) -> str:
    name = photo_services.thumbnail_name(photo.filename) if thumbnail else photo.filename
    return url_for("manage.photo", name=name)


@bp.context_processor
def _console_helpers() -> dict[str, Any]:
    return {"venue_pages": venue_pages}


def venue_pages(venue: Venue) -> list[tuple[str, str, str]]:
    """The console's pages of one venue, as (key, label, URL), for the tabs above each page."""
    pages = [("edit", _("Details and rules"), url_for("manage.edit_venue", venue_id=venue.id)),
             ("photos", _("Photos"), url_for("manage.photos", venue_id=venue.id))]
    pages += [(key, str(label), url) for key, label, endpoints in VENUE_LINKS
              if (url := _console_link(endpoints, venue_id=venue.id))]
    pages += [("public", _("Public page"), url_for("bookings.venue", venue_id=venue.id)),
              ("archive", _("Archive"), url_for("manage.archive", venue_id=venue.id))]
    return pages


def photo_dir() -> Path:
    """Where photos live: config PHOTO_DIR, else instance/photos (made on first upload)."""
    configured = current_app.config.get("PHOTO_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "photos"


def _console_link(candidates: tuple[str, ...], **values: Any) -> str | None:
    for endpoint in candidates:
        if endpoint in current_app.view_functions:
            return url_for(endpoint, **values)
    return None


# Guards --------------------------------------------------------------------------------------


def _managed_venue(venue_id: int) -> Venue:
    try:
        return get_managed_venue(venue_id, actor=current_user)
    except NotFound:
        abort(404)


def _managed_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    if not can_manage_unit(current_user, unit.id):
        abort(403)
    return unit


def _photo_of(venue: Venue, photo_id: int) -> VenuePhoto:
    try:
        return photo_services.get_photo(venue, photo_id)
    except NotFound:
        abort(404)


def show_errors(form, error: DomainError) -> None:
    """Refused fields get their message under the input; anything else is flashed."""
    fields = error.details.get("fields") if isinstance(error, InvalidInput) else None
    if not fields:
        flash(error.message, "danger")
        return
    for name, code in fields.items():
        message = field_message(name, code)
        field = form._fields.get(name)
        if isinstance(field, Field):
            field.errors = [*field.errors, message]
        else:
            flash(message, "danger")


# The console's home ----------------------------------------------------------------------------


@bp.get("")
@login_required
def index():
    """The units the user manages (all of them for a district admin) with their venues."""
    if not current_user.is_admin and not managed_unit_ids(current_user):
        abort(403)
    name = request.args.get("q", "").strip()[:MAX_UNIT_QUERY]
    select = managed_units_query(current_user, name=name)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    pages = max(1, ceil(total / UNITS_PER_PAGE))
    try:
        page = min(max(int(request.args.get("page", "1")), 1), pages)
    except ValueError:
        page = 1
    units = list(db.session.scalars(
        select.options(selectinload(Unit.venues))
        .limit(UNITS_PER_PAGE).offset((page - 1) * UNITS_PER_PAGE)))

    def page_url(number: int) -> str:
        args = {"q": name} if name else {}
        return url_for("manage.index", page=number if number > 1 else None, **args)

    links = {
        unit.id: [(label, url) for key, label, endpoints in UNIT_LINKS
                  if (url := _console_link(endpoints, unit_id=unit.id))]
        for unit in units
    }
    venue_links = {
        venue.id: [(label, url) for key, label, endpoints in VENUE_LINKS
                   if (url := _console_link(endpoints, venue_id=venue.id))]
        for unit in units for venue in unit.venues
    }
    return render_template(
        "manage/index.html", units=units, total=total, page=page, pages=pages,
        page_window=_page_window(page, pages), page_url=page_url, q=name,
        show_filter=current_user.is_admin or total > UNITS_PER_PAGE, unit_links=links,
        venue_links=venue_links,
    )


# Creating and editing venues ---------------------------------------------------------------------


def _render_venue_form(form: VenueForm, *, unit: Unit, venue: Venue | None, status: int = 200):
    return render_template(
        "manage/venue_form.html", form=form, unit=unit, venue=venue, fieldsets=FIELDSETS,
        hints=HINTS, default_hint=default_hint, limits=VENUE_INT_FIELDS,
        text_limits=VENUE_TEXT_FIELDS,
    ), status


@bp.route("/units/<int:unit_id>/venues/new", methods=["GET", "POST"])
@login_required
def new_venue(unit_id: int):
    unit = _managed_unit(unit_id)
    form = VenueForm.blank(timezone=current_app.config["DEFAULT_TIMEZONE"])
    if form.validate_on_submit():
        try:
            venue = create_venue(unit=unit, actor=current_user, now=now(), **form.values())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("The venue “%(name)s” is published. Set its opening hours so that it can "
                    "be booked, and add photos.", name=venue.name), "success")
            return redirect(url_for("manage.edit_venue", venue_id=venue.id), 303)
    status = 422 if form.is_submitted() else 200
    return _render_venue_form(form, unit=unit, venue=None, status=status)


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@login_required
def edit_venue(venue_id: int):
    venue = _managed_venue(venue_id)
    form = VenueForm.for_venue(venue)
    if form.validate_on_submit():
        try:
            update_venue(venue=venue, actor=current_user, now=now(), **form.values())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("Your changes to “%(name)s” are saved.", name=venue.name), "success")
            return redirect(url_for("manage.edit_venue", venue_id=venue.id), 303)
    status = 422 if form.is_submitted() else 200
    venue = db.session.get(Venue, venue_id)  # after a rollback: the stored venue, not the typed
    return _render_venue_form(form, unit=venue.unit, venue=venue, status=status)


@bp.route("/venues/<int:venue_id>/archive", methods=["GET", "POST"])
@login_required
def archive(venue_id: int):
    """Archiving asks for confirmation on its own page; the button there archives."""
    venue = _managed_venue(venue_id)
    form = ActionForm()
    if form.validate_on_submit():
        archive_venue(venue=venue, actor=current_user, now=now())
        db.session.commit()
        flash(_("“%(name)s” is archived: it no longer appears in search or takes bookings.",
                name=venue.name), "success")
        return redirect(url_for("manage.index"), 303)
    return render_template("manage/archive.html", venue=venue, form=form,
                           upcoming=_upcoming_bookings(venue))


def _upcoming_bookings(venue: Venue) -> int:
    """How many slot-holding bookings of the venue have not ended (the archive page warns)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.venue_id == venue.id, Booking.holds_slot,
        Booking.end_at > now())) or 0


# Photos ---------------------------------------------------------------------------------------


def _photos_page(venue: Venue, upload: PhotoUploadForm, status: int = 200):
    return render_template(
        "manage/photos.html", venue=venue, upload=upload,
        captions={photo.id: CaptionForm(formdata=None, prefix=f"p{photo.id}",
                                        caption=photo.caption) for photo in venue.photos},
        max_mb=PHOTO_MB, max_photos=photo_services.MAX_PHOTOS_PER_VENUE,
    ), status


@bp.route("/venues/<int:venue_id>/photos", methods=["GET", "POST"])
@login_required
def photos(venue_id: int):
    """Upload one photo or several; each is accepted or refused on its own."""
    venue = _managed_venue(venue_id)
    upload = PhotoUploadForm()
    if not upload.validate_on_submit():
        return _photos_page(venue, upload, 422 if upload.is_submitted() else 200)
    files = [f for f in request.files.getlist(upload.photos.name) if f and f.filename]
    if not files:
        upload.photos.errors = [field_message("photo", "required")]
        return _photos_page(venue, upload, 422)
    added, refused = 0, []
    for file in files:
        # Read one byte more than allowed: enough to know it is too large.
        data = file.read(photo_services.MAX_PHOTO_BYTES + 1)
        try:
            photo_services.add_photo(venue=venue, data=data, folder=photo_dir(),
                                     actor=current_user, now=now())
            db.session.commit()
            added += 1
        except DomainError as error:
            db.session.rollback()
            fields = error.details.get("fields") or {}
            message = field_message("photo", fields.get("photo", "unsupported_type"))
            refused.append(_("%(file)s: %(problem)s", file=file.filename, problem=message))
        venue = db.session.get(Venue, venue_id)
    if added:
        flash(_("%(n)d photo(s) added.", n=added), "success")
    if refused:
        upload.photos.errors = refused
        return _photos_page(venue, upload, 422)
    return redirect(url_for("manage.photos", venue_id=venue.id), 303)


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error):
    """Beyond the app's request limit the upload is not even read: say what the limit is."""
    flash(_("The upload was too large. Each photo may be at most %(mb)d MB; upload large "
            "photos one at a time.", mb=PHOTO_MB), "danger")
    venue_id = (request.view_args or {}).get("venue_id")
    if venue_id is not None and request.endpoint == "manage.photos":
        return redirect(url_for("manage.photos", venue_id=venue_id), 303)
    return redirect(url_for("manage.index"), 303)


@bp.post("/venues/<int:venue_id>/photos/<int:photo_id>/caption")
@login_required
def photo_caption(venue_id: int, photo_id: int):
    venue = _managed_venue(venue_id)
    photo = _photo_of(venue, photo_id)
    form = CaptionForm(prefix=f"p{photo.id}")
    if form.validate_on_submit():
        try:
            photo_services.set_caption(photo=photo, caption=form.caption.data or "",
                                       actor=current_user, now=now())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            venue = db.session.get(Venue, venue_id)
            show_errors(form, error)
            return _photos_page_with_caption(venue, photo_id, form)
        flash(_("The alt text is saved."), "success")
        return redirect(url_for("manage.photos", venue_id=venue.id, _anchor=f"photo-{photo.id}"),
                        303)
    return _photos_page_with_caption(venue, photo_id, form)


def _photos_page_with_caption(venue: Venue, photo_id: int, form: CaptionForm):
    """The photos page again, keeping what was typed (and its error) in one caption box."""
    captions = {photo.id: CaptionForm(formdata=None, prefix=f"p{photo.id}",
                                      caption=photo.caption) for photo in venue.photos}
    captions[photo_id] = form
    return render_template(
        "manage/photos.html", venue=venue, upload=PhotoUploadForm(formdata=None),
        captions=captions, max_mb=PHOTO_MB,
        max_photos=photo_services.MAX_PHOTOS_PER_VENUE,
    ), 422


@bp.post("/venues/<int:venue_id>/photos/<int:photo_id>/move")
@login_required
def photo_move(venue_id: int, photo_id: int):
    venue = _managed_venue(venue_id)
    photo = _photo_of(venue, photo_id)
    form = ActionForm()
    direction = request.form.get("direction")
    if form.validate_on_submit() and direction in ("up", "down"):
        photo_services.move_photo(photo=photo, offset=-1 if direction == "up" else 1,
                                  actor=current_user, now=now())
        db.session.commit()
        return redirect(url_for("manage.photos", venue_id=venue.id, _anchor=f"photo-{photo.id}"),
                        303)
    abort(400)


@bp.post("/venues/<int:venue_id>/photos/<int:photo_id>/delete")
@login_required
def photo_delete(venue_id: int, photo_id: int):
    venue = _managed_venue(venue_id)
    photo = _photo_of(venue, photo_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    names = photo_services.delete_photo(photo=photo, actor=current_user, now=now())
    db.session.commit()
    # The files go only once the row is gone for good.
    photo_services.remove_files(photo_dir(), names)
    flash(_("The photo is deleted."), "success")
    return redirect(url_for("manage.photos", venue_id=venue.id), 303)


def serve_photo(name: str):
    """A photo or thumbnail of a venue that is not archived; anything else does not exist."""
    if not photo_services.servable_photo(name):
        abort(404)
    response = send_from_directory(photo_dir(), name, mimetype="image/jpeg",
                                   max_age=PHOTO_MAX_AGE, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.record_once
def _register_photo_route(state) -> None:
    # Photos are public and live outside /manage; the endpoint keeps the console's name.
    state.app.add_url_rule("/photos/<name>", endpoint="manage.photo", view_func=serve_photo,
                           methods=["GET"])
