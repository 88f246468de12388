"""`flask --app wsgi users issue-token EMAIL NAME`: an API token, from the console."""

from __future__ import annotations

import click

from lanet.accounts.cli import users_cli
from lanet.accounts.service import user_by_email
from lanet.api.tokens import TokenError, issue_token


@users_cli.command("issue-token")
@click.argument("email")
@click.argument("name")
def issue_token_command(email: str, name: str) -> None:
    """Issue an API bearer token for the user with EMAIL; it is printed once, never stored."""
    user = user_by_email(email)
    if user is None or not user.active:
        raise click.ClickException(f"no active user has the email {email}")
    try:
        _token, plain = issue_token(user.id, name)
    except TokenError as error:
        raise click.ClickException(str(error)) from error
    click.echo(plain)
