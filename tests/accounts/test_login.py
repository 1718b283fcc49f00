"""Signing in and out: wrong passwords, remember me, the safe `next`, CSRF."""

from __future__ import annotations

import pytest

from ..pages import set_language, submit, text


@pytest.fixture
def li(app, make, client):
    user = make.user(email="li@example.cn")
    make.commit()
    set_language(client, "en")
    return user


def signed_in(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_the_right_password_signs_in_and_goes_home(li, client):
    response = submit(client, "/login", {"email": "LI@example.cn", "password": "correct-horse"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in(client) == li.get_id()


def test_a_wrong_password_is_refused_on_the_form(li, client):
    response = submit(client, "/login", {"email": "li@example.cn", "password": "wrong-horse"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ('<div class="invalid-feedback d-block" id="password-error">Wrong e-mail or '
            'password.</div>') in html
    assert 'aria-describedby="password-error"' in html
    assert 'value="li@example.cn"' in html
    assert signed_in(client) is None


def test_an_unknown_address_gets_the_same_answer(li, client):
    response = submit(client, "/login", {"email": "wang@example.cn", "password": "correct-horse"})
    assert response.status_code == 200
    assert "Wrong e-mail or password." in text(response)
    assert signed_in(client) is None


def test_remember_me_sets_the_remember_cookie(li, client):
    response = submit(client, "/login", {"email": "li@example.cn", "password": "correct-horse",
                                         "remember": "y"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") for c in cookies)


def test_without_remember_me_there_is_no_remember_cookie(li, client):
    response = submit(client, "/login", {"email": "li@example.cn", "password": "correct-horse"})
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token=") for c in cookies)


def test_an_inside_next_is_followed(li, client):
    response = submit(client, "/login?next=/me/bookings",
                      {"email": "li@example.cn", "password": "correct-horse"}, page="/login")
    assert response.headers["Location"] == "/me/bookings"


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)", "evil.example"])
def test_an_outside_next_goes_home(li, client, target):
    response = submit(client, "/login", {"email": "li@example.cn", "password": "correct-horse"},
                      query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in(client) == li.get_id()


def test_the_page_offers_remember_me_and_registering(li, client):
    response = client.get("/login?next=/me/bookings")
    html = response.get_data(as_text=True)
    assert '<label class="form-check-label" for="remember">Remember me</label>' in html
    assert 'href="/register?next=/me/bookings"' in html
    assert "No account yet? Register as a resident" in text(response)


def test_logging_out_needs_the_csrf_token(li, client):
    submit(client, "/login", {"email": "li@example.cn", "password": "correct-horse"})
    assert client.post("/logout").status_code == 400
    assert signed_in(client) == li.get_id()
    response = submit(client, "/logout", {}, page="/account")
    assert response.status_code == 302
    assert signed_in(client) is None
