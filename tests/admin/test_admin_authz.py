"""Who reaches the district console: every route it adds (GET and POST) for a visitor, a
resident, the manager of the unit in the URL, the manager of another unit and a district admin,
with the exact status; and every free text it shows comes out escaped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from gongjian.accounts import people, places
from gongjian.accounts.services import create_organization
from gongjian.audit import AuditEvent
from gongjian.extensions import db
from gongjian.stats.agreements import attach_document, create_agreement

from ..conftest import NOW
from ..pages import csrf_token, login
from .conftest import District
from .pdfs import PDF


@dataclass
class World:
    district: District
    organization: Any
    agreement: Any
    invitation: Any
    token: str


@pytest.fixture
def world(app, district, make, tmp_path) -> World:
    d = district
    organization = create_organization(name="老年合唱团", kind="social_org", community=d.east,
                                       founder=d.resident, now=NOW)
    agreement = create_agreement(unit=d.unit, community=d.east, signed_on=date(2026, 1, 5),
                                 valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31),
                                 committed_hours_per_week=21, actor=d.admin, now=NOW)
    attach_document(agreement=agreement, data=PDF, filename="协议.pdf",
                    directory=tmp_path / "agreements", actor=d.admin, now=NOW)
    invite = people.invite_unit_manager(unit=d.unit, email="new@example.cn", actor=d.admin,
                                        now=NOW)
    make.commit()
    return World(d, organization, agreement, invite.invitation, invite.token)


def unit_form(w: World) -> dict:
    return {"name": "区图书馆（新馆）", "type": "public_institution",
            "community": str(w.district.east.id), "address": "和平路2号",
            "contact_name": "李老师", "contact_phone": "010-6512 3456", "description": "开放"}


def agreement_form(w: World) -> dict:
    return {"unit": str(w.district.unit.id), "counterparty": f"street:{w.district.street.id}",
            "signed_on": "2026-11-20", "valid_from": "2027-01-01", "valid_until": "",
            "committed_hours_per_week": "12.5", "notes": "每周开放"}


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[World], str]
    data: Callable[[World], dict] = lambda w: {}
    admin: int = 200


D = World  # brevity in the table below
ROUTES: dict[str, Route] = {
    "index": Route("GET", lambda w: "/admin"),
    "places": Route("GET", lambda w: "/admin/places"),
    "street_create": Route("POST", lambda w: "/admin/streets", lambda w: {"street-name": "新街道"},
                           302),
    "street_rename": Route("POST", lambda w: f"/admin/streets/{w.district.street.id}/rename",
                           lambda w: {"name": "和平街道办"}, 302),
    "community_create": Route("POST", lambda w: "/admin/communities", lambda w: {
        "community-street": str(w.district.street.id), "community-name": "新社区"}, 302),
    "community_rename": Route(
        "POST", lambda w: f"/admin/communities/{w.district.east.id}/rename",
        lambda w: {"name": "东风一社区"}, 302),
    "units": Route("GET", lambda w: "/admin/units"),
    "unit_new_page": Route("GET", lambda w: "/admin/units/new"),
    "unit_new": Route("POST", lambda w: "/admin/units/new", unit_form, 302),
    "unit": Route("GET", lambda w: f"/admin/units/{w.district.unit.id}"),
    "unit_save": Route("POST", lambda w: f"/admin/units/{w.district.unit.id}", unit_form, 302),
    "unit_deactivate": Route("POST", lambda w: f"/admin/units/{w.district.unit.id}/deactivate",
                             admin=302),
    "unit_reactivate": Route("POST", lambda w: f"/admin/units/{w.district.unit.id}/reactivate",
                             admin=302),
    "unit_add_manager": Route("POST", lambda w: f"/admin/units/{w.district.unit.id}/managers",
                              lambda w: {"email": w.district.resident.email}, 302),
    "unit_remove_manager": Route(
        "POST", lambda w: f"/admin/units/{w.district.unit.id}/managers/"
                          f"{w.district.manager.id}/remove", admin=302),
    "invitation_revoke": Route("POST", lambda w: f"/admin/invitations/{w.invitation.id}/revoke",
                               admin=302),
    "organizations": Route("GET", lambda w: "/admin/organizations"),
    "organization": Route("GET", lambda w: f"/admin/organizations/{w.organization.id}"),
    "organization_approve": Route(
        "POST", lambda w: f"/admin/organizations/{w.organization.id}/approve", admin=302),
    "organization_suspend": Route(
        "POST", lambda w: f"/admin/organizations/{w.organization.id}/suspend",
        lambda w: {"reason": "冒用名义"}, 302),
    "organization_restore": Route(
        "POST", lambda w: f"/admin/organizations/{w.organization.id}/restore", admin=302),
    "users": Route("GET", lambda w: "/admin/users"),
    "user": Route("GET", lambda w: f"/admin/users/{w.district.resident.id}"),
    "user_suspend": Route("POST", lambda w: f"/admin/users/{w.district.resident.id}/suspend",
                          lambda w: {"reason": "多次爽约"}, 302),
    "user_restore": Route("POST", lambda w: f"/admin/users/{w.district.resident.id}/restore",
                          admin=302),
    "user_grant_admin": Route(
        "POST", lambda w: f"/admin/users/{w.district.resident.id}/grant-admin", admin=302),
    "user_revoke_admin": Route(
        "POST", lambda w: f"/admin/users/{w.district.resident.id}/revoke-admin", admin=302),
    "agreements": Route("GET", lambda w: "/admin/agreements"),
    "agreement_new_page": Route("GET", lambda w: "/admin/agreements/new"),
    "agreement_new": Route("POST", lambda w: "/admin/agreements/new", agreement_form, 302),
    "agreement": Route("GET", lambda w: f"/admin/agreements/{w.agreement.id}"),
    "agreement_save": Route("POST", lambda w: f"/admin/agreements/{w.agreement.id}",
                            agreement_form, 302),
    "agreement_end": Route("POST", lambda w: f"/admin/agreements/{w.agreement.id}/end",
                           lambda w: {"end-valid_until": "2026-12-15"}, 302),
    "audit": Route("GET", lambda w: "/admin/audit"),
}
ROLES = ("visitor", "resident", "manager", "other_manager", "admin")


def sign_in(client, w: World, role: str) -> None:
    user = {"visitor": None, "resident": w.district.resident, "manager": w.district.manager,
            "other_manager": w.district.other_manager, "admin": w.district.admin}[role]
    if user is not None:
        login(client, user)


def call(client, route: Route, w: World):
    path = route.path(w)
    if route.method == "GET":
        return client.get(path)
    token = csrf_token(client, "/login")
    return client.post(path, data={"csrf_token": token, **route.data(w)})


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ROUTES))
def test_console_route(app, client, world, name, role):
    route = ROUTES[name]
    sign_in(client, world, role)
    before = audit_count()
    response = call(client, route, world)
    if role == "visitor":
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
    elif role == "admin":
        assert response.status_code == route.admin, response.get_data(as_text=True)[-2000:]
    else:
        assert response.status_code == 403
    if role != "admin":
        assert audit_count() == before


def test_unknown_ids_are_403_for_a_manager_and_404_for_an_admin(app, client, world):
    login(client, world.district.manager)
    assert client.get("/admin/units/9999").status_code == 403
    login(client, world.district.admin)
    assert client.get("/admin/units/9999").status_code == 404
    assert client.get("/admin/agreements/9999").status_code == 404
    assert client.get("/admin/users/9999").status_code == 404
    assert client.get("/admin/organizations/9999").status_code == 404


@pytest.mark.parametrize(("role", "status"), [
    ("visitor", 302), ("resident", 403), ("manager", 200), ("other_manager", 403),
    ("admin", 200)])
def test_agreement_download(app, client, world, role, status):
    sign_in(client, world, role)
    response = client.get(f"/agreements/{world.agreement.id}/document")
    response.close()
    assert response.status_code == status


@pytest.mark.parametrize(("role", "status"), [
    ("visitor", 200), ("resident", 403), ("manager", 403), ("other_manager", 403),
    ("admin", 403)])
def test_invitation_page(app, client, world, role, status):
    sign_in(client, world, role)
    assert client.get(f"/invitations/{world.token}").status_code == status


@pytest.mark.parametrize(("role", "status"), [
    ("visitor", 302), ("resident", 403), ("manager", 403), ("other_manager", 403),
    ("admin", 403)])
def test_accepting_an_invitation(app, client, world, role, status):
    sign_in(client, world, role)
    token = csrf_token(client, "/login")
    response = client.post(f"/invitations/{world.token}", data={
        "csrf_token": token, "name": "孙", "password": "spring-garden-42",
        "repeat": "spring-garden-42"})
    assert response.status_code == status


def test_every_console_route_is_in_the_matrix(app):
    rules = {(rule.rule, method) for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("admin.")
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert len(rules) == len(ROUTES)


# Stored XSS ---------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'


def assert_escaped(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SCRIPT not in html and IMAGE not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html


@pytest.fixture
def hostile(app, district, make):
    """Every free text the console shows, written by someone hostile."""
    d = district
    payload = f"{SCRIPT}{IMAGE}"
    places.update_unit(unit=d.unit, actor=d.admin, now=NOW, name=f"馆{payload}",
                       address=f"路{payload}", contact_name=f"人{payload}",
                       description=f"介绍{payload}")
    d.resident.name = f"王{payload}"
    organization = create_organization(name=f"团{payload}", kind="social_org",
                                       community=d.east, founder=d.resident, now=NOW,
                                       description=f"简介{payload}")
    people.suspend_organization(organization=organization, reason=f"原因{payload}",
                                actor=d.admin, now=NOW)
    people.suspend_user(user=d.resident, reason=f"爽约{payload}", actor=d.admin, now=NOW)
    agreement = create_agreement(unit=d.unit, community=d.east, signed_on=date(2026, 1, 5),
                                 valid_from=date(2026, 1, 1), valid_until=date(2027, 1, 20),
                                 committed_hours_per_week=21, notes=f"备注{payload}",
                                 actor=d.admin, now=NOW)
    make.commit()
    login_as = d.admin
    return d, organization, agreement, login_as


@pytest.mark.parametrize("page", [
    "unit", "units", "organization", "organizations", "user", "users", "agreement",
    "agreements", "index", "audit", "audit_filtered"])
def test_free_text_is_escaped(app, client, hostile, page):
    d, organization, agreement, admin = hostile
    login(client, admin)
    url = {"unit": f"/admin/units/{d.unit.id}", "units": "/admin/units",
           "organization": f"/admin/organizations/{organization.id}",
           "organizations": "/admin/organizations", "user": f"/admin/users/{d.resident.id}",
           "users": "/admin/users", "agreement": f"/admin/agreements/{agreement.id}",
           "agreements": "/admin/agreements", "index": "/admin", "audit": "/admin/audit",
           "audit_filtered": "/admin/audit?action=unit.update"}[page]
    assert_escaped(client.get(url))


def test_the_invitation_page_escapes_the_unit_name(app, client, hostile):
    d, _organization, _agreement, admin = hostile
    invite = people.invite_unit_manager(unit=d.unit, email="new@example.cn", actor=admin,
                                        now=NOW)
    db.session.commit()
    assert_escaped(client.get(f"/invitations/{invite.token}"))
