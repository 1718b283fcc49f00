"""Co-construction agreements (共驻共建协议): district admins record what each unit promised."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .. import audit
from ..accounts.models import Community, Street, Unit
from ..accounts.places import require_admin
from ..accounts.services import can_manage_unit, managed_unit_ids
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
    hours = _check_agreement(community=community, street=street, valid_from=valid_from,
                             valid_until=valid_until,
                             committed_hours_per_week=committed_hours_per_week, notes=notes)
    agreement = Agreement(unit=unit, community=community, street=street, signed_on=signed_on,
                          valid_from=valid_from, valid_until=valid_until,
                          committed_hours_per_week=hours, notes=notes.strip(), created_at=now)
    db.session.add(agreement)
    db.session.flush()
    audit.record(actor=actor, action="agreement.create", obj=agreement, now=now,
                 after=_audit_snapshot(agreement), unit_id=unit.id)
    return agreement


def _check_agreement(*, community: Community | None, street: Street | None, valid_from: date,
                     valid_until: date | None, committed_hours_per_week: Any,
                     notes: str) -> Decimal:
    """The rules of an agreement's terms; answers the committed hours rounded to 0.01."""
    errors: dict[str, str] = {}
    if (community is None) == (street is None):
        errors["community_id"] = "one_counterparty_required"
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "before_valid_from"
    try:
        hours = Decimal(str(committed_hours_per_week)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        hours = Decimal(-1)
    if not Decimal(0) <= hours <= MAX_COMMITTED_HOURS_PER_WEEK:
        errors["committed_hours_per_week"] = "out_of_range"
    if len(notes) > NOTES_MAX:
        errors["notes"] = "too_long"
    if errors:
        raise InvalidInput(errors)
    return hours


def _audit_snapshot(agreement: Agreement) -> dict[str, Any]:
    values = audit.snapshot(agreement, AGREEMENT_AUDIT_FIELDS)
    # The audit log is JSON: no Decimal.
    values["committed_hours_per_week"] = str(agreement.committed_hours_per_week)
    return values


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


# Editing, ending, the signed PDF; what the district console lists --------------------------

AGREEMENT_STATES = ("active", "upcoming", "ended")
EXPIRY_WARNING_DAYS = 60
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_NAME_MAX = 255
DOCUMENT_AUDIT_FIELDS = ("document_name", "document_size")
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_PDF_STARTXREF = re.compile(rb"startxref\s+([0-9]+)\s+%%EOF")


def update_agreement(*, agreement: Agreement, unit: Unit, community: Community | None = None,
                     street: Street | None = None, signed_on: date, valid_from: date,
                     valid_until: date | None = None,
                     committed_hours_per_week: Decimal | float | int, notes: str = "",
                     actor, now: datetime) -> Agreement:
    """District admins correct an agreement's terms, under the rules of `create_agreement`."""
    require_admin(actor)
    hours = _check_agreement(community=community, street=street, valid_from=valid_from,
                             valid_until=valid_until,
                             committed_hours_per_week=committed_hours_per_week, notes=notes)
    before = _audit_snapshot(agreement)
    agreement.unit = unit
    agreement.community = community
    agreement.street = street
    agreement.signed_on = signed_on
    agreement.valid_from = valid_from
    agreement.valid_until = valid_until
    agreement.committed_hours_per_week = hours
    agreement.notes = notes.strip()
    db.session.flush()
    after = _audit_snapshot(agreement)
    if after != before:
        changed = {name for name in after if after[name] != before[name]}
        audit.record(actor=actor, action="agreement.update", obj=agreement, now=now,
                     before={name: before[name] for name in sorted(changed)},
                     after={name: after[name] for name in sorted(changed)},
                     unit_id=agreement.unit_id)
    return agreement


def end_agreement(*, agreement: Agreement, on: date, actor, now: datetime) -> Agreement:
    """District admins end an agreement: its last valid day becomes `on`, which lies neither
    before its first day nor after a last day it already had."""
    require_admin(actor)
    if on < agreement.valid_from:
        raise InvalidInput({"valid_until": "before_valid_from"})
    if agreement.valid_until is not None and on > agreement.valid_until:
        raise InvalidInput({"valid_until": "after_current_end"})
    if agreement.valid_until == on:
        return agreement
    before = {"valid_until": agreement.valid_until}
    agreement.valid_until = on
    db.session.flush()
    audit.record(actor=actor, action="agreement.end", obj=agreement, now=now, before=before,
                 after={"valid_until": on}, unit_id=agreement.unit_id)
    return agreement


def pdf_problem(data: bytes) -> str | None:
    """Why an upload is not an acceptable PDF (a field code), or None: at most 10 MB, the
    `%PDF-x.y` header, and a trailer that ends `startxref <offset> %%EOF` with an offset inside
    the file. Not a full parse: enough to refuse anything that is not a PDF."""
    if not data:
        return "required"
    if len(data) > DOCUMENT_MAX_BYTES:
        return "too_large"
    if not _PDF_HEADER.match(data):
        return "not_pdf"
    trailers = list(_PDF_STARTXREF.finditer(data[-2048:]))
    if not trailers or int(trailers[-1].group(1)) >= len(data):
        return "not_pdf"
    return None


def _clean_document_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip() or "agreement.pdf"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    if len(name) > DOCUMENT_NAME_MAX:
        name = name[:DOCUMENT_NAME_MAX - 4] + ".pdf"
    return name


def attach_document(*, agreement: Agreement, data: bytes, filename: str, directory: Path,
                    actor, now: datetime) -> str | None:
    """District admins attach the signed agreement as a PDF (see `pdf_problem`), stored under
    a random name in `directory`. Answers the replaced file's name, for the caller to delete
    once the change is committed."""
    require_admin(actor)
    problem = pdf_problem(data)
    if problem:
        raise InvalidInput({"document": problem})
    directory.mkdir(parents=True, exist_ok=True)
    stored = f"{secrets.token_hex(16)}.pdf"
    (directory / stored).write_bytes(data)
    before = audit.snapshot(agreement, DOCUMENT_AUDIT_FIELDS)
    replaced = agreement.document_file
    agreement.document_file = stored
    agreement.document_name = _clean_document_name(filename)
    agreement.document_size = len(data)
    db.session.flush()
    audit.record(actor=actor, action="agreement.attach_document", obj=agreement, now=now,
                 before=before, after=audit.snapshot(agreement, DOCUMENT_AUDIT_FIELDS),
                 unit_id=agreement.unit_id)
    return replaced


def remove_document(*, agreement: Agreement, actor, now: datetime) -> str | None:
    """District admins remove the attached PDF; answers its file name, to delete after commit."""
    require_admin(actor)
    if agreement.document_file is None:
        return None
    before = audit.snapshot(agreement, DOCUMENT_AUDIT_FIELDS)
    removed = agreement.document_file
    agreement.document_file = agreement.document_name = agreement.document_size = None
    db.session.flush()
    audit.record(actor=actor, action="agreement.remove_document", obj=agreement, now=now,
                 before=before, after=audit.snapshot(agreement, DOCUMENT_AUDIT_FIELDS),
                 unit_id=agreement.unit_id)
    return removed


def can_download_document(user, agreement: Agreement) -> bool:
    """District admins and the unit's managers read the signed agreement."""
    return can_manage_unit(user, agreement.unit_id)


def _valid_on(today: date):
    return sa.and_(Agreement.valid_from <= today,
                   sa.or_(Agreement.valid_until.is_(None), Agreement.valid_until >= today))


def filter_agreements(query: sa.Select, *, state: str | None, today: date) -> sa.Select:
    """`active` (valid today), `upcoming` (starts later) or `ended` (last day before today)."""
    if state == "active":
        return query.where(_valid_on(today))
    if state == "upcoming":
        return query.where(Agreement.valid_from > today)
    if state == "ended":
        return query.where(Agreement.valid_until < today)
    return query


def expiring_agreements_query(*, today: date, days: int = EXPIRY_WARNING_DAYS) -> sa.Select:
    """Agreements whose last valid day lies between today and `days` days later, soonest first."""
    return (sa.select(Agreement)
            .where(Agreement.valid_until >= today,
                   Agreement.valid_until <= today + timedelta(days=days))
            .order_by(Agreement.valid_until, Agreement.id))


def units_without_agreement_query(*, today: date) -> sa.Select:
    """Active units with no agreement valid today."""
    valid = sa.select(Agreement.id).where(Agreement.unit_id == Unit.id, _valid_on(today))
    return (sa.select(Unit).where(Unit.active.is_(True), ~valid.exists())
            .order_by(Unit.name, Unit.id))


def without_agreement(query: sa.Select, *, today: date) -> sa.Select:
    """Narrow a select of units to those with no agreement valid today."""
    valid = sa.select(Agreement.id).where(Agreement.unit_id == Unit.id, _valid_on(today))
    return query.where(~valid.exists())
