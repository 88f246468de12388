"""Forms of the organizers' agenda editor."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from lanet.agenda.labels import ITEM_KIND_LABELS
from lanet.core.forms import LanetForm


class AgendaItemForm(LanetForm):
    kind = SelectField(_l("Kind"), choices=list(ITEM_KIND_LABELS.items()), default="session")
    day = DateField(_l("Day"), validators=[InputRequired(_l("Give the day."))])
    start = TimeField(_l("Start"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("End"), validators=[InputRequired(_l("Give the end time."))])
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("A title is required.")), Length(max=300)]
    )
    room = StringField(_l("Room"), validators=[Optional(), Length(max=120)])
    speakers = TextAreaField(
        _l("Speakers"),
        validators=[Optional(), Length(max=4000)],
        description=_l("One per line: Name (Institution) <email>; institution and email optional."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)])


class ImportForm(LanetForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    replace = BooleanField(_l("Replace the whole draft"))


class ActionForm(LanetForm):
    """Publishing and deleting: a POST with the CSRF token and nothing else."""
