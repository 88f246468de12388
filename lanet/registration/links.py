"""Private and invitation links after a TOKEN_KEY rotation (lanet/core/tokens.py).

A link is HMAC(TOKEN_KEY, nonce), and the row keeps its SHA-256. With a new key every row's
link changes: `rehash_links` stores the hash of the new link and keeps the old hash as the
previous one, so the links already emailed keep working and the next emails carry new ones.
Run it (`flask --app wsgi tokens rehash`) right after deploying a new TOKEN_KEY.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lanet.extensions import db
from lanet.registration.models import Invitation, Registration


@dataclass(frozen=True)
class Rehashed:
    registrations: int
    invitations: int


def _rehash(model: type[Registration] | type[Invitation], batch: int) -> int:
    changed = 0
    last_id = 0
    while True:
        query = select(model).where(model.id > last_id).order_by(model.id).limit(batch)
        rows = list(db.session.scalars(query))
        if not rows:
            return changed
        for row in rows:
            changed += row.rehash_link()
        last_id = rows[-1].id
        db.session.commit()


def rehash_links(batch: int = 500) -> Rehashed:
    """Re-keys every registration's and invitation's link hash; commits batch by batch, so a
    run that stops can be run again (rows already current are left alone)."""
    return Rehashed(
        registrations=_rehash(Registration, batch), invitations=_rehash(Invitation, batch)
    )
