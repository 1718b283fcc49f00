"""Every account and organization form refuses a post without its CSRF token: 400, nothing
written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import MemberRole, Membership, Organization, User
from gongjian.audit import AuditEvent
from gongjian.extensions import db

from ..factories import DEFAULT_PASSWORD
from ..pages import login


@pytest.fixture
def world(app, make, places):
    admin, member = make.user(name="陈"), make.user(name="刘")
    outsider = make.user(email="wang@example.cn")
    organization = make.organization(members=(admin, member))
    make.commit()
    return organization, admin, member, outsider


def snapshot() -> tuple:
    """Everything these forms could write."""
    db.session.expire_all()
    users = [(u.id, u.email, u.name, u.phone, u.community_id, u.locale, u.password_hash)
             for u in db.session.scalars(sa.select(User).order_by(User.id))]
    organizations = db.session.scalars(sa.select(Organization.id)).all()
    members = sorted((m.organization_id, m.user_id, m.role)
                     for m in db.session.scalars(sa.select(Membership)))
    audit = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    return users, organizations, members, audit


def test_register(app, client, world, places):
    before = snapshot()
    response = client.post("/register", data={
        "name": "李四", "email": "li.si@example.cn", "community": str(places.east.id),
        "password": "spring-garden-9", "repeat": "spring-garden-9"})
    assert response.status_code == 400
    assert snapshot() == before


def test_login(app, client, world):
    organization, admin, member, outsider = world
    response = client.post("/login", data={"email": "wang@example.cn",
                                           "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_profile(app, client, world, places):
    organization, admin, member, outsider = world
    login(client, outsider)
    before = snapshot()
    response = client.post("/account", data={"name": "改名", "phone": "13800138000",
                                             "community": str(places.west.id), "locale": "zh"})
    assert response.status_code == 400
    assert snapshot() == before


def test_password(app, client, world):
    organization, admin, member, outsider = world
    login(client, outsider)
    before = snapshot()
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "autumn-river-7",
        "repeat": "autumn-river-7"})
    assert response.status_code == 400
    assert snapshot() == before


def test_apply_for_an_organization(app, client, world, places):
    organization, admin, member, outsider = world
    login(client, outsider)
    before = snapshot()
    response = client.post("/organizations/new", data={
        "name": "书法社", "kind": "social_org", "community": str(places.east.id)})
    assert response.status_code == 400
    assert snapshot() == before


def test_add_a_member(app, client, world):
    organization, admin, member, outsider = world
    login(client, admin)
    before = snapshot()
    response = client.post(f"/organizations/{organization.id}/members",
                           data={"email": "wang@example.cn", "role": "member"})
    assert response.status_code == 400
    assert snapshot() == before


def test_change_a_role(app, client, world):
    organization, admin, member, outsider = world
    login(client, admin)
    before = snapshot()
    response = client.post(f"/organizations/{organization.id}/members/{member.id}/role",
                           data={"role": MemberRole.ADMIN.value})
    assert response.status_code == 400
    assert snapshot() == before


def test_remove_a_member(app, client, world):
    organization, admin, member, outsider = world
    login(client, admin)
    before = snapshot()
    response = client.post(f"/organizations/{organization.id}/members/{member.id}/remove")
    assert response.status_code == 400
    assert snapshot() == before


def test_leave(app, client, world):
    organization, admin, member, outsider = world
    login(client, member)
    before = snapshot()
    response = client.post(f"/organizations/{organization.id}/leave")
    assert response.status_code == 400
    assert snapshot() == before
