"""Registration, private-link, organizer and focal-point forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from lanet.core.boundary import parse_int
from lanet.core.forms import LanetForm
from lanet.core.text import OneLine
from lanet.network.models import InstitutionKind

LANGUAGE_CHOICES = [("es", "Español"), ("pt", "Português"), ("en", "English")]


def role_choices() -> list[tuple[str, str]]:
    return list(_ROLE_CHOICES)


def institution_kind_choices() -> list[tuple[str, str]]:
    return list(_INSTITUTION_KIND_CHOICES)


# Built once: the labels are lazy strings, translated when shown, in the page's language. The
# fields take these lists rather than the functions: WTForms calls a choices function on
# every form (after inspecting its signature), ~1–2 % of a registration's CPU (issue 16).
_ROLE_CHOICES = [
    ("participant", _l("Participant")),
    ("observer", _l("Observer")),
    ("speaker", _l("Speaker")),
    ("instructor", _l("Instructor")),
]
_INSTITUTION_KIND_LABELS = {
    "ministry_foreign_affairs": _l("Ministry of foreign affairs"),
    "ministry_defense": _l("Ministry of defense"),
    "ministry_justice": _l("Ministry of justice"),
    "ombudsman": _l("Ombudsman's office"),
    "security_forces": _l("Security forces"),
    "other_government": _l("Other government"),
    "civil_society": _l("Civil society"),
    "academia": _l("Academia"),
    "international_organization": _l("International organization"),
}
_INSTITUTION_KIND_CHOICES = [
    (kind.value, _INSTITUTION_KIND_LABELS[kind.value]) for kind in InstitutionKind
]


def _optional_int(value: str | None) -> int | None:
    return parse_int(value, minimum=1)


class InstitutionFields:
    """An institution chosen from the list, or a new one named."""

    def validate_institution(self, field) -> None:
        valid = {value for value, _label in field.choices}
        if field.data is not None and field.data not in valid:
            raise ValidationError(_l("Choose an institution from the list."))
        if field.data is None and not (self.new_institution_name.data or "").strip():
            raise ValidationError(_l("Choose your institution or type its name."))
        if field.data is None and not (self.new_institution_name.data or "").strip():
            raise ValidationError(_l("Choose your institution or type its name."))


class RegistrationForm(InstitutionFields, LanetForm):
    first_name = StringField(
        _l("First name"), validators=[DataRequired(), Length(max=120), OneLine()]
    )
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(), Length(max=120), OneLine()]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    institution = SelectField(_l("Institution"), coerce=_optional_int, validate_choice=False)
    new_institution_name = StringField(
        _l("Or the name of your institution, if it is not listed"),
        validators=[Optional(), Length(max=300), OneLine()],
    )
    new_institution_kind = SelectField(
        _l("Kind of institution"), choices=_INSTITUTION_KIND_CHOICES, default="other_government"
    )
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200), OneLine()])
    language = SelectField(_l("Language for emails"), choices=LANGUAGE_CHOICES)
    role = SelectField(_l("I take part as"), choices=_ROLE_CHOICES, default="participant")
    consent = BooleanField(
        _l("I agree that the Network processes my data to organize this event."),
        validators=[InputRequired(message=_l("Registration needs your consent."))],
    )
    invitation = HiddenField()


class ChangeForm(InstitutionFields, LanetForm):
    institution = SelectField(_l("Institution"), coerce=_optional_int, validate_choice=False)
    new_institution_name = StringField(
        _l("Or the name of your institution, if it is not listed"),
        validators=[Optional(), Length(max=300), OneLine()],
    )
    new_institution_kind = SelectField(
        _l("Kind of institution"), choices=_INSTITUTION_KIND_CHOICES, default="other_government"
    )
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200), OneLine()])
    language = SelectField(_l("Language for emails"), choices=LANGUAGE_CHOICES)


class ConfirmForm(LanetForm):
    """A button with CSRF protection (cancel, accept an offer, decline an invitation)."""


class DecisionForm(LanetForm):
    reason = TextAreaField(_l("Reason (sent to the registrant)"), validators=[Length(max=2000)])


class InviteForm(LanetForm):
    emails = TextAreaField(
        _l("Email addresses (one per line, or separated by commas)"),
        validators=[DataRequired(), Length(max=100_000)],
    )
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)


class ReminderScheduleForm(LanetForm):
    reminder_days = StringField(
        _l("Remind those who have not answered, days before registration closes"),
        validators=[Length(max=40)],
        description=_l("For example 7, 2. Leave empty for reminders only from the button."),
    )


class InviteCsvForm(LanetForm):
    file = FileField(
        _l("CSV file (email, language)"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("A .csv file, please."))],
    )


class NominationForm(LanetForm):
    event = SelectField(_l("Event"), coerce=_optional_int, validate_choice=False)
    first_name = StringField(
        _l("First name"), validators=[DataRequired(), Length(max=120), OneLine()]
    )
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(), Length(max=120), OneLine()]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    institution = StringField(
        _l("Institution"), validators=[Optional(), Length(max=300), OneLine()]
    )
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200), OneLine()])
    language = SelectField(_l("Language for emails"), choices=LANGUAGE_CHOICES)

    def validate_event(self, field) -> None:
        valid = {value for value, _label in field.choices}
        if field.data not in valid:
            raise ValidationError(_l("Choose an event from the list."))


class NominationCsvForm(LanetForm):
    event = SelectField(_l("Event"), coerce=_optional_int, validate_choice=False)
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("A .csv file, please."))],
    )

    def validate_event(self, field) -> None:
        valid = {value for value, _label in field.choices}
        if field.data not in valid:
            raise ValidationError(_l("Choose an event from the list."))
