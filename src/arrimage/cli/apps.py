"""``arrimage apps``: the catalogue of apps."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from arrimage.catalogue import describe_app
from arrimage.cli.common import print_json
from arrimage.connectors.registry import all_apps
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
