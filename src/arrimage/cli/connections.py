"""``arrimage connections``: saved credentials, their check, and the choices they unlock."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from arrimage.cli.common import ask, confirm, parse_values, print_json, runtime
from arrimage.connectors.declaration import FieldType
from arrimage.engine.lookups import check_connection, check_stored_connection, load_choices
from arrimage.i18n import _
from arrimage.storage.listings import record_connection_check

app = typer.Typer(help=_("Saved connections to apps (credentials, stored encrypted)."),
                  no_args_is_help=True)


@app.command("list", help=_("List connections, without their secrets."))
def list_connections(
    app_key: str | None = typer.Option(None, "--app", help=_("Only the connections to this app.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    connections = runtime().connections.list(app_key)
    if as_json:
        print_json(connections)
        return
    if not connections:
        typer.echo(_("No connections yet. Add one with: arrimage connections add APP NAME"))
        return
    table = Table(_("Id"), _("App"), _("Name"), _("Settings"))
    for connection in connections:
        settings = ", ".join(f"{key}={value}" for key, value in connection["config"].items())
        table.add_row(connection["id"], connection["app"], connection["name"], settings or "-")
    Console().print(table)


@app.command("add", help=_("Save a connection after checking its credentials with the app."))
def add(
    app_key: str = typer.Argument(..., help=_("App key, such as cyberimpact.")),
    name: str = typer.Argument(..., help=_("Name that steps use in connection:.")),
    values: list[str] = typer.Option(
        [], "--value", help=_("A field as KEY=VALUE (repeatable). Missing secrets are asked for.")),
    no_check: bool = typer.Option(False, "--no-check", help=_("Save without checking with the app.")),
) -> None:
    current = runtime(create=True)
    app_declaration = current.apps.get(app_key)
    if app_declaration is None:
        typer.echo(_("Unknown app {app}. Known: {known}.", app=repr(app_key),
                     known=", ".join(current.apps)), err=True)
        raise typer.Exit(2)

    entered = parse_values(values)
    # A taken name ends the command before any secret is typed or the app is called.
    current.connections.check_name_free(app_declaration, name)
    for field in app_declaration.connection_fields:
        if field.key in entered or not field.required:
            continue
        # Secrets are typed without echo, so they stay out of the shell history and the screen.
        entered[field.key] = ask(field.label.render(), hide_input=field.type is FieldType.PASSWORD)

    account = None if no_check else check_connection(current, app_key, entered)
    created = current.connections.create(app_declaration, name, entered)
    if account is not None:
        record_connection_check(current.db, created["id"], account)
    if account:
        typer.echo(_("Saved {name} ({id}), account {account}.", name=created["name"],
                     id=created["id"], account=account))
    else:
        typer.echo(_("Saved {name} ({id}).", name=created["name"], id=created["id"]))


@app.command("check", help=_("Check a saved connection's credentials with its app."))
def check(reference: str = typer.Argument(..., help=_("Connection id or name."))) -> None:
    current = runtime()
    result = check_stored_connection(current, reference)
    record_connection_check(current.db, result["id"], result["account"])
    if result["account"]:
        typer.echo(_("{id} works: account {account}.", id=result["id"], account=result["account"]))
    else:
        typer.echo(_("The connection is saved; this app has no check."))


@app.command("delete", help=_("Delete a connection that no automation uses."))
def delete(
    connection_id: str = typer.Argument(..., help=_("Connection id.")),
    yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
) -> None:
    current = runtime()
    summary = current.connections.get(connection_id)
    if not yes and not confirm(_("Delete {name} ({id})?", name=summary["name"], id=connection_id)):
        raise typer.Exit(1)
    current.connections.delete(connection_id)
    typer.echo(_("Deleted {name} ({id}).", name=summary["name"], id=connection_id))


@app.command("choices", help=_("List the choices of a field read from the account, such as groups."))
def choices(
    reference: str = typer.Argument(..., help=_("Connection id or name.")),
    source: str = typer.Argument(..., help=_("Choice list, such as groups or custom_fields.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    current = runtime()
    connection = next((entry for entry in current.connections.list()
                       if reference in (entry["id"], entry["name"])), None)
    if connection is None:
        typer.echo(_("No connection has the id or name {reference}.", reference=repr(reference)),
                   err=True)
        raise typer.Exit(2)

    entries = load_choices(current, connection["app"], source, connection["id"])
    if as_json:
        print_json(entries)
        return
    table = Table(_("Value"), _("Label"))
    for entry in entries:
        table.add_row(str(entry["value"]), str(entry["label"]))
    Console().print(table)

