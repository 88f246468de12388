"""The Atom feed of published bulletins (RFC 4287), built with feedgen, one per language."""

from __future__ import annotations

from feedgen.feed import FeedGenerator
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lanet.bulletin.models import Bulletin
from lanet.bulletin.service import archive_url
from lanet.core.types import utcnow

FEED_LIMIT = 50


def atom(bulletins: list[Bulletin], language: str) -> bytes:
    base = current_app.config["BASE_URL"].rstrip("/")
    feed_url = f"{base}/bulletin/feed/{language}.atom"
    generator = FeedGenerator()
    with force_locale(language):
        # A stable id: the feed's address, which never changes (RFC 4287 §4.2.6).
        generator.id(feed_url)
        generator.title(_("LANET bulletin"))
        generator.subtitle(_("Latin American Network for Genocide and Mass Atrocity Prevention"))
        generator.author({"name": _("Technical Secretariat of LANET")})
        generator.language(language)
        generator.link(href=feed_url, rel="self", type="application/atom+xml")
        generator.link(href=f"{base}/bulletin/", rel="alternate", type="text/html")
        shown = bulletins[:FEED_LIMIT]
        updated = max((b.published_at for b in shown if b.published_at), default=utcnow())
        generator.updated(updated)
        # feedgen lists entries newest first when each is added at the front.
        for bulletin in reversed(shown):
            entry = generator.add_entry()
            url = archive_url(bulletin, language)
            # The tag URI stays the entry's id whatever the site's address becomes later.
            entry.id(f"{base}/bulletin/{bulletin.id}")
            entry.title(bulletin.title(language))
            entry.link(href=url, rel="alternate", type="text/html", hreflang=language)
            entry.published(bulletin.published_at)
            entry.updated(bulletin.published_at)
            entry.content((bulletin.html or {}).get(language, ""), type="html")
    return generator.atom_str(pretty=True)
