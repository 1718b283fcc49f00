"""The district console's forms: shape only (required, types, choices). The services hold every
rule; `MESSAGES` words the codes they refuse with, beside the account forms' own."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Optional

from ..accounts.forms import field_message, optional_int
from ..labels import UNIT_TYPES

# (field, code) → message; anything else falls back to the account forms' messages.
MESSAGES: dict[Any, Any] = {
    ("name", "taken"): _l("This name is already taken here."),
    ("email", "already_manager"): _l("This person already manages the unit."),
    ("reason", "required"): _l("Please give a reason."),
    ("counterparty", "one_counterparty_required"): _l(
        "Choose the counterparty: one community or the street."),
    ("valid_until", "before_valid_from"): _l("The last day cannot be before the first day."),
    ("valid_until", "after_current_end"): _l(
        "The agreement already ends earlier; ending it later would extend it. Edit it instead."),
    ("committed_hours_per_week", "out_of_range"): _l(
        "Enter the committed hours per week, between 0 and 10000."),
    ("document", "not_pdf"): _l("This file is not a PDF document."),
    ("document", "too_large"): _l("The PDF may be at most 10 MB."),
    ("document", "required"): _l("The file is empty."),
    ("user", "self"): _l("You cannot change your own district admin right."),
    ("user", "not_suspended"): _l("This user’s booking rights are not suspended."),
    ("status", "not_pending"): _l("Only a pending organization can be approved."),
    ("status", "already_suspended"): _l("This organization is already suspended."),
    ("status", "not_suspended"): _l("This organization is not suspended."),
    ("invitation", "closed"): _l("This invitation is no longer open."),
    ("invitation", "other_account"): _l(
        "This invitation is for another e-mail address than the one you are signed in with."),
}
# Service field names that a form calls otherwise.
FORM_FIELDS = {"community_id": "counterparty"}


def message(field: str, code: str, *, limit: int | None = None) -> str:
    found = MESSAGES.get((field, code))
    return str(found) if found is not None else field_message(field, code, limit=limit)


def unit_type_choices(placeholder=None) -> list[SelectChoice]:
    choices = [SelectChoice("", placeholder)] if placeholder is not None else []
    return choices + [SelectChoice(code, label) for code, label in UNIT_TYPES.items()]


def optional_str(value: Any) -> str | None:
    return value or None


class NameForm(FlaskForm):
    """A new street, or a street's or community's new name."""

    name = StringField(_l("Name"), validators=[DataRequired()])


class CommunityForm(FlaskForm):
    name = StringField(_l("Name of the community"), validators=[DataRequired()])
    street = SelectField(_l("Street"), coerce=optional_int, choices=[],
                         validators=[InputRequired(_l("Choose a street."))])


class UnitForm(FlaskForm):
    name = StringField(_l("Name of the unit"), validators=[DataRequired()])
    type = SelectField(_l("Type"), choices=unit_type_choices(),
                       validators=[InputRequired()])
    community = SelectField(_l("Community"), coerce=optional_int, choices=[],
                            validators=[InputRequired(_l("Choose the unit’s community."))])
    address = StringField(_l("Address"))
    contact_name = StringField(_l("Contact person"))
    contact_phone = TelField(_l("Contact phone"))
    description = TextAreaField(_l("Description"))


class ManagerForm(FlaskForm):
    email = EmailField(_l("E-mail of the manager"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Please give a reason."))])


class AgreementForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=optional_int, choices=[],
                       validators=[InputRequired(_l("Choose the unit."))])
    # "community:<id>" or "street:<id>"; the choices are set by the view.
    counterparty = SelectField(_l("Counterparty"), choices=[],
                               validators=[InputRequired(_l(
                                   "Choose the counterparty: one community or the street."))])
    signed_on = DateField(_l("Signed on"), validators=[InputRequired(_l("Enter a date."))])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired(_l("Enter a date."))])
    valid_until = DateField(_l("Valid until (optional)"), validators=[Optional()])
    committed_hours_per_week = DecimalField(
        _l("Committed open hours per week"), places=2,
        validators=[InputRequired(_l("Enter the committed hours per week."))])
    notes = TextAreaField(_l("Notes (optional)"))
    document = FileField(_l("Signed agreement (PDF, at most 10 MB)"))
    remove_document = BooleanField(_l("Remove the attached PDF"))


class EndAgreementForm(FlaskForm):
    valid_until = DateField(_l("Last valid day"), validators=[InputRequired(_l("Enter a date."))])


class InvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired()])
    phone = TelField(_l("Phone (optional)"))
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    repeat = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
