"""The public list's event cards, written here instead of in Jinja (issue 16).

Two dozen cards of about ten values each were most of what the list's template did: Jinja
looks every value up through its attribute machinery and escapes each output. Here a card is
one f-string; the texts from the database (title, city, country, the address) are escaped
with the escaping Jinja's autoescape uses (markupsafe), the labels once a page; the ISO date
needs none (digits and hyphens) and the translated phrase is trusted as the templates' `_()`
trusts it. The HTML is byte for byte what the card
macro of `templates/events/_card.html` wrote before (tests/test_event_cards.py renders that
macro and compares).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from lanet.core.web import format_date_range
from lanet.events.queries import EventCard


def event_cards(
    cards: Sequence[EventCard],
    language: str,
    urls: Mapping[str, str],
    kind_labels: Mapping[str, str],
    status_labels: Mapping[str, str],
    not_recorded: frozenset[int],
    not_recorded_label: str,
) -> Markup:
    """`<ul class="event-cards">` with a card for each of `cards` (in `language`; `urls` by
    slug, `core.web.slug_urls`; `not_recorded`: the ids of past events whose outcome nobody
    recorded, labelled with `not_recorded_label`)."""
    kinds: dict[str, tuple[str, str]] = {}
    statuses: dict[str, tuple[str, str]] = {}
    # A translated phrase is trusted markup, as the templates' `_()` makes it.
    flag = f'<span class="status status-not-recorded">{not_recorded_label}</span>'
    parts = []
    for card in cards:
        kind = kinds.get(card.kind)
        if kind is None:
            kind = kinds[card.kind] = (escape(card.kind), escape(kind_labels[card.kind]))
        status = statuses.get(card.status)
        if status is None:
            status = statuses[card.status] = (
                escape(card.status),
                escape(status_labels[card.status]),
            )
        when = format_date_range(card.start_date, card.end_date, card.date_precision, language)
        if card.city or card.country:
            comma = ", " if card.city and card.country else ""
            place = (
                f"\n      · {escape(card.city or '')}{comma}{escape(card.country_name or '')}\n    "
            )
        else:
            place = ""
        parts.append(
            f'<li class="event-card kind-{kind[0]}">\n'
            '  <p class="event-meta">\n'
            f'    <span class="badge">{kind[1]}</span>\n'
            f'    <span class="status status-{status[0]}">{status[1]}</span>\n'
            f"    {flag if card.id in not_recorded else ''}\n"
            "  </p>\n"
            f'  <h3><a href="{escape(urls[card.slug])}">{escape(card.title)}</a></h3>\n'
            '  <p class="event-when">\n'
            f'    <time datetime="{card.start_date.isoformat()}">{escape(when)}</time>\n'
            f"    {place}\n"
            "  </p>\n"
            "</li>"
        )
    return Markup(f'<ul class="event-cards">{"".join(parts)}</ul>')
