"""`flask --app wsgi tokens rehash`: after a TOKEN_KEY rotation (docs/production.md)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

tokens_cli = AppGroup("tokens", help="Private and invitation links (TOKEN_KEY).")


@tokens_cli.command("rehash")
def rehash_command() -> None:
    """Store every link's hash under the current TOKEN_KEY; links already emailed keep
    working (their hash is kept as the previous one)."""
    from lanet.registration.links import rehash_links

    result = rehash_links()
    click.echo(
        f"re-keyed {result.registrations} registration and {result.invitations} invitation links"
    )
