"""Co-construction agreements (共驻共建协议)."""

from __future__ import annotations

from typing import Any

from ..accounts.models import Community, Street, Unit
from ..extensions import db
from ..stats.agreements import MAX_COMMITTED_HOURS_PER_WEEK, NOTES_MAX, agreements_query
from ..stats.agreements import create_agreement as record_agreement
from .auth import caller
from .parsing import Date, Id, Nullable, Number, Object, Query, String
from .registry import PAGE_QUERY, lookup, now, operation, paginate
from .schemas import page_of, ref
from .serializers import agreement_json

AGREEMENT_BODY = Object({
    "unit_id": Id(),
    "community_id": Nullable(Id(), description="The counterparty: a community …"),
    "street_id": Nullable(Id(), description="… or the street (exactly one of the two)"),
    "signed_on": Date(),
    "valid_from": Date(),
    "valid_until": Nullable(Date()),
    "committed_hours_per_week": Number(0, float(MAX_COMMITTED_HOURS_PER_WEEK)),
    "notes": String(NOTES_MAX),
}, required=("unit_id", "signed_on", "valid_from", "committed_hours_per_week"))


@operation("GET", "/agreements", summary="List agreements", tag="agreements",
           query=PAGE_QUERY + Query({"unit_id": Id(description="Only this unit's")}),
           responses={200: ("District admins see all, managers their units'",
                            page_of("Agreement"))}, errors=(403,))
def list_agreements(query: dict[str, Any]):
    select = agreements_query(actor=caller(), unit_id=query.get("unit_id"))
    return paginate(select, query, agreement_json)


@operation("POST", "/agreements", summary="Record an agreement (district admins)",
           tag="agreements", body=AGREEMENT_BODY,
           responses={201: ("The agreement", ref("Agreement"))}, errors=(403,))
def create_agreement(body: dict[str, Any]):
    agreement = record_agreement(
        unit=lookup(Unit, body["unit_id"], "unit_id"),
        community=lookup(Community, body.get("community_id"), "community_id"),
        street=lookup(Street, body.get("street_id"), "street_id"),
        signed_on=body["signed_on"], valid_from=body["valid_from"],
        valid_until=body.get("valid_until"),
        committed_hours_per_week=body["committed_hours_per_week"],
        notes=body.get("notes", ""), actor=caller(), now=now())
    data = agreement_json(agreement)
    db.session.commit()
    return data, 201
