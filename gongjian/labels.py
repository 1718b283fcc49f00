"""UI labels of the codes in product.md §3/§4, in the reader's language."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

VENUE_KINDS = {
    "meeting_room": _l("Meeting room"),
    "sports": _l("Sports venue"),
    "training": _l("Training room"),
    "activity": _l("Activity room"),
    "other": _l("Other"),
}
UNIT_TYPES = {
    "government": _l("Government office"),
    "public_institution": _l("Public institution"),
    "state_enterprise": _l("State enterprise"),
    "private_enterprise": _l("Private enterprise"),
    "school": _l("School"),
    "other": _l("Other"),
}
ORGANIZATION_KINDS = {
    "community_party": _l("Community Party organization"),
    "residents_committee": _l("Residents' committee"),
    "social_org": _l("Social organization"),
    "volunteer_team": _l("Volunteer team"),
    "other": _l("Other"),
}
BOOKING_STATUSES = {
    "pending": _l("Pending"),
    "confirmed": _l("Confirmed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired"),
    "completed": _l("Completed"),
    "no_show": _l("No-show"),
}


def label(table: dict, code) -> str:
    return str(table.get(getattr(code, "value", code), code))


def init_app(app) -> None:
    app.jinja_env.globals.update(
        get_locale=get_locale,
        venue_kind_label=lambda code: label(VENUE_KINDS, code),
        unit_type_label=lambda code: label(UNIT_TYPES, code),
        booking_status_label=lambda code: label(BOOKING_STATUSES, code),
        organization_kind_label=lambda code: label(ORGANIZATION_KINDS, code),
    )
