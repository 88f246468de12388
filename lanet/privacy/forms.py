"""The erasure's confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.validators import DataRequired

from lanet.accounts.forms import CleanForm


class EraseForm(CleanForm):
    confirm = BooleanField(
        _l("I understand that the personal data cannot be recovered."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
