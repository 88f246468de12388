"""Forms of the certificate pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lanet.core.forms import LanetForm
from lanet.core.text import WholeNumberField

LANGUAGE_LABELS = {"es": "Español", "pt": "Português", "en": "English"}


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TemplateForm(LanetForm):
    title_es = StringField(_l("Title (Español)"), validators=[Length(max=200)])
    body_es = TextAreaField(_l("Text (Español)"), validators=[Length(max=2000)])
    title_pt = StringField(_l("Title (Português)"), validators=[Length(max=200)])
    body_pt = TextAreaField(_l("Text (Português)"), validators=[Length(max=2000)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=200)])
    body_en = TextAreaField(_l("Text (English)"), validators=[Length(max=2000)])
    issuer = StringField(_l("Issuer"), validators=[DataRequired(), Length(max=300)])
    min_share = WholeNumberField(
        _l("Share of the days to attend (%)"),
        default=75,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    hours_per_day = WholeNumberField(
        _l("Hours per day attended"),
        default=8,
        validators=[InputRequired(), NumberRange(min=0, max=24)],
    )
    roles = _Checkboxes(
        _l("Who receives one"),
        choices=[("participant", _l("Participants")), ("instructor", _l("Instructors"))],
        default=["participant", "instructor"],
    )


class ImageForm(LanetForm):
    kind = SelectField(
        _l("Kind"),
        choices=[("logo", _l("Logo")), ("signature", _l("Signature"))],
        validate_choice=True,
    )
    image = FileField(
        _l("Image (PNG or JPEG)"), validators=[FileRequired(_l("Choose an image file."))]
    )
    signer_name = StringField(_l("Signer's name"), validators=[Optional(), Length(max=200)])
    signer_position = StringField(_l("Signer's position"), validators=[Optional(), Length(max=200)])


class DecisionForm(LanetForm):
    person_id = HiddenField(validators=[DataRequired()])
    decision = SelectField(
        _l("Decision"),
        choices=[("add", _l("Give a certificate")), ("withhold", _l("Withhold the certificate"))],
        validate_choice=True,
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ClearDecisionForm(LanetForm):
    person_id = HiddenField(validators=[DataRequired()])


class WithdrawForm(LanetForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ProduceForm(LanetForm):
    pass


class VerifyForm(LanetForm):
    class Meta:
        csrf = False  # a public lookup that changes nothing

    code = StringField(
        _l("Certificate code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
