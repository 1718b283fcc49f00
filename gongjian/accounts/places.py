"""Streets, communities and units as district admins keep them, and who manages each unit.

The constructors and their rules (names required, unique, not too long) live in
accounts.services; these add who may do it, and the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .. import audit
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from .models import Community, Street, Unit, UnitType, User, unit_managers
from .services import (
    NAME_MAX,
    UNIT_TEXT_MAX,
    assign_manager,
    can_manage_unit,
    check_unit_text,
    clean_name,
    create_community,
    create_street,
    create_unit,
)

# What a unit's own managers may change; everything else is the district admin's.
UNIT_MANAGER_FIELDS = frozenset({"address", "contact_name", "contact_phone", "description"})
UNIT_FIELDS = frozenset({*UNIT_TEXT_MAX, "type", "community", "active"})
UNIT_AUDIT_FIELDS = ("name", "type", "community_id", "address", "contact_name", "contact_phone",
                     "description", "active")


def require_admin(actor) -> None:
    if actor is None or not getattr(actor, "is_admin", False):
        raise NotAllowed()


def add_street(*, name: str, actor, now: datetime) -> Street:
    """District admins add streets."""
    require_admin(actor)
    street = create_street(name=name)
    street.created_at = now
    audit.record(actor=actor, action="street.create", obj=street, now=now,
                 after={"name": street.name})
    return street


def add_community(*, name: str, street: Street, actor, now: datetime) -> Community:
    """District admins add communities."""
    require_admin(actor)
    community = create_community(name=name, street=street)
    community.created_at = now
    audit.record(actor=actor, action="community.create", obj=community, now=now,
                 after={"name": community.name, "street_id": street.id})
    return community


def rename_street(*, street: Street, name: str, actor, now: datetime) -> Street:
    """District admins rename streets; names stay unique."""
    require_admin(actor)
    name = clean_name(name, NAME_MAX["street"])
    if name == street.name:
        return street
    taken = db.session.scalar(sa.select(Street.id).where(Street.name == name,
                                                         Street.id != street.id))
    if taken is not None:
        raise InvalidInput({"name": "taken"})
    before = {"name": street.name}
    street.name = name
    db.session.flush()
    audit.record(actor=actor, action="street.rename", obj=street, now=now, before=before,
                 after={"name": name})
    return street


def rename_community(*, community: Community, name: str, actor, now: datetime) -> Community:
    """District admins rename communities; names stay unique within their street."""
    require_admin(actor)
    name = clean_name(name, NAME_MAX["community"])
    if name == community.name:
        return community
    taken = db.session.scalar(sa.select(Community.id).where(
        Community.street_id == community.street_id, Community.name == name,
        Community.id != community.id))
    if taken is not None:
        raise InvalidInput({"name": "taken"})
    before = {"name": community.name}
    community.name = name
    db.session.flush()
    audit.record(actor=actor, action="community.rename", obj=community, now=now, before=before,
                 after={"name": name})
    return community


def add_unit(*, actor, now: datetime, name: str, type: UnitType | str, community: Community,
             address: str = "", contact_name: str = "", contact_phone: str = "",
             description: str = "") -> Unit:
    """District admins add resident units."""
    require_admin(actor)
    unit = create_unit(name=name, type=type, community=community, address=address,
                       contact_name=contact_name, contact_phone=contact_phone,
                       description=description)
    unit.created_at = now
    audit.record(actor=actor, action="unit.create", obj=unit, now=now,
                 after=audit.snapshot(unit, UNIT_AUDIT_FIELDS), unit_id=unit.id)
    return unit


def update_unit(*, unit: Unit, actor, now: datetime, **values: Any) -> Unit:
    """Admins change anything; a unit's managers change its address, contacts and description."""
    unknown = set(values) - UNIT_FIELDS
    if unknown:
        raise InvalidInput({name: "unknown" for name in sorted(unknown)})
    is_admin = actor is not None and actor.is_admin
    if not is_admin and (not can_manage_unit(actor, unit.id) or set(values) - UNIT_MANAGER_FIELDS):
        raise NotAllowed()
    check_unit_text(values)
    before = audit.snapshot(unit, UNIT_AUDIT_FIELDS)
    if "name" in values:
        values["name"] = clean_name(values["name"], NAME_MAX["unit"])
    if "type" in values:
        try:
            values["type"] = UnitType(values["type"])
        except ValueError:
            raise InvalidInput({"type": "invalid"}) from None
    for name, value in values.items():
        setattr(unit, name, value)
    db.session.flush()
    audit.record(actor=actor, action="unit.update", obj=unit, now=now, before=before,
                 after=audit.snapshot(unit, UNIT_AUDIT_FIELDS), unit_id=unit.id)
    return unit


def set_unit_active(*, unit: Unit, active: bool, actor, now: datetime) -> Unit:
    """District admins deactivate a unit (its venues leave the residents' search, the public
    board and the public calendars) and reactivate it."""
    require_admin(actor)
    if unit.active == active:
        return unit
    unit.active = active
    db.session.flush()
    audit.record(actor=actor, action="unit.reactivate" if active else "unit.deactivate",
                 obj=unit, now=now, before={"active": not active}, after={"active": active},
                 unit_id=unit.id)
    return unit


def add_unit_manager(*, unit: Unit, user: User, actor, now: datetime) -> None:
    """District admins name a unit's managers (联络员)."""
    require_admin(actor)
    if user in unit.managers:
        return
    assign_manager(unit=unit, user=user)
    audit.record(actor=actor, action="unit.add_manager", obj=unit, now=now,
                 after={"user_id": user.id}, unit_id=unit.id)


def remove_unit_manager(*, unit: Unit, user: User, actor, now: datetime) -> None:
    require_admin(actor)
    if user not in unit.managers:
        return
    unit.managers.remove(user)
    db.session.flush()
    audit.record(actor=actor, action="unit.remove_manager", obj=unit, now=now,
                 before={"user_id": user.id}, unit_id=unit.id)


def streets_query() -> sa.Select:
    return sa.select(Street).order_by(Street.id)


def communities_query(*, street_id: int | None = None) -> sa.Select:
    query = sa.select(Community).order_by(Community.id)
    if street_id is not None:
        query = query.where(Community.street_id == street_id)
    return query


def units_query(*, viewer=None, community_id: int | None = None, street_id: int | None = None,
                type: str | None = None, q: str | None = None) -> sa.Select:
    """Units anyone may list: active ones; district admins also see inactive units."""
    query = sa.select(Unit).order_by(Unit.id)
    if not (viewer is not None and getattr(viewer, "is_admin", False)):
        query = query.where(Unit.active.is_(True))
    if community_id is not None:
        query = query.where(Unit.community_id == community_id)
    if street_id is not None:
        query = query.join(Unit.community).where(Community.street_id == street_id)
    if type is not None:
        query = query.where(Unit.type == UnitType(type))
    if q:
        query = query.where(Unit.name.contains(q, autoescape=True))
    return query


def managed_units_query(user) -> sa.Select:
    return (sa.select(Unit).join(unit_managers, unit_managers.c.unit_id == Unit.id)
            .where(unit_managers.c.user_id == user.id).order_by(Unit.id))


def units_without_managers_query() -> sa.Select:
    """Active units nobody manages."""
    managed = sa.select(unit_managers.c.unit_id).where(unit_managers.c.unit_id == Unit.id)
    return (sa.select(Unit).where(Unit.active.is_(True), ~managed.exists())
            .order_by(Unit.name, Unit.id))


def admin_units_query(*, q: str | None = None, street_id: int | None = None,
                      community_id: int | None = None, type: str | None = None,
                      active: bool | None = None, without_managers: bool = False) -> sa.Select:
    """Every unit, active or not, by name, with the district console's filters."""
    query = sa.select(Unit).order_by(Unit.name, Unit.id)
    if q:
        query = query.where(Unit.name.icontains(q.strip(), autoescape=True))
    if community_id is not None:
        query = query.where(Unit.community_id == community_id)
    if street_id is not None:
        query = query.join(Unit.community).where(Community.street_id == street_id)
    if type is not None:
        query = query.where(Unit.type == UnitType(type))
    if active is not None:
        query = query.where(Unit.active.is_(active))
    if without_managers:
        managed = sa.select(unit_managers.c.unit_id).where(unit_managers.c.unit_id == Unit.id)
        query = query.where(~managed.exists())
    return query
