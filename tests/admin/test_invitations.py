"""Inviting a unit manager who has no account yet: the link (e-mailed, or shown to the admin
once without SMTP), accepting it with a name and password, and links that no longer work."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from gongjian.accounts import people
from gongjian.accounts.models import ManagerInvitation, User, unit_managers
from gongjian.audit import AuditEvent
from gongjian.extensions import db

from ..conftest import NOW
from ..pages import csrf_token, login, submit, text
from ..test_mail import Inbox, free_port, texts

LINK = re.compile(r"https?://gongjian\.test/invitations/([A-Za-z0-9_-]{40,})")


@pytest.fixture
def smtp(app, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "共建 <noreply@gongjian.test>")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox
    controller.stop()


def invite(client, district, email="sun@example.cn"):
    page = f"/admin/units/{district.unit.id}"
    return submit(client, f"{page}/managers", {"email": email}, page=page)


def invitations() -> list[ManagerInvitation]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ManagerInvitation).order_by(ManagerInvitation.id)))


def managers_of(unit) -> set[int]:
    return set(db.session.scalars(sa.select(unit_managers.c.user_id).where(
        unit_managers.c.unit_id == unit.id)))


def events(prefix: str) -> list[tuple]:
    return [(e.action, e.actor_id, e.before, e.after, e.unit_id)
            for e in db.session.scalars(sa.select(AuditEvent).where(
                AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id))]


def open_invitation(district, email="sun@example.cn") -> str:
    result = people.invite_unit_manager(unit=district.unit, email=email, actor=district.admin,
                                        now=NOW)
    db.session.commit()
    return result.token


ACCOUNT = {"name": "孙", "phone": "13800138000", "password": "spring-garden-42",
           "repeat": "spring-garden-42"}


# Inviting ---------------------------------------------------------------------------------------


def test_without_smtp_the_link_is_shown_to_the_admin_once(app, client, district):
    login(client, district.admin)
    response = invite(client, district, " Sun@Example.cn ")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    [token] = LINK.findall(html)
    assert "Invitation for sun@example.cn" in text(response)
    [invitation] = invitations()
    assert (invitation.email, invitation.unit_id, invitation.invited_by_id, invitation.created_at,
            invitation.expires_at, invitation.accepted_at) == (
        "sun@example.cn", district.unit.id, district.admin.id, NOW, NOW + timedelta(days=7),
        None)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert events("invitation.") == [("invitation.create", district.admin.id, None,
                                      {"email": "sun@example.cn",
                                       "expires_at": "2026-12-08T02:00:00+00:00"},
                                      district.unit.id)]
    again = client.get(f"/admin/units/{district.unit.id}")
    assert not LINK.search(again.get_data(as_text=True))
    assert "sun@example.cn valid until 2026-12-08 (Tue) 10:00" in text(again)
    assert managers_of(district.unit) == {district.manager.id}


def test_with_smtp_the_invitation_is_e_mailed_in_chinese_and_english(app, client, district,
                                                                      smtp):
    login(client, district.admin)
    response = invite(client, district)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/units/{district.unit.id}"
    [(recipients, message)] = smtp.messages
    assert recipients == ["sun@example.cn"]
    # Chinese first (translated by the lead), then English.
    assert message["Subject"].endswith(" / Invitation to manage “区图书馆” on Gongjian")
    assert message["From"] == "共建 <noreply@gongjian.test>"
    plain, html = texts(message)
    [token, again] = LINK.findall(plain)
    assert token == again  # the same link in both languages
    assert "Open this link to choose your name and password" in plain
    assert "2026-12-08" in plain
    assert people.invitation_for_token(token) is not None
    page = client.get(f"/admin/units/{district.unit.id}")
    assert "was e-mailed to them" in text(page)
    assert not LINK.search(page.get_data(as_text=True))


def test_when_the_mail_server_is_down_the_link_is_shown(app, client, district, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens
    login(client, district.admin)
    response = invite(client, district)
    assert response.status_code == 200
    assert len(LINK.findall(response.get_data(as_text=True))) == 1
    assert len(invitations()) == 1


def test_inviting_again_replaces_the_open_invitation(app, client, district):
    first = open_invitation(district)
    second = open_invitation(district)
    old, new = invitations()
    assert old.revoked_at == NOW and new.revoked_at is None
    assert client.get(f"/invitations/{first}").status_code == 410
    assert client.get(f"/invitations/{second}").status_code == 200


def test_an_admin_withdraws_an_invitation(app, client, district):
    token = open_invitation(district)
    [invitation] = invitations()
    login(client, district.admin)
    page = f"/admin/units/{district.unit.id}"
    response = submit(client, f"/admin/invitations/{invitation.id}/revoke", {}, page=page)
    assert response.status_code == 302
    assert invitations()[0].revoked_at == NOW
    assert events("invitation.revoke") == [("invitation.revoke", district.admin.id,
                                            {"email": "sun@example.cn"}, None,
                                            district.unit.id)]
    client.get("/")  # the flashed message
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 410
    assert "This invitation was withdrawn or replaced by a newer one." in text(response)


# Accepting ------------------------------------------------------------------------------------


def test_the_invitee_creates_their_account_and_manages_the_unit(app, client, district):
    token = open_invitation(district)
    url = f"/invitations/{token}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Become a manager of 区图书馆" in text(page)
    assert 'value="sun@example.cn" readonly' in page.get_data(as_text=True)
    response = submit(client, url, ACCOUNT)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    user = db.session.scalar(sa.select(User).where(User.email == "sun@example.cn"))
    assert (user.name, user.phone, user.is_admin) == ("孙", "13800138000", False)
    assert managers_of(district.unit) == {district.manager.id, user.id}
    [invitation] = invitations()
    assert invitation.accepted_at == NOW
    assert events("invitation.accept") == [("invitation.accept", user.id, None,
                                            {"user_id": user.id, "email": "sun@example.cn"},
                                            district.unit.id)]
    account = client.get("/account")  # signed in: no redirect to the login page
    assert account.status_code == 200
    assert "Welcome, 孙! You now manage “区图书馆”." in text(account)


def test_the_password_policy_applies(app, client, district):
    token = open_invitation(district)
    response = submit(client, f"/invitations/{token}", {**ACCOUNT, "password": "12345678",
                                                        "repeat": "12345678"})
    assert response.status_code == 200
    assert ('<div class="invalid-feedback d-block" id="password-error">Use letters or symbols '
            'too, not only digits.</div>') in response.get_data(as_text=True)
    assert 'value="孙"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User.id).where(User.email == "sun@example.cn")) is None
    assert invitations()[0].accepted_at is None


def test_the_passwords_must_match(app, client, district):
    token = open_invitation(district)
    response = submit(client, f"/invitations/{token}", {**ACCOUNT, "repeat": "other-garden-42"})
    assert response.status_code == 200
    assert "The two passwords differ." in text(response)
    assert db.session.scalar(sa.select(User.id).where(User.email == "sun@example.cn")) is None


def test_a_link_works_once(app, client, district):
    token = open_invitation(district)
    submit(client, f"/invitations/{token}", ACCOUNT)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 410
    assert "This invitation was already accepted: the link works only once." in text(response)


def test_an_expired_link_shows_a_clear_page(app, client, district):
    token = open_invitation(district)
    app.config["CLOCK"] = lambda: NOW + timedelta(days=7)
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 410
    assert "This invitation has expired: links are valid for 7 days." in text(response)
    posted = client.post(f"/invitations/{token}", data={
        "csrf_token": csrf_token(client, "/login"), **ACCOUNT})
    assert posted.status_code == 410
    assert db.session.scalar(sa.select(User.id).where(User.email == "sun@example.cn")) is None


def test_an_unknown_link_is_404(app, client, district):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "This invitation link is not valid." in text(response)


def test_someone_who_registered_meanwhile_is_asked_to_log_in(app, client, district, make):
    token = open_invitation(district)
    sun = make.user(name="孙", email="sun@example.cn")
    make.commit()
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 200
    assert "There is already an account with sun@example.cn." in text(response)
    assert f'href="/login?next=/invitations/{token}"' in response.get_data(as_text=True)
    login(client, sun)
    assert "Accept the invitation" in text(client.get(f"/invitations/{token}"))
    response = submit(client, f"/invitations/{token}", {})
    assert response.status_code == 302
    assert managers_of(district.unit) == {district.manager.id, sun.id}
    assert invitations()[0].accepted_at == NOW


def test_someone_signed_in_with_another_address_cannot_accept(app, client, district):
    token = open_invitation(district)
    login(client, district.resident)
    response = submit(client, f"/invitations/{token}", {}, page="/login")
    assert response.status_code == 403
    assert "This invitation is for sun@example.cn, but you are signed in as wang@example.cn." in (
        text(response))
    assert managers_of(district.unit) == {district.manager.id}


def test_accepting_without_csrf_token_is_refused(app, client, district):
    token = open_invitation(district)
    response = client.post(f"/invitations/{token}", data=ACCOUNT)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(User.id).where(User.email == "sun@example.cn")) is None
    assert invitations()[0].accepted_at is None


def test_withdrawing_without_csrf_token_is_refused(app, client, district):
    open_invitation(district)
    [invitation] = invitations()
    login(client, district.admin)
    response = client.post(f"/admin/invitations/{invitation.id}/revoke")
    assert response.status_code == 400
    assert invitations()[0].revoked_at is None
    assert events("invitation.revoke") == []
