"""The venue console's forms: shape only (types, required, choices). Every rule — ranges,
lengths, the shortest booking not exceeding the longest, the time zone — is the services'
(`services._clean_venue_fields`, `photos.prepare_photo`); `field_message` words the codes they
refuse with, under the field they name."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, ValidationError

from ..labels import VENUE_KINDS
from .models import RULE_DEFAULTS
from .photos import CAPTION_MAX, MAX_PHOTO_BYTES, MAX_PHOTOS_PER_VENUE
from .search import MAX_EQUIPMENT_TAGS, MAX_TAG_LENGTH
from .services import VENUE_INT_FIELDS, VENUE_TEXT_FIELDS

AUDIENCES = {
    "both": _l("Residents and organizations"),
    "residents": _l("Residents only"),
    "organizations": _l("Organizations only"),
}
REQUIRED = _l("This field is required.")
# Tags are separated by commas (also Chinese ones), enumeration commas, semicolons or lines.
TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")
# The IANA regions; the rest of the database are old aliases (PRC, US/Eastern, Etc/GMT-8).
TIMEZONE_REGIONS = frozenset({"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic",
                              "Australia", "Europe", "Indian", "Pacific"})
PHOTO_MB = MAX_PHOTO_BYTES // (1024 * 1024)

# (field, code) → message; a code alone is the fallback for any field.
FIELD_MESSAGES: dict[Any, Any] = {
    ("name", "required"): _l("Give the venue a name."),
    ("capacity", "required"): _l("Give the number of people the venue holds."),
    ("kind", "invalid"): _l("Choose a kind from the list."),
    ("kind", "required"): _l("Choose a kind from the list."),
    ("audience", "invalid"): _l("Choose who may book from the list."),
    ("timezone", "invalid"): _l("Choose a time zone from the list."),
    ("equipment", "invalid"): _l("Separate equipment tags with commas."),
    ("min_duration_minutes", "greater_than_max"): _l(
        "The shortest booking cannot be longer than the longest booking."),
    ("photo", "required"): _l("Choose a photo to upload."),
    ("photo", "too_large"): _l("A photo may be at most %(mb)d MB.", mb=PHOTO_MB),
    ("photo", "unsupported_type"): _l(
        "This file is not a JPEG, PNG or WebP image (the file itself is checked, not its name)."),
    ("photo", "too_many_pixels"): _l(
        "This image has too many pixels to process; save it at a smaller size and try again."),
    ("photo", "too_many_photos"): _l(
        "A venue may have at most %(n)d photos; delete one first.", n=MAX_PHOTOS_PER_VENUE),
    ("caption", "too_long"): _l("Use at most %(n)d characters.", n=CAPTION_MAX),
    "required": REQUIRED,
    "invalid": _l("Not a valid value."),
    "unknown": _l("Not a valid value."),
}


def field_message(field: str, code: str) -> str:
    """The message for a field the services refused with `code`."""
    if (field, code) in FIELD_MESSAGES:
        return str(FIELD_MESSAGES[(field, code)])
    if code == "out_of_range" and field in VENUE_INT_FIELDS:
        low, high = VENUE_INT_FIELDS[field]
        return str(_l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high))
    if code in ("invalid", "too_long") and field in VENUE_TEXT_FIELDS:
        return str(_l("Use at most %(n)d characters.", n=VENUE_TEXT_FIELDS[field]))
    return str(FIELD_MESSAGES.get(code) or FIELD_MESSAGES["invalid"])


class WholeNumberField(IntegerField):
    """An integer typed in a text box; an empty box is left to InputRequired, anything else
    that is not a whole number gets our own message."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a whole number, like 30."))) from None


def timezone_choices(current: str | None = None) -> list[SelectChoice]:
    """IANA zones grouped by region (an <optgroup> each); the current value is always there."""
    zones = available_timezones()
    names = sorted(zone for zone in zones
                   if zone.split("/")[0] in TIMEZONE_REGIONS and "/" in zone)
    choices = [SelectChoice("UTC", "UTC", optgroup="UTC")]
    choices += [SelectChoice(zone, zone.replace("_", " "), optgroup=zone.split("/")[0])
                for zone in names]
    if current and current not in names and current != "UTC" and current in zones:
        choices.insert(0, SelectChoice(current, current))
    return choices


def split_tags(text: str) -> list[str]:
    return [tag.strip() for tag in TAG_SEPARATORS.split(text or "") if tag.strip()]


def _tags_shape(form, field) -> None:
    tags = split_tags(field.data)
    if len(set(tags)) > MAX_EQUIPMENT_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        raise ValidationError(str(_l(
            "Give at most %(n)d tags of at most %(length)d characters each.",
            n=MAX_EQUIPMENT_TAGS, length=MAX_TAG_LENGTH)))


def _number(label) -> WholeNumberField:
    return WholeNumberField(label, validators=[InputRequired(message=REQUIRED)])


# Fields in the order of their fieldsets on the page: (legend, [field names]).
FIELDSETS: list[tuple[Any, list[str]]] = [
    (_l("About the venue"), ["name", "kind", "sport", "capacity", "equipment"]),
    (_l("Where it is"), ["address", "floor", "step_free", "accessible_toilet", "timezone"]),
    (_l("What bookers read"), ["description", "booking_notes"]),
    (_l("Who may book and how"), ["audience", "requires_approval", "requires_check_in"]),
    (_l("Booking length"), ["slot_minutes", "min_duration_minutes", "max_duration_minutes",
                            "buffer_minutes"]),
    (_l("How far ahead"), ["min_notice_minutes", "max_advance_days", "cancel_deadline_minutes",
                           "max_series_days"]),
    (_l("Limits per booker"), ["max_active_per_user", "max_active_per_org"]),
]

HINTS: dict[str, Any] = {
    "sport": _l("For sports venues, e.g. 篮球 or 乒乓球; leave empty otherwise."),
    "equipment": _l("Separate tags with commas, e.g. 投影仪, 音响."),
    "floor": _l("e.g. 3F or 地下一层."),
    "description": _l(
        "Plain text or Markdown: **bold**, *italic*, lists, links and ### headings."),
    "booking_notes": _l(
        "What bookers must know and agree to. Plain text or Markdown, as above."),
    "timezone": _l("Opening hours and bookings are read on this clock."),
    "slot_minutes": _l("Bookings start and end on this grid, counted from midnight."),
    "buffer_minutes": _l("Kept free before and after every booking."),
    "min_notice_minutes": _l("A booking must start at least this long after it is made."),
    "cancel_deadline_minutes": _l(
        "Cancelling later than this before the start counts as a late cancellation."),
    "max_series_days": _l("A recurring booking must end within this many days."),
    "max_active_per_user": _l("Pending or confirmed bookings at this venue that have not ended."),
    "max_active_per_org": _l("The same, for an organization's bookings."),
    "requires_approval": _l("Off: bookings are confirmed at once."),
    "requires_check_in": _l(
        "On: nobody checked in 15 minutes after the start makes the booking a no-show."),
}


def default_hint(name: str) -> str | None:
    """"Default: 30" for a rule setting, in the reader's language."""
    if name not in RULE_DEFAULTS:
        return None
    value = RULE_DEFAULTS[name]
    if isinstance(value, bool):
        shown = _l("on") if value else _l("off")
    elif name == "audience":
        shown = AUDIENCES[str(value)]
    else:
        shown = value
    return str(_l("Default: %(value)s", value=shown))


class VenueForm(FlaskForm):
    # A blank name is the service's to refuse, together with every other refused setting.
    name = StringField(_l("Name"), render_kw={"required": True})
    # The services check the choice (and word the refusal): validate_choice=False.
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in VENUE_KINDS.items()],
                       validators=[InputRequired(message=REQUIRED)], validate_choice=False)
    sport = StringField(_l("Sport"))
    capacity = _number(_l("Capacity (people)"))
    equipment = StringField(_l("Equipment"), validators=[_tags_shape])
    address = StringField(_l("Address"))
    floor = StringField(_l("Floor"))
    step_free = BooleanField(_l("Step-free access"))
    accessible_toilet = BooleanField(_l("Accessible toilet"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 6})
    booking_notes = TextAreaField(_l("Booking notes"), render_kw={"rows": 6})
    timezone = SelectField(_l("Time zone"), validators=[InputRequired(message=REQUIRED)],
                           validate_choice=False)

    audience = SelectField(_l("Who may book"),
                           choices=[SelectChoice(k, v) for k, v in AUDIENCES.items()],
                           validators=[InputRequired(message=REQUIRED)], validate_choice=False)
    requires_approval = BooleanField(_l("Bookings need approval"))
    requires_check_in = BooleanField(_l("Bookers must check in"))
    slot_minutes = _number(_l("Time grid (minutes)"))
    min_duration_minutes = _number(_l("Shortest booking (minutes)"))
    max_duration_minutes = _number(_l("Longest booking (minutes)"))
    buffer_minutes = _number(_l("Buffer between bookings (minutes)"))
    min_notice_minutes = _number(_l("Minimum notice (minutes)"))
    max_advance_days = _number(_l("Bookable up to (days ahead)"))
    cancel_deadline_minutes = _number(_l("Cancel without penalty until (minutes before)"))
    max_series_days = _number(_l("Longest recurring series (days)"))
    max_active_per_user = _number(_l("Active bookings per resident"))
    max_active_per_org = _number(_l("Active bookings per organization"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices(self.timezone.data)

    def values(self) -> dict[str, Any]:
        """The venue settings for create_venue/update_venue, named as the services name them."""
        values = {name: field.data for name, field in self._fields.items()
                  if name not in ("csrf_token", "equipment")}
        for name in ("name", "sport", "address", "floor", "description", "booking_notes"):
            values[name] = values[name] or ""
        values["equipment"] = split_tags(self.equipment.data)
        return values

    @classmethod
    def for_venue(cls, venue) -> VenueForm:
        form = cls(obj=venue)
        if not form.is_submitted():
            form.equipment.data = ", ".join(venue.equipment or [])
            form.kind.data = getattr(venue.kind, "value", venue.kind)
            form.audience.data = getattr(venue.audience, "value", venue.audience)
        return form

    @classmethod
    def blank(cls, *, timezone: str) -> VenueForm:
        """A new venue's form: the rule settings prefilled with their defaults."""
        form = cls(data={**RULE_DEFAULTS, "timezone": timezone, "kind": "meeting_room"})
        return form


class PhotoUploadForm(FlaskForm):
    photos = MultipleFileField(_l("Photos"))


class CaptionForm(FlaskForm):
    caption = StringField(_l("Alt text"))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
