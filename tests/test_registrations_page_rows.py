"""The organizers' registrations page, third pass (issue 16): the rows read as plain tuples and
written in Python (lanet/registration/listing.py, views/rows.py) are byte for byte what the
template's loop over ORM registrations wrote, in every language, for every kind of row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.registration import create_open_event

# The loop of templates/registration/registrations.html before the third pass, verbatim: the
# reference the Python rows are compared with.
TEMPLATE_ROWS = """\
      {%- set select_label = _("Select") %}{% set quota_label = _("quota") %}{% set zone = event.timezone %}
      {% for r in rows %}{% set person = r.person %}{% set name = person.full_name %}{% set institution = person.institution %}
        <tr data-registration="{{ r.id }}">
          <td><input type="checkbox" name="registration" value="{{ r.id }}" id="reg-{{ r.id }}" aria-label="{{ select_label }} {{ name }}"></td>
          <td><label for="reg-{{ r.id }}">{{ name }}</label><br><small>{{ person.email or "" }}</small></td>
          <td>{{ person.country_code or "—" }}{% if r.seat_country_code %} <small>({{ quota_label }})</small>{% endif %}</td>
          <td>{{ institution.name if institution else "—" }}{% if person.position %}<br><small>{{ person.position }}</small>{% endif %}</td>
          <td>{{ REGISTRATION_ROLE_LABELS.get(r.role, r.role) }}</td>
          <td><span class="status reg-status-{{ r.status }}">{{ REGISTRATION_STATUS_LABELS[r.status] }}</span>{% if r.offer_expires_at %}<br><small>{{ _("offer until %(deadline)s", deadline=r.offer_expires_at|in_zone(zone)) }}</small>{% endif %}{% if r.decline_reason %}<br><small>{{ r.decline_reason }}</small>{% endif %}</td>
          <td>{{ r.created_at|in_zone(zone) }}</td>
        </tr>
      {% else %}
        <tr><td colspan="7" class="empty">{{ _("No registrations.") }}</td></tr>
      {% endfor %}"""


def _every_kind_of_row(event) -> None:
    """Registrations with every optional part of a row, and text that needs escaping."""
    from lanet.extensions import db
    from lanet.network.models import Institution, Person
    from lanet.registration.models import Registration

    tricky = Institution(name="Ministerio <de> \"Justicia\" & 'Paz'", kind="academia")
    plain = Institution(name="Defensoría del Pueblo", kind="ombudsman")
    start = datetime(2026, 3, 1, 13, 5, 9, tzinfo=UTC)
    people = [
        dict(first_name="Ana", last_name="<b>Pérez</b> & 'Co'", email='a"b@example.org'),
        dict(first_name="Bo", last_name="", email=None, country_code=None, position=None),
        dict(first_name="Caio", last_name="Silva", institution=tricky, position="Asesor <senior>"),
        dict(first_name="Dora", last_name="Díaz", institution=plain, country_code="MX"),
        dict(first_name="Eva", last_name="Ortiz", institution=plain, position="Directora"),
        dict(first_name="Fé", last_name="Luz", country_code="BR"),
    ]
    rows = [
        dict(status="confirmed", role="participant", seat_country_code="AR"),
        dict(status="pending", role="observer"),
        dict(status="waitlisted", role="speaker", offer_expires_at=start + timedelta(days=2)),
        dict(status="declined", role="instructor", decline_reason="No <seats> & 'sorry'"),
        dict(status="cancelled", role="organizer"),
        dict(status="waitlisted", role="participant"),
    ]
    for number, (person, registration) in enumerate(zip(people, rows, strict=True)):
        values = {"country_code": "AR", "language": "es", **person}
        db.session.add(
            Registration(
                person=Person(**values),
                event_id=event.id,
                created_at=start + timedelta(hours=number * 7, seconds=number),
                **registration,
            )
        )
    db.session.commit()


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_rows_are_what_the_template_wrote(app, db, fresh_client, sign_in, make_user, language):
    from flask import render_template_string
    from sqlalchemy import select

    from lanet.registration import listing, queries
    from lanet.registration.models import Registration
    from lanet.registration.views.rows import registration_rows

    event = create_open_event(slug=f"rows-{language}", capacity=None)
    empty_event = create_open_event(slug=f"rows-empty-{language}", capacity=None)
    _every_kind_of_row(event)
    for shown in (event, empty_event):
        with app.test_request_context(f"/?lang={language}"):
            orm_rows = list(
                db.session.scalars(
                    select(Registration)
                    .where(Registration.event_id == shown.id)
                    .order_by(Registration.created_at, Registration.id)
                )
            )
            expected = render_template_string(TEMPLATE_ROWS, rows=orm_rows, event=shown)
            page = listing.registrations_page(shown.id, queries.RegistrationFilter())
            written = str(registration_rows(page.rows, shown.timezone))
        # The template writes the line break before the first row itself.
        assert "\n      " + written == expected
        assert len(page.rows) == len(orm_rows)
    # And the page itself carries them, between the table body's tags.
    client = fresh_client
    sign_in(client, make_user("organizer", event=event))
    html = client.get(f"/manage/events/{event.slug}/registrations?lang={language}").get_data(
        as_text=True
    )
    with app.test_request_context(f"/?lang={language}"):
        orm_rows = list(
            db.session.scalars(
                select(Registration)
                .where(Registration.event_id == event.id)
                .order_by(Registration.created_at, Registration.id)
            )
        )
        expected = render_template_string(TEMPLATE_ROWS, rows=orm_rows, event=event)
    assert f"      <tbody>{expected}\n      </tbody>" in html
    assert html.count("data-registration=") == 6


# The totals and the filter's options of the template before the third pass, verbatim.
TEMPLATE_HEADING = {
    "by_status": '{% from "registration/_macros.html" import status_badge with context %}'
    "{% for status, count in totals.status.most_common() %}{{ status_badge(status) }} {{ count }}"
    " {% else %}—{% endfor %}",
    "by_country": "{% for code, count in totals.country.most_common() %}"
    '<span class="badge">{{ code }} {{ count }}</span> {% else %}—{% endfor %}',
    "by_institution": "{% for name, count in totals.institution.most_common(10) %}{{ name }}"
    " ({{ count }}){% if not loop.last %}; {% endif %}{% else %}—{% endfor %}",
    "status_options": '{% for status in statuses %}<option value="{{ status }}" '
    "{% if filters.status == status %}selected{% endif %}>"
    "{{ REGISTRATION_STATUS_LABELS[status] }}</option>{% endfor %}",
    "country_options": '{% for c in choices.countries %}<option value="{{ c.code }}" '
    "{% if filters.country == c.code %}selected{% endif %}>{{ c.name(language) }}</option>"
    "{% endfor %}",
    "institution_options": '{% for i in choices.institutions %}<option value="{{ i.id }}" '
    "{% if filters.institution_id == i.id %}selected{% endif %}>{{ i.name }}</option>"
    "{% endfor %}",
}


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_totals_and_options_are_what_the_template_wrote(app, db, language):
    from flask import render_template_string
    from sqlalchemy import select

    from lanet.network.models import Institution
    from lanet.registration import queries
    from lanet.registration.models import RegistrationStatus
    from lanet.registration.views.rows import heading

    event = create_open_event(slug=f"heading-{language}", capacity=None)
    empty_event = create_open_event(slug=f"heading-empty-{language}", capacity=None)
    _every_kind_of_row(event)
    tricky = db.session.scalar(select(Institution).where(Institution.name.like("%Justicia%")))
    statuses = list(RegistrationStatus)
    for shown, query in (
        (event, ""),
        (event, f"status=declined&country=MX&institution={tricky.id}"),
        (empty_event, "status=pending"),
    ):
        with app.test_request_context(f"/?lang={language}&{query}"):
            from flask import request

            filters = queries.RegistrationFilter.from_args(request.args)
            totals, choices = queries.overview(shown.id)
            written = heading(totals, choices, filters, statuses, language)
            for part, template in TEMPLATE_HEADING.items():
                expected = render_template_string(
                    template,
                    totals=totals,
                    choices=choices,
                    filters=filters,
                    statuses=statuses,
                    language=language,
                )
                assert str(written[part]) == expected, (part, query)
