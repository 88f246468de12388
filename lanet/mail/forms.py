"""The staff outbox page's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from lanet.core.forms import LanetForm
from lanet.core.text import WholeNumberField
from lanet.mail.models import OutboxStatus

STATUS_LABELS = {
    OutboxStatus.pending: _l("Pending"),
    OutboxStatus.sending: _l("Sending"),
    OutboxStatus.sent: _l("Sent"),
    OutboxStatus.failed: _l("Failed"),
}


class OutboxFilterForm(LanetForm):
    """Read from the query string; a filter changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[("", _l("All"))] + [(s.value, label) for s, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    event_id = WholeNumberField(_l("Event"), validators=[Optional(), NumberRange(min=1)])
    recipient = StringField(_l("Recipient"), validators=[Optional(), Length(max=254)])
    page = WholeNumberField(validators=[Optional(), NumberRange(min=1)], maximum=100000)


class ResendForm(LanetForm):
    """Only the CSRF token: the message is named in the URL."""
