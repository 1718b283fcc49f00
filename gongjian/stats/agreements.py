"""Co-construction agreements (共驻共建协议): district admins record what each unit promised."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from .. import audit
from ..accounts.models import Community, Street, Unit
from ..accounts.places import require_admin
from ..accounts.services import managed_unit_ids
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from .models import Agreement

MAX_COMMITTED_HOURS_PER_WEEK = Decimal("10000")
NOTES_MAX = 5000
AGREEMENT_AUDIT_FIELDS = ("unit_id", "community_id", "street_id", "signed_on", "valid_from",
                          "valid_until", "committed_hours_per_week", "notes")


def create_agreement(
    *,
    unit: Unit,
    community: Community | None = None,
    street: Street | None = None,
    signed_on: date,
    valid_from: date,
    valid_until: date | None = None,
    committed_hours_per_week: Decimal | float | int,
    notes: str = "",
    actor,
    now: datetime,
) -> Agreement:
    """Record an agreement of a unit with one counterparty, a community or the street."""
    require_admin(actor)
    errors: dict[str, str] = {}
    if (community is None) == (street is None):
        errors["community_id"] = "one_counterparty_required"
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "before_valid_from"
    hours = Decimal(str(committed_hours_per_week)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if not Decimal(0) <= hours <= MAX_COMMITTED_HOURS_PER_WEEK:
        errors["committed_hours_per_week"] = "out_of_range"
    if len(notes) > NOTES_MAX:
        errors["notes"] = "too_long"
    if errors:
        raise InvalidInput(errors)
    agreement = Agreement(unit=unit, community=community, street=street, signed_on=signed_on,
                          valid_from=valid_from, valid_until=valid_until,
                          committed_hours_per_week=hours, notes=notes.strip(), created_at=now)
    db.session.add(agreement)
    db.session.flush()
    after = audit.snapshot(agreement, AGREEMENT_AUDIT_FIELDS)
    after["committed_hours_per_week"] = str(hours)  # the audit log is JSON: no Decimal
    audit.record(actor=actor, action="agreement.create", obj=agreement, now=now, after=after,
                 unit_id=unit.id)
    return agreement


def agreements_query(*, actor, unit_id: int | None = None) -> sa.Select:
    """District admins see every agreement, a unit's managers those of their units."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed()
    query = sa.select(Agreement).order_by(Agreement.id)
    if not actor.is_admin:
        managed = managed_unit_ids(actor)
        if not managed or (unit_id is not None and unit_id not in managed):
            raise NotAllowed()
        query = query.where(Agreement.unit_id.in_(sorted(managed)))
    if unit_id is not None:
        query = query.where(Agreement.unit_id == unit_id)
    return query
