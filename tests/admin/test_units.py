"""Units in the district console: the paginated list with its filters, adding, editing,
deactivating, and the unit's managers (assigned by e-mail or invited)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from gongjian.accounts import services as accounts
from gongjian.accounts.models import ManagerInvitation, Unit, unit_managers
from gongjian.audit import AuditEvent
from gongjian.extensions import db
from gongjian.venues.search import venue_search

from ..pages import login, submit, text


def unit_names(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [name for name in re.findall(
        r'<td class="text-break"><a href="/admin/units/\d+">([^<]*)</a></td>', html)]


def events(prefix: str) -> list[tuple]:
    return [(e.action, e.object_id, e.actor_id, e.before, e.after, e.unit_id)
            for e in db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id))]


def managers_of(unit) -> set[int]:
    return set(db.session.scalars(sa.select(unit_managers.c.user_id).where(
        unit_managers.c.unit_id == unit.id)))


# The list -------------------------------------------------------------------------------------


def test_the_list_shows_units_by_name_with_counts(app, client, district, make):
    make.venue(unit=district.unit)
    make.commit()
    login(client, district.admin)
    response = client.get("/admin/units")
    assert unit_names(response) == ["区图书馆", "和平中学"]
    page = text(response)
    assert "2 units" in page
    assert ("区图书馆 Public institution 东风社区 · 和平街道 1 1 Active") in page


def test_the_list_pages_by_fifty(app, client, district):
    for n in range(60):
        accounts.create_unit(name=f"单位{n:02d}", type="other", community=district.east)
    db.session.commit()
    login(client, district.admin)
    first = client.get("/admin/units?q=单位")
    assert len(unit_names(first)) == 50
    assert "60 units" in text(first)
    assert 'href="/admin/units?q=%E5%8D%95%E4%BD%8D&amp;page=2"' in first.get_data(as_text=True)
    second = client.get("/admin/units?q=单位&page=2")
    assert unit_names(second) == [f"单位{n:02d}" for n in range(50, 60)]
    assert unit_names(client.get("/admin/units?q=单位&page=99")) == unit_names(second)


def test_filters_by_name_street_community_type_and_status(app, client, district):
    other_street = accounts.create_street(name="新华街道")
    north = accounts.create_community(name="北苑社区", street=other_street)
    school = accounts.create_unit(name="北苑小学", type="school", community=north)
    school.active = False
    db.session.commit()
    login(client, district.admin)
    assert unit_names(client.get("/admin/units?q=图书")) == ["区图书馆"]
    assert unit_names(client.get(f"/admin/units?street={other_street.id}")) == ["北苑小学"]
    assert unit_names(client.get(f"/admin/units?community={district.west.id}")) == ["和平中学"]
    assert unit_names(client.get("/admin/units?type=school")) == ["北苑小学", "和平中学"]
    assert unit_names(client.get("/admin/units?status=inactive")) == ["北苑小学"]
    assert unit_names(client.get("/admin/units?status=active&type=school")) == ["和平中学"]


def test_filters_units_without_managers_or_agreements(app, client, district, make):
    lonely = accounts.create_unit(name="区文化馆", type="government", community=district.east)
    from datetime import date

    from gongjian.stats.agreements import create_agreement

    create_agreement(unit=district.unit, community=district.east, signed_on=date(2026, 1, 1),
                     valid_from=date(2026, 1, 1), committed_hours_per_week=10,
                     actor=district.admin, now=make.now)
    db.session.commit()
    login(client, district.admin)
    assert unit_names(client.get("/admin/units?missing=managers")) == ["区文化馆"]
    assert unit_names(client.get("/admin/units?missing=agreement")) == ["区文化馆", "和平中学"]
    assert lonely.id


def test_unknown_filter_values_are_ignored(app, client, district):
    login(client, district.admin)
    response = client.get("/admin/units?type=castle&street=abc&status=maybe&page=-3")
    assert response.status_code == 200
    assert unit_names(response) == ["区图书馆", "和平中学"]


# Adding and editing ---------------------------------------------------------------------------

NEW_UNIT = {"name": "区文化馆", "type": "government", "address": "文化路8号",
            "contact_name": "周老师", "contact_phone": "010-6512 3456",
            "description": "展厅和排练厅"}


def test_an_admin_adds_a_unit(app, client, district):
    login(client, district.admin)
    response = submit(client, "/admin/units/new", {**NEW_UNIT,
                                                   "community": str(district.west.id)})
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == "区文化馆"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/units/{unit.id}"
    assert (unit.type.value, unit.community_id, unit.address, unit.contact_name,
            unit.contact_phone, unit.description, unit.active) == (
        "government", district.west.id, "文化路8号", "周老师", "010-6512 3456", "展厅和排练厅",
        True)
    [event] = events("unit.create")
    assert event[0:3] == ("unit.create", unit.id, district.admin.id)
    assert event[4]["name"] == "区文化馆" and event[5] == unit.id


def test_a_unit_without_name_or_community_is_refused_keeping_what_was_typed(app, client,
                                                                              district):
    login(client, district.admin)
    response = submit(client, "/admin/units/new", {**NEW_UNIT, "name": "", "community": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<div class="invalid-feedback d-block" id="name-error">This field is required.' in html
    assert ('<div class="invalid-feedback d-block" id="community-error">Choose the unit’s '
            'community.</div>') in html
    assert 'value="文化路8号"' in html and "展厅和排练厅" in html
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 2


def test_a_too_long_address_is_refused_on_its_field(app, client, district):
    login(client, district.admin)
    response = submit(client, "/admin/units/new", {**NEW_UNIT, "address": "路" * 301,
                                                   "community": str(district.west.id)})
    assert response.status_code == 200
    assert ('<div class="invalid-feedback d-block" id="address-error">Use at most 300 '
            'characters.</div>') in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 2


def test_an_admin_edits_a_unit(app, client, district):
    login(client, district.admin)
    response = submit(client, f"/admin/units/{district.unit.id}", {
        **NEW_UNIT, "name": "区图书馆（新馆）", "type": "public_institution",
        "community": str(district.west.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert (district.unit.name, district.unit.community_id, district.unit.address) == (
        "区图书馆（新馆）", district.west.id, "文化路8号")
    [event] = events("unit.update")
    assert event[3]["name"] == "区图书馆" and event[4]["name"] == "区图书馆（新馆）"
    assert event[3]["community_id"] == district.east.id
    assert event[4]["community_id"] == district.west.id


def test_the_edit_form_shows_the_current_values(app, client, district):
    login(client, district.admin)
    html = client.get(f"/admin/units/{district.unit.id}").get_data(as_text=True)
    assert 'id="name" name="name" required type="text" value="区图书馆"' in html
    assert 'value="和平路1号"' in html
    assert f'<option selected value="{district.east.id}">东风社区</option>' in html


# Deactivating ---------------------------------------------------------------------------------


def test_deactivating_hides_the_unit_s_venues_from_residents(app, client, district, make):
    venue = make.venue(unit=district.unit, name="阅览室")
    make.commit()
    login(client, district.admin)
    response = submit(client, f"/admin/units/{district.unit.id}/deactivate", {},
                      page=f"/admin/units/{district.unit.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert district.unit.active is False
    assert venue not in db.session.scalars(venue_search()).all()
    assert events("unit.deactivate") == [("unit.deactivate", district.unit.id, district.admin.id,
                                          {"active": True}, {"active": False},
                                          district.unit.id)]
    login(client, district.resident)
    assert "阅览室" not in text(client.get("/"))


def test_reactivating_shows_them_again(app, client, district, make):
    venue = make.venue(unit=district.unit, name="阅览室")
    district.unit.active = False
    make.commit()
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    assert "This unit is inactive" in text(client.get(page))
    assert submit(client, f"{page}/reactivate", {}, page=page).status_code == 302
    db.session.expire_all()
    assert district.unit.active is True
    assert venue in db.session.scalars(venue_search()).all()
    assert [e[0] for e in events("unit.")] == ["unit.reactivate"]


# Managers ---------------------------------------------------------------------------------------


def test_the_unit_page_lists_its_managers(app, client, district):
    login(client, district.admin)
    page = text(client.get(f"/admin/units/{district.unit.id}"))
    assert "Managers 1 李" in page and "li@example.cn" in page
    assert "赵" not in page


def test_an_existing_user_is_assigned_by_e_mail(app, client, district):
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    response = submit(client, f"{page}/managers", {"email": " WANG@example.cn "}, page=page)
    assert response.status_code == 302
    assert response.headers["Location"] == page
    assert managers_of(district.unit) == {district.manager.id, district.resident.id}
    assert events("unit.add_manager") == [("unit.add_manager", district.unit.id,
                                           district.admin.id, None,
                                           {"user_id": district.resident.id}, district.unit.id)]
    assert f"{district.resident.name} now manages “区图书馆”." in text(client.get(page))
    assert db.session.scalar(sa.select(sa.func.count(ManagerInvitation.id))) == 0


def test_a_current_manager_is_not_assigned_twice(app, client, district):
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    response = submit(client, f"{page}/managers", {"email": "li@example.cn"}, page=page)
    assert response.status_code == 200
    assert ('<div class="invalid-feedback d-block" id="email-error">This person already manages '
            'the unit.</div>') in response.get_data(as_text=True)
    assert events("unit.") == []


def test_an_invalid_address_is_refused(app, client, district):
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    response = submit(client, f"{page}/managers", {"email": "not-an-address"}, page=page)
    assert response.status_code == 200
    assert "Enter an e-mail address like name@example.cn." in text(response)
    assert db.session.scalar(sa.select(sa.func.count(ManagerInvitation.id))) == 0


def test_an_admin_removes_a_manager(app, client, district):
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    response = submit(client, f"{page}/managers/{district.manager.id}/remove", {}, page=page)
    assert response.status_code == 302
    assert managers_of(district.unit) == set()
    assert events("unit.remove_manager") == [
        ("unit.remove_manager", district.unit.id, district.admin.id,
         {"user_id": district.manager.id}, None, district.unit.id)]
    assert "Nobody manages this unit yet." in text(client.get(page))


def test_removing_someone_who_is_not_a_manager_changes_nothing(app, client, district):
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    response = submit(client, f"{page}/managers/{district.other_manager.id}/remove", {},
                      page=page)
    assert response.status_code == 302
    assert managers_of(district.unit) == {district.manager.id}
    assert events("unit.") == []


def test_manager_forms_refuse_a_post_without_csrf_token(app, client, district):
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    for url, data in [(f"{page}/managers", {"email": "wang@example.cn"}),
                      (f"{page}/managers/{district.manager.id}/remove", {}),
                      (page, {**NEW_UNIT, "community": str(district.west.id)}),
                      ("/admin/units/new", {**NEW_UNIT, "community": str(district.west.id)}),
                      (f"{page}/deactivate", {})]:
        assert client.post(url, data=data).status_code == 400
    db.session.expire_all()
    assert managers_of(district.unit) == {district.manager.id}
    assert (district.unit.name, district.unit.active) == ("区图书馆", True)
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
