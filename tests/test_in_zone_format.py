"""The `in_zone` filter's cached formatter writes exactly what Flask-Babel's format_datetime
writes, in every language, across zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, format_datetime

from lanet.core.web import format_in_zone, local_datetime

ZONES = ("America/Argentina/Buenos_Aires", "America/Sao_Paulo", "Europe/Warsaw", "UTC")


@pytest.mark.parametrize("language", ["es", "pt", "en"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_in_zone_matches_babel(app, language, fmt):
    # Hours of a year, across Warsaw's DST changes, at odd minutes and seconds, AM and PM.
    moments = [
        datetime(2026, 1, 1, 3, 7, 9, tzinfo=UTC) + timedelta(hours=97 * n, seconds=13 * n)
        for n in range(100)
    ]
    with app.test_request_context(), force_locale(language):
        for moment in moments:
            for zone in ZONES:
                expected = format_datetime(local_datetime(moment, zone), fmt, rebase=False)
                assert format_in_zone(moment, zone, fmt) == expected, (moment, zone)
