"""Forms of the check-in page, the sign-in sheet import and the summary subscriptions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from lanet.attendance.models import SummaryFrequency
from lanet.core.forms import LanetForm

FREQUENCY_LABELS = {
    SummaryFrequency.event_end: _l("After each event ends"),
    SummaryFrequency.weekly: _l("Every week"),
    SummaryFrequency.year_end: _l("At the end of the year"),
}


class CheckInForm(LanetForm):
    code = StringField(
        _l("Check-in code"),
        validators=[DataRequired(message=_l("Scan or type a check-in code.")), Length(max=80)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    day = SelectField(_l("Day"), validate_choice=True)
    nonce = HiddenField(validators=[Optional(), Length(max=64)])


class DayForm(LanetForm):
    """The check-in page's day switch: a GET form, so the whole page (tally, list, scans) is
    that day's; a script submits it on change, its button does so without script."""

    class Meta:
        csrf = False

    day = SelectField(_l("Check-in day"))


class ManualCheckInForm(LanetForm):
    registration_id = HiddenField(validators=[DataRequired()])
    day = SelectField(_l("Day"), validate_choice=True)


class ImportForm(LanetForm):
    sheet = FileField(
        _l("Sign-in sheet (CSV or XLSX)"),
        validators=[
            FileRequired(message=_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], message=_l("Upload a CSV or XLSX file.")),
        ],
    )


class SubscriptionForm(LanetForm):
    frequencies = SelectMultipleField(
        _l("Send me attendance summaries"),
        choices=[(value.value, label) for value, label in FREQUENCY_LABELS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validate_choice=True,
    )


class SendSummaryForm(LanetForm):
    """The totals page's "send a summary now": one event (a searchable field: the list of
    events is long) or a span of days, to oneself or also to the subscribed staff."""

    event = StringField(
        _l("Event"),
        validators=[Optional(), Length(max=200)],
        render_kw={"list": "summary-events", "autocomplete": "off"},
        description=_l("Type part of the title and choose it from the list."),
    )
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    to_subscribers = BooleanField(_l("Also send it to the staff subscribed to summaries"))
