"""Streets and communities in the district console: list, add, rename, each audited."""

from __future__ import annotations

import sqlalchemy as sa

from gongjian.accounts.models import Community, Street
from gongjian.audit import AuditEvent
from gongjian.extensions import db

from ..pages import login, submit, text


def streets() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Street.name).order_by(Street.id)))


def communities() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(c.street.name, c.name) for c in db.session.scalars(
        sa.select(Community).order_by(Community.id))]


def events(prefix: str) -> list[tuple]:
    return [(e.action, e.object_id, e.actor_id, e.before, e.after)
            for e in db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id))]


def test_the_page_lists_every_street_with_its_communities(app, client, district):
    login(client, district.admin)
    page = text(client.get("/admin/places"))
    assert "和平街道 New name of 和平街道 Rename : 和平街道 Community Rename 东风社区" in page
    assert "光明社区" in page


def test_an_admin_adds_a_street(app, client, district):
    login(client, district.admin)
    response = submit(client, "/admin/streets", {"street-name": " 新华街道 "},
                      page="/admin/places")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/places"
    assert streets() == ["和平街道", "新华街道"]
    new = db.session.scalar(sa.select(Street).where(Street.name == "新华街道"))
    assert events("street.") == [("street.create", new.id, district.admin.id, None,
                                  {"name": "新华街道"})]
    assert "The street “新华街道” is added." in text(client.get("/admin/places"))


def test_a_taken_street_name_is_refused_on_the_field(app, client, district):
    login(client, district.admin)
    response = submit(client, "/admin/streets", {"street-name": "和平街道"},
                      page="/admin/places")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="street-name-error">This name is already '
            'taken here.</div>') in html
    assert streets() == ["和平街道"]
    assert events("street.") == []


def test_an_admin_adds_a_community_to_a_street(app, client, district):
    login(client, district.admin)
    response = submit(client, "/admin/communities", {
        "community-street": str(district.street.id), "community-name": "朝阳社区"},
        page="/admin/places")
    assert response.status_code == 302
    assert communities() == [("和平街道", "东风社区"), ("和平街道", "光明社区"),
                             ("和平街道", "朝阳社区")]
    [event] = events("community.")
    assert event[0] == "community.create"
    assert event[4] == {"name": "朝阳社区", "street_id": district.street.id}


def test_a_community_without_street_is_refused(app, client, district):
    login(client, district.admin)
    response = submit(client, "/admin/communities", {"community-street": "",
                                                     "community-name": "朝阳社区"},
                      page="/admin/places")
    assert response.status_code == 200
    assert "Choose a street." in text(response)
    assert 'value="朝阳社区"' in response.get_data(as_text=True)
    assert len(communities()) == 2


def test_an_admin_renames_a_street(app, client, district):
    login(client, district.admin)
    response = submit(client, f"/admin/streets/{district.street.id}/rename",
                      {"name": "和平街道办事处"}, page="/admin/places")
    assert response.status_code == 302
    assert streets() == ["和平街道办事处"]
    assert events("street.") == [("street.rename", district.street.id, district.admin.id,
                                  {"name": "和平街道"}, {"name": "和平街道办事处"})]


def test_renaming_a_community_to_a_sibling_s_name_is_refused_on_its_row(app, client, district):
    login(client, district.admin)
    response = submit(client, f"/admin/communities/{district.east.id}/rename",
                      {"name": "光明社区"}, page="/admin/places")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    field = f"community-{district.east.id}-name"
    assert f'aria-describedby="{field}-error"' in html
    assert (f'<div class="invalid-feedback d-block w-100" id="{field}-error">This name is '
            f'already taken here.</div>') in html
    assert communities() == [("和平街道", "东风社区"), ("和平街道", "光明社区")]
    assert events("community.") == []


def test_an_empty_new_name_is_refused(app, client, district):
    login(client, district.admin)
    response = submit(client, f"/admin/communities/{district.east.id}/rename", {"name": " "},
                      page="/admin/places")
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert communities()[0] == ("和平街道", "东风社区")


def test_renaming_an_unknown_street_is_404(app, client, district):
    login(client, district.admin)
    response = submit(client, "/admin/streets/999/rename", {"name": "x"}, page="/admin/places")
    assert response.status_code == 404


def test_a_post_without_csrf_token_is_refused(app, client, district):
    login(client, district.admin)
    for url, data in [("/admin/streets", {"street-name": "新华街道"}),
                      (f"/admin/streets/{district.street.id}/rename", {"name": "新"}),
                      ("/admin/communities", {"community-street": str(district.street.id),
                                              "community-name": "新"}),
                      (f"/admin/communities/{district.east.id}/rename", {"name": "新"})]:
        assert client.post(url, data=data).status_code == 400
    assert streets() == ["和平街道"]
    assert communities() == [("和平街道", "东风社区"), ("和平街道", "光明社区")]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
