"""The profile (/account) and the password change (/account/password)."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from gongjian.audit import AuditEvent
from gongjian.extensions import db

from ..factories import DEFAULT_PASSWORD
from ..pages import login, submit, text


def profile_form(places, **changes) -> dict:
    values = {"name": "王五", "phone": "+86 139-0000-1111", "community": str(places.west.id),
              "locale": "en"}
    values.update(changes)
    return values


def test_visitors_are_sent_to_log_in(app, client):
    for path in ("/account", "/account/password"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/login?next={path.replace('/', '%2F')}"


def test_the_profile_shows_the_address_and_every_role(app, client, make):
    user = make.user(is_admin=True, email="zhao@example.cn")
    unit = make.unit(managers=(user,))
    organization = make.organization(members=(make.user(), user))
    make.commit()
    login(client, user)
    response = client.get("/account")
    assert response.status_code == 200
    page = text(response)
    assert "E-mail zhao@example.cn (you sign in with it; it cannot be changed)" in page
    assert (f"Your roles Resident District admin Manager of {unit.name} "
            f"Member · {organization.name} Approved") in page


def test_editing_the_profile_saves_every_field(app, client, make, places):
    user = make.user(community=places.east)
    make.commit()
    login(client, user)
    response = submit(client, "/account", profile_form(places))
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    db.session.refresh(user)
    assert (user.name, user.phone, user.community_id, user.locale) == (
        "王五", "+86 139-0000-1111", places.west.id, "en")
    assert "Your profile is saved." in text(client.get("/account"))


def test_the_email_cannot_be_changed_through_the_form(app, client, make, places):
    user = make.user(email="li@example.cn")
    make.commit()
    login(client, user)
    submit(client, "/account", profile_form(places, email="evil@example.cn"))
    db.session.refresh(user)
    assert user.email == "li@example.cn"


def test_the_chosen_language_applies_at_once(app, client, make, places):
    user = make.user()
    make.commit()
    login(client, user, lang="en")
    submit(client, "/account", profile_form(places, locale="zh"))
    db.session.refresh(user)
    assert user.locale == "zh"
    with client.session_transaction() as session:
        assert session["lang"] == "zh"
    assert '<html lang="zh-CN">' in client.get("/account").get_data(as_text=True)


def test_the_browser_language_can_be_chosen_again(app, client, make, places):
    user = make.user(locale="zh")
    make.commit()
    login(client, user, lang="zh")
    submit(client, "/account", profile_form(places, locale=""))
    db.session.refresh(user)
    assert user.locale is None
    with client.session_transaction() as session:
        assert "lang" not in session


def test_the_community_may_be_left_unset(app, client, make, places):
    user = make.user(community=places.east)
    make.commit()
    login(client, user)
    assert submit(client, "/account", profile_form(places, community="")).status_code == 302
    db.session.refresh(user)
    assert user.community_id is None


def test_a_bad_phone_is_refused_and_nothing_changes(app, client, make, places):
    user = make.user(community=places.east)
    make.commit()
    name = user.name
    login(client, user)
    response = submit(client, "/account", profile_form(places, phone="call me"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="phone-error">Enter a phone number of 5 '
            'to 20 digits, spaces, hyphens or a leading +.</div>') in html
    assert 'value="call me"' in html
    db.session.refresh(user)
    assert (user.name, user.phone, user.community_id) == (name, "", places.east.id)


def test_a_blank_name_is_refused(app, client, make, places):
    user = make.user()
    make.commit()
    login(client, user)
    response = submit(client, "/account", profile_form(places, name="  "))
    assert response.status_code == 200
    assert "This field is required." in text(response)


def test_a_long_name_is_refused(app, client, make, places):
    user = make.user()
    make.commit()
    login(client, user)
    response = submit(client, "/account", profile_form(places, name="名" * 101))
    assert response.status_code == 200
    assert "Use at most 100 characters." in text(response)


# The password ---------------------------------------------------------------------------------


def password_form(current=DEFAULT_PASSWORD, new="autumn-river-7", repeat=None) -> dict:
    return {"current_password": current, "new_password": new,
            "repeat": new if repeat is None else repeat}


def test_a_wrong_current_password_is_refused(app, client, make):
    user = make.user()
    make.commit()
    before = user.password_hash
    login(client, user)
    response = submit(client, "/account/password", password_form(current="wrong-horse"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="current_password-error">This is not '
            'your current password.</div>') in html
    assert 'aria-describedby="current_password-error"' in html
    db.session.refresh(user)
    assert user.password_hash == before


def test_changing_the_password_keeps_the_user_signed_in(app, client, make):
    user = make.user()
    make.commit()
    login(client, user)
    response = submit(client, "/account/password", password_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "Your password is changed." in text(page)
    db.session.refresh(user)
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "autumn-river-7")


def test_the_new_password_signs_in_and_the_old_one_no_longer(app, client, make):
    user = make.user(email="li@example.cn")
    make.commit()
    login(client, user)
    submit(client, "/account/password", password_form())
    submit(client, "/logout", {}, page="/account")
    old = submit(client, "/login", {"email": "li@example.cn", "password": DEFAULT_PASSWORD})
    assert old.status_code == 200
    new = submit(client, "/login", {"email": "li@example.cn", "password": "autumn-river-7"})
    assert new.status_code == 302
    db.session.refresh(user)
    with client.session_transaction() as session:
        assert session["_user_id"] == user.get_id() == f"{user.id}:{user.get_id()[-16:]}"


def test_changing_the_password_signs_every_other_browser_out(app, client, make):
    make.user(email="li@example.cn")
    make.commit()
    phone = app.test_client()
    for browser in (client, phone):
        remembered = submit(browser, "/login", {"email": "li@example.cn",
                                                "password": DEFAULT_PASSWORD, "remember": "y"})
        assert remembered.status_code == 302
    assert phone.get("/account").status_code == 200
    assert submit(client, "/account/password", password_form()).status_code == 302
    assert client.get("/account").status_code == 200
    # The phone's session and its remember-me cookie both name the old password.
    assert phone.get("/account").status_code == 302
    with phone.session_transaction() as session:
        session.clear()
    assert phone.get("/account").status_code == 302
    # This browser was remembered: a new remember-me cookie carries the new password.
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/account").status_code == 200


def test_the_change_is_audited_without_the_password(app, client, make):
    user = make.user()
    make.commit()
    login(client, user)
    submit(client, "/account/password", password_form())
    event = db.session.scalars(sa.select(AuditEvent)).one()
    assert (event.action, event.object_type, event.object_id, event.actor_id, event.before,
            event.after) == ("user.change_password", "users", user.id, user.id, None, None)


def test_the_new_password_obeys_the_policy(app, client, make):
    user = make.user(email="li@example.cn")
    make.commit()
    before = user.password_hash
    login(client, user)
    for new, message in [("12345678", "Use letters or symbols too, not only digits."),
                         ("iloveyou", "This password is among the most common ones; "
                                      "choose another."),
                         ("li@example.cn", "Do not use your e-mail address as your password."),
                         (DEFAULT_PASSWORD, "Choose a password different from your current "
                                            "one.")]:
        response = submit(client, "/account/password", password_form(new=new))
        assert response.status_code == 200
        assert (f'<div class="invalid-feedback d-block" id="new_password-error">{message}</div>'
                in response.get_data(as_text=True))
    db.session.refresh(user)
    assert user.password_hash == before


def test_the_new_password_must_be_repeated(app, client, make):
    user = make.user()
    make.commit()
    login(client, user)
    response = submit(client, "/account/password", password_form(repeat="autumn-river-8"))
    assert response.status_code == 200
    assert "The two passwords differ." in text(response)
