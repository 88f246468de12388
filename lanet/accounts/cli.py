"""`flask --app wsgi users create-staff EMAIL` and `flask --app wsgi users issue-token EMAIL NAME`."""

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


@users_cli.command("issue-token")
@click.argument("email")
@click.argument("name")
def issue_token_command(email: str, name: str) -> None:
    """Issue an API bearer token for the user with EMAIL; it is printed once, never stored."""
    from lanet.accounts.service import user_by_email
    from lanet.api.tokens import TokenError, issue_token

    user = user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"no active user has the email {email}")
    try:
        _token, plain = issue_token(user.id, name)
    except TokenError as error:
        raise click.ClickException(str(error)) from error
    click.echo(plain)
