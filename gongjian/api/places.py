"""Streets, communities, units and unit managers."""

from __future__ import annotations

from typing import Any

from ..accounts import places
from ..accounts.models import Community, Street, Unit, UnitType, User
from ..accounts.services import can_manage_unit
from ..extensions import db
from .auth import caller
from .parsing import Boolean, Enum, Id, Object, Query, String
from .registry import PAGE_QUERY, PUBLIC, get_or_404, lookup, no_content, now, operation, paginate
from .schemas import page_of, ref
from .serializers import community_json, street_json, unit_json

NAME = String(100, min_length=1)
UNIT_TEXT = {
    "address": String(places.UNIT_TEXT_MAX["address"]),
    "contact_name": String(places.UNIT_TEXT_MAX["contact_name"]),
    "contact_phone": String(places.UNIT_TEXT_MAX["contact_phone"]),
    "description": String(places.UNIT_TEXT_MAX["description"]),
}
UNIT_CREATE = Object({
    "name": String(places.UNIT_TEXT_MAX["name"], min_length=1),
    "type": Enum(UnitType),
    "community_id": Id(),
    **UNIT_TEXT,
}, required=("name", "type", "community_id"))
UNIT_PATCH = Object({
    "name": String(places.UNIT_TEXT_MAX["name"], min_length=1),
    "type": Enum(UnitType),
    "community_id": Id(),
    "active": Boolean(),
    **UNIT_TEXT,
}, description="District admins change any field; the unit's managers only address, "
               "contact_name, contact_phone and description.")


# Streets ---------------------------------------------------------------------------------

@operation("GET", "/streets", summary="List streets", tag="places", access=PUBLIC,
           query=PAGE_QUERY, responses={200: ("A page of streets", page_of("Street"))})
def list_streets(query: dict[str, Any]):
    return paginate(places.streets_query(), query, street_json)


@operation("POST", "/streets", summary="Create a street (district admins)", tag="places",
           body=Object({"name": NAME}, required=("name",)),
           responses={201: ("The new street", ref("Street"))}, errors=(403,))
def create_street(body: dict[str, Any]):
    street = places.add_street(name=body["name"], actor=caller(), now=now())
    db.session.commit()
    return street_json(street), 201


# Communities -----------------------------------------------------------------------------

@operation("GET", "/communities", summary="List communities", tag="places", access=PUBLIC,
           query=PAGE_QUERY + Query({"street_id": Id(description="Only this street's")}),
           responses={200: ("A page of communities", page_of("Community"))})
def list_communities(query: dict[str, Any]):
    return paginate(places.communities_query(street_id=query.get("street_id")), query,
                    community_json)


@operation("POST", "/communities", summary="Create a community (district admins)",
           tag="places", body=Object({"name": NAME, "street_id": Id()},
                                     required=("name", "street_id")),
           responses={201: ("The new community", ref("Community"))}, errors=(403,))
def create_community(body: dict[str, Any]):
    street = lookup(Street, body["street_id"], "street_id")
    community = places.add_community(name=body["name"], street=street, actor=caller(),
                                     now=now())
    db.session.commit()
    return community_json(community), 201


# Units -----------------------------------------------------------------------------------

def _unit_answer(unit: Unit) -> dict[str, Any]:
    """The unit as the caller may see it; the caller commits (a feed secret is made on first
    use)."""
    return unit_json(unit, private=can_manage_unit(caller(), unit.id))


@operation("GET", "/units", summary="List units", tag="places", access=PUBLIC,
           query=PAGE_QUERY + Query({
               "community_id": Id(description="Only this community's"),
               "street_id": Id(description="Only this street's"),
               "type": Enum(UnitType),
               "q": String(100, description="Part of the unit's name"),
           }),
           responses={200: ("A page of units (active ones; district admins see all)",
                            page_of("Unit"))})
def list_units(query: dict[str, Any]):
    select = places.units_query(viewer=caller(), community_id=query.get("community_id"),
                                street_id=query.get("street_id"), type=query.get("type"),
                                q=query.get("q"))
    return paginate(select, query, unit_json)


@operation("POST", "/units", summary="Create a unit (district admins)", tag="places",
           body=UNIT_CREATE, responses={201: ("The new unit", ref("Unit"))}, errors=(403,))
def create_unit(body: dict[str, Any]):
    community = lookup(Community, body.pop("community_id"), "community_id")
    unit = places.add_unit(actor=caller(), now=now(), community=community, **body)
    data = _unit_answer(unit)
    db.session.commit()
    return data, 201


@operation("GET", "/units/{unit_id}", summary="A unit", tag="places", access=PUBLIC,
           responses={200: ("The unit; its managers and district admins also get feed_url and "
                            "managers", ref("Unit"))}, errors=(404,))
def get_unit(unit_id: int):
    data = _unit_answer(get_or_404(Unit, unit_id, "unit"))
    db.session.commit()
    return data


@operation("PATCH", "/units/{unit_id}", summary="Change a unit", tag="places", body=UNIT_PATCH,
           responses={200: ("The changed unit", ref("Unit"))}, errors=(403, 404))
def update_unit(unit_id: int, body: dict[str, Any]):
    unit = get_or_404(Unit, unit_id, "unit")
    if "community_id" in body:
        body["community"] = lookup(Community, body.pop("community_id"), "community_id")
    places.update_unit(unit=unit, actor=caller(), now=now(), **body)
    data = _unit_answer(unit)
    db.session.commit()
    return data


@operation("POST", "/units/{unit_id}/managers", summary="Make a user a unit's manager "
           "(district admins)", tag="places", body=Object({"user_id": Id()},
                                                          required=("user_id",)),
           responses={200: ("The unit with its managers", ref("Unit"))}, errors=(403, 404))
def add_manager(unit_id: int, body: dict[str, Any]):
    places.require_admin(caller())  # before any lookup: user ids are nobody else's business
    unit = get_or_404(Unit, unit_id, "unit")
    user = lookup(User, body["user_id"], "user_id")
    places.add_unit_manager(unit=unit, user=user, actor=caller(), now=now())
    data = _unit_answer(unit)
    db.session.commit()
    return data


@operation("DELETE", "/units/{unit_id}/managers/{user_id}", summary="Remove a unit's manager "
           "(district admins)", tag="places", responses={204: ("Removed", None)},
           errors=(403, 404))
def remove_manager(unit_id: int, user_id: int):
    places.require_admin(caller())
    unit = get_or_404(Unit, unit_id, "unit")
    user = get_or_404(User, user_id, "user")
    places.remove_unit_manager(unit=unit, user=user, actor=caller(), now=now())
    db.session.commit()
    return no_content()
