"""``arrimage automations``: import, export, list, enable and disable automations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from arrimage.catalogue import webhook_url
from arrimage.cli.common import confirm, print_json, runtime
from arrimage.engine.errors import DocumentError
from arrimage.engine.polling import describe_poll_error, polling_operation
from arrimage.engine.records import status_label
from arrimage.i18n import _

app = typer.Typer(help=_("Manage automations."), no_args_is_help=True)


class UnreadableFileError(Exception):
    """A file cannot be read as an automation; the message gives the reason in the user's language."""


def load_file(path: Path) -> dict[str, Any]:
    """Read an automation from a YAML or JSON file, or raise UnreadableFileError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise UnreadableFileError(_("File not found: {path}.", path=path)) from error
    except yaml.YAMLError as error:
        raise UnreadableFileError(_("{path} is not valid YAML: {problem}", path=path, problem=error)) from error
    if not isinstance(data, dict):
        raise UnreadableFileError(
            _("{path} must contain one automation (a mapping with name, trigger and steps).", path=path))
    return data


def read_document(path: Path) -> dict[str, Any]:
    """Read an automation file; exit with code 2 and a clear message if it is unreadable."""
    try:
        return load_file(path)
    except UnreadableFileError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error


def report_document_error(path: Path, error: DocumentError) -> None:
    """Print every problem of an invalid document."""
    typer.echo(_("{path}: the automation is invalid:", path=path), err=True)
    for issue in error.issues:
        typer.echo(f"  - {issue.render()}", err=True)


@app.command("import", help=_("Import automations from YAML files (a new version if the id exists)."))
def import_automations(
    files: list[Path] = typer.Argument(..., help=_("YAML files, one automation each.")),
    enable: bool = typer.Option(False, "--enable", help=_("Turn the automations on after importing.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    rt = runtime(create=True)
    results = []
    failed = False
    unreadable = False
    for path in files:
        try:
            data = load_file(path)
        except UnreadableFileError as error:
            typer.echo(str(error), err=True)
            unreadable = True
            continue
        try:
            summary = rt.automations.save(data)
        except DocumentError as error:
            report_document_error(path, error)
            failed = True
            continue
        if enable:
            summary.update(rt.automations.set_enabled(summary["id"], True))
        summary["webhook_url"] = webhook_url(rt, summary["id"])
        summary.pop("document", None)
        results.append(summary)
        if not as_json:
            if summary["created"]:
                message = _("Imported {name} as {id} (version {version}).", **summary)
            elif summary["new_version"]:
                message = _("Updated {name} ({id}): version {version}.", **summary)
            else:
                message = _("{name} ({id}) is unchanged (version {version}).", **summary)
            typer.echo(message)
            if enable:
                typer.echo("  " + _("It is on."))
            elif not summary["enabled"]:
                typer.echo("  " + _("It is off: turn it on with arrimage automations enable {id}.", id=summary["id"]))
            if summary["webhook_url"]:
                typer.echo("  " + _("Webhook URL: {url}", url=summary["webhook_url"]))
    if as_json:
        print_json(results)
    if unreadable:
        raise typer.Exit(2)
    if failed:
        raise typer.Exit(1)


@app.command("export", help=_("Print an automation's current document as YAML."))
def export_automation(
    automation_id: str = typer.Argument(..., help=_("Automation id.")),
    output: Path | None = typer.Option(None, "--output", "-o", help=_("Write to this file instead.")),
) -> None:
    document = runtime().automations.document(automation_id)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(_("Wrote {path}.", path=output))
    else:
        typer.echo(text, nl=False)


@app.command("list", help=_("List automations."))
def list_automations(as_json: bool = typer.Option(False, "--json", help=_("Print JSON."))) -> None:
    automations = runtime().automations.list()
    if as_json:
        print_json(automations)
        return
    if not automations:
        typer.echo(_("No automations yet. Import one with: arrimage automations import FILE.yaml"))
        return
    table = Table(_("Id"), _("Name"), _("Trigger"), _("State"), _("Version"), _("Last run"))
    table.columns[0].no_wrap = True  # ids are copied into other commands: never cut them
    for automation in automations:
        state = _("on") if automation["enabled"] else _("off")
        last = f"{status_label(automation.get('last_run_status'))} {automation.get('last_run_at') or ''}".strip()
        trigger = f"{automation['trigger']['app']}.{automation['trigger']['event']}"
        table.add_row(automation["id"], automation["name"], trigger, state, str(automation["version"]), last)
    Console().print(table)


@app.command("show", help=_("Show an automation: state, version, webhook URL and document."))
def show(
    automation_id: str = typer.Argument(..., help=_("Automation id.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    rt = runtime()
    summary = rt.automations.get(automation_id)
    summary["webhook_url"] = webhook_url(rt, automation_id)
    polling = polling_operation(rt, summary["trigger"]["app"], summary["trigger"]["event"])
    trigger_state = rt.trigger_states.get(automation_id) if polling else None
    if trigger_state is not None:
        summary["polling"] = {
            "checked_at": trigger_state.polled_at.isoformat() if trigger_state.polled_at else None,
            "seeded_at": trigger_state.seeded_at.isoformat() if trigger_state.seeded_at else None,
            "error": describe_poll_error(trigger_state.error),
        }
    if as_json:
        print_json(summary)
        return
    state = _("on") if summary["enabled"] else _("off")
    typer.echo(_("{name} ({id}): {state}, version {version}.", name=summary["name"], id=summary["id"],
                 state=state, version=summary["version"]))
    if summary["webhook_url"]:
        typer.echo("  " + _("Webhook URL: {url}", url=summary["webhook_url"]))
    if trigger_state is not None:
        checked = summary["polling"]["checked_at"] or _("never")
        typer.echo("  " + _("Last check for new items: {time}", time=checked))
        if summary["polling"]["error"]:
            typer.echo("  " + _("Last check failed: {error}", error=summary["polling"]["error"]))
    typer.echo(yaml.safe_dump(summary["document"], allow_unicode=True, sort_keys=False), nl=False)


@app.command("delete", help=_("Delete an automation with its events and runs."))
def delete(
    automation_id: str = typer.Argument(..., help=_("Automation id.")),
    yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
) -> None:
    rt = runtime()
    summary = rt.automations.get(automation_id)
    if not yes and not confirm(_("Delete {name} ({id}) with all its runs?", name=summary["name"], id=automation_id)):
        raise typer.Exit(1)
    rt.automations.delete(automation_id)
    typer.echo(_("Deleted {name} ({id}).", name=summary["name"], id=automation_id))


@app.command("enable", help=_("Turn an automation on."))
def enable(automation_id: str = typer.Argument(..., help=_("Automation id."))) -> None:
    rt = runtime()
    summary = rt.automations.set_enabled(automation_id, True)
    typer.echo(_("{name} ({id}) is on.", **summary))
    url = webhook_url(rt, automation_id)
    if url:
        typer.echo("  " + _("Webhook URL: {url}", url=url))


@app.command("disable", help=_("Turn an automation off."))
def disable(automation_id: str = typer.Argument(..., help=_("Automation id."))) -> None:
    summary = runtime().automations.set_enabled(automation_id, False)
    typer.echo(_("{name} ({id}) is off.", **summary))
