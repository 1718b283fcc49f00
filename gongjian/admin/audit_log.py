"""How the audit log reads in the console: readable actions, named objects, compact changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from ..accounts.models import Community, Organization, Street, Unit, User
from ..audit import AuditEvent
from ..extensions import db
from ..venues.models import Venue

ACTIONS = {
    "agreement.attach_document": _l("Agreement: PDF attached"),
    "agreement.create": _l("Agreement recorded"),
    "agreement.end": _l("Agreement ended"),
    "agreement.remove_document": _l("Agreement: PDF removed"),
    "agreement.update": _l("Agreement changed"),
    "booking.approve": _l("Booking approved"),
    "booking.cancel": _l("Booking cancelled"),
    "booking.check_in": _l("Booker checked in"),
    "booking.complete": _l("Booking completed"),
    "booking.create": _l("Booking made"),
    "booking.expire": _l("Booking expired"),
    "booking.no_show": _l("No-show"),
    "booking.rate": _l("Booking rated"),
    "booking.reject": _l("Booking rejected"),
    "closure.create": _l("Closure added"),
    "closure.delete": _l("Closure removed"),
    "community.create": _l("Community added"),
    "community.rename": _l("Community renamed"),
    "invitation.accept": _l("Manager invitation accepted"),
    "invitation.create": _l("Manager invited"),
    "invitation.revoke": _l("Manager invitation withdrawn"),
    "organization.add_member": _l("Organization: member added"),
    "organization.approve": _l("Organization approved"),
    "organization.create": _l("Organization applied"),
    "organization.leave": _l("Organization: member left"),
    "organization.remove_member": _l("Organization: member removed"),
    "organization.restore": _l("Organization restored"),
    "organization.set_role": _l("Organization: role changed"),
    "organization.suspend": _l("Organization suspended"),
    "series.create": _l("Recurring booking made"),
    "street.create": _l("Street added"),
    "street.rename": _l("Street renamed"),
    "unit.add_manager": _l("Unit manager added"),
    "unit.create": _l("Unit added"),
    "unit.deactivate": _l("Unit deactivated"),
    "unit.reactivate": _l("Unit reactivated"),
    "unit.remove_manager": _l("Unit manager removed"),
    "unit.update": _l("Unit changed"),
    "user.change_password": _l("Password changed"),
    "user.grant_admin": _l("District admin right granted"),
    "user.lift_no_show_suspension": _l("No-show suspension ended"),
    "user.restore": _l("Booking rights restored"),
    "user.revoke_admin": _l("District admin right revoked"),
    "user.suspend": _l("Booking rights suspended"),
    "user.suspend_no_shows": _l("Suspended for no-shows"),
    "venue.archive": _l("Venue archived"),
    "venue.create": _l("Venue added"),
    "venue.opening_hours": _l("Opening hours changed"),
    "venue.update": _l("Venue changed"),
}
OBJECT_TYPES = {
    "agreements": _l("Agreement"),
    "bookings": _l("Booking"),
    "closures": _l("Closure"),
    "communities": _l("Community"),
    "manager_invitations": _l("Invitation"),
    "organizations": _l("Organization"),
    "series": _l("Recurring booking"),
    "streets": _l("Street"),
    "units": _l("Unit"),
    "users": _l("User"),
    "venues": _l("Venue"),
}
# The object types whose names the log shows, and the column that names them.
NAMED = {"units": (Unit, Unit.name), "venues": (Venue, Venue.name),
         "organizations": (Organization, Organization.name), "users": (User, User.name),
         "streets": (Street, Street.name), "communities": (Community, Community.name)}
VALUE_MAX = 120


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def action_choices(present: list[str]) -> list[SelectChoice]:
    """A placeholder, then every action the log holds, by label."""
    choices = sorted(((action_label(code), code) for code in present), key=lambda c: c[0])
    return [SelectChoice("", _("All actions"))] + [SelectChoice(code, label)
                                                   for label, code in choices]


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    value = str(value)
    return value if len(value) <= VALUE_MAX else value[:VALUE_MAX - 1] + "…"


@dataclass
class Change:
    field: str
    before: str | None  # None: the field was not there before (a creation)
    after: str | None   # None: nor after (a removal)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields that differ, each as text: created ones with only an `after`, removed ones
    with only a `before`."""
    before, after = before or {}, after or {}
    rows = []
    for name in [*before, *(k for k in after if k not in before)]:
        if name in before and name in after:
            if before[name] != after[name]:
                rows.append(Change(name, _text(before[name]), _text(after[name])))
        elif name in after:
            rows.append(Change(name, None, _text(after[name])))
        else:
            rows.append(Change(name, _text(before[name]), None))
    return rows


@dataclass
class Row:
    event: AuditEvent
    action: str
    actor: User | None
    object_type: str
    object_name: str | None
    changes: list[Change]


def describe_events(events: list[AuditEvent]) -> list[Row]:
    """Each event with its actor, readable action, named object and changes (a few queries
    for the whole page, not one per row)."""
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))}
    names: dict[tuple[str, int], str] = {}
    for object_type, (model, column) in NAMED.items():
        ids = {e.object_id for e in events if e.object_type == object_type}
        if ids:
            for object_id, name in db.session.execute(
                    sa.select(model.id, column).where(model.id.in_(ids))):
                names[(object_type, object_id)] = name
    return [Row(event=e, action=action_label(e.action), actor=actors.get(e.actor_id),
                object_type=str(OBJECT_TYPES.get(e.object_type, e.object_type)),
                object_name=names.get((e.object_type, e.object_id)),
                changes=changes(e.before, e.after))
            for e in events]
