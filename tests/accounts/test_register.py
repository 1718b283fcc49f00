"""Registering on /register: the row written, the password policy, the safe `next`."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from gongjian.accounts.models import User
from gongjian.extensions import db

from ..pages import set_language, submit, text


def form(places, **changes) -> dict:
    values = {"name": "李四", "email": "Li.Si@Example.cn", "phone": "138 0013 8000",
              "community": str(places.east.id), "password": "spring-garden-9",
              "repeat": "spring-garden-9"}
    values.update(changes)
    return values


def users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.id)))


@pytest.fixture
def english(client):
    set_language(client, "en")


def test_the_page_groups_communities_by_street(app, client, places, english):
    db.session.commit()
    html = client.get("/register").get_data(as_text=True)
    assert re.search(r'<optgroup label="和平街道"><option value="\d+">东风社区</option>'
                     r'<option value="\d+">光明社区</option></optgroup>'
                     r'<optgroup label="新华街道"><option value="\d+">北苑社区</option></optgroup>',
                     html)
    assert '<option selected value="">Choose your community</option>' in html


def test_registering_writes_the_user_with_a_scrypt_hash_and_signs_in(app, client, places,
                                                                     english):
    db.session.commit()
    response = submit(client, "/register", form(places))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    [user] = users()
    assert (user.email, user.name, user.phone, user.community_id, user.locale, user.is_admin) == (
        "li.si@example.cn", "李四", "138 0013 8000", places.east.id, "en", False)
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "spring-garden-9")
    with client.session_transaction() as session:
        assert session["_user_id"] == user.get_id()


def test_the_new_user_is_welcomed(app, client, places, english):
    db.session.commit()
    response = submit(client, "/register", form(places), follow_redirects=True)
    assert "Welcome to Gongjian, 李四! Your account is ready." in text(response)


def test_registering_follows_an_inside_next(app, client, places, english):
    db.session.commit()
    response = submit(client, "/register?next=/me/bookings", form(places), page="/register")
    assert response.headers["Location"] == "/me/bookings"


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)", "evil.example"])
def test_registering_never_redirects_outside(app, client, places, english, target):
    db.session.commit()
    response = submit(client, "/register", form(places), page="/register",
                      query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("changes", "message"), [
    ({"password": "short-1"}, "Use at least 8 characters."),
    ({"password": "x1" * 100 + "y"}, "Use at most 200 characters."),
    ({"password": "1234567890"}, "Use letters or symbols too, not only digits."),
    ({"password": "zzzzzzzzzz"}, "Do not repeat a single character."),
    ({"password": "Li.Si@example.CN"}, "Do not use your e-mail address as your password."),
    ({"email": "zhangxiaoming@example.cn", "password": "ZhangXiaoming"},
     "Do not use your e-mail address as your password."),
    ({"phone": "138-0013-8000", "password": "138-0013-8000"},
     "Do not use your phone number as your password."),
    ({"password": "Password"}, "This password is among the most common ones; choose another."),
    ({"password": "woaini1314"}, "This password is among the most common ones; choose another."),
    ({"password": "qwerty123"}, "This password is among the most common ones; choose another."),
])
def test_each_password_rule_refuses_with_its_message_and_writes_nothing(
        app, client, places, english, changes, message):
    db.session.commit()
    changes.setdefault("repeat", changes["password"])
    response = submit(client, "/register", form(places, **changes))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (f'<div class="invalid-feedback d-block" id="password-error">{message}</div>'
            in html)
    assert 'aria-describedby="password-hint password-error"' in html
    assert users() == []


def test_a_taken_address_is_refused_on_its_field(app, client, make, places, english):
    make.user(email="li.si@example.cn")
    make.commit()
    response = submit(client, "/register", form(places, email=" LI.SI@example.cn "))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="email-error">An account with this '
            'e-mail address already exists.</div>') in html
    assert 'aria-describedby="email-error"' in html
    assert len(users()) == 1


def test_what_was_typed_is_kept_except_the_passwords(app, client, make, places, english):
    make.user(email="li.si@example.cn")
    make.commit()
    html = submit(client, "/register", form(places)).get_data(as_text=True)
    assert 'value="李四"' in html and 'value="138 0013 8000"' in html
    assert f'<option selected value="{places.east.id}">东风社区</option>' in html
    assert "spring-garden-9" not in html


def test_the_community_is_required(app, client, places, english):
    db.session.commit()
    response = submit(client, "/register", form(places, community=""))
    assert response.status_code == 200
    assert "Choose the community you live in." in text(response)
    assert users() == []


def test_an_unknown_community_is_refused(app, client, places, english):
    db.session.commit()
    response = submit(client, "/register", form(places, community="999999"))
    assert response.status_code == 200
    assert "Not a valid choice." in text(response)
    assert users() == []


@pytest.mark.parametrize("phone", ["12ab5678", "1234", "+86 138 0013 8000 1234", "--------"])
def test_an_implausible_phone_is_refused(app, client, places, english, phone):
    db.session.commit()
    response = submit(client, "/register", form(places, phone=phone))
    assert response.status_code == 200
    assert ("Enter a phone number of 5 to 20 digits, spaces, hyphens or a leading +."
            in text(response))
    assert users() == []


def test_the_phone_is_optional(app, client, places, english):
    db.session.commit()
    assert submit(client, "/register", form(places, phone="")).status_code == 302
    assert users()[0].phone == ""


def test_an_invalid_address_is_refused(app, client, places, english):
    db.session.commit()
    response = submit(client, "/register", form(places, email="li.si.example.cn"))
    assert "Enter an e-mail address like name@example.cn." in text(response)
    assert users() == []


def test_the_two_passwords_must_match(app, client, places, english):
    db.session.commit()
    response = submit(client, "/register", form(places, repeat="spring-garden-8"))
    assert response.status_code == 200
    assert "The two passwords differ." in text(response)
    assert users() == []


def test_every_refused_field_is_shown_at_once(app, client, places, english):
    db.session.commit()
    response = submit(client, "/register", form(places, email="nobody", phone="x",
                                                password="password", repeat="password"))
    page = text(response)
    assert "Enter an e-mail address like name@example.cn." in page
    assert "Enter a phone number of 5 to 20 digits, spaces, hyphens or a leading +." in page
    assert "This password is among the most common ones; choose another." in page


def test_registering_shares_the_sign_in_rate_limit(app, client, places, english):
    app.config["RATE_LIMIT_LOGIN"] = "2 per minute"
    db.session.commit()
    bad = form(places, password="short", repeat="short")
    assert submit(client, "/register", bad).status_code == 200
    assert submit(client, "/register", bad).status_code == 200
    assert submit(client, "/register", bad).status_code == 429
    assert users() == []


def test_a_signed_in_user_is_sent_home(app, client, make, english):
    from ..pages import login

    user = make.user()
    make.commit()
    login(client, user)
    response = client.get("/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_page_links_to_log_in_keeping_next(app, client, places, english):
    db.session.commit()
    html = client.get("/register?next=/me/bookings").get_data(as_text=True)
    assert 'href="/login?next=/me/bookings"' in html
