"""The unit desk's forms: shape only (the services decide every rule, e.g. that a rejection or a
manager's cancellation needs a reason)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from .services import REASON_MAX

OTHER = "other"
# The common reasons for refusing a request; "Other" leaves it to the free text.
REJECT_REASONS = (
    ("needed_by_unit", _l("The venue is needed by the unit")),
    ("purpose", _l("Purpose does not fit the venue")),
    ("attendees", _l("Too many attendees")),
    ("time", _l("The time does not suit the unit")),
    (OTHER, _l("Other")),
)
REASON_LABELS = dict(REJECT_REASONS)
NO_CHOICE = SelectChoice("", _l("Choose a reason"))


class BookingActionForm(FlaskForm):
    """A button on one booking: the revision it was shown with, and where to go back to."""

    revision = HiddenField()
    next = HiddenField()


class RejectForm(BookingActionForm):
    reason_choice = SelectField(
        _l("Reason"), validators=[Optional()],
        choices=[NO_CHOICE, *(SelectChoice(code, words) for code, words in REJECT_REASONS)])
    reason_text = TextAreaField(_l("Details for the booker"),
                                validators=[Length(max=REASON_MAX)])

    def reason(self) -> str:
        """The chosen reason's words (in the manager's language) and the details, if any."""
        parts = []
        choice = self.reason_choice.data or ""
        if choice in REASON_LABELS and choice != OTHER:
            parts.append(str(REASON_LABELS[choice]))
        details = (self.reason_text.data or "").strip()
        if details:
            parts.append(details)
        return " — ".join(parts)


class CancelForm(BookingActionForm):
    reason = TextAreaField(_l("Reason for the booker"), validators=[Length(max=REASON_MAX)])


class BulkApproveForm(FlaskForm):
    # The ids come from the checkboxes of the queue; the services decide on each.
    booking_ids = SelectMultipleField(coerce=int, validate_choice=False)
    next = HiddenField()
