"""``arrimage users``: accounts of the web app, for setups without a browser at hand."""

from __future__ import annotations

import typer

from arrimage.cli.common import ask, runtime
from arrimage.engine.errors import ConflictError
from arrimage.i18n import _
from arrimage.web.auth import email_problem, hash_password, password_problem

app = typer.Typer(help=_("Accounts that sign in to the web app."), no_args_is_help=True)


@app.command("create", help=_("Create a web app account; the password is asked for without echo."))
def create(email: str = typer.Argument(..., help=_("The account's email address."))) -> None:
    _check_email(email)
    password = _ask_password()
    current = runtime(create=True)
    try:
        user = current.users.create(email, hash_password(password))
    except ConflictError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(_("Created the account {email}. Sign in at {url}/login", email=user.email,
                 url=current.settings.base_url))


@app.command("password", help=_("Set a new password for a web app account."))
def change_password(email: str = typer.Argument(..., help=_("The account's email address."))) -> None:
    current = runtime()
    found = current.users.password_hash(email)
    if found is None:
        typer.echo(_("No account has the address {email}.", email=email), err=True)
        raise typer.Exit(1)
    password = _ask_password()
    current.users.set_password_hash(found[0].id, hash_password(password))
    typer.echo(_("The password of {email} is changed.", email=found[0].email))


@app.command("token", help=_("Create an API token for an account and print it once."))
def create_token(
    email: str = typer.Argument(..., help=_("The account's email address.")),
    name: str = typer.Option("CLI", "--name", help=_("A name to recognise the token in Settings.")),
) -> None:
    current = runtime()
    found = current.users.password_hash(email)
    if found is None:
        typer.echo(_("No account has the address {email}.", email=email), err=True)
        raise typer.Exit(1)
    _summary, token = current.users.create_api_token(found[0].id, name)
    # The token goes alone to standard output so that scripts can capture it.
    typer.echo(_("API token {name} for {email}, shown only once. Send it as Authorization: "
                 "Bearer <token>; revoke it in Settings.", name=name, email=found[0].email),
               err=True)
    typer.echo(token)


def _check_email(email: str) -> None:
    problem = email_problem(email)
    if problem is not None:
        typer.echo(problem.render(), err=True)
        raise typer.Exit(2)


def _ask_password() -> str:
    """Ask for a password twice, without echo, until both entries are the same."""
    while True:
        password = ask(_("Password"), hide_input=True)
        if ask(_("Repeat the password"), hide_input=True) == password:
            break
        typer.echo(_("The two passwords differ: type them again."), err=True)
    problem = password_problem(password)
    if problem is not None:
        typer.echo(problem.render(), err=True)
        raise typer.Exit(2)
    return password
