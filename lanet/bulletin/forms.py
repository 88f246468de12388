"""The bulletin's staff and public forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from lanet.bulletin.content import MAX_MARKDOWN
from lanet.bulletin.labels import KIND_LABELS, LANGUAGE_NAMES
from lanet.core.forms import LanetForm

LANGUAGE_CHOICES = list(LANGUAGE_NAMES.items())


def kind_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in KIND_LABELS.items()]


class NewBulletinForm(LanetForm):
    start = DateField(_l("First day of the period"), validators=[InputRequired()])
    end = DateField(_l("Last day of the period"), validators=[InputRequired()])


class EditForm(LanetForm):
    title = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        _l("Text (Markdown)"), validators=[DataRequired(), Length(max=MAX_MARKDOWN)]
    )


class TestSendForm(LanetForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class SendForm(LanetForm):
    list_id = SelectField(_l("Distribution list"), coerce=int, validate_choice=True)


class ButtonForm(LanetForm):
    """A button with CSRF protection."""


class ContactForm(LanetForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=250)])
    country = SelectField(_l("Country"), validate_choice=True)
    institution = StringField(_l("Institution"), validators=[Optional(), Length(max=300)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    kind = SelectField(_l("Kind of contact"), choices=kind_choices)


class ImportForm(LanetForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("A .csv file, please."))],
    )


class ListForm(LanetForm):
    name = StringField(_l("Name of the list"), validators=[DataRequired(), Length(max=200)])
    countries = SelectMultipleField(_l("Countries (none: all)"), validate_choice=True)
    kinds = SelectMultipleField(_l("Kinds of contact (none: all)"), choices=kind_choices)


class SubscribeForm(LanetForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=250)])
    country = SelectField(_l("Country"), validate_choice=True)
    institution = StringField(_l("Institution"), validators=[Optional(), Length(max=300)])
    language = SelectField(_l("Language of the bulletin"), choices=LANGUAGE_CHOICES)
    consent = BooleanField(
        _l(
            "I agree that LANET keeps my address to send me the Network's bulletin, until I "
            "unsubscribe."
        ),
        validators=[DataRequired(_l("Tick the box to subscribe."))],
    )
