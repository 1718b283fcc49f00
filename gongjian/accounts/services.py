"""Accounts: users, roles and the places people belong to."""

from __future__ import annotations

import functools
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import InvalidInput, NotAllowed, NotFound
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
MAX_PASSWORD_LENGTH = 200
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
PHONE_MIN_LENGTH, PHONE_MAX_LENGTH = 5, 20
LOCALES = ("zh", "en")

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Digits, spaces, "-" and a leading "+": "13800138000", "+86 138-0013-8000", "010-6512 3456".
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 -]*[0-9]")

# The commonest passwords (leaked-password lists, Chinese and English) of the allowed length;
# compared case-insensitively (all-digit ones are refused by their own rule first).
COMMON_PASSWORDS = frozenset({
    "12345678", "11111111", "88888888", "123456789", "87654321", "password", "password1",
    "password12", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "pa55word", "qwerty123",
    "qwertyuiop", "qwerty12", "qwer1234", "qwerasdf", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t",
    "q1w2e3r4", "q1w2e3r4t5", "zaq12wsx", "qazwsxedc", "asdfghjkl", "asdf1234", "asdfasdf",
    "zxcvbnm1", "zxcvbnm123", "abc12345", "abcd1234", "abc123456", "abcdefgh", "a1234567",
    "a12345678", "a123456789", "aa123456", "aa12345678", "aaa12345", "123abc123", "123qweasd",
    "1234qwer", "12345qwert", "admin123", "admin888", "administrator", "root1234", "iloveyou",
    "iloveyou1", "woaini1314", "woaini520", "woaini123", "wangyang", "woshishui", "5201314a",
    "qq123456", "qq5201314", "sunshine", "princess", "football", "baseball", "welcome1",
    "welcome123", "trustno1", "superman", "letmein1", "monkey123", "dragon123", "master123",
    "changeme", "changeme1", "computer", "internet",
})


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def password_problem(password: str, *, email: str = "", phone: str = "") -> str | None:
    """Why a new password is refused (a field code), or None when it is acceptable: 8–200
    characters, not only digits, not one repeated character, not the owner's e-mail address,
    its local part or phone number, not one of the commonest passwords."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    folded = password.strip().lower()
    email = normalize_email(email)
    if email and folded in {email, email.partition("@")[0]}:
        return "like_email"
    # The phone number however written, with or without its country code.
    phone_digits, typed_digits = _digits(phone), _digits(folded)
    if (phone_digits and typed_digits and not any(c.isalpha() for c in folded)
            and (typed_digits == phone_digits
                 or (len(typed_digits) >= 7 and phone_digits.endswith(typed_digits)))):
        return "like_phone"
    if password.isdigit():
        return "all_digits"
    if len(set(password)) == 1:
        return "repeated"
    if folded in COMMON_PASSWORDS:
        return "common"
    return None


def _check_name(name: str, errors: dict[str, str]) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = "required"
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = "too_long"
    return name


def _check_phone(phone: str, errors: dict[str, str]) -> str:
    """Optional; when given, a plausible phone number (5–20 of digits, spaces, "-", "+")."""
    phone = phone.strip() if isinstance(phone, str) else ""
    if phone and not (PHONE_MIN_LENGTH <= len(phone) <= PHONE_MAX_LENGTH
                      and PHONE_PATTERN.fullmatch(phone)):
        errors["phone"] = "invalid"
    return phone


def _check_new_user(*, email: str, password: str, name: str, phone: str,
                    locale: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned values of a new account and the refused fields with their codes."""
    email = normalize_email(email)
    errors: dict[str, str] = {}
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        errors["email"] = "invalid"
    elif db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        errors["email"] = "taken"
    name = _check_name(name, errors)
    phone = _check_phone(phone, errors)
    problem = password_problem(password, email=email, phone=phone)
    if problem:
        errors["password"] = problem
    if locale is not None and locale not in LOCALES:
        errors["locale"] = "invalid"
    return {"email": email, "name": name, "phone": phone}, errors


def create_user(
    *,
    email: str,
    password: str,
    name: str,
    now: datetime,
    phone: str = "",
    community: Community | None = None,
    is_admin: bool = False,
    locale: str | None = None,
) -> User:
    """Create a user; e-mail addresses are unique regardless of case, and the password obeys
    `password_problem`. Every refused field is named at once."""
    clean, errors = _check_new_user(email=email, password=password, name=name, phone=phone,
                                    locale=locale)
    if errors:
        raise InvalidInput(errors)
    return _insert_user(clean, password=password, community=community, is_admin=is_admin,
                        locale=locale, now=now)


def register_user(
    *,
    email: str,
    password: str,
    name: str,
    community: Community | None,
    now: datetime,
    phone: str = "",
    locale: str | None = None,
) -> User:
    """A resident signs up: the rules of `create_user`, and they name the community they live
    in (Gongjian serves one district's residents)."""
    clean, errors = _check_new_user(email=email, password=password, name=name, phone=phone,
                                    locale=locale)
    if community is None:
        errors["community"] = "required"
    if errors:
        raise InvalidInput(errors)
    return _insert_user(clean, password=password, community=community, is_admin=False,
                        locale=locale, now=now)


def _insert_user(clean: dict[str, str], *, password: str, community: Community | None,
                 is_admin: bool, locale: str | None, now: datetime) -> User:
    user = User(
        **clean,
        community=community,
        password_hash=generate_password_hash(password),
        is_admin=is_admin,
        locale=locale,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user with this e-mail and password, or None. An unknown address costs a hash check
    too, so the answer's timing does not tell which addresses have accounts."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def update_profile(
    *, user: User, name: str, phone: str, community: Community | None, locale: str | None,
    now: datetime,
) -> User:
    """A user changes their own name, phone, community and preferred language (zh or en;
    None follows the browser)."""
    errors: dict[str, str] = {}
    name = _check_name(name, errors)
    phone = _check_phone(phone, errors)
    if locale is not None and locale not in LOCALES:
        errors["locale"] = "invalid"
    if errors:
        raise InvalidInput(errors)
    user.name = name
    user.phone = phone
    user.community = community
    user.locale = locale
    db.session.flush()
    return user


def change_password(*, user: User, current_password: str, new_password: str,
                    now: datetime) -> None:
    """The current password proves it is the owner; the new one obeys `password_problem` and
    differs from the current one."""
    if not check_password_hash(user.password_hash, current_password):
        raise InvalidInput({"current_password": "wrong"})
    problem = password_problem(new_password, email=user.email, phone=user.phone)
    if problem is None and new_password == current_password:
        problem = "unchanged"
    if problem:
        raise InvalidInput({"new_password": problem})
    user.password_hash = generate_password_hash(new_password)
    db.session.flush()
    audit.record(actor=user, action="user.change_password", obj=user, now=now)


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


ORGANIZATION_NAME_MAX = 200
ORGANIZATION_DESCRIPTION_MAX = 2000
ORGANIZATION_AUDIT_FIELDS = ("name", "kind", "community_id", "status", "description")


def create_organization(
    *, name: str, kind: OrganizationKind | str, community: Community, founder: User,
    now: datetime, description: str = "",
) -> Organization:
    """A new organization waits (pending) for a district admin; its founder is its admin."""
    errors: dict[str, str] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = "required"
    elif len(name) > ORGANIZATION_NAME_MAX:
        errors["name"] = "too_long"
    try:
        org_kind = OrganizationKind(kind)
    except ValueError:
        errors["kind"] = "invalid"
    description = description.strip() if isinstance(description, str) else ""
    if len(description) > ORGANIZATION_DESCRIPTION_MAX:
        errors["description"] = "too_long"
    if errors:
        raise InvalidInput(errors)
    organization = Organization(
        name=name, kind=org_kind, community=community, created_by_id=founder.id,
        description=description, created_at=now,
    )
    organization.memberships.append(Membership(user=founder, role=MemberRole.ADMIN,
                                               created_at=now))
    db.session.add(organization)
    db.session.flush()
    audit.record(actor=founder, action="organization.create", obj=organization, now=now,
                 after=audit.snapshot(organization, ORGANIZATION_AUDIT_FIELDS))
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


# Organization members (product.md §2: an organization's admins add and remove its members) --


def membership_of(user, organization_id: int) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.get(Membership, (user.id, organization_id))


def can_admin_organization(user, organization: Organization) -> bool:
    """District admins and the organization's own admins manage its members."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    membership = membership_of(user, organization.id)
    return membership is not None and membership.role == MemberRole.ADMIN


def can_see_members(user, organization: Organization) -> bool:
    """Its members and district admins see who belongs to an organization (and its bookings)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_admin or membership_of(user, organization.id) is not None


def _require_organization_admin(actor, organization: Organization) -> None:
    if not can_admin_organization(actor, organization):
        raise NotAllowed()


def _admin_count(organization: Organization) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).where(
            Membership.organization_id == organization.id, Membership.role == MemberRole.ADMIN)
    ) or 0


def _membership(organization: Organization, user: User) -> Membership:
    membership = db.session.get(Membership, (user.id, organization.id))
    if membership is None:
        raise NotFound("membership")
    return membership


def add_member_by_email(
    *, organization: Organization, email: str, actor, now: datetime,
    role: MemberRole | str = MemberRole.MEMBER,
) -> Membership:
    """An organization's admin (or a district admin) adds an existing user by e-mail address."""
    _require_organization_admin(actor, organization)
    try:
        member_role = MemberRole(role)
    except ValueError:
        raise InvalidInput({"role": "invalid"}) from None
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email or "")))
    if user is None:
        raise InvalidInput({"email": "no_such_user"})
    if db.session.get(Membership, (user.id, organization.id)) is not None:
        raise InvalidInput({"email": "already_member"})
    membership = Membership(user=user, organization=organization, role=member_role,
                            created_at=now)
    db.session.add(membership)
    db.session.flush()
    audit.record(actor=actor, action="organization.add_member", obj=organization, now=now,
                 after={"user_id": user.id, "role": member_role})
    return membership


def remove_member(*, organization: Organization, user: User, actor, now: datetime) -> None:
    """Admins remove members and members leave, but an organization keeps at least one admin."""
    if actor is None or getattr(actor, "id", None) != user.id:
        _require_organization_admin(actor, organization)
    membership = _membership(organization, user)
    if membership.role == MemberRole.ADMIN and _admin_count(organization) <= 1:
        raise InvalidInput({"member": "last_admin"})
    role = membership.role
    db.session.delete(membership)
    db.session.flush()
    action = "organization.leave" if actor.id == user.id else "organization.remove_member"
    audit.record(actor=actor, action=action, obj=organization, now=now,
                 before={"user_id": user.id, "role": role})


def set_member_role(*, organization: Organization, user: User, role: MemberRole | str, actor,
                    now: datetime) -> Membership:
    """Admins make members admins and back; the last admin stays an admin."""
    _require_organization_admin(actor, organization)
    try:
        new_role = MemberRole(role)
    except ValueError:
        raise InvalidInput({"role": "invalid"}) from None
    membership = _membership(organization, user)
    if membership.role == new_role:
        return membership
    if membership.role == MemberRole.ADMIN and _admin_count(organization) <= 1:
        raise InvalidInput({"role": "last_admin"})
    before = membership.role
    membership.role = new_role
    db.session.flush()
    audit.record(actor=actor, action="organization.set_role", obj=organization, now=now,
                 before={"user_id": user.id, "role": before},
                 after={"user_id": user.id, "role": new_role})
    return membership


def organizations_of(user: User) -> list[tuple[Organization, Membership]]:
    """The user's organizations with their membership, by name."""
    rows = db.session.execute(
        sa.select(Organization, Membership)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(Organization.name, Organization.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def members_of(organization: Organization) -> list[Membership]:
    """Admins first, then by name."""
    return list(db.session.scalars(
        sa.select(Membership).join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization.id)
        .order_by(sa.case((Membership.role == MemberRole.ADMIN, 0), else_=1), User.name, User.id)
    ))


def get_organization(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("organization")
    return organization


def get_community(community_id: int | None) -> Community | None:
    """The community with this id; None for no id. An unknown id is refused on its field."""
    if community_id is None:
        return None
    community = db.session.get(Community, community_id)
    if community is None:
        raise InvalidInput({"community": "invalid"})
    return community


def communities_by_street() -> list[tuple[Street, list[Community]]]:
    """Every community under its street, both by name: for the pickers of the forms."""
    communities = db.session.scalars(
        sa.select(Community).join(Street, Street.id == Community.street_id)
        .order_by(Street.name, Street.id, Community.name, Community.id)
    ).all()
    groups: dict[int, tuple[Street, list[Community]]] = {}
    for community in communities:
        groups.setdefault(community.street_id, (community.street, []))[1].append(community)
    return list(groups.values())
