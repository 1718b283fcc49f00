"""The caller, people, streets, communities, units, managers and agreements."""

from __future__ import annotations

import sqlalchemy as sa

from gongjian.audit import AuditEvent
from gongjian.extensions import db


def test_me_tells_roles_organizations_and_the_personal_feed(api, world):
    body = api.get("/api/v1/me", as_=world.member).get_json()
    assert body == {
        "id": world.member.id, "email": world.member.email, "name": world.member.name,
        "is_admin": False, "manages": [],
        "organizations": [{"id": world.organization.id, "name": world.organization.name,
                           "kind": "social_org", "status": "approved",
                           "community_id": world.organization.community_id,
                           "role": "admin"}],
        "feeds": {"personal": body["feeds"]["personal"]},
    }
    assert "/feeds/me/" in body["feeds"]["personal"]
    assert body["feeds"]["personal"].endswith(".ics")
    again = api.get("/api/v1/me", as_=world.member).get_json()
    assert again["feeds"] == body["feeds"]
    manager = api.get("/api/v1/me", as_=world.manager).get_json()
    assert manager["manages"] == [world.unit.id] and manager["organizations"] == []
    assert api.get("/api/v1/me", as_=world.admin).get_json()["is_admin"] is True


def test_admins_build_the_district(api, make):
    admin = make.admin
    make.commit()
    street = api.post("/api/v1/streets", json={"name": " 和平街道 "}, as_=admin)
    assert street.status_code == 201
    street = street.get_json()
    assert street == {"id": street["id"], "name": "和平街道"}
    taken = api.post("/api/v1/streets", json={"name": "和平街道"}, as_=admin)
    assert taken.status_code == 422
    assert taken.get_json()["error"]["details"]["fields"] == {"name": "taken"}

    community = api.post("/api/v1/communities", as_=admin,
                         json={"name": "东风社区", "street_id": street["id"]}).get_json()
    assert community == {"id": community["id"], "name": "东风社区",
                         "street_id": street["id"]}
    assert api.post("/api/v1/communities", as_=admin, json={
        "name": "东风社区", "street_id": street["id"]}).status_code == 422
    listed = api.get(f"/api/v1/communities?street_id={street['id']}").get_json()
    assert [c["id"] for c in listed["items"]] == [community["id"]]

    unit = api.post("/api/v1/units", as_=admin, json={
        "name": "区图书馆", "type": "public_institution", "community_id": community["id"],
        "address": "和平路1号", "contact_name": "王老师", "contact_phone": "010-8888",
        "description": "周末开放"}).get_json()
    assert unit == {
        "id": unit["id"], "name": "区图书馆", "type": "public_institution",
        "community_id": community["id"], "street_id": street["id"], "address": "和平路1号",
        "contact_name": "王老师", "contact_phone": "010-8888", "description": "周末开放",
        "active": True, "feed_url": unit["feed_url"], "managers": [],
    }
    public = api.get(f"/api/v1/units/{unit['id']}").get_json()
    assert "feed_url" not in public and public["name"] == "区图书馆"
    assert [u["id"] for u in api.get(f"/api/v1/units?street_id={street['id']}")
            .get_json()["items"]] == [unit["id"]]
    assert api.get("/api/v1/units?q=图书").get_json()["total"] == 1
    assert api.get("/api/v1/units?type=school").get_json()["total"] == 0


def test_long_names_are_refused_before_the_database_sees_them(api, make):
    admin = make.admin
    make.commit()
    response = api.post("/api/v1/streets", json={"name": "街" * 101}, as_=admin)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"] == {"name": "too_long"}


def test_managers_edit_their_units_contacts_and_admins_everything(api, world):
    url = f"/api/v1/units/{world.unit.id}"
    changed = api.patch(url, as_=world.manager, json={"contact_name": "李老师"}).get_json()
    assert changed["contact_name"] == "李老师"
    assert api.patch(url, as_=world.manager, json={"active": False}).status_code == 403
    hidden = api.patch(url, as_=world.admin, json={"active": False, "type": "school"})
    assert hidden.get_json()["active"] is False
    assert world.unit.id not in [u["id"] for u in api.get("/api/v1/units").get_json()["items"]]
    assert world.unit.id in [u["id"] for u in
                             api.get("/api/v1/units", as_=world.admin).get_json()["items"]]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "unit.update")) == 2


def test_admins_appoint_and_remove_unit_managers(api, world):
    url = f"/api/v1/units/{world.unit.id}/managers"
    body = api.post(url, as_=world.admin, json={"user_id": world.outsider.id}).get_json()
    assert [m["id"] for m in body["managers"]] == [world.manager.id, world.outsider.id]
    assert api.get("/api/v1/me", as_=world.outsider).get_json()["manages"] == [world.unit.id]
    assert api.post(url, as_=world.admin, json={"user_id": 9999}).get_json()["error"][
        "details"]["fields"] == {"user_id": "not_found"}
    assert api.delete(f"{url}/{world.outsider.id}", as_=world.admin).status_code == 204
    assert api.get("/api/v1/me", as_=world.outsider).get_json()["manages"] == []


def test_admins_create_accounts(api, make):
    admin = make.admin
    make.commit()
    created = api.post("/api/v1/users", as_=admin, json={
        "email": "New.Manager@Example.cn", "password": "a-good-password", "name": "新联络员",
        "phone": "13800000000"})
    assert created.status_code == 201
    body = created.get_json()
    assert body == {"id": body["id"], "email": "new.manager@example.cn", "name": "新联络员",
                    "phone": "13800000000", "is_admin": False}
    again = api.post("/api/v1/users", as_=admin, json={
        "email": "new.manager@example.cn", "password": "short", "name": "x"})
    assert again.get_json()["error"]["details"]["fields"] == {"email": "taken",
                                                              "password": "too_short"}


def test_agreements(api, world):
    body = {"unit_id": world.unit.id, "street_id": world.unit.community.street_id,
            "signed_on": "2026-01-05", "valid_from": "2026-01-01", "valid_until": "2026-12-31",
            "committed_hours_per_week": 12.5, "notes": "每周开放篮球馆"}
    created = api.post("/api/v1/agreements", as_=world.admin, json=body)
    assert created.status_code == 201
    agreement = created.get_json()
    assert agreement == {**body, "id": agreement["id"], "community_id": None,
                         "created_at": "2026-12-01T10:00:00+08:00"}
    assert db.session.scalar(sa.select(AuditEvent.action)
                             .where(AuditEvent.object_type == "agreements")) == (
        "agreement.create")
    both = api.post("/api/v1/agreements", as_=world.admin,
                    json={**body, "community_id": world.unit.community_id})
    assert both.get_json()["error"]["details"]["fields"] == {
        "community_id": "one_counterparty_required"}
    backwards = api.post("/api/v1/agreements", as_=world.admin,
                         json={**body, "valid_until": "2025-12-31"})
    assert backwards.get_json()["error"]["details"]["fields"] == {
        "valid_until": "before_valid_from"}
    listed = api.get("/api/v1/agreements", as_=world.manager).get_json()
    assert [a["id"] for a in listed["items"]] == [agreement["id"]]
    assert api.get("/api/v1/agreements", as_=world.other_manager).get_json()["items"] == []
