"""The account and organization forms: shape only (required, types, choices); the services in
accounts.services hold every rule, and `FIELD_MESSAGES` words the codes they refuse with."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from ..labels import ORGANIZATION_KINDS
from .models import MemberRole

# (field, code) → message; a code alone is the fallback for any field.
FIELD_MESSAGES: dict[Any, Any] = {
    ("email", "invalid"): _l("Enter an e-mail address like name@example.cn."),
    ("email", "taken"): _l("An account with this e-mail address already exists."),
    ("email", "no_such_user"): _l("Nobody has an account with this e-mail address."),
    ("email", "already_member"): _l("This person is already a member."),
    ("phone", "invalid"): _l(
        "Enter a phone number of 5 to 20 digits, spaces, hyphens or a leading +."),
    ("community", "required"): _l("Choose the community you live in."),
    ("community", "invalid"): _l("Choose a community from the list."),
    ("current_password", "wrong"): _l("This is not your current password."),
    ("role", "last_admin"): _l("The organization needs at least one admin."),
    ("member", "last_admin"): _l(
        "The organization needs at least one admin: make someone else an admin first."),
    "required": _l("This field is required."),
    "invalid": _l("Not a valid value."),
    # The password policy (accounts.services.password_problem).
    "too_short": _l("Use at least 8 characters."),
    "all_digits": _l("Use letters or symbols too, not only digits."),
    "repeated": _l("Do not repeat a single character."),
    "like_email": _l("Do not use your e-mail address as your password."),
    "like_phone": _l("Do not use your phone number as your password."),
    "common": _l("This password is among the most common ones; choose another."),
    "unchanged": _l("Choose a password different from your current one."),
}


def field_message(field: str, code: str, *, limit: int | None = None) -> str:
    """The message for a field refused with `code`; `limit` is the field's maximum length."""
    if code == "too_long" and limit is not None:
        return str(_l("Use at most %(n)d characters.", n=limit))
    return str(FIELD_MESSAGES.get((field, code)) or FIELD_MESSAGES.get(code)
               or _l("Not a valid value."))


def optional_int(value: Any) -> int | None:
    """"" (nothing chosen) is None; anything else must be an id."""
    if value in (None, ""):
        return None
    return int(value)


def community_choices(groups, *, placeholder) -> list[SelectChoice]:
    """A placeholder, then every community under its street (an <optgroup> each)."""
    choices = [SelectChoice("", placeholder)]
    for street, communities in groups:
        choices += [SelectChoice(c.id, c.name, optgroup=street.name) for c in communities]
    return choices


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))


class RegisterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    phone = TelField(_l("Phone (optional)"))
    # Choices (communities by street) are set by the view.
    community = SelectField(_l("Community you live in"), coerce=optional_int, choices=[],
                            validators=[InputRequired(FIELD_MESSAGES[("community", "required")])])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    repeat = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


LOCALE_CHOICES = [SelectChoice("", _l("As my browser asks")), SelectChoice("zh", "中文"),
                  SelectChoice("en", "English")]


def optional_str(value: Any) -> str | None:
    return value or None


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    phone = TelField(_l("Phone (optional)"))
    community = SelectField(_l("Community you live in"), coerce=optional_int, choices=[])
    locale = SelectField(_l("Language"), coerce=optional_str, choices=LOCALE_CHOICES)


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    repeat = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])


KIND_CHOICES = [SelectChoice(code, label) for code, label in ORGANIZATION_KINDS.items()]


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name of the organization"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validators=[InputRequired()])
    community = SelectField(_l("Community"), coerce=optional_int, choices=[],
                            validators=[InputRequired(_l("Choose the organization's community."))])
    description = TextAreaField(_l("What the organization does (optional)"))


ROLE_CHOICES = [SelectChoice(MemberRole.MEMBER.value, _l("Member")),
                SelectChoice(MemberRole.ADMIN.value, _l("Admin"))]


class AddMemberForm(FlaskForm):
    email = EmailField(_l("E-mail of the new member"), validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=MemberRole.MEMBER.value,
                       validators=[InputRequired()])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (remove a member, leave)."""
