"""Organizations in the district console: pending first, approve, suspend with a reason,
restore; a suspended organization cannot book."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import Organization, OrganizationStatus
from gongjian.accounts.services import create_organization
from gongjian.audit import AuditEvent
from gongjian.bookings.services import create_booking
from gongjian.errors import DomainError
from gongjian.extensions import db

from ..conftest import NOW
from ..factories import local
from ..pages import login, submit, text


def names(response) -> list[str]:
    return re.findall(r'<td class="text-break"><a href="/admin/organizations/\d+">([^<]*)</a>',
                      response.get_data(as_text=True))


def standing(organization) -> tuple:
    db.session.expire_all()
    org = db.session.get(Organization, organization.id)
    return org.status, org.suspension_reason, org.suspended_at, org.approved_at


def events() -> list[tuple]:
    return [(e.action, e.object_id, e.actor_id, e.before, e.after)
            for e in db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action != "organization.create").order_by(AuditEvent.id))]


@pytest.fixture
def choirs(app, district, make):
    """合唱团 (approved), 舞蹈队 (pending, applied later), 书法社 (pending), 棋社 (suspended)."""
    d = district
    made = {}
    for minutes, name in enumerate(["合唱团", "书法社", "舞蹈队", "棋社"]):
        made[name] = create_organization(name=name, kind="social_org", community=d.east,
                                         founder=d.resident,
                                         now=NOW - timedelta(days=10) + timedelta(minutes=minutes))
    made["合唱团"].status = OrganizationStatus.APPROVED
    made["合唱团"].approved_at = NOW - timedelta(days=9)
    made["棋社"].status = OrganizationStatus.SUSPENDED
    made["棋社"].suspension_reason = "冒用名义"
    make.commit()
    return made


def test_pending_organizations_come_first_newest_first(app, client, district, choirs):
    login(client, district.admin)
    response = client.get("/admin/organizations")
    assert names(response) == ["舞蹈队", "书法社", "合唱团", "棋社"]
    assert "4 organizations" in text(response)


def test_filter_by_status(app, client, district, choirs):
    login(client, district.admin)
    assert names(client.get("/admin/organizations?status=pending")) == ["舞蹈队", "书法社"]
    assert names(client.get("/admin/organizations?status=suspended")) == ["棋社"]
    assert names(client.get("/admin/organizations?status=nonsense")) == [
        "舞蹈队", "书法社", "合唱团", "棋社"]
    assert names(client.get("/admin/organizations?q=合唱")) == ["合唱团"]


def test_an_admin_approves_from_the_list(app, client, district, choirs):
    login(client, district.admin)
    dance = choirs["舞蹈队"]
    response = submit(client, f"/admin/organizations/{dance.id}/approve", {"back": "list"},
                      page="/admin/organizations")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/organizations?status=pending"
    assert standing(dance) == (OrganizationStatus.APPROVED, "", None, NOW)
    assert events() == [("organization.approve", dance.id, district.admin.id,
                         {"status": "pending", "suspension_reason": ""},
                         {"status": "approved", "suspension_reason": ""})]
    assert "“舞蹈队” is approved" in text(client.get("/admin/organizations?status=pending"))


def test_an_approved_organization_cannot_be_approved_again(app, client, district, choirs):
    login(client, district.admin)
    choir = choirs["合唱团"]
    page = f"/admin/organizations/{choir.id}"
    response = submit(client, f"{page}/approve", {}, page="/admin/organizations")
    assert response.status_code == 302
    assert "Only a pending organization can be approved." in text(client.get(page))
    assert events() == []


def test_an_admin_suspends_with_a_reason(app, client, district, choirs):
    login(client, district.admin)
    choir = choirs["合唱团"]
    page = f"/admin/organizations/{choir.id}"
    response = submit(client, f"{page}/suspend", {"reason": "  借场地转租  "}, page=page)
    assert response.status_code == 302
    assert standing(choir) == (OrganizationStatus.SUSPENDED, "借场地转租", NOW,
                               NOW - timedelta(days=9))
    assert events() == [("organization.suspend", choir.id, district.admin.id,
                         {"status": "approved", "suspension_reason": ""},
                         {"status": "suspended", "suspension_reason": "借场地转租"})]
    assert "Reason 借场地转租" in text(client.get(page))


def test_a_suspension_needs_a_reason(app, client, district, choirs):
    login(client, district.admin)
    choir = choirs["合唱团"]
    page = f"/admin/organizations/{choir.id}"
    response = submit(client, f"{page}/suspend", {"reason": "   "}, page=page)
    assert response.status_code == 200
    assert ('<div class="invalid-feedback d-block" id="reason-error">Please give a reason.'
            '</div>') in response.get_data(as_text=True)
    assert standing(choir)[0] == OrganizationStatus.APPROVED
    assert events() == []


def test_a_too_long_reason_is_refused(app, client, district, choirs):
    login(client, district.admin)
    choir = choirs["合唱团"]
    page = f"/admin/organizations/{choir.id}"
    response = submit(client, f"{page}/suspend", {"reason": "长" * 501}, page=page)
    assert response.status_code == 200
    assert "Use at most 500 characters." in text(response)
    assert standing(choir)[0] == OrganizationStatus.APPROVED


def test_an_admin_restores_a_suspended_organization(app, client, district, choirs):
    login(client, district.admin)
    chess = choirs["棋社"]
    page = f"/admin/organizations/{chess.id}"
    response = submit(client, f"{page}/restore", {}, page=page)
    assert response.status_code == 302
    assert standing(chess) == (OrganizationStatus.APPROVED, "", None, NOW)
    assert events() == [("organization.restore", chess.id, district.admin.id,
                         {"status": "suspended", "suspension_reason": "冒用名义"},
                         {"status": "approved", "suspension_reason": ""})]


def test_organization_forms_refuse_a_post_without_csrf_token(app, client, district, choirs):
    login(client, district.admin)
    for name, action, data in [("舞蹈队", "approve", {}), ("合唱团", "suspend", {"reason": "x"}),
                               ("棋社", "restore", {})]:
        url = f"/admin/organizations/{choirs[name].id}/{action}"
        assert client.post(url, data=data).status_code == 400
    assert [standing(choirs[n])[0] for n in ("舞蹈队", "合唱团", "棋社")] == [
        OrganizationStatus.PENDING, OrganizationStatus.APPROVED, OrganizationStatus.SUSPENDED]
    assert events() == []


def test_a_suspended_organization_cannot_book(app, client, district, choirs, make):
    venue = make.venue(unit=district.unit)
    choir = choirs["合唱团"]
    make.commit()
    login(client, district.admin)
    page = f"/admin/organizations/{choir.id}"
    submit(client, f"{page}/suspend", {"reason": "借场地转租"}, page=page)
    with pytest.raises(DomainError) as refused:
        create_booking(venue_id=venue.id, booker=district.resident, start=local(2026, 12, 3, 14),
                       end=local(2026, 12, 3, 16), title="排练", attendees=10,
                       organization_id=choir.id, now=NOW)
    assert refused.value.code == "not_org_member"
    db.session.rollback()
    submit(client, f"{page}/restore", {}, page=page)
    booking = create_booking(venue_id=venue.id, booker=district.resident,
                             start=local(2026, 12, 3, 14), end=local(2026, 12, 3, 16),
                             title="排练", attendees=10, organization_id=choir.id, now=NOW)
    assert booking.organization_id == choir.id


def test_the_detail_page_shows_members_and_the_suspension(app, client, district, choirs):
    login(client, district.admin)
    page = text(client.get(f"/admin/organizations/{choirs['棋社'].id}"))
    assert "棋社 Suspended" in page
    assert "Reason 冒用名义" in page
    assert f"Members 1 {district.resident.name} Admin" in page
    assert "Restore the organization" in page and "Suspend the organization" not in page
