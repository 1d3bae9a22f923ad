"""``arrimage apps``: the catalogue of apps."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from arrimage.catalogue import describe_app
from arrimage.cli.common import parse_values, print_json, runtime
from arrimage.connectors.registry import all_apps
from arrimage.engine.lookups import MAX_SAMPLES, load_trigger_samples
from arrimage.i18n import _, current_locale

app = typer.Typer(help=_("The apps Arrimage connects."), no_args_is_help=True)


@app.command("list", help=_("List apps with their triggers, actions and searches."))
def list_apps(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    entries = [describe_app(application, current_locale()) for application in all_apps().values()]
    if as_json:
        print_json(entries)
        return
    table = Table(_("App"), _("Name"), _("Triggers"), _("Actions"), _("Searches"))
    for entry in entries:
        table.add_row(
            entry["key"],
            entry["name"][current_locale()],
            ", ".join(op["key"] for op in entry["triggers"]) or "-",
            ", ".join(op["key"] for op in entry["actions"]) or "-",
            ", ".join(op["key"] for op in entry["searches"]) or "-",
        )
    Console().print(table)


@app.command("samples", help=_("Load recent items of a trigger from the account, as sample data."))
def samples(
    app_key: str = typer.Argument(..., help=_("App key, such as cyberimpact.")),
    trigger: str = typer.Argument(..., help=_("Trigger key, such as contact_added.")),
    connection: str | None = typer.Option(None, "--connection", help=_("Connection id or name.")),
    inputs: list[str] = typer.Option([], "--input", help=_("A trigger field as KEY=VALUE (repeatable), such as group=103.")),
    limit: int = typer.Option(3, "--limit", min=1, max=MAX_SAMPLES, help=_("Number of items.")),
) -> None:
    result = load_trigger_samples(runtime(), app_key, trigger, connection, parse_values(inputs), limit)
    if result["source"] == "declared":
        typer.echo(_("The account has no item yet: this is the trigger's built-in example."), err=True)
    print_json(result["items"])


@app.command("script", help=_("Print the Apps Script to paste into a Google form for an automation."))
def script(
    app_key: str = typer.Argument(..., help=_("App key: google_forms.")),
    automation_id: str = typer.Argument(..., help=_("Automation id.")),
) -> None:
    from arrimage.connectors.google_forms.apps_script import apps_script_for_automation, public_url_problem

    if app_key != "google_forms":
        typer.echo(_("Only google_forms has a script to paste, not {app}.", app=repr(app_key)), err=True)
        raise typer.Exit(2)
    current = runtime()
    typer.echo(apps_script_for_automation(current, automation_id), nl=False)
    problem = public_url_problem(current.settings.base_url)
    if problem is not None:
        typer.echo(str(problem), err=True)
