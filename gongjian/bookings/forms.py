"""The venue page's booking form and the series page's form: shape only (types, lengths,
required); the services hold the rules."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .series import MAX_OCCURRENCES
from .services import TITLE_MAX

WEEKDAY_NAMES = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
WEEKDAYS = [SelectChoice(day, name) for day, name in enumerate(WEEKDAY_NAMES)]
INTERVALS = [SelectChoice(1, _l("Every week")), SelectChoice(2, _l("Every 2 weeks")),
             SelectChoice(3, _l("Every 3 weeks")), SelectChoice(4, _l("Every 4 weeks"))]


def optional_id(value: Any) -> int | None:
    """"" (no organization) is None; anything else must be an id."""
    if value in (None, ""):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SeriesForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    attendees = IntegerField(_l("Attendees"), validators=[InputRequired()])
    # Choices (the user's approved organizations) are set by the view.
    organization = SelectField(_l("Organization"), coerce=optional_id, choices=[])
    start_date = DateField(_l("First date"), validators=[InputRequired()])
    ends = RadioField(_l("Ends"), default="count", validators=[InputRequired()],
                      choices=[SelectChoice("count", _l("After a number of occurrences")),
                               SelectChoice("until", _l("On a date"))])
    until = DateField(_l("Last date"), validators=[Optional()])
    count = IntegerField(_l("Occurrences"),
                         validators=[Optional(), NumberRange(min=1, max=MAX_OCCURRENCES)])
    weekdays = MultiCheckboxField(_l("Weekdays"), coerce=int, choices=WEEKDAYS, validators=[
        DataRequired(message=_l("Choose at least one weekday."))])
    interval_weeks = SelectField(_l("Repeat"), coerce=int, choices=INTERVALS, default=1,
                                 validators=[InputRequired()])
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    end_time = TimeField(_l("End time"), validators=[InputRequired()])
    all_or_nothing = BooleanField(_l("Book only if every date is free"))
    preview = SubmitField(_l("Preview"))
    book = SubmitField(_l("Book the free dates"))

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        # Only the chosen end counts: it needs a value, and the other one is ignored.
        if self.ends.data in ("count", "until"):
            chosen, ignored = ((self.count, self.until) if self.ends.data == "count"
                               else (self.until, self.count))
            ignored.errors = []
            if chosen.data is None and not chosen.errors:
                chosen.errors = [_l("This field is required.")]
        return not self.errors

    def recurrence(self) -> dict[str, Any]:
        """The keyword arguments of preview_series/create_series that describe the pattern."""
        by_count = self.ends.data == "count"
        return {
            "start_date": self.start_date.data,
            "until": None if by_count else self.until.data,
            "count": self.count.data if by_count else None,
            "weekdays": list(self.weekdays.data),
            "interval_weeks": self.interval_weeks.data,
            "start_time": self.start_time.data.strftime("%H:%M"),
            "end_time": self.end_time.data.strftime("%H:%M"),
        }


# Browsers send HH:MM from a time input, HH:MM:SS when the step is under a minute.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


class BookingForm(FlaskForm):
    """One booking on the venue page: local date and times of day in the venue's zone.

    An end of 00:00 is midnight at the end of the date. The ids are the browser tests' hooks.
    """

    title = StringField(_l("Title"), id="booking-title",
                        validators=[DataRequired(), Length(max=TITLE_MAX)])
    attendees = IntegerField(_l("Attendees"), id="booking-attendees", default=1,
                             validators=[InputRequired()])
    # Choices ("myself" and the user's approved organizations) are set by the view.
    organization = SelectField(_l("Book for"), id="booking-organization", coerce=optional_id,
                               choices=[])
    date = DateField(_l("Date"), id="booking-date", validators=[InputRequired()])
    start = TimeField(_l("Start time"), id="booking-start", format=TIME_FORMATS,
                      validators=[InputRequired()])
    end = TimeField(_l("End time"), id="booking-end", format=TIME_FORMATS,
                    validators=[InputRequired()])
    submit = SubmitField(_l("Book"), id="booking-submit")
