"""People and the places they belong to: streets, communities, units, organizations, tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

if TYPE_CHECKING:
    from ..venues.models import Venue


def str_enum(enum: type[StrEnum], length: int = 32) -> sa.Enum:
    """A StrEnum stored as its string value (no native enum type, no CHECK to migrate)."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class UnitType(StrEnum):
    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    STATE_ENTERPRISE = "state_enterprise"
    PRIVATE_ENTERPRISE = "private_enterprise"
    SCHOOL = "school"
    OTHER = "other"


class OrganizationKind(StrEnum):
    COMMUNITY_PARTY = "community_party"
    RESIDENTS_COMMITTEE = "residents_committee"
    SOCIAL_ORG = "social_org"
    VOLUNTEER_TEAM = "volunteer_team"
    OTHER = "other"


class OrganizationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"


class MemberRole(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


unit_managers = sa.Table(
    "unit_managers",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Street(db.Model):
    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    communities: Mapped[list[Community]] = relationship(back_populates="street")

    def __repr__(self) -> str:
        return f"<Street {self.id} {self.name}>"


class Community(db.Model):
    __tablename__ = "communities"
    __table_args__ = (sa.UniqueConstraint("street_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    street_id: Mapped[int] = mapped_column(sa.ForeignKey("streets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    street: Mapped[Street] = relationship(back_populates="communities")
    units: Mapped[list[Unit]] = relationship(back_populates="community")

    def __repr__(self) -> str:
        return f"<Community {self.id} {self.name}>"


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[UnitType] = mapped_column(str_enum(UnitType))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship(back_populates="units")
    managers: Mapped[list[User]] = relationship(
        secondary=unit_managers, back_populates="managed_units"
    )
    venues: Mapped[list[Venue]] = relationship(back_populates="unit", order_by="Venue.id")

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("communities.id"))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    is_admin: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    # Suspended by a district admin: no booking rights until restored.
    suspended: Mapped[bool] = mapped_column(default=False)
    suspension_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # Suspended by the no-show rule until this instant.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the no-show rule last suspended the user: earlier no-shows are already paid for.
    no_show_suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community | None] = relationship()
    managed_units: Mapped[list[Unit]] = relationship(
        secondary=unit_managers, back_populates="managers"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        """What sessions and remember-me cookies hold: the id and a digest of the password
        hash, so changing the password signs every other browser out (product: a lost phone
        stays signed in only until the password changes)."""
        digest = hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]
        return f"{self.id}:{digest}"

    def is_suspended_at(self, now: datetime) -> bool:
        return self.suspended or (self.suspended_until is not None and self.suspended_until > now)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind))
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("communities.id"), index=True)
    status: Mapped[OrganizationStatus] = mapped_column(
        str_enum(OrganizationStatus), default=OrganizationStatus.PENDING
    )
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Suspended by a district admin (status `suspended`): when and why.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    community: Mapped[Community] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )

    @property
    def is_approved(self) -> bool:
        return self.status == OrganizationStatus.APPROVED

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"


class Membership(db.Model):
    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole), default=MemberRole.MEMBER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships")


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class FeedToken(db.Model):
    """The secret behind a private calendar feed URL: one per user or per unit."""

    __tablename__ = "feed_tokens"
    __table_args__ = (
        sa.CheckConstraint(
            "(user_id IS NULL) <> (unit_id IS NULL)", name="one_owner"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), unique=True
    )
    secret: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ManagerInvitation(db.Model):
    """A district admin invites someone without an account to manage a unit; the link carries
    a token of which only the SHA-256 is stored."""

    __tablename__ = "manager_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def is_open_at(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now

    def __repr__(self) -> str:
        return f"<ManagerInvitation {self.id} {self.email} unit {self.unit_id}>"


class Notification(db.Model):
    """An in-app notice (通知); its text is rendered from kind and data in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
