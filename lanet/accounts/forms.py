"""Forms of the accounts pages; every POST form carries the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from lanet.accounts.passwords import MIN_LENGTH
from lanet.core.forms import LanetForm

# Database ids are 32-bit on PostgreSQL; a larger number names nothing.
MAX_ID = 2**31 - 1


def _int_or_none(value: object) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number <= MAX_ID else None


class CleanForm(LanetForm):
    """Refuses NUL characters, which no name or address has and PostgreSQL cannot store."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and "\x00" in field.data:
                field.errors = [*field.errors, _l("Remove the control characters.")]
                valid = False
        return valid


class LoginForm(CleanForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ForgotPasswordForm(CleanForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class SetPasswordForm(CleanForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=1024)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


def role_choices() -> list[tuple[str, str]]:
    return [
        ("organizer", _l("Organizer of an event")),
        ("focal_point", _l("Focal point of a country")),
        ("staff", _l("Technical Secretariat (staff)")),
    ]


class RoleForm(CleanForm):
    role = SelectField(_l("Role"), choices=role_choices(), validators=[DataRequired()])
    event_id = SelectField(_l("Event"), coerce=_int_or_none, validators=[Optional()])
    country_code = SelectField(_l("Country"), validators=[Optional()])

    def set_choices(self, events: list[tuple[int, str]], countries: list[tuple[str, str]]) -> None:
        self.event_id.choices = [("", "—")] + [(str(i), t) for i, t in events]
        self.country_code.choices = [("", "—")] + countries


class InviteUserForm(RoleForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=120)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=120)])
    language = SelectField(
        _l("Language of the invitation"),
        choices=[("es", "Español"), ("pt", "Português"), ("en", "English")],
    )


class ConfirmForm(CleanForm):
    """A button that changes something: only the CSRF token travels."""
