"""Events hold no personal data: their texts are the organizers' public descriptions.

People take part in events through registrations, agenda speakers and roles, each declared
by its own feature; the statements below tell the coverage test why these columns are not.
"""

from __future__ import annotations

from lanet.core.personal_data import not_personal

not_personal(
    "events",
    [
        "title",
        "title_translations",
        "description",
        "audience",
        "note",
        "venue",
        "slug",
        "city_translations",
    ],
    "the event as announced: its title, description, audience, venue and organizers' note",
)
not_personal(
    "events",
    ["description_translations", "audience_translations", "cancellation_reason"],
    "the event's description and audience in es/pt/en, and why it was cancelled, as "
    "announced to everyone registered",
)
not_personal("series", ["name_translations", "description"], "a seminar series' name and text")
