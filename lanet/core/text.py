"""Checks on text people type: what no name, title or one-line field may contain."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import ValidationError

# C0 controls (CR, LF, TAB, NUL, ESC …), DEL, C1 controls and the Unicode line and paragraph
# separators: in a name they end header lines in emails, break CSV rows and calendar lines.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_MESSAGE = "Must not contain control characters such as line breaks or tabs."
# The same rules as JSON Schema patterns, so the API document tells clients what is accepted.
_CONTROL_CLASS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
ONE_LINE_PATTERN = rf"^[^{_CONTROL_CLASS}]*$"
NOT_BLANK_ONE_LINE_PATTERN = rf"^[^{_CONTROL_CLASS}]*[^\s{_CONTROL_CLASS}][^{_CONTROL_CLASS}]*$"


def has_control_characters(value: str | None) -> bool:
    return bool(value) and CONTROL_CHARACTERS.search(value) is not None


class OneLine:
    """WTForms validator: a one-line field (a name, a position) without control characters."""

    def __call__(self, _form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data):
            raise ValidationError(
                _l("Must not contain control characters such as line breaks or tabs.")
            )


def one_line(value: str | None) -> None:
    """marshmallow validator with the same rule."""
    import marshmallow as ma

    if isinstance(value, str) and has_control_characters(value):
        raise ma.ValidationError(CONTROL_MESSAGE)


class WholeNumberField(IntegerField):
    """An IntegerField that reads ASCII digits only and refuses numbers past `maximum` before
    any validator sees them (WTForms' NumberRange overflows on a 400-digit number)."""

    def __init__(self, *args, maximum: int = 2**31 - 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        text = str(valuelist[0]).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            self.data = None
            raise ValueError(_l("Enter a whole number."))
        self.data = int(text)
        if self.data > self.maximum:
            self.data = None
            raise ValueError(_l("The number is too large."))
