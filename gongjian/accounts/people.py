"""Accounts that district admins create (managers, staff) on behalf of people."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from .. import audit
from ..errors import InvalidInput
from ..extensions import db
from .models import (
    Community,
    ManagerInvitation,
    Organization,
    OrganizationStatus,
    Unit,
    User,
    unit_managers,
)
from .places import require_admin
from .services import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    approve_organization,
    assign_manager,
    create_user,
    normalize_email,
)


def add_user(*, actor, now: datetime, email: str, password: str, name: str, phone: str = "",
             community: Community | None = None, is_admin: bool = False) -> User:
    """District admins create accounts, e.g. a new unit's manager, before assigning a role."""
    require_admin(actor)
    return create_user(email=email, password=password, name=name, now=now, phone=phone,
                       community=community, is_admin=is_admin)


# Unit managers by e-mail, and invitations for people without an account ----------------------

INVITATION_VALIDITY = timedelta(days=7)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class ManagerInvite:
    """What `invite_unit_manager` did: named an existing user, or invited the address (the
    token is known only now: the link is e-mailed or shown to the admin once)."""

    user: User | None = None
    invitation: ManagerInvitation | None = None
    token: str | None = None


def invite_unit_manager(*, unit: Unit, email: str, actor, now: datetime) -> ManagerInvite:
    """District admins name a unit's manager by e-mail: the account with that address becomes
    a manager at once; an address without an account gets an invitation valid for 7 days, which
    replaces any earlier open invitation of that address to the unit."""
    require_admin(actor)
    email = normalize_email(email or "")
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInput({"email": "invalid"})
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        if user in unit.managers:
            raise InvalidInput({"email": "already_manager"})
        assign_manager(unit=unit, user=user)
        audit.record(actor=actor, action="unit.add_manager", obj=unit, now=now,
                     after={"user_id": user.id}, unit_id=unit.id)
        return ManagerInvite(user=user)
    for earlier in db.session.scalars(sa.select(ManagerInvitation).where(
            ManagerInvitation.unit_id == unit.id, ManagerInvitation.email == email,
            ManagerInvitation.accepted_at.is_(None), ManagerInvitation.revoked_at.is_(None),
            ManagerInvitation.expires_at > now)):
        earlier.revoked_at = now
    token = secrets.token_urlsafe(32)
    invitation = ManagerInvitation(email=email, unit=unit, token_hash=_token_hash(token),
                                   invited_by_id=actor.id, created_at=now,
                                   expires_at=now + INVITATION_VALIDITY)
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor=actor, action="invitation.create", obj=invitation, now=now,
                 after={"email": email, "expires_at": invitation.expires_at},
                 unit_id=unit.id)
    return ManagerInvite(invitation=invitation, token=token)


def revoke_invitation(*, invitation: ManagerInvitation, actor, now: datetime) -> None:
    """District admins withdraw an invitation that is still open."""
    require_admin(actor)
    if not invitation.is_open_at(now):
        raise InvalidInput({"invitation": "closed"})
    invitation.revoked_at = now
    db.session.flush()
    audit.record(actor=actor, action="invitation.revoke", obj=invitation, now=now,
                 before={"email": invitation.email}, unit_id=invitation.unit_id)


def open_invitations(unit: Unit, *, now: datetime) -> list[ManagerInvitation]:
    return list(db.session.scalars(sa.select(ManagerInvitation).where(
        ManagerInvitation.unit_id == unit.id, ManagerInvitation.accepted_at.is_(None),
        ManagerInvitation.revoked_at.is_(None), ManagerInvitation.expires_at > now,
    ).order_by(ManagerInvitation.created_at.desc(), ManagerInvitation.id.desc())))


def invitation_for_token(token: str) -> ManagerInvitation | None:
    """The invitation behind a link, open or not; None for a token nobody issued."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(ManagerInvitation).where(
        ManagerInvitation.token_hash == _token_hash(token)))


def invitation_state(invitation: ManagerInvitation | None, *, now: datetime) -> str:
    """`open`, `accepted`, `revoked`, `expired` or `unknown`."""
    if invitation is None:
        return "unknown"
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    return "open"


def _require_open(invitation: ManagerInvitation, now: datetime) -> None:
    state = invitation_state(invitation, now=now)
    if state != "open":
        raise InvalidInput({"invitation": state})


def _accept(invitation: ManagerInvitation, user: User, now: datetime) -> None:
    invitation.accepted_at = now
    assign_manager(unit=invitation.unit, user=user)
    audit.record(actor=user, action="invitation.accept", obj=invitation, now=now,
                 after={"user_id": user.id, "email": user.email}, unit_id=invitation.unit_id)


def accept_invitation(*, invitation: ManagerInvitation, name: str, password: str, now: datetime,
                      phone: str = "", locale: str | None = None) -> User:
    """The invitee opens the link before it expires, names themself and sets a password (the
    policy of `create_user`): their account is created for the invited address and manages
    the unit. A link works once."""
    _require_open(invitation, now)
    user = create_user(email=invitation.email, password=password, name=name, phone=phone,
                       locale=locale, now=now)
    _accept(invitation, user, now)
    return user


def accept_invitation_as(*, invitation: ManagerInvitation, user: User, now: datetime) -> None:
    """Someone who meanwhile has an account with the invited address accepts it signed in."""
    _require_open(invitation, now)
    if user is None or normalize_email(user.email) != invitation.email:
        raise InvalidInput({"invitation": "other_account"})
    _accept(invitation, user, now)


# Users: search, booking rights and the district admin right ------------------------------------

SUSPENSION_REASON_MAX = 500
USER_ROLES = ("admins", "managers", "suspended")


def users_query(*, q: str | None = None, role: str | None = None, now: datetime | None = None
                ) -> sa.Select:
    """Users whose name, e-mail address or phone contains `q`, by name; `role` keeps only
    district admins, unit managers or suspended users (by an admin or the no-show rule)."""
    query = sa.select(User).order_by(User.name, User.id)
    q = (q or "").strip()
    if q:
        query = query.where(sa.or_(User.name.icontains(q, autoescape=True),
                                   User.email.icontains(q, autoescape=True),
                                   User.phone.contains(q, autoescape=True)))
    if role == "admins":
        query = query.where(User.is_admin.is_(True))
    elif role == "managers":
        managed = sa.select(unit_managers.c.user_id).where(unit_managers.c.user_id == User.id)
        query = query.where(managed.exists())
    elif role == "suspended":
        condition = User.suspended.is_(True)
        if now is not None:
            condition = sa.or_(condition, User.suspended_until > now)
        query = query.where(condition)
    return query


def _clean_reason(reason: str) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput({"reason": "required"})
    if len(reason) > SUSPENSION_REASON_MAX:
        raise InvalidInput({"reason": "too_long"})
    return reason


def suspend_user(*, user: User, reason: str, actor, now: datetime) -> User:
    """District admins suspend a user's booking rights, with a reason, until they restore
    them (the booking rule `booker_suspended`)."""
    require_admin(actor)
    reason = _clean_reason(reason)
    before = audit.snapshot(user, ("suspended", "suspension_reason"))
    user.suspended = True
    user.suspension_reason = reason
    db.session.flush()
    audit.record(actor=actor, action="user.suspend", obj=user, now=now, before=before,
                 after=audit.snapshot(user, ("suspended", "suspension_reason")))
    return user


def restore_user(*, user: User, actor, now: datetime) -> User:
    """District admins restore booking rights: an admin's suspension ends, and so does one
    the no-show rule imposed (those no-shows are not counted again)."""
    require_admin(actor)
    fields = ("suspended", "suspension_reason", "suspended_until")
    if not user.is_suspended_at(now):
        raise InvalidInput({"user": "not_suspended"})
    before = audit.snapshot(user, fields)
    user.suspended = False
    user.suspension_reason = ""
    user.suspended_until = None
    db.session.flush()
    audit.record(actor=actor, action="user.restore", obj=user, now=now, before=before,
                 after=audit.snapshot(user, fields))
    return user


def set_district_admin(*, user: User, is_admin: bool, actor, now: datetime) -> User:
    """District admins grant and revoke the district admin right, never their own: so the
    district always keeps at least one admin."""
    require_admin(actor)
    if user.id == actor.id:
        raise InvalidInput({"user": "self"})
    if user.is_admin == is_admin:
        return user
    user.is_admin = is_admin
    db.session.flush()
    audit.record(actor=actor, action="user.grant_admin" if is_admin else "user.revoke_admin",
                 obj=user, now=now, before={"is_admin": not is_admin},
                 after={"is_admin": is_admin})
    return user


# Organizations: approve, suspend, restore ------------------------------------------------------

ORGANIZATION_STANDING = ("status", "suspension_reason")


def organizations_query(*, status: str | None = None, q: str | None = None) -> sa.Select:
    """Organizations for district admins: pending first, then approved, then suspended; newest
    applications first within each."""
    order = sa.case((Organization.status == OrganizationStatus.PENDING, 0),
                    (Organization.status == OrganizationStatus.APPROVED, 1), else_=2)
    query = sa.select(Organization).order_by(order, Organization.created_at.desc(),
                                             Organization.id.desc())
    if status is not None:
        query = query.where(Organization.status == OrganizationStatus(status))
    q = (q or "").strip()
    if q:
        query = query.where(Organization.name.icontains(q, autoescape=True))
    return query


def _standing(organization: Organization, actor, action: str, now: datetime,
              change) -> Organization:
    before = audit.snapshot(organization, ORGANIZATION_STANDING)
    change()
    db.session.flush()
    audit.record(actor=actor, action=action, obj=organization, now=now, before=before,
                 after=audit.snapshot(organization, ORGANIZATION_STANDING))
    return organization


def review_organization(*, organization: Organization, actor, now: datetime) -> Organization:
    """District admins approve a pending organization: it may book from now on."""
    require_admin(actor)
    if organization.status != OrganizationStatus.PENDING:
        raise InvalidInput({"status": "not_pending"})
    return _standing(organization, actor, "organization.approve", now,
                     lambda: approve_organization(organization=organization, now=now))


def suspend_organization(*, organization: Organization, reason: str, actor,
                         now: datetime) -> Organization:
    """District admins suspend an organization (pending or approved), with a reason: it can no
    longer book (`not_org_member`); bookings it holds stay."""
    require_admin(actor)
    reason = _clean_reason(reason)
    if organization.status == OrganizationStatus.SUSPENDED:
        raise InvalidInput({"status": "already_suspended"})

    def change() -> None:
        organization.status = OrganizationStatus.SUSPENDED
        organization.suspension_reason = reason
        organization.suspended_at = now

    return _standing(organization, actor, "organization.suspend", now, change)


def restore_organization(*, organization: Organization, actor, now: datetime) -> Organization:
    """District admins lift a suspension: the organization is approved again."""
    require_admin(actor)
    if organization.status != OrganizationStatus.SUSPENDED:
        raise InvalidInput({"status": "not_suspended"})

    def change() -> None:
        organization.status = OrganizationStatus.APPROVED
        organization.suspension_reason = ""
        organization.suspended_at = None
        if organization.approved_at is None:
            organization.approved_at = now

    return _standing(organization, actor, "organization.restore", now, change)
