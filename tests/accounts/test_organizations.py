"""Organizations on the web: the list, applying for one, its page for each role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gongjian.accounts.models import (
    MemberRole,
    Membership,
    Organization,
    OrganizationKind,
    OrganizationStatus,
)
from gongjian.audit import AuditEvent
from gongjian.extensions import db

from ..factories import local
from ..pages import login, submit, text


@pytest.mark.parametrize("path", ["/organizations", "/organizations/new", "/organizations/1"])
def test_visitors_are_sent_to_log_in(app, client, make, path):
    make.organization()
    make.commit()
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + path.replace("/", "%2F")


def test_the_list_shows_the_users_organizations_with_kind_status_and_role(app, client, make):
    user = make.user()
    chorus = make.organization(members=(user,))
    team = make.organization(members=(make.user(), user), approved=False)
    make.organization()  # someone else's
    make.commit()
    login(client, user)
    response = client.get("/organizations")
    assert response.status_code == 200
    page = text(response)
    assert "Your organizations Apply for a new organization" in page
    [first, second] = sorted([chorus, team], key=lambda o: o.name)
    lines = {
        chorus.id: f"{chorus.name} Approved Social organization · {chorus.community.name} · "
                   "Your role: Admin",
        team.id: f"{team.name} Awaiting approval Social organization · {team.community.name} · "
                 "Your role: Member",
    }
    assert f"{lines[first.id]} {lines[second.id]}" in page
    html = response.get_data(as_text=True)
    assert html.count("data-organization=") == 2
    assert 'href="/organizations/new"' in html


def test_the_list_says_when_there_is_none(app, client, make):
    user = make.user()
    make.commit()
    login(client, user)
    assert ("You do not belong to any organization yet. Ask an organization’s admin to add you, "
            "or apply for a new one.") in text(client.get("/organizations"))


# Applying ------------------------------------------------------------------------------------


def application(places, **changes) -> dict:
    values = {"name": " 光明志愿服务队 ", "kind": "volunteer_team",
              "community": str(places.west.id), "description": "助老、环保志愿服务"}
    values.update(changes)
    return values


def test_the_form_proposes_the_users_community(app, client, make, places):
    user = make.user(community=places.west)
    make.commit()
    login(client, user)
    html = client.get("/organizations/new").get_data(as_text=True)
    assert f'<option selected value="{places.west.id}">光明社区</option>' in html
    assert '<option value="volunteer_team">Volunteer team</option>' in html


def test_applying_creates_a_pending_organization_with_its_founder_as_admin(app, client, make,
                                                                           places):
    user = make.user()
    make.commit()
    login(client, user)
    response = submit(client, "/organizations/new", application(places))
    organization = db.session.scalars(sa.select(Organization)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organizations/{organization.id}"
    assert (organization.name, organization.kind, organization.community_id, organization.status,
            organization.description, organization.created_by_id) == (
        "光明志愿服务队", OrganizationKind.VOLUNTEER_TEAM, places.west.id,
        OrganizationStatus.PENDING, "助老、环保志愿服务", user.id)
    membership = db.session.scalars(sa.select(Membership)).one()
    assert (membership.user_id, membership.organization_id, membership.role) == (
        user.id, organization.id, MemberRole.ADMIN)
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert (event.action, event.object_id, event.actor_id, event.after["status"]) == (
        "organization.create", organization.id, user.id, "pending")


def test_the_applicant_is_told_it_waits_for_approval(app, client, make, places):
    user = make.user()
    make.commit()
    login(client, user)
    page = text(submit(client, "/organizations/new", application(places), follow_redirects=True))
    assert ("Your application for “光明志愿服务队” is sent. A district admin will review it; until "
            "it is approved the organization cannot book venues. You are its admin.") in page
    assert ("This organization awaits a district admin’s approval. Until then it cannot book "
            "venues.") in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "团" * 201}, "name", "Use at most 200 characters."),
    ({"kind": "party"}, "kind", "Not a valid choice."),
    ({"community": ""}, "community", "Choose the organization's community."),
    ({"community": "999999"}, "community", "Not a valid choice."),
    ({"description": "说" * 2001}, "description", "Use at most 2000 characters."),
])
def test_a_refused_application_says_why_and_writes_nothing(app, client, make, places, changes,
                                                           field, message):
    user = make.user()
    make.commit()
    login(client, user)
    response = submit(client, "/organizations/new", application(places, **changes))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (f'<div class="invalid-feedback d-block" id="{field}-error">{message}</div>'
            in html.replace("&#39;", "'"))
    assert f'aria-describedby="{field}-error"' in html
    assert db.session.scalar(sa.select(sa.func.count(Organization.id))) == 0


# The organization's page --------------------------------------------------------------------


@pytest.fixture
def club(app, make):
    """An approved organization: 陈 (admin) and 刘 (member); a venue it booked at."""
    admin, member = make.user(name="陈"), make.user(name="刘")
    organization = make.organization(members=(admin, member))
    venue = make.venue(name="篮球馆")
    make.commit()
    return organization, admin, member, venue


def test_a_non_member_sees_only_the_public_facts_of_an_approved_one(app, client, make, club):
    organization, admin, member, venue = club
    make.booking(venue=venue, booker=member, organization_id=organization.id,
                 start=local(2026, 12, 3, 14), end=local(2026, 12, 3, 16), title="合唱排练")
    outsider = make.user()
    make.commit()
    login(client, outsider)
    response = client.get(f"/organizations/{organization.id}")
    assert response.status_code == 200
    page = text(response)
    assert (f"{organization.name} Social organization · {organization.community.name} · "
            f"{organization.community.street.name} Only its members see who belongs to it and "
            "what it has booked.") in page
    for secret in (admin.name, member.name, "合唱排练", "篮球馆", "Leave this organization"):
        assert secret not in page


def test_a_pending_one_does_not_exist_for_a_non_member(app, client, make):
    organization = make.organization(approved=False)
    outsider = make.user()
    make.commit()
    login(client, outsider)
    assert client.get(f"/organizations/{organization.id}").status_code == 404


def test_an_unknown_one_is_404(app, client, make):
    user = make.user()
    make.commit()
    login(client, user)
    assert client.get("/organizations/424242").status_code == 404


def test_a_member_sees_the_members_and_the_bookings(app, client, make, club):
    organization, admin, member, venue = club
    make.booking(venue=venue, booker=member, organization_id=organization.id,
                 start=local(2026, 12, 3, 14), end=local(2026, 12, 3, 16), title="合唱排练")
    make.commit()
    login(client, member)
    response = client.get(f"/organizations/{organization.id}")
    assert response.status_code == 200
    page = text(response)
    assert (f"Members 2 Name Role {admin.name} Admin {member.name} (you) Member") in page
    assert (f"Upcoming 2026-12-03 (Thu) 14:00–16:00 Confirmed 合唱排练 篮球馆 · "
            f"{venue.unit.name} · booked by {member.name}") in page
    html = response.get_data(as_text=True)
    assert "Add the member" not in page and "/role" not in html and "/remove" not in html
    assert "Leave this organization" in page


def test_bookings_show_upcoming_and_the_past_30_days_only(app, client, make, club):
    organization, admin, member, venue = club
    for day, title in [(20, "上月排练"), (25, "上周排练")]:
        make.booking(venue=venue, booker=admin, organization_id=organization.id,
                     start=local(2026, 11, day, 14), end=local(2026, 11, day, 16), title=title,
                     now=local(2026, 11, day - 3, 9))
    make.booking(venue=venue, booker=admin, organization_id=organization.id,
                 start=local(2026, 10, 30, 14), end=local(2026, 10, 30, 16), title="很久以前",
                 now=local(2026, 10, 27, 9))
    make.booking(venue=venue, booker=admin, start=local(2026, 12, 4, 9),
                 end=local(2026, 12, 4, 10), title="私人预约")
    make.commit()
    login(client, member)
    page = text(client.get(f"/organizations/{organization.id}"))
    assert "Upcoming No upcoming bookings." in page
    assert "Past 30 days 2026-11-25 (Wed) 14:00–16:00 Confirmed 上周排练" in page
    assert page.index("上周排练") < page.index("上月排练")
    assert "很久以前" not in page and "私人预约" not in page


def test_bookings_show_in_the_venues_time_zone(app, client, make, club):
    organization, admin, member, _ = club
    berlin = make.venue(name="Halle", timezone="Europe/Berlin")
    make.booking(venue=berlin, booker=admin, organization_id=organization.id,
                 start=local(2026, 12, 3, 17), end=local(2026, 12, 3, 18), title="线上联谊")
    make.commit()
    login(client, member)
    page = text(client.get(f"/organizations/{organization.id}"))
    assert "2026-12-03 (Thu) 10:00–11:00 Confirmed 线上联谊 Halle" in page


def test_the_organizations_admin_manages_the_members(app, client, club):
    organization, admin, member, _ = club
    login(client, admin)
    response = client.get(f"/organizations/{organization.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'action="/organizations/{organization.id}/members/{member.id}/remove"' in html
    assert f'action="/organizations/{organization.id}/members/{admin.id}/remove"' not in html
    assert f'action="/organizations/{organization.id}/members/{member.id}/role"' in html
    assert f'<label class="visually-hidden" for="role-{member.id}">Role of {member.name}</label>' \
        in html
    assert "Add a member" in text(response)


def test_a_district_admin_sees_a_pending_one_in_full(app, client, make):
    founder = make.user(name="孙")
    organization = make.organization(members=(founder,), approved=False)
    admin = make.admin
    make.commit()
    login(client, admin)
    response = client.get(f"/organizations/{organization.id}")
    assert response.status_code == 200
    page = text(response)
    assert f"{organization.name} Awaiting approval" in page
    assert f"Members 1 Name Role Manage {founder.name} Admin" in page
    assert "Add a member" in page
    assert "Leave this organization" not in page


def test_the_page_shows_the_description_to_members(app, client, make, places):
    user = make.user()
    make.commit()
    login(client, user)
    submit(client, "/organizations/new", {"name": "书法社", "kind": "social_org",
                                          "community": str(places.east.id),
                                          "description": "每周三练字"})
    organization = db.session.scalars(sa.select(Organization)).one()
    page = text(client.get(f"/organizations/{organization.id}"))
    assert "每周三练字" in page and "Your role: Admin" in page
