"""`flask --app wsgi seed demo`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

seed_cli = AppGroup("seed", help="Load data into the database.")


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Load the Network's countries, organizations, 2012–2015 events and demo participants."""
    from lanet.seed import seed_demo

    counts = seed_demo()
    for name, count in counts.items():
        click.echo(f"{name}: {count}")
