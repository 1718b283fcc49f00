"""The account services: the password policy, phones, e-mails, the profile."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gongjian.accounts import services
from gongjian.accounts.models import User
from gongjian.demo import LOGINS
from gongjian.errors import InvalidInput
from gongjian.extensions import db

from ..conftest import NOW


@pytest.mark.parametrize("password", [
    "correct-horse", "s3cret-pass", "long-enough", "a-good-password", "manager-pass-1",
    *[password for _, password, _ in LOGINS.values()], "x" * 199 + "y", "上善若水，厚德载物",
])
def test_passwords_in_use_stay_acceptable(password):
    assert services.password_problem(password, email="li@example.cn",
                                     phone="13800138000") is None


@pytest.mark.parametrize(("password", "code"), [
    ("", "too_short"),
    ("abc-123", "too_short"),
    ("a" + "b" * 200, "too_long"),
    ("20261201", "all_digits"),
    ("１２３４５６７８９", "all_digits"),
    ("########", "repeated"),
    ("LiWeiWei@Example.CN", "like_email"),
    ("liweiwei", "like_email"),
    ("13800138000", "like_phone"),
    ("+86 138-0013-8000", "like_phone"),
    ("PASSWORD", "common"),
    ("Woaini1314", "common"),
    ("1qaz2wsx", "common"),
    ("abc12345", "common"),
    ("iloveyou", "common"),
])
def test_refused_passwords_are_named_by_their_rule(password, code):
    assert services.password_problem(password, email="liweiwei@example.cn",
                                     phone="+86 138-0013-8000") == code


@pytest.mark.parametrize("phone", ["13800138000", "+86 138 0013 8000", "010-6512-3456", "12345"])
def test_plausible_phones_are_accepted(app, phone):
    user = services.create_user(email="li@example.cn", password="spring-garden-9", name="李",
                                phone=f" {phone} ", now=NOW)
    assert user.phone == phone


@pytest.mark.parametrize("phone", ["1234", "1" * 21, "138.0013.8000", "+", "138 0013 80x0",
                                   "-13800138000", "13800138000+"])
def test_implausible_phones_are_refused(app, phone):
    with pytest.raises(InvalidInput) as refused:
        services.create_user(email="li@example.cn", password="spring-garden-9", name="李",
                             phone=phone, now=NOW)
    assert refused.value.details["fields"] == {"phone": "invalid"}


@pytest.mark.parametrize("email", ["li", "li@", "@example.cn", "li@example", "li wei@example.cn",
                                   "li@@example.cn", "l" * 250 + "@e.cn"])
def test_implausible_addresses_are_refused(app, email):
    with pytest.raises(InvalidInput) as refused:
        services.create_user(email=email, password="spring-garden-9", name="李", now=NOW)
    assert refused.value.details["fields"] == {"email": "invalid"}


def test_every_refused_field_is_named_and_nothing_is_written(app):
    with pytest.raises(InvalidInput) as refused:
        services.create_user(email="li@", password="password", name=" ", phone="x", now=NOW,
                             locale="fr")
    assert refused.value.details["fields"] == {"email": "invalid", "name": "required",
                                               "phone": "invalid", "password": "common",
                                               "locale": "invalid"}
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_registering_requires_a_community(app):
    with pytest.raises(InvalidInput) as refused:
        services.register_user(email="li@example.cn", password="spring-garden-9", name="李",
                               community=None, now=NOW)
    assert refused.value.details["fields"] == {"community": "required"}


def test_signing_in_ignores_the_case_of_the_address(app, make):
    user = make.user(email="li@example.cn")
    assert services.authenticate(" LI@Example.CN ", "correct-horse") is user
    assert services.authenticate("li@example.cn", "wrong-horse") is None
    assert services.authenticate("nobody@example.cn", "correct-horse") is None


def test_the_profile_refuses_an_unknown_language(app, make):
    user = make.user()
    with pytest.raises(InvalidInput) as refused:
        services.update_profile(user=user, name="李", phone="", community=None, locale="fr",
                                now=NOW)
    assert refused.value.details["fields"] == {"locale": "invalid"}
