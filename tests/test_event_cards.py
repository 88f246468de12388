"""The public list's cards written in Python (lanet/events/cards.py) are byte for byte what the
card macro wrote (templates/events/_card.html before issue 16's third pass, kept here as the
reference): every optional part, text that needs escaping, es/pt/en."""

from __future__ import annotations

from datetime import date

import pytest
from flask import render_template_string
from flask_babel import gettext

from lanet.core.i18n import labels_in_language
from lanet.core.web import slug_urls
from lanet.events.cards import event_cards
from lanet.events.labels import KIND_LABELS, STATUS_LABELS
from lanet.events.queries import CountryName, EventCard, split_by_date

# The macro and its loop as templates/events/_card.html and events/list.html had them.
REFERENCE = """{% macro event_card(event) -%}
<li class="event-card kind-{{ event.kind }}">
  <p class="event-meta">
    <span class="badge">{{ KIND_LABELS[event.kind] }}</span>
    <span class="status status-{{ event.status }}">{{ STATUS_LABELS[event.status] }}</span>
    {% if event.id in listing.not_recorded %}<span class="status status-not-recorded">{{ _("Not recorded as carried out") }}</span>{% endif %}
  </p>
  <h3><a href="{{ event_urls[event.slug] }}">{{ event.title }}</a></h3>
  <p class="event-when">
    <time datetime="{{ event.start_date.isoformat() }}">{{ format_date_range(event.start_date, event.end_date, event.date_precision, language) }}</time>
    {% if event.city or event.country %}
      · {{ event.city or "" }}{% if event.city and event.country %}, {% endif %}{{ event.country_name or "" }}
    {% endif %}
  </p>
</li>
{%- endmacro -%}
<ul class="event-cards">{% for event in cards %}{{ event_card(event) }}{% endfor %}</ul>"""

AR = CountryName("AR", "Argentina", "Argentina", "Argentina")
CI = CountryName("CI", "Côte d'Ivoire", "Costa do Marfim", "Côte d'Ivoire & <b>")


def _card(number: int, **values) -> EventCard:
    fields = dict(
        id=number,
        slug=f"event-{number}",
        kind="lemkin_seminar",
        status="held",
        title=f"Seminar {number}",
        city="Buenos Aires",
        start_date=date(2014, 3, 10),
        end_date=date(2014, 3, 14),
        date_precision="day",
        timezone="America/Argentina/Buenos_Aires",
        country=AR,
        country_name="Argentina",
    )
    fields.update(values)
    return EventCard(**fields)


CARDS = [
    _card(1),
    _card(2, title="<script>alert('x')</script> & \"quoted\"", city="São Paulo & <i>"),
    _card(3, city=None),  # country only
    _card(4, country=None, country_name=None),  # city only
    _card(5, city=None, country=None, country_name=None),  # neither: an online event
    _card(6, city="", country=CI, country_name="Côte d'Ivoire & <b>"),
    _card(7, kind="workshop", status="planned", date_precision="month"),
    _card(8, kind="videoconference", status="open", date_precision="year"),
    _card(9, status="closed", date_precision="half-year", end_date=date(2014, 8, 1)),
    _card(10, status="cancelled", start_date=date(2015, 1, 1), end_date=date(2015, 1, 1)),
    _card(11, slug="Odd Slug/é", title="Ñandú"),  # an address url_for writes itself
]


@pytest.mark.parametrize("language", ["es", "pt", "en"])
@pytest.mark.parametrize("prefix", ["", "/lanet"])
def test_cards_are_what_the_card_macro_wrote(app, language, prefix) -> None:
    base_url = f"http://localhost{prefix}/"
    with app.test_request_context(
        "/events", base_url=base_url, headers={"Accept-Language": language}
    ):
        listing = split_by_date(CARDS)
        assert listing.not_recorded and listing.past and listing.upcoming == []
        urls = slug_urls("events.event_page", [card.slug for card in CARDS])
        kinds, statuses = labels_in_language(KIND_LABELS), labels_in_language(STATUS_LABELS)
        for cards in (CARDS, CARDS[:1], []):
            expected = render_template_string(
                REFERENCE,
                cards=cards,
                listing=listing,
                event_urls=urls,
                language=language,
            )
            written = event_cards(
                cards,
                language,
                urls,
                kinds,
                statuses,
                listing.not_recorded,
                gettext("Not recorded as carried out"),
            )
            assert str(written) == expected
            if cards is CARDS:
                full = written
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quoted&#34;" in full
        assert f'href="{prefix}/events/Odd%20Slug/%C3%A9"' in full
        assert full.count("status-not-recorded") == len(listing.not_recorded)
