"""The rows of the organizers' registrations table, its totals and its filter's options,
written here instead of in Jinja.

Fifty rows of about fourteen values each were most of the page's rendering time: Jinja
looks every value up through its attribute machinery and escapes it one output at a time.
Here each row is one f-string and every value from the database is escaped with the same
escaping Jinja's autoescape uses (markupsafe), so the HTML is byte for byte what the loop in
`templates/registration/registrations.html` wrote (tests/test_registrations_page_rows.py
renders both and compares). Labels and the translated phrases are looked up once a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from flask_babel import get_locale, get_translations
from markupsafe import Markup, escape

from lanet.core.i18n import built_in_language
from lanet.core.web import format_in_zone
from lanet.registration.listing import PageRow
from lanet.registration.views import _translated_labels


def registration_rows(rows: Sequence[PageRow], timezone: str) -> Markup:
    """The table body's rows (what the template's `{% for r in rows %}` wrote), or its
    "No registrations." row."""
    lookup = get_translations().ugettext

    def _(message: str, **variables: str) -> Markup:
        # The templates' `_()` (core.i18n): the translation is trusted markup, its values
        # are escaped, and it is always formatted with `%`.
        return Markup(lookup(message)) % variables

    if not rows:
        empty = _("No registrations.")
        return Markup(f'\n        <tr><td colspan="7" class="empty">{empty}</td></tr>\n      ')
    labels = built_in_language(_translated_labels)
    statuses = labels["REGISTRATION_STATUS_LABELS"]
    roles = labels["REGISTRATION_ROLE_LABELS"]
    select = _("Select")
    quota = f" <small>({_('quota')})</small>"

    language = str(get_locale())

    def deadline(moment) -> str:
        return _in_zone(language, timezone, moment)

    parts = []
    for r in rows:
        number = r.id
        name = escape(r.name)
        email = escape(r.email or "")
        country = escape(r.country_code or "—")
        seat = quota if r.seat_country_code else ""
        institution = escape(r.institution or "—")
        position = f"<br><small>{escape(r.position)}</small>" if r.position else ""
        role = escape(roles.get(r.role, r.role))
        status = escape(r.status)
        status_label = escape(statuses[r.status])
        offer = (
            f"<br><small>{_('offer until %(deadline)s', deadline=deadline(r.offer_expires_at))}</small>"
            if r.offer_expires_at
            else ""
        )
        reason = f"<br><small>{escape(r.decline_reason)}</small>" if r.decline_reason else ""
        created = escape(_in_zone(language, timezone, r.created_at))
        parts.append(
            f'\n        <tr data-registration="{number}">\n'
            f'          <td><input type="checkbox" name="registration" value="{number}"'
            f' id="reg-{number}" aria-label="{select} {name}"></td>\n'
            f'          <td><label for="reg-{number}">{name}</label><br><small>{email}</small></td>\n'
            f"          <td>{country}{seat}</td>\n"
            f"          <td>{institution}{position}</td>\n"
            f"          <td>{role}</td>\n"
            f'          <td><span class="status reg-status-{status}">{status_label}</span>'
            f"{offer}{reason}</td>\n"
            f"          <td>{created}</td>\n"
            f"        </tr>\n      "
        )
    return Markup("".join(parts))


@lru_cache(maxsize=8192)
def _in_zone(_language: str, timezone: str, moment: datetime) -> str:
    """A row's time as `format_in_zone` writes it (Babel's patterns cost ~20 µs a call, two a
    row), kept per process for each (language, zone, instant): an organizer goes back to the
    same pages, and their rows' times do not change. `_language` keys the cache; Babel reads
    the same locale from the request."""
    return format_in_zone(moment, timezone)


def heading(totals: dict, choices: dict, filters, statuses, language: str) -> dict[str, Markup]:
    """The page's totals (by status, country, the first ten institutions) and the filter's
    options, as the template's loops wrote them: about 150 values a page, each a Jinja
    lookup and escape there."""
    status_labels = built_in_language(_translated_labels)["REGISTRATION_STATUS_LABELS"]

    def selected(chosen: bool) -> str:
        return "selected" if chosen else ""

    by_status = "".join(
        f'<span class="status reg-status-{escape(status)}">{escape(status_labels[status])}</span>'
        f" {count} "
        for status, count in totals["status"].most_common()
    )
    by_country = "".join(
        f'<span class="badge">{escape(code)} {count}</span> '
        for code, count in totals["country"].most_common()
    )
    by_institution = "; ".join(
        f"{escape(name)} ({count})" for name, count in totals["institution"].most_common(10)
    )
    status_options = "".join(
        f'<option value="{escape(status)}" {selected(filters.status == status)}>'
        f"{escape(status_labels[status])}</option>"
        for status in statuses
    )
    country_options = "".join(
        f'<option value="{escape(c.code)}" {selected(filters.country == c.code)}>'
        f"{escape(c.name(language))}</option>"
        for c in choices["countries"]
    )
    institution_options = "".join(
        f'<option value="{i.id}" {selected(filters.institution_id == i.id)}>'
        f"{escape(i.name)}</option>"
        for i in choices["institutions"]
    )
    return {
        "by_status": Markup(by_status or "—"),
        "by_country": Markup(by_country or "—"),
        "by_institution": Markup(by_institution or "—"),
        "status_options": Markup(status_options),
        "country_options": Markup(country_options),
        "institution_options": Markup(institution_options),
    }
