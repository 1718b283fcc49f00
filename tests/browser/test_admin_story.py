"""The district admin's story in a real browser, on a desktop and on a 375×812 phone: sign in,
create a unit, assign its manager, invite a second one, record an agreement with its PDF, and
look through every console page; the invitee then opens the link and creates their account.
Every step is screenshotted and checked with axe-core, for console errors and for sideways
scrolling (tests/browser/conftest.py)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from gongjian.accounts import services as accounts
from gongjian.accounts.models import Unit, User
from gongjian.extensions import db
from gongjian.stats.models import Agreement

from ..admin.pdfs import PDF
from ..conftest import NOW, _empty_tables
from ..factories import DEFAULT_PASSWORD, Factory


@pytest.fixture
def district(live_app, tmp_path):
    _empty_tables(live_app)
    saved = live_app.config.get("AGREEMENT_DIR")
    live_app.config["AGREEMENT_DIR"] = str(tmp_path / "agreements")
    with live_app.app_context():
        make = Factory(now=NOW)
        street = accounts.create_street(name="和平街道")
        east = accounts.create_community(name="东风社区", street=street)
        accounts.create_community(name="光明社区", street=street)
        admin = make.user(name="街道管理员", is_admin=True, email="admin@example.cn")
        make.user(name="李", email="li@example.cn")
        school = make.unit(community=east)
        make.organization(approved=False)
        make.commit()
        ids = {"east": east.id, "street": street.id, "admin": admin.id, "school": school.id}
    yield ids
    live_app.config["AGREEMENT_DIR"] = saved
    _empty_tables(live_app)


def check(visit, name: str) -> None:
    visit.check(name)


def sign_in(visit) -> None:
    page = visit.page
    visit.goto("/login")
    page.fill("#email", "admin@example.cn")
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def submit(visit, form_selector: str) -> None:
    visit.page.locator(f"{form_selector} button[type=submit]").first.click()
    visit.page.wait_for_load_state()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_admin_sets_up_a_unit(visit_factory, live_app, district, viewport, tmp_path):
    admin = visit_factory(viewport, "admin")
    page = admin.page
    sign_in(admin)

    admin.goto("/admin")
    expect(page.locator("[data-count=pending-organizations]")).to_have_text("1")
    check(admin, "console front page")

    admin.goto("/admin/places")
    check(admin, "streets and communities")

    admin.goto("/admin/units/new")
    check(admin, "new unit form")
    page.fill("#name", "区文化馆")
    page.select_option("#type", "government")
    page.select_option("#community", str(district["east"]))
    page.fill("#address", "文化路8号")
    page.fill("#contact_name", "周老师")
    page.fill("#contact_phone", "010-6512 3456")
    page.fill("#description", "展厅和排练厅，周末向社区开放。")
    submit(admin, "main form[action='/admin/units/new']")
    page.wait_for_url(re.compile(r"/admin/units/\d+$"))
    unit_url = page.url
    expect(page.locator(".alert-success")).to_be_visible()
    check(admin, "unit created")

    page.fill("#email", "li@example.cn")
    submit(admin, "form[action$='/managers']")
    expect(page.locator("#managers")).to_contain_text("li@example.cn")
    check(admin, "manager assigned")

    page.fill("#email", "sun@example.cn")
    submit(admin, "form[action$='/managers']")
    link = page.locator("#invite-url").input_value()
    assert re.search(r"/invitations/[A-Za-z0-9_-]{40,}$", link)
    check(admin, "invitation link shown")

    unit_id = int(unit_url.rsplit("/", 1)[1])
    admin.goto(f"/admin/agreements/new?unit={unit_id}")
    check(admin, "new agreement form")
    page.select_option("#counterparty", f"community:{district['east']}")
    page.fill("#signed_on", "2026-11-20")
    page.fill("#valid_from", "2027-01-01")
    page.fill("#valid_until", "2027-12-31")
    page.fill("#committed_hours_per_week", "21")
    page.fill("#notes", "每周二、四晚和周末开放。")
    pdf = tmp_path / "协议.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#document", str(pdf))
    submit(admin, "main form[action='/admin/agreements/new']")
    page.wait_for_url(re.compile(r"/admin/agreements/\d+$"))
    expect(page.locator("#current-document")).to_contain_text("协议.pdf")
    check(admin, "agreement recorded")

    with live_app.app_context():
        unit = db.session.get(Unit, unit_id)
        assert [m.email for m in unit.managers] == ["li@example.cn"]
        agreement = db.session.scalars(sa.select(Agreement)).one()
        assert (agreement.unit_id, agreement.document_name) == (unit_id, "协议.pdf")
        db.session.remove()

    for path, name in [("/admin/units", "units"), ("/admin/organizations", "organizations"),
                       ("/admin/users", "users"), (f"/admin/users/{district['admin']}", "user"),
                       ("/admin/agreements", "agreements"), ("/admin/audit", "audit log")]:
        admin.goto(path)
        check(admin, name)
    admin.goto("/admin/organizations")
    page.locator("#organizations a").first.click()
    page.wait_for_url(re.compile(r"/admin/organizations/\d+$"))
    check(admin, "organization")

    invitee = visit_factory(viewport, "invitee")
    invitee.page.goto(link)
    check(invitee, "invitation")
    invitee.page.fill("#name", "孙")
    invitee.page.fill("#password", "spring-garden-42")
    invitee.page.fill("#repeat", "spring-garden-42")
    submit(invitee, "main form")
    invitee.page.wait_for_url(re.compile(r"/account$"))
    check(invitee, "invitation accepted")
    with live_app.app_context():
        sun = db.session.scalar(sa.select(User).where(User.email == "sun@example.cn"))
        assert [u.id for u in sun.managed_units] == [unit_id]
        db.session.remove()
