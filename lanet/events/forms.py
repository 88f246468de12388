"""Forms of the events workspace: an event's settings, moving, cancelling, series."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lanet.core.boundary import parse_int
from lanet.core.forms import LanetForm
from lanet.core.text import WholeNumberField
from lanet.events.labels import KIND_LABELS
from lanet.events.validation import EventInput, valid_timezone

LANGUAGE_NAMES = {"es": "Español", "pt": "Português", "en": "English"}


def mode_choices() -> list[tuple[str, str]]:
    return [
        ("in_person", _l("In person")),
        ("online", _l("Online")),
        ("hybrid", _l("Hybrid (in person and online)")),
    ]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    # ASCII digits within the database's integer range: '²' and 400-digit ids are a choice error.
    number = parse_int(value, minimum=1)
    if number is None:
        raise ValueError("not a known id")
    return number


class EventForm(LanetForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    cycle_id = SelectField(_l("Series and cycle"), coerce=_optional_int, validate_choice=False)
    part_number = WholeNumberField(_l("Part"), validators=[Optional(), NumberRange(min=1, max=12)])
    title_es = StringField(_l("Title in Spanish"), validators=[Length(max=300)])
    title_pt = StringField(_l("Title in Portuguese"), validators=[Length(max=300)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=300)])
    slug = StringField(_l("Address (slug)"), validators=[Length(max=80)])
    description_es = TextAreaField(_l("Description in Spanish"), validators=[Length(max=20000)])
    description_pt = TextAreaField(_l("Description in Portuguese"), validators=[Length(max=20000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=20000)])
    audience_es = StringField(_l("Audience in Spanish"), validators=[Length(max=2000)])
    audience_pt = StringField(_l("Audience in Portuguese"), validators=[Length(max=2000)])
    audience_en = StringField(_l("Audience in English"), validators=[Length(max=2000)])
    attendance_mode = SelectField(_l("Format"), default="in_person")
    venue = StringField(_l("Venue"), validators=[Length(max=300)])
    city = StringField(_l("City"), validators=[Length(max=120)])
    country_code = SelectField(_l("Country"), validate_choice=False)
    online_url = StringField(_l("Join link (online)"), validators=[Length(max=500)])
    timezone = StringField(_l("Time zone"), validators=[Length(max=64)])
    start_date = DateField(_l("First day"), validators=[InputRequired()])
    end_date = DateField(_l("Last day"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at (short events)"), validators=[Optional()])
    end_time = TimeField(_l("Ends at"), validators=[Optional()])
    capacity = WholeNumberField(_l("Capacity (seats)"), validators=[Optional()])
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    requires_approval = BooleanField(_l("Registrations need approval"))
    languages = MultiCheckboxField(
        _l("Languages"), choices=list(LANGUAGE_NAMES.items()), default=["es"]
    )
    is_public = BooleanField(_l("Listed publicly (otherwise unlisted)"), default=True)
    supporters = SelectMultipleField(
        _l("Supporting organizations"), coerce=int, validate_choice=False
    )
    organizers = SelectMultipleField(_l("Organizers"), coerce=int, validate_choice=False)
    copy_from = HiddenField()

    # Service field names that show on another form field.
    FIELD_FOR = {
        "title": "title_en",
        "status": "kind",
        "event": "kind",
        "source": "kind",
    }

    def local_window(self, name: str, timezone: str) -> datetime | None:
        value = getattr(self, name).data
        if value is None or not valid_timezone(timezone):
            return None
        return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)

    def fill_from(self, data: EventInput, quotas_out: dict[str, int]) -> None:
        """The form's fields from an event's input (edit and copy)."""
        self.kind.data = data.kind
        self.cycle_id.data = data.cycle_id
        self.part_number.data = data.part_number
        translations = data.title_translations or {}
        for language in LANGUAGE_NAMES:
            getattr(self, f"title_{language}").data = translations.get(language, "")
            getattr(self, f"description_{language}").data = (
                data.description_translations or {}
            ).get(language, "")
            getattr(self, f"audience_{language}").data = (data.audience_translations or {}).get(
                language, ""
            )
        if not self.title_en.data and not any(translations.values()):
            self.title_en.data = data.title
        self.slug.data = data.slug
        self.attendance_mode.data = data.attendance_mode
        self.venue.data, self.city.data = data.venue, data.city
        self.country_code.data = data.country_code or ""
        self.online_url.data = data.online_url
        self.timezone.data = data.timezone
        self.start_date.data, self.end_date.data = data.start_date, data.end_date
        self.start_time.data, self.end_time.data = data.start_time, data.end_time
        self.capacity.data = data.capacity
        zone = ZoneInfo(data.timezone) if valid_timezone(data.timezone) else UTC
        for name in ("registration_opens_at", "registration_closes_at"):
            moment = getattr(data, name)
            getattr(self, name).data = (
                moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
                if moment
                else None
            )
        self.requires_approval.data = data.requires_approval
        self.languages.data = list(data.languages)
        self.is_public.data = data.is_public
        self.supporters.data = list(data.supporters)
        quotas_out.update(data.quotas)

    def to_input(self, quotas: dict[str, int], proposed_timezone: str | None) -> EventInput:
        titles = {
            language: (getattr(self, f"title_{language}").data or "").strip()
            for language in LANGUAGE_NAMES
        }
        timezone = (self.timezone.data or "").strip() or proposed_timezone or ""
        return EventInput(
            kind=self.kind.data,
            title=titles.get("en") or titles.get("es") or titles.get("pt") or "",
            title_translations=titles,
            description_translations={
                language: getattr(self, f"description_{language}").data or ""
                for language in LANGUAGE_NAMES
            },
            audience_translations={
                language: getattr(self, f"audience_{language}").data or ""
                for language in LANGUAGE_NAMES
            },
            slug=(self.slug.data or "").strip() or None,
            attendance_mode=self.attendance_mode.data,
            venue=self.venue.data,
            city=self.city.data,
            country_code=self.country_code.data or None,
            online_url=self.online_url.data,
            timezone=timezone,
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            capacity=self.capacity.data,
            quotas=quotas,
            registration_opens_at=self.local_window("registration_opens_at", timezone),
            registration_closes_at=self.local_window("registration_closes_at", timezone),
            requires_approval=bool(self.requires_approval.data),
            languages=list(self.languages.data or []),
            is_public=bool(self.is_public.data),
            supporters=list(self.supporters.data or []),
            cycle_id=self.cycle_id.data,
            part_number=self.part_number.data if self.cycle_id.data else None,
        )

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            if name == "quotas":
                continue  # shown above the quotas table
            field = getattr(self, self.FIELD_FOR.get(name, name), None)
            if field is None:
                field = self.kind
            field.errors = [*list(field.errors or []), str(message)]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, label) for kind, label in KIND_LABELS.items()]


class MoveForm(LanetForm):
    start_date = DateField(_l("New first day"), validators=[InputRequired()])
    end_date = DateField(_l("New last day"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts at"), validators=[Optional()])
    end_time = TimeField(_l("Ends at"), validators=[Optional()])
    confirm = HiddenField()


class CancelForm(LanetForm):
    reason_es = TextAreaField(_l("Reason in Spanish"), validators=[Length(max=2000)])
    reason_pt = TextAreaField(_l("Reason in Portuguese"), validators=[Length(max=2000)])
    reason_en = TextAreaField(_l("Reason in English"), validators=[Length(max=2000)])
    confirm = HiddenField()

    def reasons(self) -> dict[str, str]:
        return {
            language: (getattr(self, f"reason_{language}").data or "").strip()
            for language in LANGUAGE_NAMES
            if (getattr(self, f"reason_{language}").data or "").strip()
        }


class StatusForm(LanetForm):
    action = HiddenField(validators=[DataRequired()])


class SeriesForm(LanetForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name_es = StringField(_l("Name in Spanish"), validators=[Length(max=300)])
    name_pt = StringField(_l("Name in Portuguese"), validators=[Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[Length(max=300)])
    parts_per_cycle = WholeNumberField(
        _l("Parts per cycle"), default=2, validators=[InputRequired(), NumberRange(min=1, max=12)]
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])


class OrganizerForm(LanetForm):
    user_id = SelectField(_l("An existing user"), coerce=_optional_int, validate_choice=False)
    email = EmailField(_l("Or invite by email"), validators=[Optional(), Email(), Length(max=254)])
    first_name = StringField(_l("First name"), validators=[Length(max=120)])
    last_name = StringField(_l("Last name"), validators=[Length(max=120)])
    language = SelectField(
        _l("Language of the invitation"), choices=list(LANGUAGE_NAMES.items()), default="es"
    )


class CopyForm(LanetForm):
    source = SelectField(_l("Copy from"), validate_choice=False)
    start_date = DateField(_l("New first day"), validators=[InputRequired()])


def parse_quotas(form_data, countries: list[str]) -> tuple[dict[str, int], str | None]:
    """The quotas table: one number per country (blank = no quota); an error names a row."""
    quotas: dict[str, int] = {}
    for code in countries:
        raw = (form_data.get(f"quota-{code}") or "").strip()
        if not raw:
            continue
        seats = parse_int(raw, maximum=100_000)
        if seats is None:
            return quotas, code
        quotas[code] = seats
    return quotas, None


def today() -> date:
    return datetime.now(UTC).date()
