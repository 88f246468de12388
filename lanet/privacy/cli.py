"""`flask --app wsgi privacy export PERSON_ID` and `flask --app wsgi privacy erase PERSON_ID`."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

privacy_cli = AppGroup("privacy", help="A person's data: export it as JSON, or erase it.")


@privacy_cli.command("export")
@click.argument("person_id", type=click.IntRange(min=1))
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
def export_command(person_id: int, output) -> None:
    """Write everything held about the person as JSON (to standard output by default)."""
    from lanet.privacy import service

    try:
        data = service.export_person(person_id)
    except service.PersonNotFound as error:
        raise click.ClickException(f"no person has the id {person_id}") from error
    output.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


@privacy_cli.command("erase")
@click.argument("person_id", type=click.IntRange(min=1))
@click.confirmation_option(prompt="The personal data cannot be recovered. Erase?")
def erase_command(person_id: int) -> None:
    """Blank the person's personal data everywhere; registrations stay for the totals."""
    from lanet.privacy import service

    try:
        service.erase_person(person_id)
    except service.PersonNotFound as error:
        raise click.ClickException(f"no person has the id {person_id}") from error
    except service.AlreadyErased as error:
        raise click.ClickException(f"person {person_id} was already erased") from error
    click.echo(f"person {person_id} erased")
