"""`flask --app wsgi users create-staff EMAIL`; the API adds `users issue-token` (lanet/api/cli.py)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Accounts of the Secretariat, organizers and focal points.")


@users_cli.command("create-staff")
@click.argument("email")
@click.option("--first-name", default="", help="First name of a new person.")
@click.option("--last-name", default="", help="Last name of a new person.")
@click.password_option(help="Asked for when not given (at least 10 characters).")
def create_staff_command(email: str, first_name: str, last_name: str, password: str) -> None:
    """Create a Technical Secretariat account (or give an existing user the staff role)."""
    from flask_babel import force_locale

    from lanet.accounts import service

    try:
        user = service.create_staff(email, password, first_name, last_name)
    except service.AccountError as error:
        # No request chooses a language here: the console speaks English.
        with force_locale("en"):
            raise click.ClickException(f"{error.field or 'error'}: {error.message}") from error
    click.echo(f"staff user {user.email} (id {user.id}) is ready")
