"""Managing an organization's members: add by e-mail, change roles, remove, leave."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gongjian.accounts import services
from gongjian.accounts.models import MemberRole, Membership
from gongjian.audit import AuditEvent
from gongjian.errors import InvalidInput, NotAllowed
from gongjian.extensions import db

from ..conftest import NOW
from ..pages import login, submit, text


@pytest.fixture
def club(app, make):
    """An approved organization with 陈 (admin) and 刘 (member), and 王 who is not in it."""
    admin, member = make.user(name="陈"), make.user(name="刘")
    outsider = make.user(name="王", email="wang@example.cn")
    organization = make.organization(members=(admin, member))
    make.commit()
    return organization, admin, member, outsider


def memberships(organization) -> dict[int, MemberRole]:
    db.session.expire_all()
    return {m.user_id: m.role for m in db.session.scalars(
        sa.select(Membership).where(Membership.organization_id == organization.id))}


def events() -> list[tuple]:
    """Audit events about members (the organization's creation left aside)."""
    return [(e.action, e.object_id, e.actor_id, e.before, e.after)
            for e in db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action != "organization.create").order_by(AuditEvent.id))]


def page_of(organization) -> str:
    return f"/organizations/{organization.id}"


# Adding ---------------------------------------------------------------------------------------


def test_the_admin_adds_a_member_by_email(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    response = submit(client, f"{page_of(organization)}/members",
                      {"email": " WANG@example.cn", "role": "member"}, page=page_of(organization))
    assert response.status_code == 302
    assert response.headers["Location"] == page_of(organization)
    assert memberships(organization) == {admin.id: MemberRole.ADMIN, member.id: MemberRole.MEMBER,
                                         outsider.id: MemberRole.MEMBER}
    assert events() == [("organization.add_member", organization.id, admin.id, None,
                         {"user_id": outsider.id, "role": "member"})]
    assert f"{outsider.name} is now a member." in text(client.get(page_of(organization)))


def test_the_admin_may_add_another_admin(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    submit(client, f"{page_of(organization)}/members",
           {"email": "wang@example.cn", "role": "admin"}, page=page_of(organization))
    assert memberships(organization)[outsider.id] == MemberRole.ADMIN


def test_an_unknown_address_is_refused_on_the_field(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    response = submit(client, f"{page_of(organization)}/members",
                      {"email": "nobody@example.cn", "role": "member"},
                      page=page_of(organization))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="email-error">Nobody has an account with '
            'this e-mail address.</div>') in html
    assert 'aria-describedby="email-error"' in html and 'value="nobody@example.cn"' in html
    assert memberships(organization) == {admin.id: MemberRole.ADMIN, member.id: MemberRole.MEMBER}
    assert events() == []


def test_an_existing_member_is_refused_on_the_field(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    response = submit(client, f"{page_of(organization)}/members",
                      {"email": member.email, "role": "admin"}, page=page_of(organization))
    assert response.status_code == 200
    assert "This person is already a member." in text(response)
    assert memberships(organization)[member.id] == MemberRole.MEMBER


def test_a_plain_member_may_not_add(app, client, club):
    organization, admin, member, outsider = club
    login(client, member)
    response = submit(client, f"{page_of(organization)}/members",
                      {"email": "wang@example.cn", "role": "member"}, page=page_of(organization))
    assert response.status_code == 403
    assert outsider.id not in memberships(organization)


def test_an_outsider_may_not_add_to_an_approved_one(app, client, club):
    organization, admin, member, outsider = club
    login(client, outsider)
    response = submit(client, f"{page_of(organization)}/members",
                      {"email": "wang@example.cn", "role": "member"}, page=page_of(organization))
    assert response.status_code == 403
    assert outsider.id not in memberships(organization)


def test_an_outsider_gets_404_for_a_pending_one(app, client, make):
    founder, outsider = make.user(), make.user()
    organization = make.organization(members=(founder,), approved=False)
    make.commit()
    login(client, outsider)
    response = submit(client, f"{page_of(organization)}/members",
                      {"email": outsider.email, "role": "admin"}, page="/organizations")
    assert response.status_code == 404
    assert memberships(organization) == {founder.id: MemberRole.ADMIN}


def test_a_district_admin_may_add(app, client, make, club):
    organization, admin, member, outsider = club
    district = make.admin
    make.commit()
    login(client, district)
    submit(client, f"{page_of(organization)}/members",
           {"email": "wang@example.cn", "role": "member"}, page=page_of(organization))
    assert memberships(organization)[outsider.id] == MemberRole.MEMBER
    assert events()[0][2] == district.id


# Roles ------------------------------------------------------------------------------------------


def test_the_admin_makes_a_member_an_admin(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    response = submit(client, f"{page_of(organization)}/members/{member.id}/role",
                      {"role": "admin"}, page=page_of(organization))
    assert response.status_code == 302
    assert memberships(organization)[member.id] == MemberRole.ADMIN
    assert events() == [("organization.set_role", organization.id, admin.id,
                         {"user_id": member.id, "role": "member"},
                         {"user_id": member.id, "role": "admin"})]
    assert f"{member.name} is now an admin." in text(client.get(page_of(organization)))


def test_the_last_admin_cannot_step_down(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    submit(client, f"{page_of(organization)}/members/{admin.id}/role", {"role": "member"},
           page=page_of(organization))
    assert memberships(organization)[admin.id] == MemberRole.ADMIN
    assert "The organization needs at least one admin." in text(client.get(page_of(organization)))
    assert events() == []


def test_a_plain_member_may_not_change_roles(app, client, club):
    organization, admin, member, outsider = club
    login(client, member)
    response = submit(client, f"{page_of(organization)}/members/{member.id}/role",
                      {"role": "admin"}, page=page_of(organization))
    assert response.status_code == 403
    assert memberships(organization)[member.id] == MemberRole.MEMBER


def test_an_unknown_role_is_refused(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    submit(client, f"{page_of(organization)}/members/{member.id}/role", {"role": "owner"},
           page=page_of(organization))
    assert memberships(organization)[member.id] == MemberRole.MEMBER
    assert "Choose member or admin." in text(client.get(page_of(organization)))


# Removing and leaving -------------------------------------------------------------------------


def test_the_admin_removes_a_member(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    response = submit(client, f"{page_of(organization)}/members/{member.id}/remove", {},
                      page=page_of(organization))
    assert response.status_code == 302
    assert memberships(organization) == {admin.id: MemberRole.ADMIN}
    assert events() == [("organization.remove_member", organization.id, admin.id,
                         {"user_id": member.id, "role": "member"}, None)]
    assert f"{member.name} is no longer a member." in text(client.get(page_of(organization)))


def test_the_last_admin_cannot_be_removed(app, client, make, club):
    organization, admin, member, outsider = club
    district = make.admin
    make.commit()
    login(client, district)
    submit(client, f"{page_of(organization)}/members/{admin.id}/remove", {},
           page=page_of(organization))
    assert memberships(organization)[admin.id] == MemberRole.ADMIN
    assert ("The organization needs at least one admin: make someone else an admin first."
            in text(client.get(page_of(organization))))


def test_one_of_two_admins_can_be_removed(app, client, make, club):
    organization, admin, member, outsider = club
    services.set_member_role(organization=organization, user=member, role="admin", actor=admin,
                             now=NOW)
    make.commit()
    login(client, member)
    submit(client, f"{page_of(organization)}/members/{admin.id}/remove", {},
           page=page_of(organization))
    assert memberships(organization) == {member.id: MemberRole.ADMIN}


def test_a_plain_member_may_not_remove_another(app, client, make, club):
    organization, admin, member, outsider = club
    services.add_member(organization=organization, user=outsider)
    make.commit()
    login(client, member)
    response = submit(client, f"{page_of(organization)}/members/{outsider.id}/remove", {},
                      page=page_of(organization))
    assert response.status_code == 403
    assert outsider.id in memberships(organization)


def test_removing_a_non_member_is_404(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    response = submit(client, f"{page_of(organization)}/members/{outsider.id}/remove", {},
                      page=page_of(organization))
    assert response.status_code == 404


def test_a_member_leaves(app, client, club):
    organization, admin, member, outsider = club
    login(client, member)
    response = submit(client, f"{page_of(organization)}/leave", {}, page=page_of(organization))
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizations"
    assert memberships(organization) == {admin.id: MemberRole.ADMIN}
    assert events() == [("organization.leave", organization.id, member.id,
                         {"user_id": member.id, "role": "member"}, None)]
    assert f"You left {organization.name}." in text(client.get("/organizations"))


def test_the_last_admin_cannot_leave(app, client, club):
    organization, admin, member, outsider = club
    login(client, admin)
    response = submit(client, f"{page_of(organization)}/leave", {}, page=page_of(organization))
    assert response.status_code == 302
    assert response.headers["Location"] == page_of(organization)
    assert memberships(organization)[admin.id] == MemberRole.ADMIN


# The services themselves ------------------------------------------------------------------------


def test_services_refuse_whoever_is_not_an_admin_of_the_organization(app, club):
    organization, admin, member, outsider = club
    with pytest.raises(NotAllowed):
        services.add_member_by_email(organization=organization, email=outsider.email,
                                     actor=member, now=NOW)
    with pytest.raises(NotAllowed):
        services.set_member_role(organization=organization, user=member, role="admin",
                                 actor=outsider, now=NOW)
    with pytest.raises(NotAllowed):
        services.remove_member(organization=organization, user=admin, actor=member, now=NOW)


def test_services_name_the_refused_field(app, club):
    organization, admin, member, outsider = club
    with pytest.raises(InvalidInput) as refused:
        services.add_member_by_email(organization=organization, email=member.email.upper(),
                                     actor=admin, now=NOW)
    assert refused.value.details["fields"] == {"email": "already_member"}
    with pytest.raises(InvalidInput) as refused:
        services.add_member_by_email(organization=organization, email=outsider.email,
                                     role="owner", actor=admin, now=NOW)
    assert refused.value.details["fields"] == {"role": "invalid"}
    with pytest.raises(InvalidInput) as refused:
        services.remove_member(organization=organization, user=admin, actor=admin, now=NOW)
    assert refused.value.details["fields"] == {"member": "last_admin"}
