"""Accounts: users, roles and the places people belong to."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import InvalidInput, NotFound
from ..extensions import db
from .models import (
    Community,
    MemberRole,
    Membership,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Street,
    Unit,
    UnitType,
    User,
    unit_managers,
)

MIN_PASSWORD_LENGTH = 8


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    *,
    email: str,
    password: str,
    name: str,
    now: datetime,
    phone: str = "",
    community: Community | None = None,
    is_admin: bool = False,
) -> User:
    """Create a user; e-mail addresses are unique regardless of case."""
    email = normalize_email(email)
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = "invalid"
    elif db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        errors["email"] = "taken"
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = "too_short"
    if not name.strip():
        errors["name"] = "required"
    if errors:
        raise InvalidInput(errors)
    user = User(
        email=email,
        name=name.strip(),
        phone=phone.strip(),
        community=community,
        password_hash=generate_password_hash(password),
        is_admin=is_admin,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user


def managed_unit_ids(user) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    rows = db.session.scalars(
        sa.select(unit_managers.c.unit_id).where(unit_managers.c.user_id == user.id)
    )
    return set(rows)


def can_manage_unit(user, unit_id: int) -> bool:
    """District admins manage every unit; a manager only the units assigned to them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    return (
        db.session.scalar(
            sa.select(unit_managers.c.unit_id).where(
                unit_managers.c.user_id == user.id, unit_managers.c.unit_id == unit_id
            )
        )
        is not None
    )


def is_member(user, organization_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(Membership.user_id).where(
                Membership.user_id == user.id, Membership.organization_id == organization_id
            )
        )
        is not None
    )


NAME_MAX = {"street": 100, "community": 100, "unit": 200}
UNIT_TEXT_MAX = {"name": 200, "address": 300, "contact_name": 100, "contact_phone": 40,
                 "description": 20000}


def clean_name(name: str, limit: int) -> str:
    """A required name, stripped, at most `limit` characters."""
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise InvalidInput({"name": "required"})
    if len(name) > limit:
        raise InvalidInput({"name": "too_long"})
    return name


def check_unit_text(values: dict) -> None:
    errors = {name: "too_long" for name, limit in UNIT_TEXT_MAX.items()
              if isinstance(values.get(name), str) and len(values[name]) > limit}
    if errors:
        raise InvalidInput(errors)


def create_street(*, name: str) -> Street:
    """Street names are unique."""
    name = clean_name(name, NAME_MAX["street"])
    if db.session.scalar(sa.select(Street.id).where(Street.name == name)) is not None:
        raise InvalidInput({"name": "taken"})
    street = Street(name=name)
    db.session.add(street)
    db.session.flush()
    return street


def create_community(*, name: str, street: Street) -> Community:
    """Community names are unique within their street."""
    name = clean_name(name, NAME_MAX["community"])
    taken = db.session.scalar(
        sa.select(Community.id).where(Community.street_id == street.id, Community.name == name)
    )
    if taken is not None:
        raise InvalidInput({"name": "taken"})
    community = Community(name=name, street=street)
    db.session.add(community)
    db.session.flush()
    return community


def create_unit(
    *,
    name: str,
    type: UnitType | str,
    community: Community,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    description: str = "",
) -> Unit:
    check_unit_text({"address": address, "contact_name": contact_name,
                     "contact_phone": contact_phone, "description": description})
    name = clean_name(name, NAME_MAX["unit"])
    try:
        unit_type = UnitType(type)
    except ValueError:
        raise InvalidInput({"type": "invalid"}) from None
    unit = Unit(
        name=name,
        type=unit_type,
        community=community,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        description=description,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def assign_manager(*, unit: Unit, user: User) -> None:
    if user not in unit.managers:
        unit.managers.append(user)
    db.session.flush()


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit")
    return unit


def create_organization(
    *, name: str, kind: OrganizationKind | str, community: Community, founder: User, now: datetime
) -> Organization:
    """A new organization waits (pending) for a district admin; its founder is its admin."""
    if not name.strip():
        raise InvalidInput({"name": "required"})
    try:
        org_kind = OrganizationKind(kind)
    except ValueError:
        raise InvalidInput({"kind": "invalid"}) from None
    organization = Organization(
        name=name.strip(), kind=org_kind, community=community, created_by_id=founder.id,
        created_at=now,
    )
    organization.memberships.append(Membership(user=founder, role=MemberRole.ADMIN))
    db.session.add(organization)
    db.session.flush()
    return organization


def approve_organization(*, organization: Organization, now: datetime) -> None:
    organization.status = OrganizationStatus.APPROVED
    organization.approved_at = now
    db.session.flush()


def add_member(
    *, organization: Organization, user: User, role: MemberRole = MemberRole.MEMBER
) -> Membership:
    existing = db.session.get(Membership, (user.id, organization.id))
    if existing is not None:
        return existing
    membership = Membership(user=user, organization=organization, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership
