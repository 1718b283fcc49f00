"""Accounts that district admins create (managers, staff) on behalf of people."""

from __future__ import annotations

from datetime import datetime

from .models import Community, User
from .places import require_admin
from .services import create_user


def add_user(*, actor, now: datetime, email: str, password: str, name: str, phone: str = "",
             community: Community | None = None, is_admin: bool = False) -> User:
    """District admins create accounts, e.g. a new unit's manager, before assigning a role."""
    require_admin(actor)
    return create_user(email=email, password=password, name=name, now=now, phone=phone,
                       community=community, is_admin=is_admin)
